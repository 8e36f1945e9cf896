// merge.cc — cloud-init's merger semantics (cloudinit/mergers/{__init__,
// m_dict,m_list,m_str}.py in 22.4.2), written from their observed behaviour.
//
// The merge dispatches on the type of the *existing* value: a dict goes to
// the first "dict" merger in the list, a list to the first "list" merger, a
// string to the first "str" merger; anything else (numbers, bools, null), or
// a type with no merger in the list, keeps the existing value.

#include "agent/merge.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace nubo::agent {
namespace {

bool HasOption(const Merger& m, std::string_view option) {
  return std::find(m.options.begin(), m.options.end(), option) != m.options.end();
}

// The options any built-in merger looks at; used to emulate Python's
// substring `in` when `settings` is given as one string.
constexpr std::array<std::string_view, 9> kKnownOptions = {
    "replace",      "no_replace",    "append",       "prepend",      "recurse_str",
    "recurse_dict", "recurse_array", "recurse_list", "allow_delete",
};

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "m_dict" and "dict" name the same merger; anything else is unknown.
Result<std::string> CanonicalName(const std::string& name) {
  std::string n = name;
  if (n.rfind("m_", 0) == 0) n = n.substr(2);
  if (n == "dict" || n == "list" || n == "str") return n;
  return MakeError("unknown merger '" + name + "' (known: dict, list, str)");
}

bool IsNameChar(char c, bool first) {
  if (c == '_' || std::isalpha(static_cast<unsigned char>(c))) return true;
  return !first && std::isdigit(static_cast<unsigned char>(c));
}

// mergers.string_extract_mergers: "name(opt,opt)+name()".
Result<MergeHow> ParseMergeString(const std::string& spec) {
  MergeHow how;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t plus = spec.find('+', start);
    if (plus == std::string::npos) plus = spec.size();
    std::string item = Lower(Trim(std::string_view(spec).substr(start, plus - start)));
    std::replace(item.begin(), item.end(), '-', '_');
    start = plus + 1;
    if (item.empty()) continue;
    size_t open = item.find('(');
    bool ok = open != std::string::npos && open > 0 && item.back() == ')' &&
              item.find('\n') == std::string::npos;
    for (size_t i = 0; ok && i < open; ++i) ok = IsNameChar(item[i], i == 0);
    if (!ok) {
      return MakeError("merge type '" + item + "' is not in the form name(option,...)");
    }
    Merger m;
    auto name = CanonicalName(item.substr(0, open));
    if (!name) return name.error();
    m.type = *name;
    std::string inner = item.substr(open + 1, item.size() - open - 2);
    size_t p = 0;
    while (p <= inner.size()) {
      size_t comma = inner.find(',', p);
      if (comma == std::string::npos) comma = inner.size();
      std::string opt = Lower(Trim(std::string_view(inner).substr(p, comma - p)));
      if (!opt.empty()) m.options.push_back(opt);
      p = comma + 1;
    }
    how.push_back(std::move(m));
  }
  return how;
}

// The `settings` of the list form: Python tests `"append" in settings`, so a
// list matches whole elements, a dict its keys, a string any substring.
Result<std::vector<std::string>> ParseSettings(const Value& settings, const std::string& where) {
  std::vector<std::string> out;
  if (settings.is_array()) {
    for (const Value& s : settings) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  } else if (settings.is_object()) {
    for (auto it = settings.begin(); it != settings.end(); ++it) out.push_back(it.key());
  } else if (settings.is_string()) {
    const std::string text = settings.get<std::string>();
    for (std::string_view known : kKnownOptions) {
      if (text.find(known) != std::string::npos) out.emplace_back(known);
    }
  } else {
    return MakeError(where + ": settings must be a list of options, got " + TypeName(settings));
  }
  return out;
}

