#include "agent/status.h"

#include <ctime>

namespace nubo::agent {
namespace {
const char* const kModes[] = {"init", "init-local", "modules-init", "modules-config", "modules-final"};
}  // namespace

Status StageStatus::Begin(const std::string& mode, double now) {
  std::string status_path = paths_.DataPath("status.json");
  if (mode == "init-local") {
    for (const std::string& f : {paths_.RunPath("status.json"), paths_.RunPath("result.json"),
                                 status_path, paths_.DataPath("result.json")}) {
      (void)sys_.Remove(f);
    }
    status_ = Value::object();
  } else {
    auto text = sys_.ReadFile(status_path);
    status_ = Value::object();
    if (text) {
      Value parsed = Value::parse(*text, nullptr, false);
      if (parsed.is_object()) status_ = parsed;
    }
  }
  if (!status_.contains("v1") || !status_["v1"].is_object()) {
    status_ = {{"v1", {{"datasource", nullptr}}}};
  }
  Value& v1 = status_["v1"];
  for (const char* m : kModes) {
    if (!v1.contains(m)) v1[m] = {{"errors", Value::array()}, {"start", nullptr}, {"finished", nullptr}};
  }
  v1["stage"] = mode;
  v1[mode]["start"] = now;
  if (Status s = Save(); !s.ok()) return s;
  return sys_.Symlink(RelativePath(status_path, paths_.run_dir), paths_.RunPath("status.json"));
}

Status StageStatus::Finish(const std::string& mode, const std::vector<std::string>& errors,
                           const std::optional<std::string>& datasource, double now) {
  Value& v1 = status_["v1"];
  if (datasource) v1["datasource"] = *datasource;
  v1[mode]["errors"] = errors;
  v1[mode]["finished"] = now;
  v1["stage"] = nullptr;
  if (Status s = Save(); !s.ok()) return s;
  if (mode != "modules-final") return Status::Ok();
  Value all = Value::array();
  for (const char* m : kModes) {
    for (const auto& e : v1[m]["errors"]) all.push_back(e);
  }
  Value result = {{"v1", {{"datasource", v1["datasource"]}, {"errors", all}}}};
  WriteOptions o;
  o.mode = 0644;
  std::string result_path = paths_.DataPath("result.json");
  if (Status s = sys_.WriteFile(result_path, result.dump(1) + "\n", o); !s.ok()) return s;
  return sys_.Symlink(RelativePath(result_path, paths_.run_dir), paths_.RunPath("result.json"));
}

Status StageStatus::Save() {
  WriteOptions o;
  o.mode = 0644;
  return sys_.WriteFile(paths_.DataPath("status.json"), status_.dump(1) + "\n", o);
}

StatusReport ComputeStatus(System& sys, const Paths& paths) {
  StatusReport r;
  r.status = "not run";
  r.datasource = "";
  // Boot status code, as 22.4 derives it (systemd assumed).
  std::string cmdline = " " + sys.KernelCmdline() + " ";
  bool disabled = false;
  if (cmdline.find(" cloud-init=enabled ") != std::string::npos) {
    r.boot_status_code = "enabled-by-kernel-cmdline";
    r.detail = "Cloud-init enabled by kernel command line cloud-init=enabled";
  } else if (sys.Exists("/etc/cloud/cloud-init.disabled")) {
    r.boot_status_code = "disabled-by-marker-file";
    r.detail = "Cloud-init disabled by /etc/cloud/cloud-init.disabled";
    disabled = true;
  } else if (cmdline.find(" cloud-init=disabled ") != std::string::npos) {
    r.boot_status_code = "disabled-by-kernel-cmdline";
    r.detail = "Cloud-init disabled by kernel parameter cloud-init=disabled";
    disabled = true;
  } else if (sys.Exists(paths.RunPath("disabled"))) {
    r.boot_status_code = "disabled-by-generator";
    r.detail = "Cloud-init disabled by cloud-init-generator";
    disabled = true;
  } else if (sys.Exists(paths.RunPath("enabled"))) {
    r.boot_status_code = "enabled-by-generator";
    r.detail = "Cloud-init enabled by systemd cloud-init-generator";
  } else {
    r.boot_status_code = "unknown";
    r.detail = "Systemd generator may not have run yet.";
  }
  if (disabled) r.status = "disabled";

  Value v1 = Value::object();
  auto text = sys.ReadFile(paths.RunPath("status.json"));
  if (text) {
    if (!sys.Exists(paths.RunPath("result.json"))) r.status = "running";
    Value parsed = Value::parse(*text, nullptr, false);
    if (parsed.is_object() && parsed.contains("v1") && parsed["v1"].is_object()) v1 = parsed["v1"];
  }
  double latest = 0;
  for (auto& [key, value] : v1.items()) {  // nlohmann keeps keys sorted, as sorted() does
    if (key == "stage") {
      if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty())) {
        r.status = "running";
        r.detail = "Running in stage: " + PyStr(value);
      }
    } else if (key == "datasource") {
      if (value.is_null()) {
        r.datasource = std::nullopt;
        continue;
      }
      std::string ds = PyStr(value);
      r.detail = ds;
      std::string first = ds.substr(0, ds.find(' '));
      std::string lower;
      for (char c : first) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t pos = lower.find("datasource");
      if (pos != std::string::npos) lower.erase(pos, 10);
      r.datasource = lower;
    } else if (value.is_object()) {
      for (const auto& e : Get(value, "errors")) r.errors.push_back(PyStr(e));
      double start = Get(value, "start").is_number() ? Get(value, "start").get<double>() : 0;
      double finished = Get(value, "finished").is_number() ? Get(value, "finished").get<double>() : 0;
      if (finished == 0 && start != 0) r.status = "running";
      latest = std::max({latest, start, finished});
    }
  }
  if (!r.errors.empty()) {
    r.status = "error";
    r.detail.clear();
    for (size_t i = 0; i < r.errors.size(); ++i) r.detail += (i ? "\n" : "") + r.errors[i];
  } else if (r.status == "not run" && latest > 0) {
    r.status = "done";
  }
  if (latest > 0) {
    time_t t = static_cast<time_t>(latest);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    r.last_update = buf;
  }
  return r;
}

std::string FormatStatus(const StatusReport& r, const std::string& format, bool long_form) {
  if (format == "json") {
    Value d = {{"datasource", r.datasource ? Value(*r.datasource) : Value(nullptr)},
               {"boot_status_code", r.boot_status_code},
               {"status", r.status},
               {"detail", r.detail},
               {"errors", r.errors},
               {"last_update", r.last_update}};
    Value out = d;
    out["schemas"] = {{"1", d}};
    out["_schema_version"] = "1";
    return out.dump(2) + "\n";
  }
  std::string s = "status: " + r.status + "\n";
  if (long_form) {
    s += "boot_status_code: " + r.boot_status_code + "\n";
    if (!r.last_update.empty()) s += "last_update: " + r.last_update + "\n";
    s += "detail:\n" + r.detail + "\n";
  }
  return s;
}

}  // namespace nubo::agent
