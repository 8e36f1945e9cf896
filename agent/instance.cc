#include "nubo/instance.h"

#include <cstring>

namespace nubo {
namespace {

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kB64[(n >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Base64Decode(std::string_view in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || p == nullptr || c == '\0') continue;
    buf = (buf << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

Value InstanceDataToJson(const InstanceData& d) {
  Value j = {
      {"datasource", d.datasource},
      {"description", d.description},
      {"subplatform", d.subplatform},
      {"dsmode", d.dsmode},
      {"instance_id", d.instance_id},
      {"local_hostname", d.local_hostname},
      {"meta_data", d.meta_data},
      {"user_data_b64", Base64Encode(d.user_data)},
      {"public_keys", d.public_keys},
      {"config", d.config},
  };
  j["vendor_data_b64"] = d.vendor_data ? Value(Base64Encode(*d.vendor_data)) : Value(nullptr);
  j["network_config"] = d.network_config ? Value(*d.network_config) : Value(nullptr);
  j["network_data_json"] = d.network_data_json ? Value(*d.network_data_json) : Value(nullptr);
  return j;
}

Result<InstanceData> InstanceDataFromJson(const Value& j) {
  if (!j.is_object() || !Get(j, "instance_id").is_string()) {
    return MakeError("cached instance data has no instance_id");
  }
  InstanceData d;
  auto str = [&](const char* k) { return Get(j, k).is_string() ? Get(j, k).get<std::string>() : ""; };
  d.datasource = str("datasource");
  d.description = str("description");
  d.subplatform = str("subplatform");
  d.dsmode = str("dsmode");
  d.instance_id = str("instance_id");
  d.local_hostname = str("local_hostname");
  d.meta_data = Get(j, "meta_data").is_object() ? Get(j, "meta_data") : Value::object();
  d.user_data = Base64Decode(str("user_data_b64"));
  if (Get(j, "vendor_data_b64").is_string()) d.vendor_data = Base64Decode(str("vendor_data_b64"));
  if (Get(j, "network_config").is_string()) d.network_config = str("network_config");
  if (Get(j, "network_data_json").is_string()) d.network_data_json = str("network_data_json");
  for (const auto& k : Get(j, "public_keys")) {
    if (k.is_string()) d.public_keys.push_back(k.get<std::string>());
  }
  d.config = Get(j, "config").is_object() ? Get(j, "config") : Value::object();
  return d;
}

}  // namespace nubo