// mergers.dict_extract_mergers for a list: [{name: dict, settings: [..]}, ...]
// or [[dict, opt, opt], ...].
Result<MergeHow> ParseMergeList(const Value& spec) {
  MergeHow how;
  for (size_t i = 0; i < spec.size(); ++i) {
    const Value& item = spec[i];
    const std::string where = "merge_how[" + std::to_string(i) + "]";
    std::string name;
    std::vector<std::string> options;
    if (item.is_object()) {
      if (!item.contains("name") || !item["name"].is_string()) {
        return MakeError(where + ": expected a 'name' string");
      }
      if (!item.contains("settings")) return MakeError(where + ": expected 'settings'");
      name = Trim(item["name"].get<std::string>());
      std::replace(name.begin(), name.end(), '-', '_');
      auto settings = ParseSettings(item["settings"], where);
      if (!settings) return settings.error();
      options = std::move(*settings);
    } else if (item.is_array() && !item.empty() && item[0].is_string()) {
      name = item[0].get<std::string>();
      for (size_t j = 1; j < item.size(); ++j) {
        if (item[j].is_string()) options.push_back(item[j].get<std::string>());
      }
    } else {
      // Python would take item[0] (a string's first letter, say) as the
      // name, which never names a merger.
      return MakeError(where +
                       ": expected {name: ..., settings: [...]} or [name, option, ...], got " +
                       TypeName(item));
    }
    if (name.empty()) continue;
    auto canonical = CanonicalName(name);
    if (!canonical) return canonical.error();
    how.push_back(Merger{*canonical, std::move(options)});
  }
  return how;
}

const Merger* FindMerger(const MergeHow& how, std::string_view type) {
  for (const Merger& m : how) {
    if (m.type == type) return &m;
  }
  return nullptr;
}

Result<Value> Dispatch(const Value& source, const Value& merge_with, const MergeHow& how);

// Python's len() and iteration of the value a list merger is handed.
Result<std::vector<Value>> PyIterate(const Value& v) {
  std::vector<Value> out;
  if (v.is_array()) {
    out.assign(v.begin(), v.end());
  } else if (v.is_string()) {
    // A str iterates by code point.
    const std::string& s = v.get_ref<const std::string&>();
    for (size_t i = 0; i < s.size();) {
      size_t n = 1;
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0xF0)
        n = 4;
      else if (c >= 0xE0)
        n = 3;
      else if (c >= 0xC0)
        n = 2;
      n = std::min(n, s.size() - i);
      out.emplace_back(s.substr(i, n));
      i += n;
    }
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) out.emplace_back(it.key());
  } else {
    return MakeError("cannot merge " + TypeName(v) + " into a list");
  }
  return out;
}

// m_dict.Merger._on_dict
Result<Value> OnDict(const Value& value, const Value& merge_with, const Merger& m,
                     const MergeHow& how) {
  if (!merge_with.is_object()) return value;
  bool replace = false;  // default no_replace; "replace" is checked first
  if (HasOption(m, "replace")) replace = true;
  const bool recurse_str = HasOption(m, "recurse_str");
  const bool recurse_array = HasOption(m, "recurse_array") || HasOption(m, "recurse_list");
  const bool allow_delete = HasOption(m, "allow_delete");
  Value merged = value;
  for (auto it = merge_with.begin(); it != merge_with.end(); ++it) {
    const Value& new_v = it.value();
    auto found = merged.find(it.key());
    if (found == merged.end()) {
      merged[it.key()] = new_v;
      continue;
    }
    if (new_v.is_null() && allow_delete) {
      merged.erase(found);
      continue;
    }
    if (replace) {
      *found = new_v;
    } else if ((new_v.is_array() && recurse_array) || (new_v.is_string() && recurse_str) ||
               new_v.is_object()) {  // recurse_dict is always on for dicts
      auto sub = Dispatch(*found, new_v, how);
      if (!sub) return sub;
      *found = std::move(*sub);
    }
    // Otherwise the existing value stays.
  }
  return merged;
}

// m_list.Merger._on_list
Result<Value> OnList(const Value& value, const Value& merge_with, const Merger& m,
                     const MergeHow& how) {
  std::string method = "replace";
  for (std::string_view candidate : {"append", "prepend", "replace", "no_replace"}) {
    if (HasOption(m, candidate)) {
      method = candidate;
      break;
    }
  }
  const bool recurse_str = HasOption(m, "recurse_str");
  const bool recurse_dict = HasOption(m, "recurse_dict");
  const bool recurse_array = HasOption(m, "recurse_array") || HasOption(m, "recurse_list");
  if (method == "replace" && !merge_with.is_array()) return merge_with;

  if (method == "append" || method == "prepend") {
    auto items = PyIterate(merge_with);
    if (!items) return items.error();
    Value merged = Value::array();
    if (method == "prepend") {
      for (Value& v : *items) merged.push_back(std::move(v));
      for (const Value& v : value) merged.push_back(v);
    } else {
      merged = value;
      for (Value& v : *items) merged.push_back(std::move(v));
    }
    return merged;
  }

  // replace (with a list) or no_replace: index by index.
  if (!merge_with.is_array() && !merge_with.is_string() && !merge_with.is_object()) {
    return MakeError("cannot merge " + TypeName(merge_with) + " into a list");
  }
  Value merged = value;
  size_t common = std::min(
      value.size(), merge_with.is_string() ? PyIterate(merge_with)->size() : merge_with.size());
  if (common == 0) return merged;
  if (merge_with.is_object()) {
    // Python indexes the dict with 0, 1, ...: a KeyError.
    return MakeError("cannot merge a dict into a list index by index");
  }
  std::vector<Value> items = *PyIterate(merge_with);
  for (size_t i = 0; i < common; ++i) {
    if (method == "no_replace") continue;
    const Value& new_v = items[i];
    if ((new_v.is_array() && recurse_array) || (new_v.is_string() && recurse_str) ||
        (new_v.is_object() && recurse_dict)) {
      auto sub = Dispatch(merged[i], new_v, how);
      if (!sub) return sub;
      merged[i] = std::move(*sub);
    } else {
      merged[i] = new_v;
    }
  }
  return merged;
}

