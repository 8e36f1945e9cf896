// dhcp.h — an ephemeral DHCPv4 lease for a datasource that must reach a
// metadata service before the network is up (cloud-init's EphemeralDHCPv4:
// dhclient without scripts, then the address and routes set with `ip`, and
// all of it undone when the lease object goes away).
//
//   auto nic = FindFallbackNic(sys);                    // "eth0", or nullopt
//   auto lease = EphemeralDhcp::Start(sys, log, *nic);  // Result<unique_ptr>
//   if (lease) { ...crawl...; }                          // torn down at scope exit
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/system.h"

namespace nubo {

// cloud-init's find_fallback_nic over the host's /sys/class/net (the
// network code's, agent/net/sysnet.h): a connected NIC, else one that may
// get a carrier; no lo, veth, bridge, bond or MAC-less NIC; eth0 first.
std::optional<std::string> FindFallbackNic(System& sys);

// dhclient's lease file, as cloud-init's parse_dhcp_lease_file reads it:
// each `lease {...}` block as option -> value ("fixed-address", "routers").
std::vector<std::vector<std::pair<std::string, std::string>>> ParseDhclientLeases(const std::string& text);

// RFC 3442 classless static routes ("32,169,254,169,254,10,0,0,1,0,10,0,0,1")
// as (destination/prefix, gateway) pairs; empty when malformed.
std::vector<std::pair<std::string, std::string>> ParseStaticRoutes(const std::string& routes);

class EphemeralDhcp {
 public:
  // Runs dhclient once on `nic` and configures the lease; an error when no
  // lease could be had (no dhclient, no answer).
  static Result<std::unique_ptr<EphemeralDhcp>> Start(System& sys, const Logger& log, const std::string& nic);
  ~EphemeralDhcp();  // undoes what Start set up, and stops dhclient
  EphemeralDhcp(const EphemeralDhcp&) = delete;
  EphemeralDhcp& operator=(const EphemeralDhcp&) = delete;

  const std::string& address() const { return address_; }

 private:
  EphemeralDhcp(System& sys, const Logger& log) : sys_(sys), log_(log) {}
  System& sys_;
  Logger log_;
  std::string nic_;
  std::string address_;
  std::vector<std::vector<std::string>> cleanup_;
};

}  // namespace nubo
