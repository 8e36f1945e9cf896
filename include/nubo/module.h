// module.h — how a module declares itself.
//
//   namespace nubo::modules::runcmd {
//   Status Run(ModuleContext& ctx);
//   const ModuleSpec kSpec{
//       .name = "runcmd",
//       .stage = Stage::kConfig,
//       .frequency = Frequency::kPerInstance,
//       .activated_by = {"runcmd"},        // skipped when none is present
//       .reads = {{"runcmd", KeyType::kList}},
//       .run = &Run,
//   };
//   }
//
// Registering is one line in modules/registry.cc. A module includes only
// include/nubo/, never another module.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/paths.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo {

enum class Stage { kInit, kConfig, kFinal };
enum class Frequency { kPerInstance, kAlways, kOnce };

std::string_view FrequencyName(Frequency f);  // "once-per-instance", "always", "once"
// Accepts cloud-init's spellings: "once-per-instance", "instance", "always",
// "once"; anything else is an error.
Result<Frequency> ParseFrequency(std::string_view s);

enum class KeyType { kAny, kString, kBool, kInt, kList, kMap, kStringOrList };

struct KeySpec {
  std::string_view name;
  KeyType type = KeyType::kAny;
};

struct ModuleContext {
  std::string name;          // canonical module name
  const Value& config;       // merged config: cloud.cfg, vendor-data, user-data
  const InstanceData& instance;
  System& sys;
  const Logger& log;
  const Paths& paths;
  Frequency frequency;
  bool dry_run = false;
  // Writes to the console (the stage's stdout, which also goes to
  // /var/log/cloud-init-output.log), as cloud-init's multi_log does.
  std::function<void(std::string_view)> console;
  // Version string and boot facts for messages (final_message).
  std::string version;
};

struct ModuleSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  Stage stage = Stage::kConfig;
  Frequency frequency = Frequency::kPerInstance;
  std::vector<std::string_view> activated_by;  // empty: always runs
  // cloud-init's meta "distros": on a system_info.distro not listed, the
  // module is skipped unless `unverified_modules` names it. Empty: all.
  std::vector<std::string_view> distros;
  std::vector<KeySpec> reads;
  Status (*run)(ModuleContext& ctx) = nullptr;
  // Optional. init --local calls it on a new instance for a module of
  // cloud_init_modules that will run, with the config as predicted there
  // (cloud.cfg, the datasource's, vendor- and user-data without #include),
  // to start slow work early (the ssh module's host keys) whose result `run`
  // picks up. It must have no effect a user can see, and `run` must work
  // without it or with a prediction that turned out wrong.
  Status (*prepare)(ModuleContext& ctx) = nullptr;
};

// Every module nubo implements, in registry order.
const std::vector<const ModuleSpec*>& AllModules();
// Finds a module by name or alias; '-' and '_' are the same.
const ModuleSpec* FindModule(std::string_view name);

}  // namespace nubo
