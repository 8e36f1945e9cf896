// openstack_tree.h — what the OpenStack metadata service and the config
// drive have in common: the openstack/<version>/ documents and how
// cloud-init 22.4's helpers/openstack.py (read_v2) makes instance data of
// them. Fetching is the caller's (datasources/openstack.cc over HTTP,
// datasources/configdrive.cc from a mounted drive); this file only parses.
//
//   RawTree t;
//   t.version = SelectVersion(listing_lines);            // "2018-08-27"
//   t.meta_data = RawDoc::Found(url, body);              // required
//   t.user_data = RawDoc::Absent(url, "HTTP 404");
//   ... fetch ContentPaths(meta_data) into t.content ...
//   auto data = BuildInstanceData(t, "OpenStack", log);  // Result<InstanceData>
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::datasources::openstack {

// Nova's metadata versions nubo reads, oldest first (cloud-init's
// OS_VERSIONS: Folsom to Rocky).
const std::vector<std::string_view>& KnownVersions();

// The newest known version among `available` (lines of the openstack/
// listing), else "latest".
std::string SelectVersion(const std::vector<std::string>& available);

// Splits a listing into its non-empty, stripped lines.
std::vector<std::string> ListingLines(std::string_view listing);

// One document as read: present with its bytes, or absent (with why, for
// the debug log). `where` is its URL or path, for messages.
struct RawDoc {
  std::string where;
  std::optional<std::string> body;
  std::string problem;  // why absent: "HTTP 404", a transport error...
  bool unreadable = false;  // absent because reading failed (not just "not there")

  static RawDoc Found(std::string where, std::string body) { return {std::move(where), std::move(body), "", false}; }
  static RawDoc Absent(std::string where, std::string why, bool unreadable = false) {
    return {std::move(where), std::nullopt, std::move(why), unreadable};
  }
};

// The documents of the selected version, plus the EC2-compatible meta-data
// and the content/NNNN files meta_data.json points at.
struct RawTree {
  std::string source;   // "http://169.254.169.254" or "/dev/sr0"
  std::string version;  // selected: "2018-08-27" or "latest"
  RawDoc meta_data, user_data, vendor_data, vendor_data2, network_data, password;
  Value ec2 = Value::object();  // {} when absent or unreadable
  std::map<std::string, RawDoc> content;  // "content/0000" -> its bytes
};

// The content paths (relative to openstack/) that meta_data.json's `files`
// and `network_config` entries point at, to fetch before BuildInstanceData.
std::vector<std::string> ContentPaths(const Value& meta_data);

// Parses meta_data.json (required: a JSON object with `uuid`); an error
// names the document.
Result<Value> ParseMetaDataJson(std::string_view text, std::string_view where);

// cloud-init's sources.convert_vendordata over a vendor_data(2).json value:
// a string is user-data, a dict gives its `cloud-init` key, a list becomes a
// cloud-config-archive; nullopt when there is nothing (or with a warning
// when the shape is wrong).
std::optional<std::string> ConvertVendorData(const Value& v, std::string_view where, const Logger& log);

// Injected files (meta_data.json `files`: path -> content) from the tree.
struct InjectedFile {
  std::string path;
  std::string content;
};

struct Built {
  InstanceData data;
  std::vector<InjectedFile> files;
};

// read_v2's post-processing and DataSourceOpenStack._get_data: meta-data
// with cloud-init's key copies (local-hostname, instance-id) and defaults,
// public keys, dsmode from meta.dsmode, user-data raw, vendor-data and
// vendor-data2 converted, network_data.json and the EC2 tree kept for
// instance-data. `dsname` is "OpenStack" or "ConfigDrive"; the caller fills
// description and subplatform. A broken optional document is dropped with
// a warning naming it; a broken meta_data.json is an error.
Result<Built> BuildInstanceData(const RawTree& tree, std::string_view dsname, const Logger& log);

// cloud-init's ec2 MetadataLeafDecoder: "" stays "", a JSON object is
// parsed, text with newlines becomes a list of lines, else the text.
Value DecodeEc2Leaf(std::string_view field, std::string_view blob, const Logger& log);

// One EC2 listing line set: leaves (field -> resource path) and children
// (directory names), as MetadataMaterializer._parse reads them
// ("0=mykey" is the leaf "mykey" at "0/openssh-key").
struct Ec2Listing {
  std::vector<std::pair<std::string, std::string>> leaves;
  std::vector<std::string> children;
};
Ec2Listing ParseEc2Listing(std::string_view listing);

}  // namespace nubo::datasources::openstack