// m_str.Merger._on_str
Result<Value> OnStr(const Value& value, const Value& merge_with, const Merger& m) {
  if (!HasOption(m, "append")) return merge_with;
  if (!merge_with.is_string()) {
    return MakeError("cannot append " + TypeName(merge_with) + " to a str");
  }
  return Value(value.get<std::string>() + merge_with.get<std::string>());
}

// mergers.LookupMerger.merge
Result<Value> Dispatch(const Value& source, const Value& merge_with, const MergeHow& how) {
  if (source.is_object()) {
    if (const Merger* m = FindMerger(how, "dict")) return OnDict(source, merge_with, *m, how);
  } else if (source.is_array()) {
    if (const Merger* m = FindMerger(how, "list")) return OnList(source, merge_with, *m, how);
  } else if (source.is_string()) {
    if (const Merger* m = FindMerger(how, "str")) return OnStr(source, merge_with, *m);
  }
  return source;
}

}  // namespace

Result<MergeHow> ParseMergeHow(const Value& spec) {
  if (spec.is_null()) return MergeHow{};
  if (spec.is_string()) return ParseMergeString(spec.get<std::string>());
  if (spec.is_array()) return ParseMergeList(spec);
  return MakeError("merge_how must be a string or a list, got " + TypeName(spec));
}

const MergeHow& DefaultMergeHow() {
  static const MergeHow kDefault = *ParseMergeString("dict(replace)+list()+str()");
  return kDefault;
}

const MergeHow& DefaultMergeManyHow() {
  static const MergeHow kDefault = *ParseMergeString("list()+dict()+str()");
  return kDefault;
}

Result<Value> TryMergeWith(const Value& base, const Value& addition, const MergeHow& how) {
  return Dispatch(base, addition, how);
}

Value MergeWith(const Value& base, const Value& addition, const MergeHow& how) {
  auto merged = Dispatch(base, addition, how);
  if (!merged) return base;
  return std::move(*merged);
}

Result<MergeHow> ExtractMergeHow(Value& config) {
  if (!config.is_object()) return MergeHow{};
  Value raw;
  if (auto it = config.find("merge_how"); it != config.end()) {
    raw = std::move(*it);
    config.erase(it);
  }
  if (raw.is_null()) {
    if (auto it = config.find("merge_type"); it != config.end()) {
      raw = std::move(*it);
      config.erase(it);
    }
  }
  return ParseMergeHow(raw);
}

Value MergeManyDicts(const std::vector<Value>& dicts) {
  std::vector<const Value*> ptrs;
  ptrs.reserve(dicts.size());
  for (const Value& d : dicts) ptrs.push_back(&d);
  return MergeManyDicts(ptrs);
}

Value MergeManyDicts(const std::vector<const Value*>& dicts) {
  Value merged = Value::object();
  for (const Value* dp : dicts) {
    const Value& d = *dp;
    if (d.is_null() || ((d.is_object() || d.is_array() || d.is_string()) && d.empty())) continue;
    if (d.is_boolean() && !d.get<bool>()) continue;
    // A copy only of a dict that names its mergers (they are removed from
    // it): a config at max_yaml_nodes is not copied once per layer.
    Value stripped;
    const Value* cfg = &d;
    Result<MergeHow> how = MergeHow{};
    if (d.is_object() && (d.contains("merge_how") || d.contains("merge_type"))) {
      stripped = d;
      how = ExtractMergeHow(stripped);
      cfg = &stripped;
    }
    const MergeHow& use = (how && !how->empty()) ? *how : DefaultMergeManyHow();
    merged = MergeWith(merged, *cfg, use);
  }
  return merged;
}

}  // namespace nubo::agent
