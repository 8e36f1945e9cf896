// `cloud-init schema`'s checks, from the one table of what modules declare
// (ModuleSpec::reads) plus the activating keys of the cloud-init modules
// nubo does not implement (known_modules.cc). Messages follow cloud-init
// 22.4.2's (config/schema.py): "format-l3.c7: File F is not valid yaml. ...",
// jsonschema's "'ls' is not of type 'array'".

#include "agent/schema.h"

#include <algorithm>
#include <map>
#include <cstdio>
#include <set>

#include "agent/stages.h"
#include "nubo/module.h"

namespace nubo::agent {

// known_modules.cc: cloud-init 22.4's modules and their activating keys.
const std::map<std::string, std::vector<std::string>>& KnownCloudInitModules();

namespace {

// jsonschema's type names, and whether a value is of the declared type
// (cloud-init's checker also takes bytes as a string).
const char* JsonTypeName(KeyType t) {
  switch (t) {
    case KeyType::kString: return "string";
    case KeyType::kBool: return "boolean";
    case KeyType::kInt: return "integer";
    case KeyType::kList: return "array";
    case KeyType::kMap: return "object";
    default: return "";
  }
}

bool OfType(const Value& v, KeyType t) {
  switch (t) {
    case KeyType::kAny: return true;
    case KeyType::kString: return v.is_string() || v.is_binary();
    case KeyType::kBool: return v.is_boolean();
    case KeyType::kInt: return v.is_number_integer() || v.is_number_unsigned();
    case KeyType::kList: return v.is_array();
    case KeyType::kMap: return v.is_object();
    case KeyType::kStringOrList: return v.is_string() || v.is_array();
  }
  return true;
}

size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Every top-level key a module (nubo's, or cloud-init's that nubo lacks)
// reads, with the module it belongs to.
const std::map<std::string, std::string>& KeyOwners() {
  static const std::map<std::string, std::string> owners = [] {
    std::map<std::string, std::string> m;
    for (const ModuleSpec* spec : AllModules()) {
      for (const KeySpec& k : spec->reads) m.emplace(std::string(k.name), std::string(spec->name));
      for (auto k : spec->activated_by) m.emplace(std::string(k), std::string(spec->name));
    }
    for (const auto& [module, keys] : KnownCloudInitModules()) {
      for (const auto& k : keys) m.emplace(k, module);
    }
    return m;
  }();
  return owners;
}

// Where `key:` starts a line at the top level: its 1-based line, or 0.
int TopLevelKeyLine(std::string_view text, const std::string& key) {
  int line = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (l.starts_with(key) && l.size() > key.size() && (l[key.size()] == ':')) return line;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
    ++line;
  }
  return 0;
}

}  // namespace

SchemaReport CheckCloudConfig(std::string_view text, const std::string& source) {
  SchemaReport report;
  if (!text.starts_with("#cloud-config")) {
    report.errors.push_back({"format-l1.c1", "File " + source + " needs to begin with \"#cloud-config\""});
    return report;
  }
  auto parsed = ParseYaml(text, source);
  if (!parsed) {
    // "SOURCE: line L, column C: problem" -> format-lL.cC
    const std::string& msg = parsed.error().message;
    int line = 1, column = 1;
    size_t at = msg.find(": line ");
    std::string problem = msg;
    if (at != std::string::npos && std::sscanf(msg.c_str() + at, ": line %d, column %d", &line, &column) == 2) {
      size_t colon = msg.find(": ", msg.find(", column ", at) + 1);
      if (colon != std::string::npos) problem = msg.substr(colon + 2);
    }
    report.errors.push_back({"format-l" + std::to_string(line) + ".c" + std::to_string(column),
                             "File " + source + " is not valid yaml. " + problem});
    return report;
  }
  if (!parsed->is_object()) return report;  // cloud-init validates only a dict
  report.errors = CheckConfigTypes(*parsed);
  const auto& owners = KeyOwners();
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    const std::string& key = it.key();
    bool checked = false;
    for (const ModuleSpec* spec : AllModules()) {
      for (const KeySpec& k : spec->reads) checked = checked || k.name == key;
    }
    if (checked) continue;
    auto owner = owners.find(key);
    if (owner != owners.end()) {
      if (!FindModule(owner->second)) {
        report.notes.push_back(key + ": valid for cloud-init's '" + owner->second +
                               "' module, which nubo does not implement: nubo will not act on it");
      }
      continue;
    }
    std::string best;
    size_t best_d = 3;
    for (const auto& [k, m] : owners) {
      size_t d = Distance(key, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    if (!best.empty()) report.notes.push_back(key + ": unknown key (did you mean '" + best + "'?)");
  }
  return report;
}

std::vector<SchemaProblem> CheckConfigTypes(const Value& config) {
  std::vector<SchemaProblem> errors;
  if (!config.is_object()) return errors;
  for (auto it = config.begin(); it != config.end(); ++it) {
    const KeySpec* declared = nullptr;
    for (const ModuleSpec* spec : AllModules()) {
      for (const KeySpec& k : spec->reads) {
        if (!declared && k.name == it.key()) declared = &k;
      }
    }
    if (!declared || OfType(it.value(), declared->type)) continue;
    std::string expected = declared->type == KeyType::kStringOrList ? "" : JsonTypeName(declared->type);
    errors.push_back({it.key(), expected.empty()
                                    ? PyRepr(it.value()) + " is not valid under any of the given schemas"
                                    : PyRepr(it.value()) + " is not of type '" + expected + "'"});
  }
  return errors;
}

std::string AnnotateCloudConfig(std::string_view text, const SchemaReport& report) {
  std::map<int, std::vector<int>> marks;  // line -> error numbers
  for (size_t i = 0; i < report.errors.size(); ++i) {
    const std::string& path = report.errors[i].path;
    int line = 0, column = 0;
    if (std::sscanf(path.c_str(), "format-l%d.c%d", &line, &column) != 2) line = TopLevelKeyLine(text, path);
    marks[line > 0 ? line : 1].push_back(static_cast<int>(i + 1));
  }
  std::string out;
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out += std::string(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (auto m = marks.find(line); m != marks.end()) {
      out += "\t\t#";
      for (size_t i = 0; i < m->second.size(); ++i) out += std::string(i ? "," : "") + " E" + std::to_string(m->second[i]);
    }
    out += "\n";
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
    ++line;
  }
  if (!report.errors.empty()) {
    out += "\n# Errors: -------------\n";
    for (size_t i = 0; i < report.errors.size(); ++i) {
      out += "# E" + std::to_string(i + 1) + ": " + report.errors[i].message + "\n";
    }
  }
  return out;
}

std::string SchemaDocs(std::string_view module) {
  std::string out;
  for (const ModuleSpec* spec : AllModules()) {
    if (module != "all" && spec->name != module) continue;
    out += std::string(spec->name) + "\n";
    for (const KeySpec& k : spec->reads) {
      std::string type = JsonTypeName(k.type);
      if (k.type == KeyType::kStringOrList) type = "string or array";
      out += "  " + std::string(k.name) + (type.empty() ? "" : " (" + type + ")") + "\n";
    }
  }
  return out;
}

}  // namespace nubo::agent
