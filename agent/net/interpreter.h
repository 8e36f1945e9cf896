// interpreter.h — internal to agent/net: cloud-init's NetworkStateInterpreter,
// the v1 command handlers that v1 configs call directly and the v2 parser
// (parse_v2.cc) calls after translating each v2 device into a v1 command.
//
//   Interpreter in(state, log, sysnet);
//   Status s = in.Handle(command, "config[2]");
#pragma once

#include <map>
#include <string>

#include "agent/net/network_state.h"
#include "agent/net/sysnet.h"

namespace nubo::net {

// A command that lacks a required key: skipped with a warning, as
// cloud-init's InvalidCommand under skip_broken.
inline constexpr const char* kInvalidCommand = "invalid command";

class Interpreter {
 public:
  Interpreter(NetworkState& state, const Logger& log, SysNet* sysnet)
      : state_(state), log_(log), sysnet_(sysnet) {}

  // One v1 command ({type: physical, name: ...}); `where` is its key path.
  // An error whose message starts with kInvalidCommand means "skip it".
  Status Handle(const Value& command, const std::string& where);
  // After all v1 commands: per-interface nameservers.
  Status Finish();

  // v2 helpers.
  Status HandleNameserver(const Value& command, const std::string& where);
  Status IndividualNameserver(const Value& command, const std::string& iface, const std::string& where);
  std::map<std::string, std::string>& InterfacesByMac();
  std::string NameFromMac(const std::string& mac);
  NetworkState& state() { return state_; }
  const Logger& log() const { return log_; }

  Status Physical(const Value& command, const std::string& where);
  Status Vlan(const Value& command, const std::string& where);
  Status Bond(const Value& command, const std::string& where);
  Status Bridge(const Value& command, const std::string& where);

 private:
  Interface& Upsert(const std::string& name);
  NetworkState& state_;
  const Logger& log_;
  SysNet* sysnet_;
  std::vector<std::pair<std::string, InterfaceDns>> interface_dns_;
  std::optional<std::map<std::string, std::string>> by_mac_;
};

// Normalizing (network_state._normalize_subnet / _normalize_route).
Result<Subnet> NormalizeSubnet(const Value& subnet, const std::string& where);
Result<Route> NormalizeRoute(const Value& route, const std::string& where);

// v2 (parse_v2.cc).
Status ParseV2(Interpreter& in, const Value& config, const KeyOrder& order, const std::string& prefix);

}  // namespace nubo::net
