// value.h — the one value type for config, meta-data and instance data.
//
//   auto cfg = ParseYaml(text, "/etc/cloud/cloud.cfg");   // Result<Value>
//   if (cfg && IsTrue((*cfg)["ssh_pwauth"])) ...
//
// YAML is read with YAML 1.1 scalar rules as PyYAML applies them (what
// cloud-init sees): plain yes/no/on/off/true/false in any of their three
// spellings are booleans, ~/null/empty are null, 0644 is octal (420),
// 0x1f hex, 0b101 binary, 1_000 and 1:30 (sexagesimal) are ints, .5 and
// 1.0e+3 are floats, 2001-12-14 a timestamp. Quoted scalars always stay
// strings. Every tag SafeLoader constructs is read (see below); any other
// tag is an error naming the source, line and column.
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

// Bytes (a YAML !!binary value, Python's bytes) are a binary Value; a
// !!timestamp is the text of Python's str() of the datetime ("2001-12-14",
// "2001-12-14 21:59:43.100000-05:00"); a !!set is the list of its members;
// !!omap and !!pairs are lists of [key, value] pairs.
//   Value b = BytesValue("\x1f\x8b...");  if (b.is_binary()) Use(BytesOf(b));
Value BytesValue(std::string_view bytes);
std::string BytesOf(const Value& v);  // requires v.is_binary()

// The value as YAML that ParseYaml reads back equal: JSON (v.dump(2)) when
// it holds no bytes or non-finite floats, else flow YAML with !!binary.
std::string DumpYaml(const Value& v);
// A copy JSON can carry: bytes become cloud-init's "ci-b64:<base64>" text,
// as its atomic_helper.json_dumps writes them.
Value JsonCompatible(const Value& v);

// Python's name for the value's type, for messages: "str", "int", "list",
// "dict", "bool", "float", "None".
std::string TypeName(const Value& v);

// cloud-init's util.translate_bool / is_true / is_false.
bool IsTrue(const Value& v);       // true, or "true"/"1"/"on"/"yes" (any case)
bool IsFalse(const Value& v);      // false, or "false"/"0"/"off"/"no"
bool TranslateBool(const Value& v);  // falsy values false, else IsTrue

// Python's str() of a scalar: 7 -> "7", true -> "True", null -> "None".
std::string PyStr(const Value& v);
// Python's repr(): of a str, 'it' or "it's" with Python's escapes; of a
// value, strings quoted inside lists and dicts ({'a': [1, 'b']}), scalars as
// str().
std::string PyStrRepr(std::string_view s);
std::string PyRepr(const Value& v);

// Member lookup that treats a missing key, or a non-object, as null.
const Value& Get(const Value& obj, std::string_view key);

}  // namespace nubo
