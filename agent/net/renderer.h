// renderer.h — the network renderers (one file each) and how one is chosen.
//
//   net::RenderOptions opts = net::RenderOptionsForDistro("debian");
//   auto files = net::RenderEni(state, opts);          // pure: path -> content
//   const net::RendererSpec* r = net::SelectRenderer(sys, priority, distro_default_order);
//   auto files = r->render(state, opts);
//
// A renderer is a pure function from the NetworkState to the files it
// writes (paths inside the target root, content, mode, owner), with
// cloud-init 22.4's file names and formats; writing them is the caller's
// (apply.cc, net_convert.cc). Where 22.4's output would not work, the
// renderer says so in a comment next to the deviation and
// tests/compat/known-differences.yaml lists it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "agent/net/network_state.h"
#include "nubo/result.h"
#include "nubo/system.h"

namespace nubo::net {

struct RenderedFile {
  std::string path;  // absolute, inside the target root
  std::string content;
  mode_t mode = 0644;
  std::string owner;  // user and group by name; empty: root
};

// The distro's renderer_configs (cloudinit/distros/*.py).
struct RenderOptions {
  std::string eni_path = "/etc/network/interfaces";
  std::string eni_header;
  std::string netrules_path = "/etc/udev/rules.d/70-persistent-net.rules";  // empty: none
  std::string netplan_path = "/etc/netplan/50-cloud-init.yaml";
  std::string netplan_header;
  std::vector<std::string> netplan_features;  // netplan info's features
  std::string networkd_dir = "/etc/systemd/network/";
  // sysconfig; an empty iface template means the distro has no sysconfig
  // layout (cloud-init then fails; nubo uses RHEL's).
  std::string sysconfig_dir = "/etc/sysconfig";
  std::string sysconfig_control;  // "/etc/sysconfig/network" on RHEL
  std::string sysconfig_iface_template = "%(base)s/network-scripts/ifcfg-%(name)s";
  std::string sysconfig_route4_template = "%(base)s/network-scripts/route-%(name)s";
  std::string sysconfig_route6_template = "%(base)s/network-scripts/route6-%(name)s";
  std::string sysconfig_dns_path = "/etc/resolv.conf";
  std::string sysconfig_nm_conf_path = "/etc/NetworkManager/conf.d/99-cloud-init.conf";
  std::string sysconfig_flavor = "rhel";
  // Existing /etc/resolv.conf content the sysconfig renderer extends.
  std::optional<std::string> existing_resolv_conf;
};

// cloud-init's renderer_configs for the distro (debian, ubuntu: ENI and
// netplan paths and header; rhel family: sysconfig layout).
RenderOptions RenderOptionsForDistro(const std::string& distro);

using RenderFn = Result<std::vector<RenderedFile>> (*)(const NetworkState&, const RenderOptions&);

struct RendererSpec {
  const char* name;  // "eni", "netplan", "networkd", "network-manager", "sysconfig"
  RenderFn render;
  // cloud-init's available(): are the tools/files of this stack in the image?
  bool (*available)(System& sys);
};

Result<std::vector<RenderedFile>> RenderEni(const NetworkState& ns, const RenderOptions& o);
Result<std::vector<RenderedFile>> RenderNetworkd(const NetworkState& ns, const RenderOptions& o);
Result<std::vector<RenderedFile>> RenderNetplan(const NetworkState& ns, const RenderOptions& o);
Result<std::vector<RenderedFile>> RenderNetworkManager(const NetworkState& ns, const RenderOptions& o);
Result<std::vector<RenderedFile>> RenderSysconfig(const NetworkState& ns, const RenderOptions& o);

// The renderers nubo has, by name; null when unknown.
const RendererSpec* FindRenderer(const std::string& name);

// cloud-init's renderers.select: the first available renderer of
// `system_info.network.renderers` (`configured`, when a list) else of the
// distro's default order (`distro_default`; empty: cloud-init's
// DEFAULT_PRIORITY). An error names the list searched; an unknown name in
// the list is an error, as in cloud-init.
Result<const RendererSpec*> SelectRenderer(System& sys, const Value& configured,
                                           const std::vector<std::string>& distro_default);

// udev rules naming NICs by MAC (the ENI and sysconfig renderers write them).
std::string PersistentNetRules(const NetworkState& ns);

// Python's repr() of a list of strings: ['a', 'b'].
std::string PyListRepr(const std::vector<std::string>& v);

}  // namespace nubo::net
