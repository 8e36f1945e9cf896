// schema.h — `cloud-init schema`: a cloud-config checked against what the
// modules declare (ModuleSpec::reads of nubo's modules, and the keys of
// the cloud-init modules nubo does not implement), one table, no copy of
// cloud-init's JSON schema.
//
//   auto report = CheckCloudConfig(text, "/tmp/user-data");
//   for (const auto& e : report.errors) std::cerr << e.path << ": " << e.message;
//   // e.path: "format-l3.c7" (not YAML), "runcmd" or "ntp.pools.0" (the value at fault)
//
// Problems are cloud-init's SchemaProblem (path, message); an error with an
// empty path is about the whole document ("Cloud-config is not a YAML
// dict.", cloud-init's RuntimeError) and is printed alone. `notes` are
// nubo's extras, never errors: an unknown key with a did-you-mean, a key of
// a module nubo does not implement.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nubo/value.h"

namespace nubo::agent {

struct SchemaProblem {
  std::string path;
  std::string message;
};

struct SchemaReport {
  std::vector<SchemaProblem> errors;
  std::vector<SchemaProblem> deprecations;  // "DEPRECATED: ..."; never errors
  std::vector<std::string> notes;
};

SchemaReport CheckCloudConfig(std::string_view text, const std::string& source);

// The checks alone, on an already parsed or merged config (also the
// boot-time check: cloud-init's validate_cloudconfig_schema in init): each
// top-level key a module declares, against its KeySpec, as deep as it is
// declared. Paths are cloud-init's ("ntp.pools.0"); no notes.
SchemaReport CheckConfigSchema(const Value& config);

// The `--annotate` form: the text with "# E1" marks on the offending lines
// and the list of errors after it, as cloud-init prints it.
std::string AnnotateCloudConfig(std::string_view text, const SchemaReport& report);

// `--docs`: the keys each of nubo's modules reads, with their types.
std::string SchemaDocs(std::string_view module);

}  // namespace nubo::agent
