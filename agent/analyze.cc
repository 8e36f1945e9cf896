// `cloud-init analyze`: events parsed from cloud-init.log lines, grouped by
// boot, printed in cloud-init 22.4.2's formats (cloudinit/analyze/show.py).

#include "agent/analyze.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

namespace nubo::agent {
namespace {

// "2024-01-02 03:04:05,678" (local time, as both agents write it).
double ParseTimestamp(const std::string& date, const std::string& time_ms) {
  struct tm tm {};
  if (!strptime((date + " " + time_ms.substr(0, 8)).c_str(), "%Y-%m-%d %H:%M:%S", &tm)) return 0;
  tm.tm_isdst = -1;
  double t = static_cast<double>(mktime(&tm));
  if (time_ms.size() > 9) t += std::atoi(time_ms.c_str() + 9) / 1000.0;
  return t;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%0*.*f", decimals + 3, decimals, v);
  return buf;
}

struct Record {
  std::vector<Event> events;
};

// Boots: a new record starts at a stage start after a "finish" of
// modules-final (or at the first event).
std::vector<Record> Boots(const std::vector<Event>& events) {
  std::vector<Record> boots;
  bool final_done = true;
  for (const Event& e : events) {
    bool top = e.name.find('/') == std::string::npos;
    if (top && e.event_type == "start" && (e.name == "init-local" || e.name == "init-network") && final_done) {
      boots.emplace_back();
      final_done = false;
    }
    if (boots.empty()) boots.emplace_back();
    boots.back().events.push_back(e);
    if (top && e.event_type == "finish" && e.name == "modules-final") final_done = true;
  }
  return boots;
}

}  // namespace

std::string EventStageName(std::string_view prefix) {
  if (prefix == "init") return "init-network";
  if (prefix.starts_with("modules:")) return "modules-" + std::string(prefix.substr(8));
  return std::string(prefix);
}

std::vector<Event> ParseEvents(std::string_view log_text) {
  // nubo: "DATE TIME - nubo[DEBUG]: PREFIX: start: NAME: DESC"
  // cloud-init: "DATE TIME - handlers.py[DEBUG]: start: NAME: DESC"
  static const std::regex re(
      "^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d,\\d{3}) - [^\\[]+\\[DEBUG\\]: (?:[^ ]+: )?(start|finish): "
      "([^: ]+): (.*)$");
  std::vector<Event> out;
  size_t pos = 0;
  while (pos < log_text.size()) {
    size_t nl = log_text.find('\n', pos);
    std::string line(log_text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? log_text.size() : nl + 1;
    std::smatch m;
    if (!std::regex_match(line, m, re)) continue;
    Event e;
    e.timestamp = ParseTimestamp(m[1], m[2]);
    e.event_type = m[3];
    e.name = m[4];
    e.description = m[5];
    if (e.event_type == "finish") {
      size_t colon = e.description.find(": ");
      if (colon != std::string::npos) {
        e.result = e.description.substr(0, colon);
        e.description = e.description.substr(colon + 2);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string AnalyzeShow(const std::vector<Event>& events) {
  std::vector<Record> boots = Boots(events);
  std::string out;
  int n = 0;
  for (const Record& r : boots) {
    ++n;
    out += "-- Boot Record " + std::string(n < 10 ? "0" : "") + std::to_string(n) + " --\n";
    out += "The total time elapsed since completing an event is printed after the \"@\" character.\n";
    out += "The time the event takes is printed after the \"+\" character.\n\n";
    double first = r.events.empty() ? 0 : r.events.front().timestamp;
    std::map<std::string, double> started;
    double total = 0;
    for (const Event& e : r.events) {
      bool top = e.name.find('/') == std::string::npos;
      if (e.event_type == "start") {
        started[e.name] = e.timestamp;
        if (top) out += "Starting stage: " + e.name + "\n";
        continue;
      }
      double begin = started.count(e.name) ? started[e.name] : e.timestamp;
      double took = e.timestamp - begin;
      if (top) {
        out += "Finished stage: (" + e.name + ") " + Fixed(took, 5) + " seconds\n\n";
        total += took;
      } else {
        int depth = static_cast<int>(std::count(e.name.begin(), e.name.end(), '/'));
        out += std::string(static_cast<size_t>(depth - 1) * 4, ' ') + "|`->" + e.description + " @" +
               Fixed(e.timestamp - first, 5) + "s +" + Fixed(took, 5) + "s\n";
      }
    }
    out += "Total Time: " + Fixed(total, 5) + " seconds\n\n";
  }
  out += std::to_string(boots.size()) + " boot records analyzed\n";
  return out;
}

std::string AnalyzeBlame(const std::vector<Event>& events) {
  std::vector<Record> boots = Boots(events);
  std::string out;
  int n = 0;
  for (const Record& r : boots) {
    ++n;
    out += "-- Boot Record " + std::string(n < 10 ? "0" : "") + std::to_string(n) + " --\n";
    std::map<std::string, double> started;
    std::vector<std::pair<double, std::string>> rows;
    for (const Event& e : r.events) {
      if (e.event_type == "start") {
        started[e.name] = e.timestamp;
      } else if (e.name.find('/') != std::string::npos && started.count(e.name)) {
        rows.emplace_back(e.timestamp - started[e.name], e.name);
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [took, name] : rows) out += "     " + Fixed(took, 5) + "s (" + name + ")\n";
    out += "\n";
  }
  out += std::to_string(boots.size()) + " boot records analyzed\n";
  return out;
}

Value AnalyzeDump(const std::vector<Event>& events) {
  Value out = Value::array();
  for (const Event& e : events) {
    Value j = {{"description", e.description}, {"event_type", e.event_type}, {"name", e.name},
               {"origin", e.origin}, {"timestamp", e.timestamp}};
    if (e.event_type == "finish") j["result"] = e.result;
    out.push_back(j);
  }
  return out;
}

}  // namespace nubo::agent
