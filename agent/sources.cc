#include "nubo/sources.h"

#include "nubo/text.h"

namespace nubo {

bool Truthy(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number_unsigned()) return v.get<uint64_t>() != 0;
  if (v.is_number_float()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();  // list, dict
}


std::vector<std::string> PySplitLines(std::string_view s) {
  std::vector<std::string> out;
  std::string line;
  size_t i = 0;
  auto end_line = [&](size_t skip) {
    out.push_back(std::move(line));
    line.clear();
    i += skip;
  };
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c == '\r') {
      end_line(i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1);
    } else if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
      end_line(1);
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
      end_line(2);
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xa8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
      end_line(3);
    } else {
      line.push_back(static_cast<char>(c));
      ++i;
    }
  }
  if (!line.empty()) out.push_back(std::move(line));
  return out;
}

std::vector<std::string> NormalizePubkeyData(const Value& keys) {
  std::vector<std::string> out;
  if (!Truthy(keys)) return out;
  auto scalar = [](const Value& v) { return v.is_string() ? v.get<std::string>() : PyStr(v); };
  if (keys.is_string()) return PySplitLines(keys.get<std::string>());
  if (keys.is_array()) {
    // list(pubkey_data): kept as given, empty strings included.
    for (const Value& k : keys) {
      if (k.is_primitive() && !k.is_null()) out.push_back(scalar(k));
    }
    return out;
  }
  if (keys.is_object()) {
    for (const auto& [name, klist] : keys.items()) {
      if (klist.is_string()) {
        if (!klist.get_ref<const std::string&>().empty()) out.push_back(klist.get<std::string>());
      } else if (klist.is_array()) {
        for (const Value& k : klist) {
          if (Truthy(k) && k.is_primitive()) out.push_back(scalar(k));
        }
      }
    }
  }
  return out;
}

Value MergeFirstWins(const Value& first, const Value& second) {
  Value out = first.is_object() ? first : Value::object();
  if (!second.is_object()) return out;
  for (const auto& [key, value] : second.items()) {
    auto it = out.find(key);
    if (it == out.end()) {
      out[key] = value;
    } else if (value.is_object()) {
      // m_dict no_replace with recurse_dict: dicts merge; the str and list
      // mergers give the new dict; anything else stays.
      if (it->is_object()) {
        *it = MergeFirstWins(*it, value);
      } else if (it->is_string() || it->is_array()) {
        *it = value;
      }
    }
  }
  return out;
}

}  // namespace nubo
