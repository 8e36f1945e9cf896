#include "datasources/openstack_tree.h"

#include <algorithm>

#include "nubo/base64.h"
#include "nubo/sources.h"
#include "nubo/text.h"

namespace nubo::datasources::openstack {
namespace {

// JSON as util.load_json reads it, with the root types it allows.
Result<Value> LoadJson(std::string_view text, std::string_view where, bool any_root) {
  Value v = Value::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_discarded()) return MakeError("'" + std::string(where) + "' is not valid JSON");
  if (any_root ? !(v.is_object() || v.is_array() || v.is_string()) : !v.is_object()) {
    return MakeError("'" + std::string(where) + "': expected " +
                     (any_root ? "a JSON object, list or string" : "a JSON object") + ", got " + TypeName(v));
  }
  return v;
}

std::string StripSlashes(std::string_view p) {
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return std::string(p);
}

}  // namespace

const std::vector<std::string_view>& KnownVersions() {
  static const std::vector<std::string_view> kVersions = {
      "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
      "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
  };
  return kVersions;
}

std::string SelectVersion(const std::vector<std::string>& available) {
  const auto& known = KnownVersions();
  for (auto it = known.rbegin(); it != known.rend(); ++it) {
    if (std::find(available.begin(), available.end(), *it) != available.end()) return std::string(*it);
  }
  return "latest";
}

