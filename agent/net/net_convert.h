// net_convert.h — `nubo devel net-convert`, cloud-init 22.4's
// `cloud-init devel net-convert`: render one network config offline.
//
//   nubo devel net-convert -p network_data.json -k network_data.json
//       -d /tmp/out -D debian -O networkd [-m eth0,fa:16:3e:00:00:01]
//   nubo devel net-convert -p interfaces -k eni -d /tmp/out -D debian -O netplan
//
//   // cli.cc: input and output are host paths; `host` reads the input
//   // and /sys/class/net (for names by MAC), `out` is rooted at -d.
//   int rc = net::NetConvertMain(args, host, &err);
#pragma once

#include <string>
#include <vector>

#include "nubo/system.h"

namespace nubo::net {

// `args` are the words after "net-convert". Returns the exit code (2 for
// usage errors, 1 when the input cannot be converted); messages go to `err`.
int NetConvertMain(const std::vector<std::string>& args, System& host, std::string& err,
                   const std::string& sys_class_net = "/sys/class/net");

}  // namespace nubo::net
