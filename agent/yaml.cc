// YAML loading as cloud-init sees it: libyaml's parser (the one PyYAML's C
// loader uses, so the same documents parse and errors point at the same
// place), anchors, aliases and "<<" merge keys as PyYAML's SafeLoader treats
// them, and PyYAML's YAML 1.1 resolution of plain scalars. A quoted scalar
// or one tagged !!str always stays a string.
//
// Bounded (nubo/limits.h): nesting deeper than max_yaml_depth, or a
// document that exceeds max_yaml_nodes / max_yaml_scalar_bytes once its
// aliases are expanded ("billion laughs"), is an error naming the limit.

#include <yaml.h>

#include <map>
#include <memory>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>

#include "nubo/limits.h"
#include "nubo/value.h"

namespace nubo {
namespace {

std::string StripUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// Integer text (sign already removed, underscores removed) in `base`.
Value ParseIntBase(bool negative, const std::string& digits, int base) {
  try {
    size_t used = 0;
    unsigned long long magnitude = std::stoull(digits, &used, base);
    if (used == digits.size() &&
        magnitude <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
      int64_t v = static_cast<int64_t>(magnitude);
      return negative ? -v : v;
    }
  } catch (const std::exception&) {
  }
  // Larger than int64: keep the value approximately, as a float.
  double d = 0;
  for (char c : digits) d = d * base + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
  return negative ? -d : d;
}

// Regular expressions of PyYAML's resolver (yaml/resolver.py), YAML 1.1.
const std::regex& BoolRe() {
  static const std::regex re("yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
  return re;
}
const std::regex& IntRe() {
  static const std::regex re(
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|"
      "[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+");
  return re;
}
const std::regex& FloatRe() {
  static const std::regex re(
      "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?|"
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)");
  return re;
}

Value ResolveInt(std::string_view text) {
  std::string s = StripUnderscores(text);
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.erase(0, 1);
  }
  if (s == "0") return int64_t{0};
  if (s.rfind("0b", 0) == 0) return ParseIntBase(negative, s.substr(2), 2);
  if (s.rfind("0x", 0) == 0) return ParseIntBase(negative, s.substr(2), 16);
  if (s[0] == '0') return ParseIntBase(negative, s.substr(1), 8);
  if (s.find(':') != std::string::npos) {  // sexagesimal: 1:30 == 90
    int64_t value = 0;
    size_t start = 0;
    while (start <= s.size()) {
      size_t colon = s.find(':', start);
      std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      value = value * 60 + std::stoll(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    return negative ? -value : value;
  }
  return ParseIntBase(negative, s, 10);
}

Value ResolveFloat(std::string_view text) {
  std::string s = StripUnderscores(text);
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double sign = 1;
  if (!lower.empty() && (lower[0] == '-' || lower[0] == '+')) {
    if (lower[0] == '-') sign = -1;
    lower.erase(0, 1);
  }
  if (lower == ".inf") return sign * std::numeric_limits<double>::infinity();
  if (lower == ".nan") return std::numeric_limits<double>::quiet_NaN();
  if (lower.find(':') != std::string::npos) {
    double value = 0;
    size_t start = 0;
    while (true) {
      size_t colon = lower.find(':', start);
      value = value * 60 + std::stod(lower.substr(start, colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    return sign * value;
  }
  return sign * std::stod(lower);
}

class EventParser {
 public:
  EventParser(std::string_view text, std::string_view source) : source_(source) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~EventParser() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  Result<Value> ParseSingleDocument() {
    if (Status s = Expect(YAML_STREAM_START_EVENT); !s.ok()) return s.error();
    if (Status s = Next(); !s.ok()) return s.error();
    if (event_.type == YAML_STREAM_END_EVENT) return Value(nullptr);
    if (event_.type != YAML_DOCUMENT_START_EVENT) return Unexpected();
    if (Status s = Next(); !s.ok()) return s.error();
    auto root = ParseNode();
    if (!root) return root;
    if (Status s = Expect(YAML_DOCUMENT_END_EVENT); !s.ok()) return s.error();
    if (Status s = Next(); !s.ok()) return s.error();
    if (event_.type == YAML_DOCUMENT_START_EVENT) {
      return At(event_.start_mark, "expected a single document in the stream, but found another document");
    }
    return root;
  }

 private:
  // Loads the next event into event_.
  Status Next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      std::string problem = parser_.problem ? parser_.problem : "invalid YAML";
      if (parser_.context) problem = std::string(parser_.context) + ", " + problem;
      return At(parser_.problem_mark, problem);
    }
    has_event_ = true;
    return Status::Ok();
  }
  Status Expect(yaml_event_type_t type) {
    if (!has_event_ || event_.type != type) {
      if (Status s = Next(); !s.ok()) return s;
    }
    if (event_.type != type) return Unexpected();
    return Status::Ok();
  }
  Error Unexpected() { return At(event_.start_mark, "unexpected YAML structure"); }
  Error At(const yaml_mark_t& mark, const std::string& message) {
    return MakeError(std::string(source_) + ": line " + std::to_string(mark.line + 1) + ", column " +
                     std::to_string(mark.column + 1) + ": " + message);
  }
  static std::string Str(const yaml_char_t* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  }

  // Parses the node that starts at the current event; leaves the event
  // after it loaded.
  Result<Value> ParseNode() {
    switch (event_.type) {
      case YAML_ALIAS_EVENT: {
        std::string name = Str(event_.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) return At(event_.start_mark, "found undefined alias '" + name + "'");
        // An alias is a copy here (PyYAML shares it): count what it adds.
        const Size& size = anchor_sizes_[name];
        if (Status s = Count(size.nodes, size.bytes, event_.start_mark); !s.ok()) return s.error();
        Value v = it->second;
        if (Status s = Next(); !s.ok()) return s.error();
        return v;
      }
      case YAML_SCALAR_EVENT: {
        const auto& sc = event_.data.scalar;
        std::string text(reinterpret_cast<const char*>(sc.value), sc.length);
        std::string tag = Str(sc.tag);
        std::string anchor = Str(sc.anchor);
        if (Status s = Count(1, sc.length, event_.start_mark); !s.ok()) return s.error();
        Value v;
        if (tag.empty() || tag == "!") {
          v = sc.plain_implicit && sc.style == YAML_PLAIN_SCALAR_STYLE ? ResolvePlainScalar(text) : Value(text);
        } else if (tag == "tag:yaml.org,2002:str") {
          v = text;
        } else if (tag == "tag:yaml.org,2002:int") {
          v = ResolveInt(text);
        } else if (tag == "tag:yaml.org,2002:float") {
          v = ResolveFloat(text);
        } else if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
          v = ResolvePlainScalar(text);
        } else {
          return At(event_.start_mark, "could not determine a constructor for the tag '" + tag + "'");
        }
        if (!anchor.empty()) {
          anchors_[anchor] = v;
          anchor_sizes_[anchor] = Size{1, sc.length};
        }
        if (Status s = Next(); !s.ok()) return s.error();
        return v;
      }
      case YAML_SEQUENCE_START_EVENT: {
        std::string anchor = Str(event_.data.sequence_start.anchor);
        Value list = Value::array();
        Size before = total_;
        Nesting nesting(depth_);
        if (Status s = Enter(); !s.ok()) return s.error();
        if (Status s = Next(); !s.ok()) return s.error();
        while (event_.type != YAML_SEQUENCE_END_EVENT) {
          auto item = ParseNode();
          if (!item) return item;
          list.push_back(std::move(*item));
        }
        if (!anchor.empty()) {
          anchors_[anchor] = list;
          anchor_sizes_[anchor] = total_ - before;
        }
        if (Status s = Next(); !s.ok()) return s.error();
        return list;
      }
      case YAML_MAPPING_START_EVENT: {
        std::string anchor = Str(event_.data.mapping_start.anchor);
        Value map = Value::object();
        std::vector<Value> merges;  // "<<" sources, in order
        Size before = total_;
        Nesting nesting(depth_);
        if (Status s = Enter(); !s.ok()) return s.error();
        if (Status s = Next(); !s.ok()) return s.error();
        while (event_.type != YAML_MAPPING_END_EVENT) {
          bool is_merge = event_.type == YAML_SCALAR_EVENT && event_.data.scalar.plain_implicit &&
                          event_.data.scalar.length == 2 &&
                          std::string_view(reinterpret_cast<const char*>(event_.data.scalar.value), 2) == "<<";
          yaml_mark_t key_mark = event_.start_mark;
          auto key = ParseNode();
          if (!key) return key;
          auto value = ParseNode();
          if (!value) return value;
          if (is_merge) {
            if (value->is_object()) {
              merges.push_back(std::move(*value));
            } else if (value->is_array() &&
                       std::all_of(value->begin(), value->end(), [](const Value& m) { return m.is_object(); })) {
              for (auto& m : *value) merges.push_back(m);
            } else {
              return At(key_mark, "expected a mapping or list of mappings for merging, but found " +
                                      TypeName(*value));
            }
            continue;
          }
          if (key->is_object() || key->is_array()) return At(key_mark, "found unhashable key");
          std::string name = key->is_string() ? key->get<std::string>() : PyStr(*key);
          map[name] = std::move(*value);  // a repeated key: the last one wins, as in PyYAML
        }
        // Keys of the mapping itself win over merged ones; among merged
        // mappings the first one wins.
        for (const Value& m : merges) {
          for (auto it = m.begin(); it != m.end(); ++it) {
            if (!map.contains(it.key())) map[it.key()] = it.value();
          }
        }
        if (!anchor.empty()) {
          anchors_[anchor] = map;
          anchor_sizes_[anchor] = total_ - before;
        }
        if (Status s = Next(); !s.ok()) return s.error();
        return map;
      }
      default:
        return Unexpected();
    }
  }

  // Nodes and scalar bytes of the document as loaded, aliases expanded.
  struct Size {
    uint64_t nodes = 0;
    uint64_t bytes = 0;
    Size operator-(const Size& o) const { return Size{nodes - o.nodes, bytes - o.bytes}; }
  };
  struct Nesting {
    explicit Nesting(uint64_t& depth) : depth_(depth) { ++depth_; }
    ~Nesting() { --depth_; }
    uint64_t& depth_;
  };
  Status Enter() {
    if (depth_ > kMaxYamlDepth.value) return At(event_.start_mark, LimitMessage(kMaxYamlDepth, "nesting"));
    return Count(1, 0, event_.start_mark);
  }
  Status Count(uint64_t nodes, uint64_t bytes, const yaml_mark_t& mark) {
    total_.nodes += nodes;
    total_.bytes += bytes;
    if (total_.nodes > kMaxYamlNodes.value) {
      return At(mark, LimitMessage(kMaxYamlNodes, "document with its aliases expanded"));
    }
    if (total_.bytes > kMaxYamlScalarBytes.value) {
      return At(mark, LimitMessage(kMaxYamlScalarBytes, "document with its aliases expanded"));
    }
    return Status::Ok();
  }

  std::string_view source_;
  yaml_parser_t parser_;
  yaml_event_t event_{};
  bool has_event_ = false;
  std::map<std::string, Value> anchors_;
  std::map<std::string, Size> anchor_sizes_;
  Size total_;
  uint64_t depth_ = 0;
};

}  // namespace

Value ResolvePlainScalar(std::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  char c = text[0];
  bool could_be_number = std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
  std::string s(text);
  if (could_be_number) {
    if (std::regex_match(s, IntRe())) return ResolveInt(s);
    if (std::regex_match(s, FloatRe())) return ResolveFloat(s);
    return s;
  }
  if (std::regex_match(s, BoolRe())) {
    char first = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (first == 'y' || first == 't') return true;
    if (first == 'n' || first == 'f') return false;
    return s.size() == 2;  // "on" vs "off"
  }
  return s;
}

Result<Value> ParseYaml(std::string_view text, std::string_view source_name) {
  EventParser parser(text, source_name);
  return parser.ParseSingleDocument();
}

std::string TypeName(const Value& v) {
  switch (v.type()) {
    case Value::value_t::null: return "None";
    case Value::value_t::boolean: return "bool";
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned: return "int";
    case Value::value_t::number_float: return "float";
    case Value::value_t::string: return "str";
    case Value::value_t::array: return "list";
    case Value::value_t::object: return "dict";
    default: return "bytes";
  }
}

std::string PyStr(const Value& v) {
  switch (v.type()) {
    case Value::value_t::null: return "None";
    case Value::value_t::boolean: return v.get<bool>() ? "True" : "False";
    case Value::value_t::string: return v.get<std::string>();
    case Value::value_t::number_float: {
      std::string s = v.dump();
      if (s.find_first_of(".en") == std::string::npos) s += ".0";
      return s;
    }
    default: return v.dump();
  }
}

namespace {
// str(v).lower().strip(), as util.is_true compares it.
std::string LowerStripped(const Value& v) {
  std::string lower;
  for (char c : PyStr(v)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t b = lower.find_first_not_of(" \t\r\n");
  size_t e = lower.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : lower.substr(b, e - b + 1);
}
}  // namespace

bool IsTrue(const Value& v) {
  if (v.is_boolean()) return v.get<bool>();
  std::string s = LowerStripped(v);
  return s == "true" || s == "1" || s == "on" || s == "yes";
}

bool IsFalse(const Value& v) {
  if (v.is_boolean()) return !v.get<bool>();
  std::string s = LowerStripped(v);
  return s == "false" || s == "0" || s == "off" || s == "no";
}

bool TranslateBool(const Value& v) {
  // Python falsiness first: None, False, 0, "", [] and {} are false.
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0 && IsTrue(v);
  if (v.is_string() || v.is_array() || v.is_object()) {
    if (v.empty()) return false;
  }
  return IsTrue(v);
}

const Value& Get(const Value& obj, std::string_view key) {
  static const Value kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(std::string(key));
  return it == obj.end() ? kNull : *it;
}

}  // namespace nubo
