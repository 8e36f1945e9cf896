// status.h — status.json / result.json in cloud-init's v1 layout, and the
// `cloud-init status` report computed from them.
//
//   StageStatus st(sys, paths);
//   st.Begin("init-local", now);
//   ...
//   st.Finish("init-local", errors, datasource_description, now);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nubo/paths.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::agent {

class StageStatus {
 public:
  StageStatus(System& sys, const Paths& paths) : sys_(sys), paths_(paths) {}
  // mode: "init-local", "init", "modules-config", "modules-final".
  Status Begin(const std::string& mode, double now);
  Status Finish(const std::string& mode, const std::vector<std::string>& errors,
                const std::optional<std::string>& datasource, double now);

 private:
  Status Save();
  System& sys_;
  const Paths& paths_;
  Value status_;
};

struct StatusReport {
  std::string status;  // "not run", "running", "done", "error", "disabled"
  std::string boot_status_code;
  std::string detail;
  std::vector<std::string> errors;
  std::string last_update;
  std::optional<std::string> datasource;
};

StatusReport ComputeStatus(System& sys, const Paths& paths);
// "tabular" (optionally long) or "json", as `cloud-init status` prints it.
std::string FormatStatus(const StatusReport& report, const std::string& format, bool long_form);

}  // namespace nubo::agent
