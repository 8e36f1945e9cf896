// apply.h — init --local's network step (cloud-init 22.4's
// Init.apply_network_config): find the config (kernel command line
// `network-config=`, system config `network:`, the datasource), honour
// `network: {config: disabled}`, fall back to DHCP on the first NIC, apply
// it only for a new instance (update_events boot-new-instance; `updates:
// network: when: [boot]` renders every boot), rename NICs by MAC, select a
// renderer and write its files.
//
//   net::ApplyOptions opts;                       // /sys/class/net, default renderer order
//   std::vector<std::string> errors;               // recorded in status.json
//   net::ApplyNetworkConfig(sys, log, base_cfg, &instance, paths, opts, errors);
#pragma once

#include <string>
#include <vector>

#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/paths.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::net {

struct ApplyOptions {
  std::string sys_class_net = "/sys/class/net";  // host path; tests give a fake tree
  // The distro's renderer order when system_info.network.renderers is unset
  // (empty: cloud-init's DEFAULT_PRIORITY).
  std::vector<std::string> default_renderers;
  std::string distro;  // system_info.distro when empty
};

// `data` is null when no datasource was found (the fallback is then
// rendered at every boot, as cloud-init does). Problems that cloud-init
// would fail the stage for are appended to `errors`; the boot goes on.
void ApplyNetworkConfig(System& sys, const Logger& log, const Value& base_config, const InstanceData* data,
                        const Paths& paths, const ApplyOptions& options, std::vector<std::string>& errors);

// The network-config= kernel parameter: null when absent or unusable,
// {config: disabled} for "disabled", else the decoded YAML.
Value KernelCmdlineNetworkConfig(const std::string& cmdline, const Logger& log);

}  // namespace nubo::net
