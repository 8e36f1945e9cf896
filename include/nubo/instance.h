// instance.h — what a datasource found, in one shape for every datasource.
//
//   InstanceData d;
//   d.instance_id = "iid-local01";
//   d.meta_data = {{"instance-id", "iid-local01"}, {"local-hostname", "vm1"}};
//   d.user_data = "#cloud-config\nruncmd: [ls]\n";
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nubo/value.h"

namespace nubo {

struct InstanceData {
  std::string datasource;     // "NoCloud"
  std::string description;    // "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]"
  std::string subplatform;    // "seed-dir (/var/lib/cloud/seed/nocloud)"
  std::string dsmode = "net";  // "local" or "net", as meta-data says
  std::string instance_id;
  std::string local_hostname;   // empty when meta-data has none
  Value meta_data = Value::object();
  std::string user_data;        // raw bytes as fetched
  std::optional<std::string> vendor_data;
  std::optional<std::string> vendor_data2;    // OpenStack's vendor_data2.json, as vendor-data
  std::optional<std::string> network_config;  // raw YAML, kept for later rendering
  // OpenStack's network_data.json as fetched (metadata service or config
  // drive); converted by the network code, as cloud-init's convert_net_json.
  std::optional<std::string> network_data_json;
  std::vector<std::string> public_keys;
  // instance-data.json: v1.platform ("openstack"; empty: from `datasource`),
  // more of its "ds" object (ec2_metadata, network_json), and the key paths
  // of ds values that hold base64 of bytes ("ds/meta_data/random_seed").
  std::string platform;
  Value ds_extra = Value::object();
  std::vector<std::string> base64_encoded_keys;
  // A secret the datasource handed over (OpenStack's `password`): kept in
  // the root-only cache, never in instance-data.json or a log.
  std::optional<std::string> password;
  // Config the datasource contributes (cloud-init's get_config_obj).
  Value config = Value::object();
};

// The JSON kept in /run/cloud-init/instance-data.json and in the instance
// dir, and read back by later stages (no secrets: user-data is not in it).
Value InstanceDataToJson(const InstanceData& data);
Result<InstanceData> InstanceDataFromJson(const Value& json);

}  // namespace nubo
