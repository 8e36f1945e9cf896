// sysnet.h — the NICs of the running system, read from /sys/class/net
// through System's host-path calls (so tests point it at a fake tree), and
// cloud-init 22.4's choices made from them: get_interfaces_by_mac,
// find_fallback_nic, generate_fallback_config.
//
//   net::SysNet sysnet(sys);                       // /sys/class/net
//   net::SysNet fake(sys, tmp.path() + "/net");     // a test's tree
//   Value fallback = sysnet.FallbackConfig(sys.KernelCmdline());  // null: no NIC
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::net {

class SysNet {
 public:
  explicit SysNet(System& sys, std::string base = "/sys/class/net")
      : sys_(sys), base_(std::move(base)) {}

  std::vector<std::string> Devices();
  // The stripped content of base/dev/field; nullopt when unreadable.
  std::optional<std::string> Read(const std::string& dev, const std::string& field);
  bool Has(const std::string& dev, const std::string& sub);
  std::string Driver(const std::string& dev);  // "" when none
  // mac (lower case) -> name, without bridges, VLANs, bonds, stolen MACs.
  std::map<std::string, std::string> InterfacesByMac();
  // find_fallback_nic: first NIC with carrier, else one that may get it.
  std::optional<std::string> FallbackNic(const std::string& cmdline);
  // generate_fallback_config: v2 DHCPv4 on the fallback NIC; null if none.
  Value FallbackConfig(const std::string& cmdline);

 private:
  std::optional<long> ReadInt(const std::string& dev, const std::string& field);
  System& sys_;
  std::string base_;
};

}  // namespace nubo::net
