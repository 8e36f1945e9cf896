// eni.h — /etc/network/interfaces (ifupdown ENI) text converted to network
// config v1, as cloud-init 22.4's eni.convert_eni_data does: the input of
// `devel net-convert -k eni` (and of a datasource's ENI network config).
//
//   auto v1 = net::ConvertEniData(text, "interfaces", log);
//   if (!v1) log.Error(v1.error().ToString());   // "interfaces: line 3: 'address' before any 'iface' line"
//   auto state = net::ParseNetworkConfig(*v1, "interfaces", &sysnet, log);
//
// What 22.4 keeps, and so what this keeps: one device per name before ":"
// ("lo" a loopback, every other one physical, with hwaddress as its MAC),
// one subnet per iface stanza (type = the method, control auto or manual,
// address, netmask, gateway, broadcast, dns-nameservers, dns-search).
// The parser reads mtu, bond-*, bridge_*, up/post-up/... lines as 22.4's
// does, but 22.4's conversion drops them (a bond stanza becomes a physical
// device): they are logged at debug level, not carried over.
// `source` and `source-directory` lines are not followed (22.4 reads host
// files for them, relative to no directory): logged and skipped.
#pragma once

#include <string>
#include <string_view>

#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::net {

// {version: 1, config: [...]}, devices sorted by name. Errors (an option
// before any iface, a line missing its value, an interface defined twice,
// a static stanza without address, `auto X` without `iface X`) name
// `source`, the line and the key where there is one.
Result<Value> ConvertEniData(std::string_view text, const std::string& source, const Logger& log);

}  // namespace nubo::net
