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
      "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|"
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)");
  return re;
}

// The implicit timestamp resolver's pattern (resolver.py).
const std::regex& TimestampRe() {
  static const std::regex re(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}|"
      "[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?"
      "(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?");
  return re;
}

// ---- Construction of tagged nodes, as PyYAML's SafeConstructor does it
// (plus cloud-init's !!python/unicode). Each returns the message of
// PyYAML's ConstructorError (or of the Python exception it raises) without
// a position; the caller adds the node's file, line and column.

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsTag(const std::string& tag, std::string_view name) {
  return tag.size() == kTagPrefix.size() + name.size() && tag.compare(0, kTagPrefix.size(), kTagPrefix) == 0 &&
         tag.compare(kTagPrefix.size(), std::string::npos, name) == 0;
}

std::string NoConstructor(const std::string& tag) {
  return "could not determine a constructor for the tag '" + tag + "'";
}

// resolver.py's implicit resolvers for a plain scalar, in their order.
std::string ImplicitTag(const std::string& s) {
  auto tag = [](std::string_view name) { return std::string(kTagPrefix) + std::string(name); };
  if (s.empty()) return tag("null");
  char c = s[0];
  if (std::string_view("yYnNtTfFoO").find(c) != std::string_view::npos && std::regex_match(s, BoolRe())) {
    return tag("bool");
  }
  bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
  if ((digit || c == '-' || c == '+' || c == '.') && std::regex_match(s, FloatRe())) return tag("float");
  if ((digit || c == '-' || c == '+') && std::regex_match(s, IntRe())) return tag("int");
  if (s == "<<") return tag("merge");
  if ((c == '~' || c == 'n' || c == 'N') && (s == "~" || s == "null" || s == "Null" || s == "NULL")) {
    return tag("null");
  }
  if (digit && std::regex_match(s, TimestampRe())) return tag("timestamp");
  if (s == "=") return tag("value");
  return tag("str");
}

