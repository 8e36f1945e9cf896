#include "agent/net/pyyaml_dump.h"

#include <cstdio>
#include <regex>

namespace nubo::net {
namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  if (!ResolvePlainScalar(s).is_string()) return true;  // would read back as int/bool/null/float
  static const std::regex kTimestamp(R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$)");
  if (std::regex_match(s, kTimestamp)) return true;
  if (s == "=" || s == "<<") return true;
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t') return true;
  static const std::string kIndicators = "#,[]{}&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string::npos) return true;
  if ((s.front() == '?' || s.front() == ':' || s.front() == '-') && (s.size() == 1 || s[1] == ' ')) return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') return true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void Emit(const Value& v, int indent, std::string& out);

void EmitMappingBody(const Value& v, int indent, std::string& out, bool first_inline) {
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!(first && first_inline)) out += std::string(indent, ' ');
    first = false;
    out += PyYamlScalar(it.key()) + ":";
    const Value& child = *it;
    if (child.is_object() && !child.empty()) {
      out += "\n";
      EmitMappingBody(child, indent + 4, out, false);
    } else if (child.is_array() && !child.empty()) {
      out += "\n";
      Emit(child, indent, out);  // indentless sequence
    } else {
      out += " ";
      Emit(child, indent, out);
    }
  }
}

void Emit(const Value& v, int indent, std::string& out) {
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}\n";
      return;
    }
    EmitMappingBody(v, indent, out, false);
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[]\n";
      return;
    }
    for (const auto& e : v) {
      out += std::string(indent, ' ') + "-";
      if (e.is_object() && !e.empty()) {
        out += "   ";
        EmitMappingBody(e, indent + 4, out, true);
      } else if (e.is_array() && !e.empty()) {
        out += "   ";
        std::string nested;
        Emit(e, indent + 4, nested);
        out += nested.substr(indent + 4);
      } else {
        out += " ";
        Emit(e, indent, out);
      }
    }
  } else {
    out += PyYamlScalar(v) + "\n";
  }
}

}  // namespace

std::string PyYamlScalar(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return PyStr(v);
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (!NeedsQuotes(s)) return s;
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "''";
    else q += c;
  }
  return q + "'";
}

std::string PyYamlDump(const Value& v) {
  std::string out;
  Emit(v, 0, out);
  return out;
}

}  // namespace nubo::net
