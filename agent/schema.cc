// `cloud-init schema`'s checks, from the one table of what modules declare
// (ModuleSpec::reads) plus the activating keys of the cloud-init modules
// nubo does not implement (known_modules.cc). Messages follow cloud-init
// 22.4.2's (config/schema.py): "format-l3.c7: File F is not valid yaml. ...",
// jsonschema's "'ls' is not of type 'array'".

#include "agent/schema.h"

#include <yaml.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "agent/stages.h"
#include "nubo/module.h"

namespace nubo::agent {

// known_modules.cc: cloud-init 22.4's modules and their activating keys.
const std::map<std::string, std::vector<std::string>>& KnownCloudInitModules();

namespace {

// jsonschema's type names, and whether a value is of the declared type
// (cloud-init's checker also takes bytes as a string; a bool is not a
// number).
const char* JsonTypeName(KeyType t) {
  switch (t) {
    case KeyType::kString: return "string";
    case KeyType::kBool: return "boolean";
    case KeyType::kInt: return "integer";
    case KeyType::kNumber: return "number";
    case KeyType::kNull: return "null";
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
    case KeyType::kNumber: return v.is_number();
    case KeyType::kNull: return v.is_null();
    case KeyType::kList: return v.is_array();
    case KeyType::kMap: return v.is_object();
    case KeyType::kStringOrList: return v.is_string() || v.is_binary() || v.is_array();
  }
  return true;
}

std::string PyList(const std::vector<std::string_view>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + PyRepr(Value(std::string(names[i])));
  return out + "]";
}

// Python 3.11's date.fromisoformat, the check of jsonschema's "date"
// format: YYYY-MM-DD or YYYYMMDD, a real day (the ISO week forms are left
// out: nothing cloud-init documents uses them).
bool IsIsoDate(const std::string& s) {
  int y = 0, m = 0, d = 0;
  auto digits = [&](size_t from, size_t n, int& out) {
    if (from + n > s.size()) return false;
    out = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  bool ok = s.size() == 10 ? digits(0, 4, y) && s[4] == '-' && digits(5, 2, m) && s[7] == '-' && digits(8, 2, d)
            : s.size() == 8 ? digits(0, 4, y) && digits(4, 2, m) && digits(6, 2, d)
                            : false;
  if (!ok || y < 1 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// One value against its declaration, as jsonschema's iter_errors walks it:
// every problem below `path` goes into `out` (errors and deprecations).
void Check(const KeySpec& spec, const Value& v, const std::string& path, SchemaReport& out) {
  auto error = [&](std::string message) { out.errors.push_back({path, std::move(message)}); };
  if (!spec.deprecated.empty()) out.deprecations.push_back({path, "DEPRECATED: " + std::string(spec.deprecated)});
  if (v.is_null() && spec.nullable) return;
  if (!OfType(v, spec.type)) {
    std::string expected = spec.type == KeyType::kStringOrList ? "'string', 'array'" : "'" + std::string(JsonTypeName(spec.type)) + "'";
    if (spec.nullable) expected += ", 'null'";
    error(PyRepr(v) + " is not of type " + expected);
    return;
  }
  if (!spec.any_of.empty()) {
    bool matched = false;
    for (const KeySpec& alt : spec.any_of) {
      SchemaReport one;
      Check(alt, v, path, one);
      if (one.errors.empty()) {
        out.deprecations.insert(out.deprecations.end(), one.deprecations.begin(), one.deprecations.end());
        matched = true;
        break;
      }
    }
    if (!matched) error(PyRepr(v) + " is not valid under any of the given schemas");
  }
  if (!spec.allowed.empty()) {  // the value's text: a string's, "true"/"false", an integer's digits
    std::string text = v.is_string() ? v.get<std::string>()
                       : v.is_boolean() ? (v.get<bool>() ? "true" : "false")
                       : v.is_number_integer() || v.is_number_unsigned() ? v.dump()
                                                                          : std::string("\x01");
    if (std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
      error(PyRepr(v) + " is not one of " + PyList(spec.allowed));
    }
  }
  if (v.is_string() && !spec.pattern.empty() &&
      !std::regex_search(v.get_ref<const std::string&>(), std::regex(std::string(spec.pattern)))) {
    error(PyRepr(v) + " does not match " + PyRepr(Value(std::string(spec.pattern))));
  }
  if (v.is_string() && spec.format == "date" && !IsIsoDate(v.get<std::string>())) {
    error(PyRepr(v) + " is not a 'date'");
  }
  if ((v.is_number_integer() || v.is_number_unsigned()) && !v.is_boolean() && v.get<long long>() < spec.minimum) {
    error(PyRepr(v) + " is less than the minimum of " + std::to_string(spec.minimum));
  }
  if (v.is_object()) {
    if (v.size() < spec.min_keys) error(PyRepr(v) + " does not have enough properties");
    for (std::string_view r : spec.required) {
      if (!v.contains(std::string(r))) error(PyRepr(Value(std::string(r))) + " is a required property");
    }
    std::vector<std::string> unexpected;
    std::optional<std::regex> key_pattern;  // the pattern keys' regex, once per map
    if (!spec.values.empty() && !spec.values[0].name.empty()) key_pattern.emplace(std::string(spec.values[0].name));
    for (auto it = v.begin(); it != v.end(); ++it) {
      auto declared = std::find_if(spec.keys.begin(), spec.keys.end(), [&](const KeySpec& k) { return k.name == it.key(); });
      if (declared != spec.keys.end()) {
        Check(*declared, it.value(), Join(path, it.key()), out);
      } else if (!spec.values.empty() && (!key_pattern || std::regex_search(it.key(), *key_pattern))) {
        Check(spec.values[0], it.value(), Join(path, it.key()), out);
      } else if (spec.closed) {
        unexpected.push_back(it.key());
      }
    }
    if (!unexpected.empty()) {
      std::string list;
      for (size_t i = 0; i < unexpected.size(); ++i) list += (i ? ", " : "") + PyRepr(Value(unexpected[i]));
      error("Additional properties are not allowed (" + list + (unexpected.size() == 1 ? " was" : " were") +
            " unexpected)");
    }
  }
  if (v.is_array()) {
    if (v.size() < spec.min_items) error(PyRepr(v) + " is too short");
    if (v.size() > spec.max_items) error(PyRepr(v) + " is too long");
    if (spec.unique) {
      for (size_t i = 0; i < v.size(); ++i) {
        bool dup = false;
        for (size_t j = i + 1; j < v.size() && !dup; ++j) dup = v[i] == v[j];
        if (dup) {
          error(PyRepr(v) + " has non-unique elements");
          break;
        }
      }
    }
    if (!spec.items.empty()) {
      for (size_t i = 0; i < v.size(); ++i) Check(spec.items[0], v[i], Join(path, std::to_string(i)), out);
    }
  }
}

// Every module's declarations, built once on first use.
const std::vector<KeySpec>& Reads(const ModuleSpec* spec) {
  static const std::map<const ModuleSpec*, std::vector<KeySpec>> all = [] {
    std::map<const ModuleSpec*, std::vector<KeySpec>> m;
    for (const ModuleSpec* s : AllModules()) m[s] = s->reads ? s->reads() : std::vector<KeySpec>{};
    return m;
  }();
  return all.at(spec);
}

bool Deep(const KeySpec& k) {
  return !k.keys.empty() || !k.values.empty() || !k.items.empty() || !k.any_of.empty() || !k.allowed.empty() ||
         !k.required.empty() || k.closed || !k.deprecated.empty();
}

// The declaration of a top-level key. A key several modules read (hostname,
// device_aliases) is declared in full by the module whose schema has it in
// cloud-init; the others give only its type. So: the first deep
// declaration, else the first.
const KeySpec* Declared(const std::string& key) {
  const KeySpec* first = nullptr;
  for (const ModuleSpec* spec : AllModules()) {
    for (const KeySpec& k : Reads(spec)) {
      if (k.name != key) continue;
      if (Deep(k)) return &k;
      if (!first) first = &k;
    }
  }
  return first;
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
      for (const KeySpec& k : Reads(spec)) m.emplace(std::string(k.name), std::string(spec->name));
      for (auto k : spec->activated_by) m.emplace(std::string(k), std::string(spec->name));
    }
    for (const auto& [module, keys] : KnownCloudInitModules()) {
      for (const auto& k : keys) m.emplace(k, module);
    }
    return m;
  }();
  return owners;
}

// cloud-init's schemamarks (safeyaml.load_with_marks): the 1-based line of
// each path in the document, "ntp.pools.0" style: a mapping entry's key
// line, a sequence item's first line. Only for --annotate, on a text that
// already parsed (so within the YAML limits).
std::map<std::string, int> PathLines(std::string_view text) {
  std::map<std::string, int> lines;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return lines;
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  struct Frame {
    bool map = false;
    bool want_key = true;  // a map's next node is a key
    size_t index = 0;      // a sequence's next item
    std::string path, key;
    bool ignored = false;  // a complex key's subtree
  };
  std::vector<Frame> stack;
  for (bool done = false; !done;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) break;
    int line = static_cast<int>(ev.start_mark.line) + 1;
    bool start = ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT;
    bool node = start || ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT;
    if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) done = true;
    if (node) {
      std::string path;
      bool ignored = !stack.empty() && stack.back().ignored;
      if (!stack.empty() && !ignored) {
        Frame& top = stack.back();
        if (top.map && top.want_key) {
          top.want_key = false;
          if (ev.type == YAML_SCALAR_EVENT) {
            top.key = std::string(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
            lines.emplace(Join(top.path, top.key), line);
          } else {
            top.key.clear();
            ignored = start;  // a complex key: its subtree has no paths
          }
          if (start) stack.push_back({.map = ev.type == YAML_MAPPING_START_EVENT, .ignored = ignored});
          yaml_event_delete(&ev);
          continue;
        }
        path = top.map ? Join(top.path, top.key) : Join(top.path, std::to_string(top.index++));
        if (!top.map) lines.emplace(path, line);
        if (top.map) top.want_key = true;
      }
      if (start) stack.push_back({.map = ev.type == YAML_MAPPING_START_EVENT, .path = path, .ignored = ignored});
    } else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
      if (!stack.empty()) stack.pop_back();
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return lines;
}

// The line to mark for a problem at `path`: its own, else its nearest
// parent's, else the first.
int LineOf(const std::map<std::string, int>& lines, std::string path) {
  while (true) {
    if (auto it = lines.find(path); it != lines.end()) return it->second;
    size_t dot = path.rfind('.');
    if (dot == std::string::npos) return 1;
    path.resize(dot);
  }
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
  if (!parsed->is_object()) {  // 22.4's RuntimeError (a #cloud-config-archive list, a scalar)
    report.errors.push_back({"", "Cloud-config is not a YAML dict."});
    return report;
  }
  report = CheckConfigSchema(*parsed);
  const auto& owners = KeyOwners();
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    const std::string& key = it.key();
    if (Declared(key)) continue;
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

SchemaReport CheckConfigSchema(const Value& config) {
  SchemaReport report;
  if (!config.is_object()) return report;
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (const KeySpec* declared = Declared(it.key())) Check(*declared, it.value(), it.key(), report);
  }
  // As cloud-init's, sorted by path (a stable sort keeps each key's order).
  auto by_path = [](const SchemaProblem& a, const SchemaProblem& b) { return a.path < b.path; };
  std::stable_sort(report.errors.begin(), report.errors.end(), by_path);
  std::stable_sort(report.deprecations.begin(), report.deprecations.end(), by_path);
  return report;
}

std::string AnnotateCloudConfig(std::string_view text, const SchemaReport& report) {
  // As 22.4's _Annotator: each problem marked on its line (a format-lL.cC
  // path's line, else its path's, as schemamarks gives it), numbered in line order, E for
  // errors and D for deprecations, then the footers.
  struct Marks {
    std::vector<std::string> errors, deprecations;
  };
  std::map<int, Marks> by_line;
  const std::map<std::string, int> path_lines = PathLines(text);
  auto place = [&](const std::vector<SchemaProblem>& problems, bool error) {
    for (const SchemaProblem& p : problems) {
      int line = 0, column = 0;
      if (std::sscanf(p.path.c_str(), "format-l%d.c%d", &line, &column) != 2) {
        line = LineOf(path_lines, p.path);
      }
      Marks& m = by_line[line > 0 ? line : 1];
      (error ? m.errors : m.deprecations).push_back(p.message);
    }
  };
  place(report.errors, true);
  place(report.deprecations, false);
  std::vector<std::string> lines, error_footer, deprecation_footer;
  size_t pos = 0;
  for (int line = 1;; ++line) {
    size_t nl = text.find('\n', pos);
    std::string l(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (auto m = by_line.find(line); m != by_line.end()) {
      std::string labels;
      for (const std::string& e : m->second.errors) {
        std::string label = "E" + std::to_string(error_footer.size() + 1);
        labels += (labels.empty() ? "" : ",") + label;
        error_footer.push_back("# " + label + ": " + e);
      }
      for (const std::string& d : m->second.deprecations) {
        std::string label = "D" + std::to_string(deprecation_footer.size() + 1);
        labels += (labels.empty() ? "" : ",") + label;
        deprecation_footer.push_back("# " + label + ": " + d);
      }
      l += "\t\t# " + labels;
    }
    lines.push_back(l);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  auto footer = [](const std::string& title, const std::vector<std::string>& body) {
    std::string out = "# " + title + ": -------------\n";
    for (size_t i = 0; i < body.size(); ++i) out += (i ? "\n" : "") + body[i];
    return out + "\n\n";
  };
  if (!error_footer.empty()) lines.push_back(footer("Errors", error_footer));
  if (!deprecation_footer.empty()) lines.push_back(footer("Deprecations", deprecation_footer));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

namespace {

// "string", "string or array", "boolean, deprecated": a declaration in words.
std::string Describe(const KeySpec& k) {
  std::vector<std::string> types;
  auto add = [&](const std::string& t) {
    if (!t.empty() && std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
  };
  if (k.type == KeyType::kStringOrList) {
    add("string");
    add("array");
  } else {
    add(JsonTypeName(k.type));
  }
  for (const KeySpec& alt : k.any_of) {
    if (alt.deprecated.empty()) add(Describe(alt));
  }
  if (k.nullable) add("null");
  std::string out;
  for (size_t i = 0; i < types.size(); ++i) out += (i ? " or " : "") + types[i];
  if (!k.allowed.empty()) out += (out.empty() ? "" : " ") + PyList(k.allowed);
  if (!k.deprecated.empty()) out += std::string(out.empty() ? "" : ", ") + "deprecated: " + std::string(k.deprecated);
  return out;
}

void DescribeKeys(const std::vector<KeySpec>& keys, const std::string& indent, std::string& out) {
  for (const KeySpec& k : keys) {
    std::string what = Describe(k);
    out += indent + std::string(k.name) + (what.empty() ? "" : " (" + what + ")") + "\n";
    DescribeKeys(k.keys, indent + "  ", out);
    if (!k.items.empty()) DescribeKeys(k.items[0].keys, indent + "  ", out);
  }
}

}  // namespace

std::string SchemaDocs(std::string_view module) {
  std::string out;
  for (const ModuleSpec* spec : AllModules()) {
    if (module != "all" && spec->name != module) continue;
    out += std::string(spec->name) + "\n";
    DescribeKeys(Reads(spec), "  ", out);
  }
  return out;
}

}  // namespace nubo::agent
