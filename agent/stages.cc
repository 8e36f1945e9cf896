#include "agent/stages.h"

#include "agent/analyze.h"
#include "agent/schema.h"

#include <algorithm>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "agent/config.h"
#include "agent/merge.h"
#include "agent/status.h"
#include "agent/system/http.h"
#include "agent/userdata.h"
#include "nubo/datasource.h"
#include "nubo/sources.h"
#include "nubo/text.h"

namespace nubo::agent {
namespace {

std::string Canonical(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::string StageModeName(Stage stage) {
  switch (stage) {
    case Stage::kInit: return "init";
    case Stage::kConfig: return "modules-config";
    case Stage::kFinal: return "modules-final";
  }
  return "?";
}

const char* SectionKey(Stage stage) {
  switch (stage) {
    case Stage::kInit: return "cloud_init_modules";
    case Stage::kConfig: return "cloud_config_modules";
    case Stage::kFinal: return "cloud_final_modules";
  }
  return "?";
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggest(const std::string& name) {
  std::string best;
  size_t best_d = 3;
  auto consider = [&](std::string_view candidate) {
    size_t d = EditDistance(name, Canonical(candidate));
    if (d < best_d) {
      best_d = d;
      best = Canonical(candidate);
    }
  };
  for (const ModuleSpec* spec : AllModules()) consider(spec->name);
  static const char* const kOthers[] = {
      "users_groups", "ssh", "set_hostname", "update_hostname", "update_etc_hosts", "growpart",
      "resizefs", "set_passwords", "ssh_authkey_fingerprints", "keys_to_console", "locale",
      "timezone", "mounts", "package_update_upgrade_install", "apt_configure", "ntp"};
  for (const char* n : kOthers) consider(n);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// A module with activated_by keys runs only when one of them is in the config.
bool Activated(const ModuleSpec& spec, const Value& merged) {
  return spec.activated_by.empty() ||
         std::any_of(spec.activated_by.begin(), spec.activated_by.end(),
                     [&](std::string_view k) { return merged.contains(std::string(k)); });
}

// "<semaphore>.running": exists while the module runs (see RunOne).
std::string RunningMarker(const std::string& sem) { return sem + ".running"; }

// Semaphore file of a module run, as cloud-init's FileSemaphores names it.
std::optional<std::string> SemaphorePath(const Paths& paths, const std::string& name, Frequency f) {
  std::string sem = "config_" + Canonical(name);
  switch (f) {
    case Frequency::kAlways: return std::nullopt;
    case Frequency::kPerInstance: return paths.InstancePath("sem/" + sem);
    case Frequency::kOnce: return paths.CloudSemDir() + "/" + sem + ".once";
  }
  return std::nullopt;
}

WriteOptions Mode(mode_t m) {
  WriteOptions o;
  o.mode = m;
  return o;
}

}  // namespace

Result<std::vector<ModuleEntry>> ParseModuleList(const Value& list, const std::string& key) {
  std::vector<ModuleEntry> out;
  if (list.is_null()) return out;
  if (!list.is_array()) {
    return MakeError("expected a list of module names, got " + TypeName(list), key);
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const Value& item = list[i];
    std::string at = key + "[" + std::to_string(i) + "]";
    ModuleEntry e;
    const Value* freq = nullptr;
    if (item.is_string()) {
      e.name = item.get<std::string>();
    } else if (item.is_array() && !item.empty() && item[0].is_string()) {
      e.name = item[0].get<std::string>();
      if (item.size() > 1) freq = &item[1];
    } else if (item.is_object() && Get(item, "name").is_string()) {
      e.name = Get(item, "name").get<std::string>();
      if (item.contains("frequency")) freq = &item["frequency"];
    } else {
      return MakeError("expected a module name or [name, frequency], got " + TypeName(item), at);
    }
    if (freq != nullptr && !freq->is_null()) {
      auto f = ParseFrequency(PyStr(*freq));
      if (!f) return MakeError(f.error().message, at);
      e.frequency = *f;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Agent::Agent(System& sys, const Logger& log, AgentOptions options)
    : sys_(sys), log_(log), options_(std::move(options)) {
  if (!options_.console) {
    options_.console = [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
  }
}

std::vector<Value> Agent::ExtraConfigs() {
  std::vector<Value> out;
  for (const auto& f : options_.extra_config_files) {
    out.push_back(ReadConfigFile(sys_, f, config_problems_));
  }
  return out;
}

std::optional<InstanceData> Agent::LoadCachedInstance(const Paths& paths) {
  auto text = sys_.ReadFile(paths.InstanceLink() + "/nubo-instance.json");
  if (!text) return std::nullopt;
  Value j = Value::parse(*text, nullptr, false);
  auto data = InstanceDataFromJson(j);
  if (!data) {
    log_.Warning("ignoring cached instance data: " + data.error().ToString());
    return std::nullopt;
  }
  return std::move(*data);
}

Result<std::optional<InstanceData>> Agent::FindDatasource(const Value& base, const Paths& paths,
                                                          bool local,
                                                          std::vector<std::string>& errors) {
  const Value& list = Get(base, "datasource_list");
  std::vector<std::string> names;
  if (list.is_array()) {
    for (const auto& n : list) names.push_back(PyStr(n));
  } else if (list.is_string()) {
    names.push_back(list.get<std::string>());
  }
  for (const std::string& name : names) {
    bool known = false;
    for (const DatasourceSpec* spec : AllDatasources()) {
      if (spec->name != name) continue;
      known = true;
      if (spec->needs_network == local) continue;
      DatasourceContext ctx{sys_, log_, base, paths, local};
      if (!spec->detect(ctx)) {
        log_.Debug("datasource " + Quote(name) + (local ? " (local)" : " (net)") + ": not detected");
        continue;
      }
      auto data = spec->crawl(ctx);
      if (!data) {
        if (data.error().message.rfind("not found", 0) == 0) {
          log_.Debug("datasource " + Quote(name) + ": " + data.error().ToString());
          continue;
        }
        errors.push_back(data.error().ToString());
        log_.Error("datasource " + Quote(name) + " failed: " + data.error().ToString());
        continue;
      }
      log_.Info("found datasource " + data->description + " (instance-id " + Quote(data->instance_id) + ")");
      return std::optional<InstanceData>(std::move(*data));
    }
    if (!known) log_.Debug("datasource " + Quote(name) + " is not implemented by nubo, skipping");
  }
  return std::optional<InstanceData>();
}

Status Agent::Instancify(const InstanceData& data, Paths& paths, const Value& base) {
  paths.instance_id = data.instance_id;
  std::string idir = paths.InstanceDir();
  if (Status s = sys_.Remove(paths.InstanceLink()); !s.ok()) return s;
  if (Status s = sys_.Symlink(idir, paths.InstanceLink()); !s.ok()) return s;
  for (const char* d : {"handlers", "scripts", "sem"}) {
    if (Status s = sys_.MakeDirs(idir + "/" + d, 0755); !s.ok()) return s;
  }
  std::string ds = data.description;
  // "<class name>: <description>", the class name being the description's
  // first word ("DataSourceNoCloudNet [seed=...]").
  std::string ds_line = ds.substr(0, ds.find(' ')) + ": " + ds;
  auto previous_ds = sys_.ReadFile(idir + "/datasource");
  std::string prev = previous_ds ? *previous_ds : "";
  while (!prev.empty() && (prev.back() == '\n' || prev.back() == ' ')) prev.pop_back();
  if (prev.empty()) prev = ds_line;
  if (Status s = sys_.WriteFile(idir + "/datasource", ds_line + "\n", Mode(0644)); !s.ok()) return s;
  if (Status s = sys_.WriteFile(paths.DataPath("previous-datasource"), prev + "\n", Mode(0644)); !s.ok()) return s;

  auto previous_iid = sys_.ReadFile(paths.DataPath("instance-id"));
  std::string prev_iid = previous_iid ? *previous_iid : "NO_PREVIOUS_INSTANCE_ID";
  while (!prev_iid.empty() && (prev_iid.back() == '\n' || prev_iid.back() == ' ')) prev_iid.pop_back();
  // previous-instance-id first: a crash between the two writes then
  // cannot turn the new id into the "previous" one at the next boot.
  if (Status s = sys_.WriteFile(paths.DataPath("previous-instance-id"), prev_iid + "\n", Mode(0644)); !s.ok()) return s;
  if (Status s = sys_.WriteFile(paths.DataPath("instance-id"), data.instance_id + "\n", Mode(0644)); !s.ok()) return s;
  if (Status s = sys_.WriteFile(paths.RunPath(".instance-id"), data.instance_id + "\n", Mode(0644)); !s.ok()) return s;
  if (prev_iid != data.instance_id) {
    log_.Info("new instance " + Quote(data.instance_id) + " (previous " + Quote(prev_iid) + ")");
  }

  // Our cache of what the datasource returned (root-only: it holds user-data).
  if (Status s = sys_.WriteFile(idir + "/nubo-instance.json", InstanceDataToJson(data).dump(1) + "\n",
                                Mode(0600));
      !s.ok()) {
    return s;
  }
  // /run/cloud-init/instance-data.json: standard keys, no secrets.
  // v1 as sources.DataSource._get_standardized_metadata builds it.
  // cloud_name: meta-data "cloud-name", else the datasource's name
  // (NoCloud and None say "unknown"); cloud_id falls back to the platform.
  std::string platform = !data.platform.empty() ? data.platform : data.datasource == "None" ? "none" : "nocloud";
  const Value& cloud_name = Get(data.meta_data, "cloud-name");
  std::string name = "unknown";
  if (cloud_name.is_string()) {
    name = cloud_name.get<std::string>();
  } else if (!data.platform.empty()) {
    name = data.datasource;
  }
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  Value az = Get(data.meta_data, "availability-zone");
  if (!Truthy(az)) az = Get(data.meta_data, "availability_zone");
  if (!Truthy(az)) az = Get(Get(data.meta_data, "placement"), "availability-zone");
  if (!Truthy(az)) az = nullptr;
  Value v1 = {
      {"cloud_name", name},
      {"cloud_id", name == "unknown" ? platform : name},
      {"instance_id", data.instance_id},
      {"local_hostname", data.local_hostname.empty() ? Value(nullptr) : Value(data.local_hostname)},
      {"platform", platform},
      {"subplatform", data.subplatform},
      {"public_ssh_keys", data.public_keys},
      {"availability_zone", az},
      {"region", Get(data.meta_data, "region")},
      {"distro", Get(Get(base, "system_info"), "distro")},
  };
  for (const char* alias : {"availability-zone", "cloud-name", "instance-id", "local-hostname"}) {
    std::string k = alias;
    std::replace(k.begin(), k.end(), '-', '_');
    v1[alias] = v1[k];
  }
  v1["_beta_keys"] = {"subplatform"};
  Value ds_obj = data.ds_extra.is_object() ? data.ds_extra : Value::object();
  ds_obj["meta_data"] = data.meta_data;
  ds_obj["_doc"] =
      "EXPERIMENTAL: The structure and format of content scoped under the 'ds' key may change in subsequent "
      "releases of cloud-init.";
  Value instance_data = {{"v1", v1}, {"ds", ds_obj}, {"merged_cfg", JsonCompatible(base)}};  // bytes as "ci-b64:..."
  for (auto& [k, v] : v1.items()) instance_data[k] = v;
  std::vector<std::string> b64 = data.base64_encoded_keys;
  std::sort(b64.begin(), b64.end());
  instance_data["base64_encoded_keys"] = b64;
  // process_instance_metadata: every key path whose name is sensitive.
  // OpenStack's admin_pass is one more than cloud-init 22.4 redacts
  // (tests/compat/known-differences.yaml).
  std::vector<std::string> sensitive;
  std::function<void(const Value&, const std::string&)> walk = [&](const Value& obj, const std::string& prefix) {
    for (const auto& [k, v] : obj.items()) {
      std::string path = prefix.empty() ? k : prefix + "/" + k;
      if (k == "merged_cfg" || k == "security-credentials" || (k == "admin_pass" && data.platform == "openstack")) {
        sensitive.push_back(path);
      } else if (v.is_object() && k != "merged_cfg") {
        walk(v, path);
      }
    }
  };
  walk(instance_data, "");
  std::sort(sensitive.begin(), sensitive.end());
  instance_data["sensitive_keys"] = sensitive;
  if (Status s = sys_.WriteFile(paths.RunPath("instance-data-sensitive.json"), instance_data.dump(2) + "\n",
                                Mode(0600));
      !s.ok()) {
    return s;
  }
  // redact_sensitive_keys, for the world-readable copy.
  Value redacted = instance_data;
  for (const std::string& path : sensitive) {
    Value* obj = &redacted;
    auto parts = PySplit(path, '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i) obj = &(*obj)[parts[i]];
    (*obj)[parts.back()] = "redacted for non-root user";
  }
  return sys_.WriteFile(paths.RunPath("instance-data.json"), redacted.dump(2) + "\n", Mode(0644));
}

Status Agent::StoreUserData(const InstanceData& data, const Paths& paths) {
  if (Status s = sys_.WriteFile(paths.InstancePath("user-data.txt"), data.user_data, Mode(0600)); !s.ok()) return s;
  if (data.vendor_data) {
    if (Status s = sys_.WriteFile(paths.InstancePath("vendor-data.txt"), *data.vendor_data, Mode(0600)); !s.ok()) {
      return s;
    }
  }
  if (data.vendor_data2) {
    return sys_.WriteFile(paths.InstancePath("vendor-data2.txt"), *data.vendor_data2, Mode(0600));
  }
  return Status::Ok();
}

// helpers.ConfigMerger's instance configs: vendor2 (OpenStack's dynamic
// vendor data) overrides vendor; both stay under user-data.
static Value MergeVendorConfigs(const Value& vendor2_cc, const Value& vendor_cc) {
  if (!vendor2_cc.is_object() || vendor2_cc.empty()) return vendor_cc;
  return MergeManyDicts({vendor2_cc, vendor_cc});
}

// What "## template: jinja" parts render against: the instance data written
// for this boot.
std::optional<Value> Agent::JinjaData(const Paths& paths) {
  auto text = sys_.ReadFile(paths.RunPath("instance-data-sensitive.json"));
  if (!text) return std::nullopt;
  Value parsed = Value::parse(*text, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::pair<Value, Value> Agent::ConsumeData(const InstanceData& data, const Paths& paths,
                                           const Value& base, std::vector<std::string>& errors) {
  Logger log = log_.Child("user-data");
  IncludeFetcher fetch = [&](const std::string& url) -> Result<std::string> {
    if (url.rfind("file://", 0) == 0) return sys_.ReadFile(url.substr(7));
    if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
      log.Debug("fetching " + Quote(url));
      return HttpGet(url, HttpOptions{});
    }
    return MakeError("cannot fetch " + Quote(url) + ": only file://, http:// and https:// are supported");
  };
  Value user_cc = Value::object();
  Value vendor_cc = Value::object();
  auto write_scripts = [&](const std::vector<ScriptPart>& parts, const std::string& dir) {
    for (const auto& p : parts) {
      std::string path = dir + "/" + p.filename;
      Status s = sys_.WriteFile(path, p.content, Mode(0700));
      if (!s.ok()) log.Error("cannot write script: " + s.error().ToString());
      else log.Info("wrote script " + Quote(path));
    }
  };
  std::optional<Value> jinja_data = JinjaData(paths);
  auto consume = [&](const std::string& raw, const std::string& source, bool vendor) {
    auto processed = ProcessUserData(raw, source, fetch, jinja_data ? &*jinja_data : nullptr);
    if (!processed) {
      // cloud-init 22.4 fails the whole init stage here (a failed #include,
      // a gzip part that does not decompress). nubo records the error the
      // same way but still runs the init modules, so SSH keys from
      // meta-data get installed.
      std::string msg = source + ": " + processed.error().ToString() + ", skipping " + source;
      log.Error(msg);
      errors.push_back(msg);
      return Value(Value::object());
    }
    for (const auto& w : processed->warnings) log.Warning(w);
    std::string base_name = (source == "vendor-data2" ? std::string("vendor-data2") : vendor ? "vendor-data" : "user-data") + ".txt.i";
    (void)sys_.WriteFile(paths.InstancePath(base_name), processed->processed_mime, Mode(0600));
    std::string scripts_dir = paths.InstancePath(vendor ? "scripts/vendor" : "scripts");
    write_scripts(processed->scripts, scripts_dir);
    if (!vendor) {
      write_scripts(processed->per_boot, paths.ScriptsDir("per-boot"));
      write_scripts(processed->per_instance, paths.ScriptsDir("per-instance"));
      write_scripts(processed->per_once, paths.ScriptsDir("per-once"));
    }
    for (const auto& hook : processed->boothooks) {
      std::string path = paths.InstancePath("boothooks/" + hook.filename);
      if (Status s = sys_.WriteFile(path, hook.content, Mode(0700)); !s.ok()) {
        log.Error("cannot write boothook: " + s.error().ToString());
        continue;
      }
      Command c;
      c.argv = {path};
      c.env = {"INSTANCE_ID=" + data.instance_id};
      c.to_output_log = true;
      log.Info("running boothook " + Quote(path));
      auto r = sys_.Run(c);
      if (!r) log.Warning("boothook " + Quote(path) + " failed: " + r.error().ToString());
      else if (r->exit_code != 0) log.Warning("boothook " + Quote(path) + " exited with " + std::to_string(r->exit_code));
    }
    return processed->cloud_config;
  };
  user_cc = consume(data.user_data, "user-data", false);
  std::string cc_text = "#cloud-config\n" + DumpYaml(user_cc) + "\n";  // bytes stay !!binary
  if (Status s = sys_.WriteFile(paths.InstancePath("cloud-config.txt"), cc_text, Mode(0600)); !s.ok()) {
    log.Error(s.error().ToString());
  }
  // Vendor data (and OpenStack's vendor_data2, which overrides it) can be
  // switched off by the system or the user.
  Value merged_no_vendor = MergeConfig(base, data.config, Value::object(), user_cc, {});
  auto vendor = [&](const std::optional<std::string>& raw, const std::string& source, const char* cfg_key,
                    const char* cc_file) -> Value {
    if (!raw || raw->empty()) return Value::object();
    const Value& vd = Get(merged_no_vendor, cfg_key);
    bool enabled = vd.is_object() ? TranslateBool(Get(vd, "enabled").is_null() ? Value(true) : Get(vd, "enabled"))
                                  : true;
    if (!enabled) {
      log.Info(source + " is disabled by '" + cfg_key + ".enabled', skipping it");
      return Value::object();
    }
    Value cc = consume(*raw, source, true);
    (void)sys_.WriteFile(paths.InstancePath(cc_file), "#cloud-config\n" + DumpYaml(cc) + "\n", Mode(0600));
    return cc;
  };
  vendor_cc = vendor(data.vendor_data, "vendor-data", "vendor_data", "vendor-cloud-config.txt");
  Value vendor2_cc = vendor(data.vendor_data2, "vendor-data2", "vendor_data2", "vendor2-cloud-config.txt");
  return {user_cc, MergeVendorConfigs(vendor2_cc, vendor_cc)};
}

Value Agent::ReadInstanceConfig(const Paths& paths, const std::string& name) {
  std::vector<std::string> problems;
  Value v = ReadConfigFile(sys_, paths.InstancePath(name), problems);
  for (const auto& p : problems) log_.Warning(p);
  return v;
}

int Agent::Init(bool local) {
  std::string mode = local ? "init-local" : "init";
  Logger log = log_;
  config_problems_.clear();
  Value base = LoadBaseConfig(sys_, config_problems_);
  Paths paths = Paths::FromConfig(base);
  StageStatus status(sys_, paths);
  if (Status s = status.Begin(mode, sys_.Now()); !s.ok()) {
    log.Error("cannot write status: " + s.error().ToString());
    return 1;
  }
  log.Info("nubo " NUBO_VERSION " running '" + mode + "' at " + std::to_string(sys_.Now()) +
           ". Up " + std::to_string(sys_.Uptime()) + " seconds.");
  for (const auto& p : config_problems_) log.Warning(p);
  std::vector<std::string> errors;
  for (const std::string& d : {paths.cloud_dir, paths.cloud_dir + "/scripts", paths.ScriptsDir("per-instance"),
                               paths.ScriptsDir("per-once"), paths.ScriptsDir("per-boot"),
                               paths.ScriptsDir("vendor"), paths.SeedDir(), paths.cloud_dir + "/instances",
                               paths.cloud_dir + "/handlers", paths.CloudSemDir(), paths.cloud_dir + "/data",
                               paths.run_dir + "/sem"}) {
    if (Status s = sys_.MakeDirs(d, 0755); !s.ok()) {
      log.Error("cannot create state directory: " + s.error().ToString());
      (void)status.Finish(mode, {s.error().ToString()}, std::nullopt, sys_.Now());
      return 1;
    }
  }
  std::optional<InstanceData> data;
  bool from_this_boot = false;  // found by init-local in this boot
  if (local) {
    (void)sys_.Remove(paths.InstanceLink() + "/boot-finished");
    auto found = FindDatasource(base, paths, true, errors);
    if (found.ok()) data = std::move(*found);
    if (!data) {
      log.Debug("no local datasource found");
      net::ApplyNetworkConfig(sys_, log_.Child("network"), base, nullptr, paths, options_.network, errors);
      (void)status.Finish(mode, errors, std::nullopt, sys_.Now());
      return static_cast<int>(errors.size());
    }
  } else {
    data = LoadCachedInstance(paths);
    std::string cached_iid;
    if (auto t = sys_.ReadFile(paths.RunPath(".instance-id"))) cached_iid = *t;
    if (data && cached_iid.empty()) data.reset();  // cached from an earlier boot: look again
    from_this_boot = data.has_value();
    if (data) {
      log.Debug("using datasource found by init-local: " + data->description);
    } else {
      auto found = FindDatasource(base, paths, false, errors);
      if (found.ok()) data = std::move(*found);
      if (!data) {
        net::ApplyNetworkConfig(sys_, log_.Child("network"), base, nullptr, paths, options_.network, errors);
        log.Error("no instance datasource found");
        errors.push_back("No instance datasource found.");
        (void)status.Finish(mode, errors, std::nullopt, sys_.Now());
        return static_cast<int>(errors.size());
      }
    }
  }
  if (!from_this_boot) {
    if (Status s = Instancify(*data, paths, base); !s.ok()) {
      log.Error("cannot record the instance: " + s.error().ToString());
      errors.push_back(s.error().ToString());
      (void)status.Finish(mode, errors, data->description, sys_.Now());
      return static_cast<int>(errors.size());
    }
  } else {
    paths.instance_id = data->instance_id;
  }
  if (local) SetHostnameEarly(*data, paths, base);
  // Rendered before the network comes up; the net stage renders only what
  // it found itself (init-local already did for its datasource).
  if (local || !from_this_boot) {
    net::ApplyNetworkConfig(sys_, log_.Child("network"), EarlyConfig(*data, paths, base), &*data, paths,
                            options_.network, errors);
  }
  if (local && !from_this_boot) PrepareInitModules(*data, paths, base);
  std::string ds_mode = data->dsmode.empty() ? "net" : data->dsmode;
  if (local && ds_mode != "local") {
    log.Debug("datasource " + data->description + " is not in local mode; the network stage applies it");
    (void)status.Finish(mode, errors, data->description, sys_.Now());
    return static_cast<int>(errors.size());
  }
  if (!local && ds_mode == "local") {
    log.Debug("datasource " + data->description + " was applied by init-local");
    (void)status.Finish(mode, errors, data->description, sys_.Now());
    return static_cast<int>(errors.size());
  }
  if (Status s = StoreUserData(*data, paths); !s.ok()) {
    log.Error("cannot store user-data: " + s.error().ToString());
    errors.push_back(s.error().ToString());
  }
  auto [user_cc, vendor_cc] = ConsumeData(*data, paths, base, errors);
  Value merged = MergeConfig(base, data->config, vendor_cc, user_cc, ExtraConfigs());
  for (const auto& p : config_problems_) log.Warning(p);
  config_problems_.clear();
  // As cloud-init's main_init: the merged config against the modules'
  // declarations. Deprecations are one warning with the details; errors one
  // warning with cloud-init's text and only the paths at fault, never their
  // values (as cloud-init's log_details=False: a value may be a password).
  if (!data->user_data.empty()) {
    SchemaReport schema = CheckConfigSchema(merged);
    if (!schema.deprecations.empty()) {
      std::string details;
      for (const auto& p : schema.deprecations) details += "\n" + p.path + ": " + p.message;
      log.Warning("Deprecated cloud-config provided:" + details);
    }
    std::string at;
    for (size_t i = 0; i < schema.errors.size(); ++i) {  // sorted by path: repeats are adjacent
      if (i == 0 || schema.errors[i].path != schema.errors[i - 1].path) {
        at += (at.empty() ? "" : ", ") + schema.errors[i].path;
      }
    }
    if (!at.empty()) {
      log.Warning("Invalid cloud-config provided: Please run 'sudo cloud-init schema --system' to see the schema "
                  "errors. (at " + at + ")");
    }
  }
  auto entries = ParseModuleList(Get(merged, "cloud_init_modules"), "cloud_init_modules");
  if (!entries) {
    log.Error(entries.error().ToString());
    errors.push_back(entries.error().ToString());
  } else {
    SectionResult r = RunSection(*entries, Stage::kInit, merged, *data, paths);
    errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  }
  (void)status.Finish(mode, errors, data->description, sys_.Now());
  return static_cast<int>(errors.size());
}

// cloud-init 22.4's _maybe_set_hostname: in init --local, before any
// user-data is read, the hostname from meta-data (or the system config) is
// applied by set_hostname whether or not a module list names it. So
// user-data's preserve_hostname or hostname cannot undo it on first boot.
//
// cloud-init's init.cfg there also holds the current instance's
// cloud-config.txt when an earlier boot of the same instance wrote one, so
// on a reboot user-data's hostname stays (its set_hostname sees no change).
void Agent::SetHostnameEarly(const InstanceData& data, const Paths& paths, const Value& base) {
  Value cfg = EarlyConfig(data, paths, base);
  bool named = !data.local_hostname.empty() || TranslateBool(Get(cfg, "hostname")) ||
               TranslateBool(Get(cfg, "fqdn"));
  const ModuleSpec* spec = FindModule("set_hostname");
  if (!named || spec == nullptr) return;
  Logger mlog = log_.Child("set_hostname");
  ModuleContext ctx{std::string(spec->name), cfg, data, sys_, mlog, paths, Frequency::kAlways,
                    options_.dry_run, options_.console, NUBO_VERSION};
  Status s = spec->run(ctx);
  if (!s.ok()) {
    mlog.Debug("failed setting hostname in init-local, set_hostname tries again in init: " +
               s.error().ToString());
  }
}

// The config init will merge, predicted without side effects: user- and
// vendor-data processed with no #include fetched, no boothook run, no file
// written. A part that cannot be processed so predicts nothing: no module
// prepares. Modules whose semaphore says they ran (a reboot) are left out.
void Agent::PrepareInitModules(const InstanceData& data, const Paths& paths, const Value& base) {
  Logger log = log_.Child("prepare");
  IncludeFetcher no_fetch = [](const std::string& url) -> Result<std::string> {
    return MakeError("init-local fetches no #include (" + url + ")");
  };
  std::optional<Value> jinja_data = JinjaData(paths);
  auto predict = [&](const std::optional<std::string>& raw, const char* source) -> std::optional<Value> {
    if (!raw || raw->empty()) return Value(Value::object());
    auto p = ProcessUserData(*raw, source, no_fetch, jinja_data ? &*jinja_data : nullptr);
    if (!p) {
      log.Debug(std::string(source) + " not predicted in init-local: " + p.error().ToString());
      return std::nullopt;
    }
    return p->cloud_config;
  };
  auto user_cc = predict(data.user_data, "user-data");
  auto vendor_cc = predict(data.vendor_data, "vendor-data");
  auto vendor2_cc = predict(data.vendor_data2, "vendor-data2");
  if (!user_cc || !vendor_cc || !vendor2_cc) return;
  Value merged = MergeConfig(base, data.config, MergeVendorConfigs(*vendor2_cc, *vendor_cc), *user_cc,
                             ExtraConfigs());
  auto entries = ParseModuleList(Get(merged, "cloud_init_modules"), "cloud_init_modules");
  if (!entries) return;
  for (const ModuleEntry& e : *entries) {
    const ModuleSpec* spec = FindModule(e.name);
    if (spec == nullptr || spec->prepare == nullptr || !Activated(*spec, merged)) continue;
    std::string name(spec->name);
    Frequency freq = e.frequency.value_or(spec->frequency);
    auto sem = SemaphorePath(paths, name, freq);
    if (sem && sys_.Exists(*sem) && !sys_.Exists(RunningMarker(*sem))) continue;
    Logger mlog = log_.Child(name);
    ModuleContext ctx{name, merged, data, sys_, mlog, paths, freq, options_.dry_run, options_.console,
                      NUBO_VERSION};
    Status s = spec->prepare(ctx);
    if (!s.ok()) mlog.Debug("prepare failed, the module does it all when it runs: " + s.error().ToString());
  }
}

Value Agent::EarlyConfig(const InstanceData& data, const Paths& paths, const Value& base) {
  Value user_cc = Value::object(), vendor_cc = Value::object();
  if (sys_.Exists(paths.InstancePath("cloud-config.txt"))) {
    user_cc = ReadInstanceConfig(paths, "cloud-config.txt");
    vendor_cc = MergeVendorConfigs(ReadInstanceConfig(paths, "vendor2-cloud-config.txt"),
                                   ReadInstanceConfig(paths, "vendor-cloud-config.txt"));
  }
  return MergeConfig(base, data.config, vendor_cc, user_cc, {});
}

Agent::Loaded Agent::LoadForModules() {
  Loaded l;
  config_problems_.clear();
  l.base = LoadBaseConfig(sys_, config_problems_);
  l.paths = Paths::FromConfig(l.base);
  l.instance = LoadCachedInstance(l.paths);
  Value user_cc = Value::object(), vendor_cc = Value::object(), ds_cfg = Value::object();
  if (l.instance) {
    l.paths.instance_id = l.instance->instance_id;
    user_cc = ReadInstanceConfig(l.paths, "cloud-config.txt");
    vendor_cc = MergeVendorConfigs(ReadInstanceConfig(l.paths, "vendor2-cloud-config.txt"),
                                   ReadInstanceConfig(l.paths, "vendor-cloud-config.txt"));
    ds_cfg = l.instance->config;
  }
  l.merged = MergeConfig(l.base, ds_cfg, vendor_cc, user_cc, ExtraConfigs());
  return l;
}

Result<std::vector<ModuleEntry>> Agent::SectionEntries(Stage stage) {
  Loaded l = LoadForModules();
  return ParseModuleList(Get(l.merged, SectionKey(stage)), SectionKey(stage));
}

int Agent::Modules(Stage stage) {
  std::string mode = StageModeName(stage);
  Loaded l = LoadForModules();
  StageStatus status(sys_, l.paths);
  if (Status s = status.Begin(mode, sys_.Now()); !s.ok()) {
    log_.Error("cannot write status: " + s.error().ToString());
    return 1;
  }
  log_.Info("nubo " NUBO_VERSION " running 'modules:" + std::string(stage == Stage::kConfig ? "config" : "final") +
            "'. Up " + std::to_string(sys_.Uptime()) + " seconds.");
  for (const auto& p : config_problems_) log_.Warning(p);
  std::vector<std::string> errors;
  if (!l.instance) {
    std::string msg = "Can not apply stage " + std::string(stage == Stage::kConfig ? "config" : "final") +
                      ", no datasource found! Likely bad things to come!";
    log_.Error(msg);
    errors.push_back(msg);
    (void)status.Finish(mode, errors, std::nullopt, sys_.Now());
    return 1;
  }
  auto entries = ParseModuleList(Get(l.merged, SectionKey(stage)), SectionKey(stage));
  if (!entries) {
    log_.Error(entries.error().ToString());
    errors.push_back(entries.error().ToString());
  } else {
    SectionResult r = RunSection(*entries, stage, l.merged, *l.instance, l.paths);
    errors = r.errors;
  }
  (void)status.Finish(mode, errors, l.instance->description, sys_.Now());
  return static_cast<int>(errors.size());
}

int Agent::Single(const std::string& name, std::optional<Frequency> frequency) {
  Loaded l = LoadForModules();
  for (const auto& p : config_problems_) log_.Warning(p);
  const ModuleSpec* spec = FindModule(name);
  if (spec == nullptr) {
    log_.Error("module " + Quote(name) + " is not implemented by nubo" + Suggest(Canonical(name)));
    return 1;
  }
  if (!l.instance) {
    log_.Error("no datasource found: run 'init' first");
    return 1;
  }
  SectionResult r;
  RunOne(*spec, frequency, l.merged, *l.instance, l.paths, r);
  return r.errors.empty() ? 0 : 1;
}

SectionResult Agent::RunSection(const std::vector<ModuleEntry>& entries, Stage stage, const Value& merged,
                                const InstanceData& instance, const Paths& paths) {
  SectionResult result;
  for (const ModuleEntry& e : entries) {
    const ModuleSpec* spec = FindModule(e.name);
    std::string canonical = Canonical(e.name);
    if (spec == nullptr) {
      const auto* keys = KnownCloudInitModuleKeys(canonical);
      if (keys == nullptr) {
        log_.Warning("could not find module named " + Quote(e.name) + Suggest(canonical) + ", skipping");
      } else {
        std::string asked;
        for (const auto& k : *keys) {
          if (merged.is_object() && merged.contains(k)) asked = k;
        }
        if (!asked.empty()) {
          log_.Warning("module " + Quote(e.name) + " is not implemented by nubo; its config " + Quote(asked) +
                       " is ignored, skipping");
        } else {
          log_.Info("module " + Quote(e.name) + " is not implemented by nubo, skipping");
        }
      }
      result.skipped.push_back(e.name);
      continue;
    }
    if (spec->stage != stage) {
      log_.Debug("module " + Quote(e.name) + " listed in " + SectionKey(stage) + " runs there");
    }
    RunOne(*spec, e.frequency, merged, instance, paths, result);
  }
  log_.Debug("ran " + std::to_string(result.ran.size()) + " modules with " +
             std::to_string(result.errors.size()) + " failures");
  return result;
}

void Agent::RunOne(const ModuleSpec& spec, std::optional<Frequency> override_freq, const Value& merged,
                   const InstanceData& instance, const Paths& paths, SectionResult& result) {
  std::string name(spec.name);
  Logger mlog = log_.Child(name);
  if (!Activated(spec, merged)) {
    mlog.Debug("skipping: no applicable config is provided");
    return;
  }
  if (!spec.distros.empty()) {
    // As 22.4's run_section; cloud-init's built-in system_info.distro is ubuntu.
    const Value& d = Get(Get(merged, "system_info"), "distro");
    std::string distro = d.is_string() ? d.get<std::string>() : "ubuntu";
    if (std::find(spec.distros.begin(), spec.distros.end(), distro) == spec.distros.end()) {
      const Value& forced = Get(merged, "unverified_modules");
      bool listed = forced.is_array() && std::any_of(forced.begin(), forced.end(), [&](const Value& v) {
                      return v.is_string() && Canonical(v.get<std::string>()) == name;
                    });
      if (!listed) {
        mlog.Info("skipping: not verified on distro " + Quote(distro) +
                  ". To run anyway, add it to 'unverified_modules' in config.");
        return;
      }
      mlog.Info("running unverified module on distro " + Quote(distro));
    }
  }
  Frequency freq = override_freq.value_or(spec.frequency);
  auto sem = SemaphorePath(paths, name, freq);
  // "<semaphore>.running" exists while the module runs: a module killed
  // part-way (power cut, OOM kill) left it behind and runs again, once.
  std::string running = sem ? RunningMarker(*sem) : "";
  if (sem && sys_.Exists(*sem)) {
    if (!sys_.Exists(running)) {
      mlog.Debug("already ran (freq=" + std::string(FrequencyName(freq)) + ")");
      return;
    }
    mlog.Warning("was interrupted at an earlier boot (started, never finished), running it again");
  }
  // As cloud-init: the semaphore is taken before the module runs, so a
  // module that failed is not retried on the next boot of the instance.
  if (sem) {
    std::string content = std::to_string(getpid()) + ": " + std::to_string(sys_.Now()) + "\n";
    Status s = sys_.WriteFile(running, content, Mode(0644));
    if (s.ok()) s = sys_.WriteFile(*sem, content, Mode(0644));
    if (!s.ok()) {
      mlog.Error("cannot write semaphore: " + s.error().ToString());
      result.errors.push_back("('" + name + "', RuntimeError(" + PyStrRepr(s.error().ToString()) + "))");
      return;
    }
  }
  ModuleContext ctx{name,  merged, instance, sys_, mlog, paths, freq, options_.dry_run,
                    options_.console, NUBO_VERSION};
  // cloud-init's reporting events, for `analyze` (agent/analyze.h).
  std::string event = EventStageName(log_.prefix()) + "/config-" + name;
  log_.Debug("start: " + event + ": running config-" + name + " with frequency " +
             std::string(FrequencyName(freq)));
  double start = sys_.Uptime();
  Status status;
  try {
    status = spec.run(ctx);
  } catch (const std::exception& e) {
    status = MakeError(std::string("unexpected exception: ") + e.what());
  }
  result.ran.push_back(name);
  if (sem) {
    if (Status s = sys_.Remove(running); !s.ok()) mlog.Warning("cannot remove " + s.error().ToString());
  }
  log_.Debug("finish: " + event + ": " +
             (status.ok() ? "SUCCESS: config-" + name + " ran successfully" : "FAIL: running config-" + name + " failed"));
  char took[32];
  std::snprintf(took, sizeof(took), "%.3f", sys_.Uptime() - start);
  if (!status.ok()) {
    mlog.Error("module failed: " + status.error().ToString());
    result.errors.push_back("('" + name + "', RuntimeError(" + PyStrRepr(status.error().ToString()) + "))");
  } else {
    mlog.Debug(std::string("ran in ") + took + "s");
  }
}

}  // namespace nubo::agent
