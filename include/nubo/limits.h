// limits.h — the bounds nubo puts on hostile input, in one place.
//
//   if (text.size() > kMaxFileBytes.value) return LimitError(kMaxFileBytes, path);
//   // "'/x': larger than 67108864 bytes (limit max_file_bytes)"
//
// Every document nubo reads comes from the instance's owner or the network
// and is read as root at boot: each is bounded, and the error or warning
// that reports an input over a bound names the bound, so an operator can
// tell a limit from a bug. RELIABILITY.md lists them with their values.
// A document over a bound is dropped as a whole, like a document that does
// not parse; the boot goes on.
#pragma once

#include <cstdint>
#include <string>

#include "nubo/result.h"

namespace nubo {

struct Limit {
  const char* name;  // as printed in messages and RELIABILITY.md
  uint64_t value;
  const char* unit;  // "bytes", "nodes", "levels", ...
};

// Any file read through System (seed files, cloud.cfg and cloud.cfg.d,
// #include file://, state files), and anything it reads from the host.
inline constexpr Limit kMaxFileBytes{"max_file_bytes", 64u << 20, "bytes"};
// An HTTP body (seedfrom http, #include http(s)://, metadata services).
inline constexpr Limit kMaxHttpBodyBytes{"max_http_body_bytes", 64u << 20, "bytes"};
// The output of one gzip decompression (user-data, a gzip MIME part).
inline constexpr Limit kMaxGunzipBytes{"max_gunzip_bytes", 64u << 20, "bytes"};
// Parts of one user-data after MIME, #include and archive expansion, and
// their total size: a bounded amount of work per boot.
inline constexpr Limit kMaxUserDataParts{"max_user_data_parts", 1000, "parts"};
inline constexpr Limit kMaxUserDataBytes{"max_user_data_bytes", 128u << 20, "bytes"};
// YAML: nesting depth (PyYAML stops at Python's recursion limit, about 500
// levels; nubo's own recursion is bounded here), and the size of the
// document once every alias is expanded (PyYAML shares an aliased node;
// nubo's values are trees, so an alias is a copy, counted here: this is
// what stops "billion laughs").
inline constexpr Limit kMaxYamlDepth{"max_yaml_depth", 1000, "levels"};
inline constexpr Limit kMaxYamlNodes{"max_yaml_nodes", 200000, "nodes"};
inline constexpr Limit kMaxYamlScalarBytes{"max_yaml_scalar_bytes", 64u << 20, "bytes"};

// "<what>: larger than N unit (limit NAME)", or "deeper than" for depth.
inline std::string LimitMessage(const Limit& limit, const std::string& what) {
  const char* comparison = std::string(limit.unit) == "levels" ? "deeper than " : "larger than ";
  return what + ": " + comparison + std::to_string(limit.value) + " " + limit.unit +
         " (limit " + limit.name + ")";
}
inline Error LimitError(const Limit& limit, const std::string& what) {
  return MakeError(LimitMessage(limit, what));
}
// True for an error made by LimitError (or carrying its message).
inline bool IsLimitError(const Error& e) {
  return e.message.find(" (limit max_") != std::string::npos;
}

}  // namespace nubo
