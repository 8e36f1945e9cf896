// `cloud-init analyze`: events parsed from cloud-init.log lines, grouped by
// boot, printed in cloud-init 22.4.2's formats (cloudinit/analyze/show.py).

#include "agent/analyze.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <regex>

#include "nubo/text.h"

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

std::string PyUtcDatetime(double t) {
  double whole = 0;
  double frac = std::modf(t, &whole);
  auto secs = static_cast<long long>(whole);
  auto us = static_cast<long long>(std::nearbyint(frac * 1e6));  // round half to even
  if (us >= 1000000) {
    secs += 1;
    us -= 1000000;
  } else if (us < 0) {
    secs -= 1;
    us += 1000000;
  }
  time_t tt = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (us != 0) {
    std::snprintf(buf, sizeof(buf), ".%06lld", us);
    out += buf;
  }
  return out;
}

namespace {

// util.is_container: the helpers, then pid 1's environment.
bool IsContainer(System& sys) {
  for (std::vector<std::string> argv : {std::vector<std::string>{"systemd-detect-virt", "--quiet", "--container"},
                                        std::vector<std::string>{"running-in-container"},
                                        std::vector<std::string>{"lxc-is-container"}}) {
    auto r = sys.Run(Command{.argv = argv});
    if (r.ok() && r->exit_code == 0) return true;
  }
  auto env = sys.ReadFile("/proc/1/environ");
  if (!env.ok()) return false;
  for (const std::string& entry : PySplit(*env, '\0')) {
    std::string key = entry.substr(0, entry.find('='));
    if (key == "container" || key == "LIBVIRT_LXC_UUID") return true;
  }
  return false;
}

// SystemctlReader(...).parse_epoch_as_float(): "Property=N" in seconds.
std::optional<double> SystemctlSeconds(System& sys, std::vector<std::string> argv, std::string* note) {
  auto r = sys.Run(Command{.argv = argv});
  std::string failure;
  if (!r.ok()) {
    failure = r.error().message;
  } else if (!r->err.empty()) {
    failure = r->err;
  } else if (r->exit_code != 0) {
    failure = "Unexpected error while running command.\nExit code: " + std::to_string(r->exit_code);
  } else {
    size_t eq = r->out.find('=');
    std::string value = eq == std::string::npos ? "" : PyStrip(r->out.substr(eq + 1));
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (!value.empty() && end && *end == '\0') return v / 1000000;
    failure = "could not convert string to float: " + PyStrRepr(value);
  }
  *note = "Subprocess call to systemctl has failed, returning error code (" + failure + ")\n";
  return std::nullopt;
}

// /proc/1/stat's starttime (field 22, clock ticks after boot): when the
// container's init started. (22.4 takes /proc/1/cmdline's atime.)
std::optional<double> Pid1StartAfterBoot(System& sys) {
  auto stat = sys.ReadFile("/proc/1/stat");
  if (!stat.ok()) return std::nullopt;
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::vector<std::string> fields = SplitWhitespace(stat->substr(paren + 1));
  if (fields.size() < 20) return std::nullopt;  // fields[0] is field 3 (state)
  return std::strtod(fields[19].c_str(), nullptr) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

BootTimes GatherBootTimes(System& sys, std::string* note) {
  BootTimes t;
  auto run_systemd = sys.Stat("/run/systemd/system");
  if (!run_systemd.ok() || !run_systemd->is_dir) return t;
  double now = sys.Now();
  double boot = now - sys.Uptime();
  auto k_end = SystemctlSeconds(sys, {"systemctl", "show", "-p", "UserspaceTimestampMonotonic"}, note);
  if (!k_end) return t;
  auto ci = SystemctlSeconds(sys, {"systemctl", "show", "cloud-init-local", "-p", "InactiveExitTimestampMonotonic"},
                             note);
  if (!ci) return t;
  t.status = "successful";
  t.kernel_start = boot;
  if (IsContainer(sys)) {
    auto start = Pid1StartAfterBoot(sys);
    if (!start) {
      *note = "Could not determine container boot time from /proc/1/stat.\n";
      return BootTimes{};
    }
    t.kernel_start = boot + *start;
    t.status = "container";
  }
  t.kernel_end = boot + *k_end;
  t.ci_sysd_start = boot + *ci;
  return t;
}

std::string AnalyzeBoot(std::string_view log_text, const BootTimes& times, std::string* status) {
  *status = times.status;
  // dump.parse_ci_logline turns each stage's "running 'init-local' at"
  // line into the init-local event "starting search for local
  // datasources"; nubo writes "nubo VERSION running 'init-local' at".
  static const std::regex re(
      "^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d,\\d{3}) - .*(?:Cloud-init v\\. |nubo )\\S+ "
      "running 'init-local' at .*$");
  std::string ci_start;
  for (const std::string& line : PySplit(log_text, '\n')) {
    std::smatch m;
    if (line.find("running 'init-local' at ") != std::string::npos && std::regex_match(line, m, re)) {
      ci_start = PyUtcDatetime(ParseTimestamp(m[1], m[2]));
    }
  }
  if (ci_start.empty()) {
    ci_start = "Could not find init-local log-line in cloud-init.log";
    *status = "failure";
  }
  if (*status == "failure") {
    return "Your Linux distro or container does not support this functionality.\n"
           "You must be running a Kernel Telemetry supported distro.\n"
           "Please check https://cloudinit.readthedocs.io/en/latest/topics/analyze.html for more "
           "information on supported distros.\n";
  }
  std::string k_s_t = PyUtcDatetime(times.kernel_start);
  std::string ci_sysd_t = PyUtcDatetime(times.ci_sysd_start);
  if (*status == "container") {
    return "-- Most Recent Container Boot Record --\n"
           "    Container started at: " + k_s_t + "\n"
           "    Cloud-init activated by systemd at: " + ci_sysd_t + "\n"
           "    Cloud-init start: " + ci_start + "\n";
  }
  return "-- Most Recent Boot Record --\n"
         "    Kernel Started at: " + k_s_t + "\n"
         "    Kernel ended boot at: " + PyUtcDatetime(times.kernel_end) + "\n"
         "    Kernel time to boot (seconds): " + PyStr(Value(times.kernel_end - times.kernel_start)) + "\n"
         "    Cloud-init activated by systemd at: " + ci_sysd_t + "\n"
         "    Time between Kernel end boot and Cloud-init activation (seconds): " +
         PyStr(Value(times.ci_sysd_start - times.kernel_end)) + "\n"
         "    Cloud-init start: " + ci_start + "\n";
}

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
  for (const std::string& line : PySplit(log_text, '\n')) {
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
