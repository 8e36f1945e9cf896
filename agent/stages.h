// stages.h — the four boot stages and `single`, as cloud-init runs them.
//
//   Agent agent(sys, log, options);
//   int rc = agent.Init(/*local=*/true);      // cloud-init init --local
//   rc = agent.Init(false);                   // cloud-init init
//   rc = agent.Modules(Stage::kConfig);       // modules --mode config
//   rc = agent.Modules(Stage::kFinal);        // modules --mode final
//
// The exit code is the number of errors the stage recorded in status.json
// (cloud-init 22.4's), so 0 means every module ran or was skipped cleanly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/net/apply.h"
#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/module.h"
#include "nubo/paths.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::agent {

struct AgentOptions {
  std::vector<std::string> extra_config_files;  // --file, paths inside the root
  bool dry_run = false;
  // Console output (final_message, keys); stdout by default.
  std::function<void(std::string_view)> console;
  // Network rendering in init (/sys/class/net, the distro's renderer order).
  net::ApplyOptions network;
};

// One module-list entry of cloud.cfg: "name" or [name, frequency, args...].
struct ModuleEntry {
  std::string name;
  std::optional<Frequency> frequency;
};
Result<std::vector<ModuleEntry>> ParseModuleList(const Value& list, const std::string& key);

// The result of running one module section.
struct SectionResult {
  std::vector<std::string> ran;
  std::vector<std::string> skipped;
  std::vector<std::string> errors;  // status.json spelling
};

class Agent {
 public:
  Agent(System& sys, const Logger& log, AgentOptions options);

  int Init(bool local);
  int Modules(Stage stage);
  // `single --name M [--frequency F]`.
  int Single(const std::string& name, std::optional<Frequency> frequency);

  // For tests and `modules --list`: the entries a section would run.
  Result<std::vector<ModuleEntry>> SectionEntries(Stage stage);

 private:
  struct Loaded {
    Value base;
    Value merged;
    Paths paths;
    std::optional<InstanceData> instance;
  };
  Loaded LoadForModules();
  std::optional<InstanceData> LoadCachedInstance(const Paths& paths);
  Result<std::optional<InstanceData>> FindDatasource(const Value& base, const Paths& paths, bool local,
                                                     std::vector<std::string>& errors);
  Status Instancify(const InstanceData& data, Paths& paths, const Value& base);
  Status StoreUserData(const InstanceData& data, const Paths& paths);
  void SetHostnameEarly(const InstanceData& data, const Paths& paths, const Value& base);
  // init --local, new instance: ModuleSpec::prepare of the init modules that
  // will run, under the config predicted from what init will read.
  void PrepareInitModules(const InstanceData& data, const Paths& paths, const Value& base);
  // cloud-init's init.cfg before user-data is consumed: the base config, the
  // datasource's, and the current instance's (vendor) cloud-config when an
  // earlier boot of it wrote one (so its `updates:` and `network:` count).
  Value EarlyConfig(const InstanceData& data, const Paths& paths, const Value& base);
  // Runs the user-data part handlers; returns the user and vendor
  // cloud-config. User-data that cannot be processed at all adds to `errors`.
  std::pair<Value, Value> ConsumeData(const InstanceData& data, const Paths& paths, const Value& base,
                                      std::vector<std::string>& errors);
  SectionResult RunSection(const std::vector<ModuleEntry>& entries, Stage stage, const Value& merged,
                           const InstanceData& instance, const Paths& paths);
  void RunOne(const ModuleSpec& spec, std::optional<Frequency> override_freq, const Value& merged,
              const InstanceData& instance, const Paths& paths, SectionResult& result);
  Value ReadInstanceConfig(const Paths& paths, const std::string& name);
  std::optional<Value> JinjaData(const Paths& paths);
  std::vector<Value> ExtraConfigs();

  System& sys_;
  Logger log_;
  AgentOptions options_;
  std::vector<std::string> config_problems_;
};

// Module names cloud-init 22.4 knows, with the config keys that activate
// them; nubo skips those it does not implement with one log line.
const std::vector<std::string>* KnownCloudInitModuleKeys(const std::string& canonical_name);

}  // namespace nubo::agent
