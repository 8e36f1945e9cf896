// YAML loading with PyYAML's YAML 1.1 scalar resolution on top of yaml-cpp's
// parser. yaml-cpp tags a plain scalar "?" and a quoted one "!", which is
// what lets quoted "yes" stay a string while plain yes becomes true.

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>
#include <regex>

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

Result<Value> Convert(const YAML::Node& node, std::string_view source);

Value ConvertScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "?") return ResolvePlainScalar(text);
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
  if (tag == "tag:yaml.org,2002:int") return ResolveInt(text);
  if (tag == "tag:yaml.org,2002:float") return ResolveFloat(text);
  if (tag == "tag:yaml.org,2002:bool") return ResolvePlainScalar(text);
  if (tag == "tag:yaml.org,2002:null") return nullptr;
  return text;
}

Result<Value> Convert(const YAML::Node& node, std::string_view source) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Value(nullptr);
    case YAML::NodeType::Scalar:
      return ConvertScalar(node);
    case YAML::NodeType::Sequence: {
      Value list = Value::array();
      for (const auto& item : node) {
        auto v = Convert(item, source);
        if (!v) return v;
        list.push_back(std::move(*v));
      }
      return list;
    }
    case YAML::NodeType::Map: {
      Value map = Value::object();
      for (const auto& kv : node) {
        auto key = Convert(kv.first, source);
        if (!key) return key;
        auto value = Convert(kv.second, source);
        if (!value) return value;
        std::string name = key->is_string() ? key->get<std::string>() : PyStr(*key);
        map[name] = std::move(*value);  // a repeated key: the last one wins, as in PyYAML
      }
      return map;
    }
  }
  return Value(nullptr);
}

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
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError(std::string(source_name) + ": line " + std::to_string(e.mark.line + 1) +
                     ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  try {
    return Convert(root, source_name);
  } catch (const YAML::Exception& e) {
    return MakeError(std::string(source_name) + ": " + e.msg);
  }
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
