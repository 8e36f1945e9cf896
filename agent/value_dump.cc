// Writing Values back out when they may hold what JSON cannot: bytes (a
// YAML !!binary) and non-finite floats (.inf, .nan).
//
//   sys.WriteFile(cc_path, "#cloud-config\n" + DumpYaml(cfg) + "\n", ...);   // reads back equal
//   sys.WriteFile(json_path, JsonCompatible(data).dump(2), ...);            // as cloud-init's json_dumps

#include <cmath>
#include <string>

#include "nubo/value.h"

namespace nubo {
namespace {

std::string Base64Encode(std::string_view bytes);

bool NeedsYamlTags(const Value& v) {
  if (v.is_binary()) return true;
  if (v.is_number_float()) return !std::isfinite(v.get<double>());
  if (v.is_array() || v.is_object()) {
    for (const auto& item : v) {
      if (NeedsYamlTags(item)) return true;
    }
  }
  return false;
}

void DumpFlow(const Value& v, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  if (v.is_binary()) {
    out += "!!binary \"" + Base64Encode(BytesOf(v)) + "\"";
  } else if (v.is_number_float() && !std::isfinite(v.get<double>())) {
    double d = v.get<double>();
    out += std::isnan(d) ? ".nan" : d > 0 ? ".inf" : "-.inf";
  } else if (v.is_object() && !v.empty()) {
    out += "{\n";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out += pad + Value(it.key()).dump() + ": ";
      DumpFlow(it.value(), indent + 2, out);
    }
    out += "\n" + std::string(static_cast<size_t>(indent), ' ') + "}";
  } else if (v.is_array() && !v.empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& item : v) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      DumpFlow(item, indent + 2, out);
    }
    out += "\n" + std::string(static_cast<size_t>(indent), ' ') + "]";
  } else {
    out += v.dump();
  }
}

std::string Base64Encode(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

std::string DumpYaml(const Value& v) {
  if (!NeedsYamlTags(v)) return v.dump(2);
  std::string out;
  DumpFlow(v, 0, out);
  return out;
}

Value JsonCompatible(const Value& v) {
  if (v.is_binary()) return "ci-b64:" + Base64Encode(BytesOf(v));
  if (v.is_array() || v.is_object()) {
    if (!NeedsYamlTags(v)) return v;
    Value out = v.is_array() ? Value::array() : Value::object();
    if (v.is_array()) {
      for (const auto& item : v) out.push_back(JsonCompatible(item));
    } else {
      for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = JsonCompatible(it.value());
    }
    return out;
  }
  return v;  // a non-finite float: nlohmann writes null, where Python writes NaN/Infinity
}

}  // namespace nubo
