// analyze.h — `cloud-init analyze show|blame|dump|boot` over the start/
// finish event lines the stages write to /var/log/cloud-init.log (the
// stage runner logs "start: init-network/config-runcmd: ..." and
// "finish: init-network/config-runcmd: SUCCESS: ..." as cloud-init's
// reporting events do).
//
//   auto events = ParseEvents(log_text);       // in file order
//   std::cout << AnalyzeBlame(events);         // slowest first, per boot
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::agent {

struct Event {
  std::string event_type;   // "start" or "finish"
  std::string name;         // "init-network/config-runcmd"
  std::string description;  // the rest of the line
  std::string result;       // finish: "SUCCESS", "FAIL", "WARN"
  double timestamp = 0;     // seconds since the epoch
  std::string origin = "cloudinit";
};

// The event lines of a cloud-init.log (nubo's or cloud-init's own format).
std::vector<Event> ParseEvents(std::string_view log_text);

// cloud-init's output formats. Boot records start at each init-local or
// init-network start that follows a finished stage of a previous boot.
std::string AnalyzeShow(const std::vector<Event>& events);
std::string AnalyzeBlame(const std::vector<Event>& events);
Value AnalyzeDump(const std::vector<Event>& events);

// `analyze boot` (analyze_boot, show.dist_check_timestamp): the kernel's
// start and end and cloud-init-local's activation, from systemd, and the
// last init-local start in the log. status is "successful", "container" or
// "failure" (no systemd, or systemctl failed: the times are then -1).
struct BootTimes {
  std::string status = "failure";
  double kernel_start = -1;
  double kernel_end = -1;
  double ci_sysd_start = -1;
};
// show.gather_timestamps_using_systemd through `sys` (its clock and its
// runner: `systemctl show -p UserspaceTimestampMonotonic`, `systemctl show
// cloud-init-local -p InactiveExitTimestampMonotonic`). Without
// /run/systemd/system the status is "failure" (22.4 reads dmesg only on
// FreeBSD and Gentoo). A failed systemctl sets *note to the line 22.4
// prints.
BootTimes GatherBootTimes(System& sys, std::string* note);
// The report analyze_boot prints for `times` and the log; *status becomes
// "failure" too when the log has no init-local start.
std::string AnalyzeBoot(std::string_view log_text, const BootTimes& times, std::string* status);
// datetime.utcfromtimestamp(t)'s str(): "2026-12-01 08:32:15.659645"
// (microseconds rounded half to even, left out when zero).
std::string PyUtcDatetime(double t);

// The event name of the stage a logger prefix names: "init" ->
// "init-network", "modules:config" -> "modules-config".
std::string EventStageName(std::string_view stage_prefix);

}  // namespace nubo::agent
