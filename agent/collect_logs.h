// collect_logs.h — `cloud-init collect-logs`: a tarball of the logs and run
// data, as cloud-init 22.4.2's cmd/devel/logs.py makes it.
//
//   int rc = CollectLogs(sys, "/root/cloud-init.tar.gz", false, std::cerr);
//
// cloud-init-logs-YYYY-MM-DD/ holds version, dmesg.txt, journal.txt,
// cloud-init.log, cloud-init-output.log and run/cloud-init/ without
// instance-data-sensitive.json; user-data.txt and the sensitive instance
// data only with `include_userdata` (which needs root).
#pragma once

#include <ostream>
#include <string>

#include "nubo/system.h"

namespace nubo::agent {

int CollectLogs(System& sys, const std::string& tarball, bool include_userdata, std::ostream& err);

}  // namespace nubo::agent
