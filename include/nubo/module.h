// module.h — how a module declares itself.
//
//   namespace nubo::modules::runcmd {
//   Status Run(ModuleContext& ctx);
//   const ModuleSpec kSpec{
//       .name = "runcmd",
//       .stage = Stage::kConfig,
//       .frequency = Frequency::kPerInstance,
//       .activated_by = {"runcmd"},        // skipped when none is present
//       .reads = [] { return std::vector<KeySpec>{spec::List("runcmd", spec::Any()).MinItems(1)}; },
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

enum class KeyType { kAny, kString, kBool, kInt, kList, kMap, kStringOrList, kNumber, kNull };

// What a module reads, and the shape `cloud-init schema` (and the boot's
// "Invalid cloud-config provided" check) expects of it: cloud-init 22.4.2's
// JSON schema for the same key, as far as nubo declares it. A module still
// checks the values it uses; this is what the schema command reports.
//
//   spec::Map("ntp", {spec::List("pools", spec::Str()).Unique(), spec::Bool("enabled")})
//       .Closed()
//       .Nullable()
struct KeySpec {
  std::string_view name;  // a map key; empty for list items and alternatives
  KeyType type = KeyType::kAny;
  bool nullable = false;                  // null is valid too
  std::vector<std::string_view> allowed;  // enum: a string must be one of these
  std::string_view pattern;               // a string must match this (ECMAScript regex, searched)
  std::string_view format;                // "date": a string must be an ISO date (jsonschema's FormatChecker)
  long long minimum = -(1LL << 62);       // an int's least value
  // Maps: the declared keys; with `closed`, another key is an error, unless
  // `values` (one KeySpec) takes it: its name, when not empty, is a regex
  // the key must match (patternProperties), and the value must have its shape.
  bool closed = false;
  std::vector<KeySpec> keys;
  std::vector<KeySpec> values;
  std::vector<std::string_view> required;
  size_t min_keys = 0;
  // Lists: the shape of each item (one KeySpec), and how many.
  std::vector<KeySpec> items;
  size_t min_items = 0;
  size_t max_items = static_cast<size_t>(-1);
  bool unique = false;
  // Alternatives (anyOf/oneOf): the value is valid if it has any of these
  // shapes; `type` is then kAny.
  std::vector<KeySpec> any_of;
  // Non-empty: the key is deprecated; the text says what to use instead.
  // A deprecation is reported, never an error (as 22.4's schema command).
  std::string_view deprecated;

  // Modifiers, for declarations that read as the schema does:
  //   spec::List("pools", spec::Str()).Unique()
  KeySpec Nullable() const { KeySpec k = *this; k.nullable = true; return k; }
  KeySpec Enum(std::vector<std::string_view> v) const { KeySpec k = *this; k.allowed = std::move(v); return k; }
  KeySpec Pattern(std::string_view p) const { KeySpec k = *this; k.pattern = p; return k; }
  KeySpec Format(std::string_view f) const { KeySpec k = *this; k.format = f; return k; }
  KeySpec Min(long long m) const { KeySpec k = *this; k.minimum = m; return k; }
  KeySpec Closed() const { KeySpec k = *this; k.closed = true; return k; }
  // Other keys (those matching `key_pattern`, when given) have this shape; the rest are errors.
  KeySpec Values(KeySpec v, std::string_view key_pattern = {}) const {
    KeySpec k = *this;
    k.closed = true;
    v.name = key_pattern;
    k.values = {std::move(v)};
    return k;
  }
  KeySpec Required(std::vector<std::string_view> r) const { KeySpec k = *this; k.required = std::move(r); return k; }
  KeySpec MinKeys(size_t n) const { KeySpec k = *this; k.min_keys = n; return k; }
  KeySpec MinItems(size_t n) const { KeySpec k = *this; k.min_items = n; return k; }
  KeySpec MaxItems(size_t n) const { KeySpec k = *this; k.max_items = n; return k; }
  KeySpec Unique() const { KeySpec k = *this; k.unique = true; return k; }
  KeySpec Deprecated(std::string_view why) const { KeySpec k = *this; k.deprecated = why; return k; }
  KeySpec Named(std::string_view n) const { KeySpec k = *this; k.name = n; return k; }
  // Besides its own checks, the value must have one of these shapes.
  KeySpec Either(std::vector<KeySpec> alternatives) const { KeySpec k = *this; k.any_of = std::move(alternatives); return k; }
};

// Shorthands for KeySpec declarations (name first, empty for an item or an
// alternative).
namespace spec {
inline KeySpec Any(std::string_view name = {}) { return {name, KeyType::kAny}; }
inline KeySpec Str(std::string_view name = {}) { return {name, KeyType::kString}; }
inline KeySpec Bool(std::string_view name = {}) { return {name, KeyType::kBool}; }
inline KeySpec Int(std::string_view name = {}) { return {name, KeyType::kInt}; }
inline KeySpec Num(std::string_view name = {}) { return {name, KeyType::kNumber}; }
inline KeySpec Null(std::string_view name = {}) { return {name, KeyType::kNull}; }
inline KeySpec List(std::string_view name, KeySpec item) {
  KeySpec k{name, KeyType::kList};
  k.items = {std::move(item)};
  return k;
}
inline KeySpec List(KeySpec item) { return List({}, std::move(item)); }
// A map with declared keys; other keys are allowed unless .Closed().
inline KeySpec Map(std::string_view name, std::vector<KeySpec> keys = {}) {
  KeySpec k{name, KeyType::kMap};
  k.keys = std::move(keys);
  return k;
}
inline KeySpec Map(std::vector<KeySpec> keys) { return Map({}, std::move(keys)); }
inline KeySpec Map() { return Map(std::string_view{}, {}); }
inline KeySpec OneOf(std::string_view name, std::vector<KeySpec> alternatives) {
  KeySpec k{name, KeyType::kAny};
  k.any_of = std::move(alternatives);
  return k;
}
inline KeySpec OneOf(std::vector<KeySpec> alternatives) { return OneOf({}, std::move(alternatives)); }
}  // namespace spec

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
  // The keys the module reads and their shapes (the schema). A function, so
  // the declarations are built only by what checks them (schema, the boot's
  // check), not by the static initialisation of every run: built eagerly
  // they tripled `nubo --version`'s instructions (0.41 M to 1.31 M).
  std::vector<KeySpec> (*reads)() = nullptr;
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