std::vector<std::string> ListingLines(std::string_view listing) {
  std::vector<std::string> out;
  for (const std::string& line : PySplitLines(listing)) {
    std::string s = PyStrip(line);
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

std::vector<std::string> ContentPaths(const Value& meta_data) {
  std::vector<std::string> out;
  auto add = [&](const Value& item) {
    const Value& p = Get(item, "content_path");
    if (!p.is_string()) return;
    std::string path = StripSlashes(p.get<std::string>());
    if (!path.empty() && std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  };
  const Value& files = Get(meta_data, "files");
  if (files.is_array()) {
    for (const Value& f : files) {
      if (f.is_object() && f.contains("path")) add(f);
    }
  }
  const Value& net = Get(meta_data, "network_config");
  if (net.is_object()) add(net);
  return out;
}

Result<Value> ParseMetaDataJson(std::string_view text, std::string_view where) {
  auto md = LoadJson(text, where, false);
  if (!md) return md.error();
  if (!md->contains("uuid")) return MakeError("'" + std::string(where) + "': no 'uuid' entry in metadata", "uuid");
  return md;
}

std::optional<std::string> ConvertVendorData(const Value& v, std::string_view where, const Logger& log) {
  if (!Truthy(v)) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    // UserDataProcessor takes each string of the list as a part: the same
    // as a cloud-config-archive of parts without a type.
    Value archive = Value::array();
    for (const Value& part : v) {
      if (part.is_string()) archive.push_back({{"content", part}});
      else if (part.is_object()) archive.push_back(part);
    }
    return "#cloud-config-archive\n" + archive.dump() + "\n";
  }
  if (v.is_object()) {
    const Value& ci = Get(v, "cloud-init");
    if (ci.is_object()) {
      log.Warning("invalid content in '" + std::string(where) + "': vendordata['cloud-init'] cannot be dict, ignoring it");
      return std::nullopt;
    }
    if (!Truthy(ci)) return std::nullopt;
    if (ci.is_string()) return ci.get<std::string>();
    if (ci.is_array()) return ConvertVendorData(ci, where, log);
  }
  log.Warning("invalid content in '" + std::string(where) + "': unknown data type " + TypeName(v) + ", ignoring it");
  return std::nullopt;
}

Result<Built> BuildInstanceData(const RawTree& tree, std::string_view dsname, const Logger& log) {
  if (!tree.meta_data.body) {
    return MakeError("missing mandatory path '" + tree.meta_data.where + "'" +
                     (tree.meta_data.problem.empty() ? "" : ": " + tree.meta_data.problem));
  }
  auto parsed = ParseMetaDataJson(*tree.meta_data.body, tree.meta_data.where);
  if (!parsed) return parsed.error();
  Value md = std::move(*parsed);
  Built out;
  InstanceData& d = out.data;

  if (md.contains("random_seed")) {
    const Value& seed = md["random_seed"];
    auto raw = seed.is_string() ? Base64Decode(seed.get<std::string>()) : Result<std::string>(MakeError("not a string"));
    if (!raw) {
      return MakeError("'" + tree.meta_data.where + "': badly formatted metadata random_seed entry: " +
                           raw.error().message,
                       "random_seed");
    }
    // Bytes: instance-data keeps them base64-encoded, as cloud-init does.
    md["random_seed"] = Base64Encode(*raw);
    d.base64_encoded_keys.push_back("ds/meta_data/random_seed");
  }

  const Value& files = Get(md, "files");
  if (files.is_array()) {
    for (const Value& item : files) {
      if (!item.is_object() || !item.contains("path")) continue;
      std::string path = PyStr(item["path"]);
      const Value& cp = Get(item, "content_path");
      std::string rel = cp.is_string() ? StripSlashes(cp.get<std::string>()) : "";
      auto it = tree.content.find(rel);
      if (rel.empty() || it == tree.content.end() || !it->second.body) {
        log.Warning("cannot read injected file '" + path + "' (content_path '" + rel + "')" +
                    (it != tree.content.end() && !it->second.problem.empty() ? ": " + it->second.problem : "") +
                    ", skipping it");
        continue;
      }
      out.files.push_back({path, *it->second.body});
    }
  }

  const Value& meta = Get(md, "meta");
  if (meta.is_object() && meta.contains("dsmode")) d.dsmode = PyStr(meta["dsmode"]);
  else d.dsmode = "net";

  // KEY_COPIES, then the datasource's DEFAULT_METADATA under it.
  if (md.contains("hostname")) md["local-hostname"] = md["hostname"];
  md["instance-id"] = md["uuid"];  // required: DEFAULT_METADATA's id never shows

  d.datasource = std::string(dsname);
  d.platform = "openstack";
  d.instance_id = PyStr(md["instance-id"]);
  const Value& host = Get(md, "local-hostname");
  if (Truthy(host)) d.local_hostname = PyStr(host);
  d.public_keys = NormalizePubkeyData(Get(md, "public_keys"));
  d.meta_data = md;
  d.user_data = tree.user_data.body ? *tree.user_data.body : "";

  auto vendor = [&](const RawDoc& doc) -> std::optional<std::string> {
    if (!doc.body) return std::nullopt;
    auto v = LoadJson(*doc.body, doc.where, true);
    if (!v) {
      log.Warning(v.error().message + ", ignoring it");
      return std::nullopt;
    }
    return ConvertVendorData(*v, doc.where, log);
  };
  d.vendor_data = vendor(tree.vendor_data);
  d.vendor_data2 = vendor(tree.vendor_data2);

  if (tree.network_data.body) {
    auto net = LoadJson(*tree.network_data.body, tree.network_data.where, true);
    if (!net) {
      log.Warning(net.error().message + ", ignoring it");
    } else {
      d.network_data_json = *tree.network_data.body;
      d.ds_extra["network_json"] = *net;
    }
  }
  if (tree.password.body) d.password = *tree.password.body;
  d.ds_extra["ec2_metadata"] = tree.ec2;
  return out;
}

Value DecodeEc2Leaf(std::string_view field, std::string_view blob, const Logger& log) {
  if (blob.empty()) return "";
  std::string text(blob);
  std::string stripped = PyStrip(text);
  if (stripped.size() >= 2 && stripped.front() == '{' && stripped.back() == '}') {
    Value v = Value::parse(stripped, nullptr, false);
    if (!v.is_discarded()) return v;
    log.Warning("field '" + std::string(field) + "' looked like a json object, but it was not");
  }
  if (text.find('\n') != std::string::npos) {
    Value lines = Value::array();
    for (const auto& l : PySplitLines(text)) lines.push_back(l);
    return lines;
  }
  return text;
}

Ec2Listing ParseEc2Listing(std::string_view listing) {
  Ec2Listing out;
  for (const std::string& raw : PySplitLines(listing)) {
    std::string field = PyStrip(raw);
    bool dir = !field.empty() && field.back() == '/';
    std::string name = field;
    while (!name.empty() && name.back() == '/') name.pop_back();
    if (field.empty() || name.empty() || name == "security-credentials") continue;
    if (dir) {
      if (std::find(out.children.begin(), out.children.end(), name) == out.children.end()) {
        out.children.push_back(name);
      }
      continue;
    }
    std::string resource = name;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      std::string ident = name.substr(0, eq);
      bool numeric = !ident.empty() && ident.size() < 10 && std::all_of(ident.begin(), ident.end(), ::isdigit);
      if (numeric) {
        resource = std::to_string(std::stol(ident)) + "/openssh-key";
        name = name.substr(eq + 1);
      }
    }
    // A later duplicate field replaces the earlier one (a dict assignment).
    auto it = std::find_if(out.leaves.begin(), out.leaves.end(), [&](const auto& l) { return l.first == name; });
    if (it != out.leaves.end()) it->second = resource;
    else out.leaves.emplace_back(name, resource);
  }
  return out;
}

}  // namespace nubo::datasources::openstack
