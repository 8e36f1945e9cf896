#include "nubo/instance.h"

#include "nubo/base64.h"

namespace nubo {
namespace {

std::string Decode(const std::string& b64) {
  auto r = Base64Decode(b64);
  return r ? *r : std::string();
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
  j["vendor_data2_b64"] = d.vendor_data2 ? Value(Base64Encode(*d.vendor_data2)) : Value(nullptr);
  j["platform"] = d.platform;
  j["ds_extra"] = d.ds_extra;
  j["base64_encoded_keys"] = d.base64_encoded_keys;
  j["password"] = d.password ? Value(*d.password) : Value(nullptr);
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
  d.user_data = Decode(str("user_data_b64"));
  if (Get(j, "vendor_data_b64").is_string()) d.vendor_data = Decode(str("vendor_data_b64"));
  if (Get(j, "network_config").is_string()) d.network_config = str("network_config");
  if (Get(j, "network_data_json").is_string()) d.network_data_json = str("network_data_json");
  if (Get(j, "vendor_data2_b64").is_string()) d.vendor_data2 = Decode(str("vendor_data2_b64"));
  d.platform = str("platform");
  if (Get(j, "ds_extra").is_object()) d.ds_extra = Get(j, "ds_extra");
  for (const auto& k : Get(j, "base64_encoded_keys")) {
    if (k.is_string()) d.base64_encoded_keys.push_back(k.get<std::string>());
  }
  if (Get(j, "password").is_string()) d.password = str("password");
  for (const auto& k : Get(j, "public_keys")) {
    if (k.is_string()) d.public_keys.push_back(k.get<std::string>());
  }
  d.config = Get(j, "config").is_object() ? Get(j, "config") : Value::object();
  return d;
}

}  // namespace nubo