// Python's int(s, base) after construct_yaml_int removed sign and
// underscores: the base's own prefix is allowed, surrounding whitespace too.
Result<Value> PyInt(bool negative, std::string s, int base) {
  std::string shown = s;
  size_t b = s.find_first_not_of(" \t\r\n\f\v"), e = s.find_last_not_of(" \t\r\n\f\v");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  if (s.size() > 2 && s[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    if ((base == 2 && p == 'b') || (base == 8 && p == 'o') || (base == 16 && p == 'x')) s.erase(0, 2);
  }
  bool ok = !s.empty();
  for (char ch : s) {
    int d = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
            : std::isalpha(static_cast<unsigned char>(ch)) ? std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10
                                                           : 99;
    if (d >= base) ok = false;
  }
  if (!ok) return MakeError("invalid literal for int() with base " + std::to_string(base) + ": '" + shown + "'");
  return ParseIntBase(negative, s, base);
}

// construct_yaml_int, on any text (an explicit !!int may hold anything).
Result<Value> ConstructInt(std::string_view text) {
  std::string s = StripUnderscores(text);
  if (s.empty()) return MakeError("string index out of range");
  bool negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') s.erase(0, 1);
  if (s == "0") return Value(int64_t{0});
  if (s.rfind("0b", 0) == 0) return PyInt(negative, s.substr(2), 2);
  if (s.rfind("0x", 0) == 0) return PyInt(negative, s.substr(2), 16);
  if (!s.empty() && s[0] == '0') return PyInt(negative, s, 8);
  if (s.find(':') != std::string::npos) {  // sexagesimal: 1:30 == 90
    // Python's ints have no bound: past int64 the value is kept as a float,
    // as ParseIntBase does (a part over int64 is one already).
    int64_t value = 0;
    double approx = 0;
    bool exact = true;
    size_t start = 0;
    while (true) {
      size_t colon = s.find(':', start);
      auto part = PyInt(false, s.substr(start, colon == std::string::npos ? std::string::npos : colon - start), 10);
      if (!part) return part;
      approx = approx * 60 + part->get<double>();
      exact = exact && part->is_number_integer() && !__builtin_mul_overflow(value, 60, &value) &&
              !__builtin_add_overflow(value, part->get<int64_t>(), &value);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (!exact) return Value(negative ? -approx : approx);
    return Value(negative ? -value : value);
  }
  return PyInt(negative, s, 10);
}

// Python's float(s): decimal forms, inf/infinity/nan; no hex.
Result<double> PyFloat(const std::string& s) {
  static const std::regex re(
      "[ \t\r\n]*[-+]?(?:(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)[ \t\r\n]*",
      std::regex::icase);
  if (!std::regex_match(s, re)) return MakeError("could not convert string to float: '" + s + "'");
  std::string t = s;
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t.find("nan") != std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  if (t.find("inf") != std::string::npos) {
    return t.find('-') != std::string::npos ? -std::numeric_limits<double>::infinity()
                                           : std::numeric_limits<double>::infinity();
  }
  return std::strtod(t.c_str(), nullptr);
}

// construct_yaml_float.
Result<Value> ConstructFloat(std::string_view text) {
  std::string s = StripUnderscores(text);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s.empty()) return MakeError("string index out of range");
  double sign = s[0] == '-' ? -1 : 1;
  if (s[0] == '-' || s[0] == '+') s.erase(0, 1);
  if (s == ".inf") return Value(sign * std::numeric_limits<double>::infinity());
  if (s == ".nan") return Value(std::numeric_limits<double>::quiet_NaN());
  if (s.find(':') != std::string::npos) {
    double value = 0;
    size_t start = 0;
    while (true) {
      size_t colon = s.find(':', start);
      auto part = PyFloat(s.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (!part) return part.error();
      value = value * 60 + *part;
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    return Value(sign * value);
  }
  auto v = PyFloat(s);
  if (!v) return v.error();
  return Value(sign * *v);
}

// construct_yaml_binary: base64.decodebytes (binascii.a2b_base64, not
// strict: characters outside the alphabet are skipped).
Result<Value> ConstructBinary(std::string_view text) {
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      return MakeError("failed to convert base64 data into ascii: 'ascii' codec can't encode character");
    }
  }
  auto sextet = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
  };
  std::vector<uint8_t> out;
  unsigned acc = 0;
  int quad = 0, pads = 0, data_chars = 0;
  for (char ch : text) {
    if (ch == '=') {
      // A pad ends the data once the group holds at least two characters.
      if (quad >= 2 && quad + ++pads >= 4) {
        quad = 0;
        break;
      }
      continue;
    }
    int v = sextet(ch);
    if (v < 0) continue;
    pads = 0;
    ++data_chars;
    acc = (acc << 6) | static_cast<unsigned>(v);
    ++quad;  // a byte is complete after the 2nd, 3rd and 4th character
    if (quad == 2) out.push_back(static_cast<uint8_t>(acc >> 4));
    if (quad == 3) out.push_back(static_cast<uint8_t>(acc >> 2));
    if (quad == 4) {
      out.push_back(static_cast<uint8_t>(acc));
      acc = 0;
      quad = 0;
    }
  }
  if (quad == 1) {
    return MakeError("failed to decode base64 data: Invalid base64-encoded string: number of data characters (" +
                     std::to_string(data_chars) + ") cannot be 1 more than a multiple of 4");
  }
  if (quad != 0) return MakeError("failed to decode base64 data: Incorrect padding");
  return Value::binary(std::move(out));
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::string TwoDigits(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// construct_yaml_timestamp. Python's datetime.date / datetime.datetime
// become their str(): "2001-12-14", "2001-12-14 21:59:43.100000-05:00".
Result<Value> ConstructTimestamp(const std::string& text) {
  static const std::regex re(
      "([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)"
      "(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?"
      "(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return MakeError("'NoneType' object has no attribute 'groupdict'");
  int year = std::stoi(m[1]), month = std::stoi(m[2]), day = std::stoi(m[3]);
  if (year < 1) return MakeError("year " + std::to_string(year) + " is out of range");
  if (month < 1 || month > 12) return MakeError("month must be in 1..12");
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int month_days = kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day < 1 || day > month_days) return MakeError("day is out of range for month");
  std::string out = std::string(4 - std::min<size_t>(4, std::to_string(year).size()), '0') +
                    std::to_string(year) + "-" + TwoDigits(month) + "-" + TwoDigits(day);
  if (!m[4].matched) return Value(out);
  int hour = std::stoi(m[4]), minute = std::stoi(m[5]), second = std::stoi(m[6]);
  if (hour > 23) return MakeError("hour must be in 0..23");
  if (minute > 59) return MakeError("minute must be in 0..59");
  if (second > 59) return MakeError("second must be in 0..59");
  out += " " + TwoDigits(hour) + ":" + TwoDigits(minute) + ":" + TwoDigits(second);
  if (m[7].matched && m[7].length() > 0) {
    std::string fraction = m[7].str().substr(0, 6);
    fraction.resize(6, '0');
    if (fraction != "000000") out += "." + fraction;
  }
  if (m[9].matched) {
    int tz_hour = std::stoi(m[10]), tz_minute = m[11].matched ? std::stoi(m[11]) : 0;
    int offset = tz_hour * 60 + tz_minute;  // minutes
    if (offset >= 24 * 60) {
      return MakeError("offset must be a timedelta strictly between -timedelta(hours=24) and "
                       "timedelta(hours=24)");
    }
    out += std::string(offset == 0 ? "+" : m[9].str()) + TwoDigits(offset / 60) + ":" + TwoDigits(offset % 60);
  } else if (m[8].matched) {
    out += "+00:00";
  }
  return Value(out);
}

// Constructs a scalar whose tag is known (explicit, or resolved).
Result<Value> ConstructScalar(const std::string& tag, const std::string& text) {
  if (IsTag(tag, "str") || IsTag(tag, "python/unicode")) return Value(text);
  if (IsTag(tag, "null")) return Value(nullptr);
  if (IsTag(tag, "bool")) {
    std::string lower;
    for (char ch : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "yes" || lower == "true" || lower == "on") return Value(true);
    if (lower == "no" || lower == "false" || lower == "off") return Value(false);
    return MakeError("'" + lower + "'");  // bool_values[value.lower()]: KeyError
  }
  if (IsTag(tag, "int")) return ConstructInt(text);
  if (IsTag(tag, "float")) return ConstructFloat(text);
  if (IsTag(tag, "binary")) return ConstructBinary(text);
  if (IsTag(tag, "timestamp")) return ConstructTimestamp(text);
  if (IsTag(tag, "seq")) return MakeError("expected a sequence node, but found scalar");
  if (IsTag(tag, "map") || IsTag(tag, "set")) return MakeError("expected a mapping node, but found scalar");
  if (IsTag(tag, "omap")) return MakeError("while constructing an ordered map, expected a sequence, but found scalar");
  if (IsTag(tag, "pairs")) return MakeError("while constructing pairs, expected a sequence, but found scalar");
  return MakeError(NoConstructor(tag));
}

// The tag of a sequence node, checked: "" for a plain list, "omap" or
// "pairs" for a list of single-key mappings turned into [key, value] pairs.
Result<std::string> SequenceKind(const std::string& tag) {
  if (tag.empty() || tag == "!" || IsTag(tag, "seq")) return std::string();
  if (IsTag(tag, "omap")) return std::string("omap");
  if (IsTag(tag, "pairs")) return std::string("pairs");
  if (IsTag(tag, "map") || IsTag(tag, "set")) return MakeError("expected a mapping node, but found sequence");
  if (IsTag(tag, "str") || IsTag(tag, "python/unicode") || IsTag(tag, "null") || IsTag(tag, "bool") ||
      IsTag(tag, "int") || IsTag(tag, "float") || IsTag(tag, "binary") || IsTag(tag, "timestamp")) {
    return MakeError("expected a scalar node, but found sequence");
  }
  return MakeError(NoConstructor(tag));
}

// The tag of a mapping node, checked: "" for a dict, "set" for !!set.
Result<std::string> MappingKind(const std::string& tag) {
  if (tag.empty() || tag == "!" || IsTag(tag, "map")) return std::string();
  if (IsTag(tag, "set")) return std::string("set");
  if (IsTag(tag, "omap")) return MakeError("while constructing an ordered map, expected a sequence, but found mapping");
  if (IsTag(tag, "pairs")) return MakeError("while constructing pairs, expected a sequence, but found mapping");
  if (IsTag(tag, "seq")) return MakeError("expected a sequence node, but found mapping");
  if (IsTag(tag, "str") || IsTag(tag, "python/unicode") || IsTag(tag, "null") || IsTag(tag, "bool") ||
      IsTag(tag, "int") || IsTag(tag, "float") || IsTag(tag, "binary") || IsTag(tag, "timestamp")) {
    return MakeError("expected a scalar node, but found mapping");
  }
  return MakeError(NoConstructor(tag));
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
  // after it loaded. Only the collections recurse, each through a small
  // frame of its own: with the scalar's and alias's locals in one big
  // switch, 1000 levels overflowed an 8 MB stack under ASan.
  Result<Value> ParseNode() {
    switch (event_.type) {
      case YAML_ALIAS_EVENT:
        return ParseAlias();
      case YAML_SCALAR_EVENT:
        return ParseScalar();
      case YAML_SEQUENCE_START_EVENT:
        return ParseSequence();
      case YAML_MAPPING_START_EVENT:
        return ParseMapping();
      default:
        return Unexpected();
    }
  }

  [[gnu::noinline]] Result<Value> ParseAlias() {
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

  [[gnu::noinline]] Result<Value> ParseScalar() {
    const auto& sc = event_.data.scalar;
    std::string text(reinterpret_cast<const char*>(sc.value), sc.length);
    std::string tag = Str(sc.tag);
    std::string anchor = Str(sc.anchor);
    if (Status s = Count(1, sc.length, event_.start_mark); !s.ok()) return s.error();
    if (tag.empty() || tag == "!") {
      // As PyYAML's parser: a plain scalar, or any scalar tagged "!", is
      // resolved implicitly; other untagged ones are strings.
      bool implicit = tag == "!" || (sc.plain_implicit && sc.style == YAML_PLAIN_SCALAR_STYLE);
      tag = implicit ? ImplicitTag(text) : std::string(kTagPrefix) + "str";
    }
    auto constructed = ConstructScalar(tag, text);
    if (!constructed) return At(event_.start_mark, constructed.error().message);
    Value v = std::move(*constructed);
    if (!anchor.empty()) {
      anchors_[anchor] = v;
      anchor_sizes_[anchor] = Size{1, sc.length};
    }
    if (Status s = Next(); !s.ok()) return s.error();
    return v;
  }

  [[gnu::noinline]] Result<Value> ParseSequence() {
    std::string anchor = Str(event_.data.sequence_start.anchor);
    yaml_mark_t mark = event_.start_mark;
    auto kind = SequenceKind(Str(event_.data.sequence_start.tag));
    if (!kind) return At(mark, kind.error().message);
    std::vector<yaml_mark_t> item_marks;
    Value list = Value::array();
    Size before = total_;
    Nesting nesting(depth_);
    if (Status s = Enter(); !s.ok()) return s.error();
    if (Status s = Next(); !s.ok()) return s.error();
    while (event_.type != YAML_SEQUENCE_END_EVENT) {
      item_marks.push_back(event_.start_mark);
      auto item = ParseNode();
      if (!item) return item;
      list.push_back(std::move(*item));
    }
    if (!kind->empty()) {  // !!omap, !!pairs: [key, value] pairs, in order
      for (size_t i = 0; i < list.size(); ++i) {
        Value& item = list[i];
        std::string context = std::string("while constructing ") + (*kind == "omap" ? "an ordered map" : "pairs");
        if (!item.is_object()) {
          return At(item_marks[i], context + ", expected a mapping of length 1, but found " +
                                       (item.is_array() ? "sequence" : "scalar"));
        }
        if (item.size() != 1) {
          return At(item_marks[i], context + ", expected a single mapping item, but found " +
                                       std::to_string(item.size()) + " items");
        }
        item = Value::array({item.begin().key(), item.begin().value()});
      }
    }
    if (!anchor.empty()) {
      anchors_[anchor] = list;
      anchor_sizes_[anchor] = total_ - before;
    }
    if (Status s = Next(); !s.ok()) return s.error();
    return list;
  }

  [[gnu::noinline]] Result<Value> ParseMapping() {
    std::string anchor = Str(event_.data.mapping_start.anchor);
    auto kind = MappingKind(Str(event_.data.mapping_start.tag));
    if (!kind) return At(event_.start_mark, kind.error().message);
    Value set_members = Value::array();  // !!set: its keys, in order
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
      // A "<<" key is the merge tag: no value of its own to construct.
      Result<Value> key = is_merge ? Result<Value>(Value("<<")) : ParseNode();
      if (!key) return key;
      if (is_merge) {
        if (Status s = Next(); !s.ok()) return s.error();
      }
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
      if (*kind == "set" && std::find(set_members.begin(), set_members.end(), *key) == set_members.end()) {
        set_members.push_back(*key);
      }
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
    if (*kind == "set") map = std::move(set_members);  // a set is the list of its members
    if (!anchor.empty()) {
      anchors_[anchor] = map;
      anchor_sizes_[anchor] = total_ - before;
    }
    if (Status s = Next(); !s.ok()) return s.error();
    return map;
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
  std::string s(text);
  auto v = ConstructScalar(ImplicitTag(s), s);
  return v ? std::move(*v) : Value(s);  // "=", "<<" and impossible dates stay text
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

Value BytesValue(std::string_view bytes) {
  return Value::binary(Value::binary_t::container_type(bytes.begin(), bytes.end()));
}

std::string BytesOf(const Value& v) {
  const auto& b = v.get_binary();
  return std::string(b.begin(), b.end());
}

namespace {
// Python's repr() of a str (bytes == false) or of bytes: the quote Python
// picks, backslash escapes for it, '\\', \t \n \r and other control
// characters (\xNN). A str keeps its UTF-8 as repr keeps printable text;
// bytes escape everything from 0x7f up.
std::string PyQuoted(std::string_view text, bool bytes) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out = bytes ? "b" : "";
  out += quote;
  static const char kHex[] = "0123456789abcdef";
  for (char ch : text) {
    uint8_t c = static_cast<uint8_t>(ch);
    if (c == static_cast<uint8_t>(quote) || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f || (bytes && c > 0x7f)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}
}  // namespace

std::string PyStrRepr(std::string_view s) { return PyQuoted(s, false); }

std::string PyRepr(const Value& v) {
  if (v.is_string()) return PyStrRepr(v.get_ref<const std::string&>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + PyRepr(v[i]);
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += (first ? "" : ", ") + PyStrRepr(it.key()) + ": " + PyRepr(it.value());
      first = false;
    }
    return out + "}";
  }
  return PyStr(v);
}

std::string PyStr(const Value& v) {
  switch (v.type()) {
    case Value::value_t::null: return "None";
    case Value::value_t::boolean: return v.get<bool>() ? "True" : "False";
    case Value::value_t::string: return v.get<std::string>();
    case Value::value_t::binary: {
      const auto& b = v.get_binary();
      return PyQuoted(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), true);
    }
    case Value::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
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
