// openstack.h — OpenStack's network_data.json (metadata service or config
// drive) converted to network config v1, as cloud-init 22.4's
// openstack.convert_net_json does.
//
//   auto v1 = net::ConvertNetworkDataJson(json, std::nullopt, &sysnet, log);
//   // links without a "name" are named by their MAC: from `known_macs`
//   // (mac -> name) when given, else from the system's NICs.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/net/sysnet.h"
#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::net {

Result<Value> ConvertNetworkDataJson(const Value& network_data,
                                     const std::optional<std::map<std::string, std::string>>& known_macs,
                                     SysNet* sysnet, const Logger& log);

}  // namespace nubo::net
