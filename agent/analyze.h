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

// The event name of the stage a logger prefix names: "init" ->
// "init-network", "modules:config" -> "modules-config".
std::string EventStageName(std::string_view stage_prefix);

}  // namespace nubo::agent
