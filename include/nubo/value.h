// value.h — the one value type for config, meta-data and instance data.
//
//   auto cfg = ParseYaml(text, "/etc/cloud/cloud.cfg");   // Result<Value>
//   if (cfg && IsTrue((*cfg)["ssh_pwauth"])) ...
//
// YAML is read with YAML 1.1 scalar rules as PyYAML applies them (what
// cloud-init sees): plain yes/no/on/off/true/false in any of their three
// spellings are booleans, ~/null/empty are null, 0644 is octal (420),
// 0x1f hex, 0b101 binary, 1_000 and 1:30 (sexagesimal) are ints, .5 and
// 1.0e+3 are floats. Quoted scalars always stay strings.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "nubo/result.h"

namespace nubo {

using Value = nlohmann::json;

// Parses one YAML document. Errors name the source, line and column:
// "user-data: line 3, column 7: illegal map value".
Result<Value> ParseYaml(std::string_view text, std::string_view source_name);

// Resolves one plain (unquoted) YAML 1.1 scalar the way PyYAML does.
Value ResolvePlainScalar(std::string_view text);

// Python's name for the value's type, for messages: "str", "int", "list",
// "dict", "bool", "float", "None".
std::string TypeName(const Value& v);

// cloud-init's util.translate_bool / is_true / is_false.
bool IsTrue(const Value& v);       // true, or "true"/"1"/"on"/"yes" (any case)
bool IsFalse(const Value& v);      // false, or "false"/"0"/"off"/"no"
bool TranslateBool(const Value& v);  // falsy values false, else IsTrue

// Python's str() of a scalar: 7 -> "7", true -> "True", null -> "None".
std::string PyStr(const Value& v);

// Member lookup that treats a missing key, or a non-object, as null.
const Value& Get(const Value& obj, std::string_view key);

}  // namespace nubo
