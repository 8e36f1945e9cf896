// pyyaml_dump.h — YAML text as cloud-init's safeyaml.dumps writes it
// (PyYAML's SafeDumper: block style, indent 4, keys sorted, sequences in
// mappings not indented, strings quoted when PyYAML would quote them).
//
//   std::string text = net::PyYamlDump({{"network", {{"version", 2}}}});
//   // "network:\n    version: 2\n"
#pragma once

#include <string>

#include "nubo/value.h"

namespace nubo::net {

std::string PyYamlDump(const Value& v);

// One scalar as PyYAML writes it: plain when it reads back as the same
// string, else single-quoted.
std::string PyYamlScalar(const Value& v);

}  // namespace nubo::net
