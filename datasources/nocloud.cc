// nocloud.cc — the NoCloud datasources, after cloud-init 22.4.2's
// sources/DataSourceNoCloud.py (behaviour studied, code our own).
//
// Where the data comes from, merged in this order. For meta-data the FIRST
// source that has a key wins (util.mergemanydict); user-data and
// vendor-data are REPLACED by each later seed that has them:
//   1. "dmi": ds=nocloud;... in the SMBIOS system serial
//   2. "cmdline": ds=nocloud;... on the kernel command line
//      (so the serial beats the command line for the same key)
//   3. the first of <seed>/nocloud and <seed>/nocloud-net holding both
//      meta-data and user-data
//   4. "ds_config_seedfrom": datasource.NoCloud.seedfrom (overwrites any
//      seedfrom found so far)
//   5. "ds_config": datasource.NoCloud.{meta-data,user-data} (both needed)
//   6. the first iso9660/vfat filesystem labelled cidata/CIDATA (or
//      datasource.NoCloud.fs_label; null disables), highest device name
//      first, that holds meta-data and user-data
//   7. seedfrom (from any of the above): meta-data merged under what we
//      have, user-data and vendor-data replaced
//   8. defaults {instance-id: nocloud, dsmode: net} merged under everything.
// So the instance-id comes from the serial, then the command line, then
// the seed dir, ds config, cidata, seedfrom, and finally "nocloud" (not
// "iid-dsnocloud": that is not in 22.4.2).
//
// dsmode (sources._determine_dsmode and cmd/main.py main_init): the local
// datasource is claimed in init --local whatever its dsmode; the local stage
// then writes the instance link and network config and, when dsmode is not
// "local", stops before user-data and init modules. The network stage
// restores the datasource found locally (existing="trust") and goes on only
// when its dsmode is "net"; a dsmode "local" datasource has done everything
// in the local stage and the network stage exits at once. NoCloudNet is
// only searched when the local stage found nothing — in practice when the
// seedfrom is http(s), which the local class refuses ("not found").
// Note that ds=nocloud itself means dsmode=local (unless the command line
// says dsmode=...), and it beats a seed's dsmode: cmdline meta-data wins.
// A dsmode "disabled" makes both classes decline ("not found"); an unknown
// dsmode is warned about and taken as "net".
//
// Deliberate difference: cloud-init's util.load_yaml only warns about a
// meta-data file that is not valid YAML or not a dict, then carries on as
// if it were empty (instance-id "nocloud"). Here that is an error naming
// the file, line and column: booting a broken seed as instance "nocloud"
// hides the mistake. A broken network-config is dropped with a warning, as
// cloud-init does.
#include "datasources/nocloud.h"

#include <map>

#include "nubo/limits.h"
#include "nubo/sources.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace nubo::datasources::nocloud {
namespace {

constexpr std::string_view kDefaultInstanceId = "nocloud";
constexpr std::string_view kDefaultDsmode = "net";

Error NotFound(std::string why) { return MakeError("not found: " + why); }

// Python truthiness of a loaded YAML value.
bool IsPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

// str.split() with no argument: runs of whitespace separate, none empty.
std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsPySpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsPySpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// str.splitlines(): \n, \r, \r\n, \v, \f, \x1c-\x1e and the UTF-8 forms of
// U+0085, U+2028, U+2029 end a line; no empty line after a final break.

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// sources.parse_cmdline_data for one ds id ("ds=nocloud").
bool ParseCmdlineData(std::string_view ds_id, std::string_view cmdline, Value* fill) {
  std::string padded = " " + std::string(cmdline) + " ";
  std::string id(ds_id);
  if (padded.find(" " + id + " ") == std::string::npos &&
      padded.find(" " + id + ";") == std::string::npos) {
    return false;
  }
  // The last token that starts with the id gives the arguments; note that
  // "ds=nocloud-net;..." starts with "ds=nocloud" too.
  std::string_view argline;
  for (std::string_view tok : SplitWhitespace(padded)) {
    if (tok.starts_with(id)) argline = tok.substr(tok.find('=') + 1);
  }
  std::vector<std::string_view> parts = Split(argline, ';');
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view item = parts[i];
    if (item.empty()) continue;
    std::string key;
    Value value;  // null when the item has no '='
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      key = std::string(item);
    } else {
      key = std::string(item.substr(0, eq));
      value = std::string(item.substr(eq + 1));
    }
    if (key == "h") key = "local-hostname";
    if (key == "i") key = "instance-id";
    if (key == "s") key = "seedfrom";
    (*fill)[key] = std::move(value);
  }
  return true;
}

// _determine_dsmode([meta-data dsmode]) with the default "net".
std::string DetermineDsmode(const Value& candidate, const Logger& log) {
  if (candidate.is_null()) return std::string(kDefaultDsmode);
  if (candidate.is_string()) {
    const auto& s = candidate.get_ref<const std::string&>();
    if (s == "disabled" || s == "local" || s == "net") return s;
  }
  log.Warning("invalid dsmode " + Quote(PyStr(candidate)) +
              ", using default=" + std::string(kDefaultDsmode));
  return std::string(kDefaultDsmode);
}

// What _get_data accumulates in `mydata` and `found`.
struct Accumulated {
  Value meta_data = Value::object();
  std::string user_data;
  std::optional<std::string> vendor_data;
  std::optional<std::string> network_config;
  std::vector<std::string> found;
};

// _merge_new_seed for a seed that has user-data (a directory, a device, the
// ds config).
void MergeNewSeed(Accumulated* acc, const Seed& seed) {
  acc->meta_data = MergeFirstWins(acc->meta_data, seed.meta_data);
  if (seed.network_config_seen) acc->network_config = seed.network_config;
  acc->user_data = seed.user_data;
  if (seed.vendor_data) acc->vendor_data = seed.vendor_data;
}

// Loads network-config only to check it the way load_yaml does: a YAML
// dict is kept raw; anything else is dropped with a warning.
std::optional<std::string> CheckNetworkConfig(std::string text, std::string_view file,
                                              const Logger& log) {
  auto parsed = ParseYaml(text, file);
  if (!parsed) {
    log.Warning(parsed.error().ToString() + ", ignoring network-config");
    return std::nullopt;
  }
  if (parsed->is_null()) return std::nullopt;
  if (!parsed->is_object()) {
    log.Warning(std::string(file) + ": expected a dict, got " + TypeName(*parsed) +
                ", ignoring network-config");
    return std::nullopt;
  }
  return text;
}

InstanceData Finish(Accumulated acc, bool net, const Logger& log, std::string* dsmode_out) {
  Value defaults = {{"instance-id", std::string(kDefaultInstanceId)},
                    {"dsmode", std::string(kDefaultDsmode)}};
  acc.meta_data = MergeFirstWins(acc.meta_data, defaults);
  std::string dsmode = DetermineDsmode(Get(acc.meta_data, "dsmode"), log);
  *dsmode_out = dsmode;

  std::string seed;
  for (const auto& f : acc.found) seed += (seed.empty() ? "" : ",") + f;

  InstanceData d;
  d.datasource = "NoCloud";
  d.description = std::string(net ? "DataSourceNoCloudNet" : "DataSourceNoCloud") +
                  " [seed=" + seed + "][dsmode=" + dsmode + "]";
  // _get_subplatform: only a seed string starting "/dev" is a config disk
  // ("cmdline,/dev/sr0" is reported as a seed dir, as in cloud-init).
  d.subplatform =
      std::string(seed.starts_with("/dev") ? "config-disk" : "seed-dir") + " (" + seed + ")";
  d.dsmode = dsmode;
  d.instance_id = PyStr(acc.meta_data["instance-id"]);  // get_instance_id: str()
  const Value& hostname = Get(acc.meta_data, "local-hostname");
  if (Truthy(hostname)) d.local_hostname = PyStr(hostname);
  d.public_keys = NormalizePubkeyData(Get(acc.meta_data, "public-keys"));
  d.meta_data = std::move(acc.meta_data);
  d.user_data = std::move(acc.user_data);
  d.vendor_data = std::move(acc.vendor_data);
  d.network_config = std::move(acc.network_config);
  return d;
}

Result<InstanceData> FinishOrDecline(Accumulated acc, bool net, const Logger& log) {
  std::string dsmode;
  InstanceData d = Finish(std::move(acc), net, log, &dsmode);
  if (dsmode == "disabled") {
    log.Debug(d.description + ": not claiming datasource, dsmode=disabled");
    return NotFound("dsmode is 'disabled'");
  }
  return d;
}

// --- reading through System ---

SeedReader MakeReader(std::function<Result<std::string>(const std::string&)> read,
                      std::string dir) {
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  return [read = std::move(read),
          dir = std::move(dir)](const std::string& name) -> Result<std::optional<std::string>> {
    auto r = read(dir + "/" + name);
    if (!r) {
      if (r.error().errno_value == ENOENT) return std::optional<std::string>();
      return r.error();
    }
    return std::optional<std::string>(std::move(*r));
  };
}

const Value& DsConfig(const Value& config) {
  static const Value kEmpty = Value::object();
  const Value& c = Get(Get(config, "datasource"), "NoCloud");
  return c.is_object() ? c : kEmpty;
}

std::vector<std::string> SeedDirs(const Paths& paths) {
  return {paths.SeedDir() + "/nocloud", paths.SeedDir() + "/nocloud-net"};
}

// _get_devices: iso9660 or vfat filesystems labelled LABEL or label,
// highest device name first.
std::vector<BlockDevice> CidataDevices(System& sys, const std::string& label, const Logger& log) {
  std::vector<std::string> labels = {Upper(label)};
  if (Lower(label) != labels[0]) labels.push_back(Lower(label));
  std::vector<BlockDevice> out;
  auto found = sys.FindFilesystems(labels);
  if (!found) {
    log.Warning(found.error().message + ", not looking for a '" + label + "' filesystem");
    return out;
  }
  for (BlockDevice& dev : *found) {
    if (dev.fstype != "iso9660" && dev.fstype != "vfat") continue;
    if (std::find(labels.begin(), labels.end(), dev.label) == labels.end()) continue;
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const BlockDevice& o) { return o.devname == dev.devname; });
    if (!dup) out.push_back(std::move(dev));
  }
  std::sort(out.begin(), out.end(),
            [](const BlockDevice& a, const BlockDevice& b) { return a.devname > b.devname; });
  return out;
}

// The label to look for; nullopt when fs_label is null (search disabled).
std::optional<std::string> FsLabel(const Value& ds_cfg) {
  if (!ds_cfg.contains("fs_label")) return std::string("cidata");
  const Value& v = ds_cfg["fs_label"];
  if (v.is_null()) return std::nullopt;
  return v.is_string() ? v.get<std::string>() : PyStr(v);
}

// datasource.NoCloud.{meta-data,user-data,vendor-data,network-config}.
Result<Seed> SeedFromConfig(const Value& ds_cfg, const Logger& log) {
  constexpr std::string_view kPrefix = "datasource.NoCloud.";
  Seed seed;
  const Value& md = ds_cfg["meta-data"];
  if (md.is_object()) {
    seed.meta_data = md;
  } else if (md.is_string()) {
    seed.meta_data = LoadMetaData(md.get<std::string>(), std::string(kPrefix) + "meta-data", log);
  } else if (!md.is_null()) {
    return MakeError("expected a dict or a string, got " + TypeName(md),
                     std::string(kPrefix) + "meta-data");
  }
  for (const char* name : {"user-data", "vendor-data"}) {
    if (!ds_cfg.contains(name)) continue;
    const Value& v = ds_cfg[name];
    if (!v.is_string()) {
      return MakeError("expected a string, got " + TypeName(v), std::string(kPrefix) + name);
    }
    if (name == std::string_view("user-data")) {
      seed.user_data = v.get<std::string>();
    } else {
      seed.vendor_data = v.get<std::string>();
    }
  }
  const Value& nc = Get(ds_cfg, "network-config");
  if (Truthy(nc)) {
    seed.network_config_seen = true;
    if (nc.is_object()) {
      seed.network_config = nc.dump(2);  // JSON is YAML
    } else if (nc.is_string()) {
      seed.network_config =
          CheckNetworkConfig(nc.get<std::string>(), std::string(kPrefix) + "network-config", log);
    } else {
      log.Warning(std::string(kPrefix) + "network-config: expected a dict, got " + TypeName(nc) +
                  ", ignoring network-config");
    }
  }
  return seed;
}

// util.read_seeded for "/" and "file://" bases, inside the target root.
// meta-data and user-data must exist (read_file_or_url raises); a missing
// vendor-data is None.
Result<Seed> ReadSeededFile(System& sys, const std::string& base, const Logger& log) {
  auto location = [&](const std::string& name) {
    std::string url = base;
    size_t pct = url.find("%s");
    if (pct != std::string::npos) {
      url.replace(pct, 2, name);
    } else {
      url += name;  // no '/' added: "s=/srv/seed/" needs its trailing slash
    }
    size_t start = url.find_first_not_of(" \t\n\r\v\f");
    url = start == std::string::npos ? "" : url.substr(start);
    if (Lower(url.substr(0, 7)) == "file://") url = url.substr(7);
    return url;
  };
  // http(s): the three files fetched together (read_file_or_url with
  // timeout 5 and 10 retries); a 4xx is final here, where cloud-init
  // retries it too.
  std::map<std::string, Result<std::string>> fetched;
  bool http = base.starts_with("http://") || base.starts_with("https://");
  if (http) {
    auto session = sys.OpenHttpSession({.timeout_seconds = 5, .deadline_seconds = 60, .retry_delay_seconds = 1});
    for (const char* name : {"meta-data", "user-data", "vendor-data"}) {
      std::string url = location(name);
      fetched.emplace(name, MakeError("GET " + Quote(url) + " was not tried"));
      session->Get({.url = url, .max_bytes = 16 << 20, .tries = 11}, [&fetched, name, url](Result<HttpResponse> r) {
        if (!r) {
          fetched.at(name) = r.error();
        } else if (r->status < 200 || r->status >= 300) {
          fetched.at(name) = MakeError("GET " + Quote(url) + " answered HTTP " + std::to_string(r->status));
        } else {
          fetched.at(name) = std::move(r->body);
        }
      });
    }
    session->Run();
  }
  auto read = [&](const std::string& name) -> Result<std::string> {
    if (http) {
      auto r = fetched.at(name);
      if (!r) return MakeError("seedfrom " + Quote(base) + ": " + r.error().message);
      return r;
    }
    std::string path = location(name);
    if (!path.starts_with("/")) {
      return MakeError("seedfrom " + Quote(base) + ": " + Quote(path) + " is not an absolute path");
    }
    auto r = sys.ReadFile(path);
    if (!r) {
      Error e = r.error();
      e.message = "seedfrom " + Quote(base) + ": " + e.message;
      return e;
    }
    return r;
  };
  Seed seed;
  auto md = read("meta-data");
  if (!md) return md.error();
  seed.meta_data = LoadMetaData(*md, location("meta-data"), log);
  auto ud = read("user-data");
  if (!ud) return ud.error();
  seed.user_data = std::move(*ud);
  auto vd = read("vendor-data");
  if (vd) {
    seed.vendor_data = std::move(*vd);
  } else {
    log.Debug("Error in vendor-data response: " + vd.error().ToString());
  }
  return seed;
}

// The cheap part of _get_data: is there any evidence at all?
bool DetectImpl(DatasourceContext& ctx) {
  Value fill = Value::object();
  std::string serial = ctx.sys.DmiValue("system-serial-number");
  if (!serial.empty() && LoadCmdlineData(serial, &fill)) return true;
  if (LoadCmdlineData(ctx.sys.KernelCmdline(), &fill)) return true;
  for (const std::string& dir : SeedDirs(ctx.paths)) {
    if (ctx.sys.Exists(dir + "/meta-data") && ctx.sys.Exists(dir + "/user-data")) return true;
  }
  const Value& ds_cfg = DsConfig(ctx.config);
  if (Truthy(Get(ds_cfg, "seedfrom"))) return true;
  if (ds_cfg.contains("user-data") && ds_cfg.contains("meta-data")) return true;
  if (auto label = FsLabel(ds_cfg)) return !CidataDevices(ctx.sys, *label, ctx.log).empty();
  return false;
}

Result<InstanceData> CrawlImpl(DatasourceContext& ctx, bool net) {
  const Logger& log = ctx.log;
  System& sys = ctx.sys;
  const Value& ds_cfg = DsConfig(ctx.config);
  const char* class_name = net ? "DataSourceNoCloudNet" : "DataSourceNoCloud";
  Accumulated acc;

  std::string serial = sys.DmiValue("system-serial-number");
  Value md = Value::object();
  if (!serial.empty() && LoadCmdlineData(serial, &md)) {
    acc.found.push_back("dmi");
    acc.meta_data = MergeFirstWins(acc.meta_data, md);
  }
  md = Value::object();
  if (LoadCmdlineData(sys.KernelCmdline(), &md)) {
    acc.found.push_back("cmdline");
    acc.meta_data = MergeFirstWins(acc.meta_data, md);
  }

  for (const std::string& dir : SeedDirs(ctx.paths)) {
    auto seed = ReadSeed(RootDirReader(sys, dir), dir + "/", log);
    if (!seed) return seed.error();
    if (!*seed) continue;
    log.Debug("Using seeded data from " + dir);
    acc.found.push_back(dir);
    MergeNewSeed(&acc, **seed);
    break;
  }

  // A seedfrom in the ds config beats one from the seed dir (assignment, not
  // a merge).
  if (Truthy(Get(ds_cfg, "seedfrom"))) {
    acc.found.push_back("ds_config_seedfrom");
    acc.meta_data["seedfrom"] = ds_cfg["seedfrom"];
  }

  if (ds_cfg.contains("user-data") && ds_cfg.contains("meta-data")) {
    auto seed = SeedFromConfig(ds_cfg, log);
    if (!seed) return seed.error();
    MergeNewSeed(&acc, *seed);
    acc.found.push_back("ds_config");
  }

  if (auto label = FsLabel(ds_cfg)) {
    for (const BlockDevice& dev : CidataDevices(sys, *label, log)) {
      log.Debug("Attempting to use data from " + dev.devname);
      auto mounted = sys.MountReadOnly(dev);
      if (!mounted) {
        log.Warning("Failed to mount " + dev.devname +
                    " when looking for data: " + mounted.error().ToString());
        continue;
      }
      auto seed = ReadSeed(HostDirReader(sys, *mounted), dev.devname + ":", log);
      sys.Unmount(*mounted);
      if (!seed) return seed.error();
      if (!*seed) {
        log.Warning("device " + dev.devname + " with label=" + *label + " not a valid seed.");
        continue;
      }
      MergeNewSeed(&acc, **seed);
      log.Debug("Using data from " + dev.devname);
      acc.found.push_back(dev.devname);
      break;
    }
  }

  if (acc.found.empty()) return NotFound("no NoCloud seed, ds=nocloud or cidata filesystem");

  if (acc.meta_data.contains("seedfrom")) {
    const Value& v = acc.meta_data["seedfrom"];
    if (!v.is_string()) {
      return MakeError("expected a string, got " + TypeName(v), "seedfrom");
    }
    std::string seedfrom = v.get<std::string>();
    std::vector<std::string_view> schemes =
        net ? std::vector<std::string_view>{"http://", "https://"}
            : std::vector<std::string_view>{"/", "file://"};
    bool supported = std::any_of(schemes.begin(), schemes.end(),
                                 [&](std::string_view s) { return seedfrom.starts_with(s); });
    if (!supported) {
      log.Debug("Seed from " + seedfrom + " not supported by " + class_name);
      return NotFound("seedfrom " + Quote(seedfrom) + " is not supported by " + class_name);
    }
    auto seed = ReadSeededFile(sys, seedfrom, log);
    if (!seed) return seed.error();
    log.Debug("Using seeded cache data from " + seedfrom);
    // What we have (the command line first) wins over the seed's meta-data.
    acc.meta_data = MergeFirstWins(acc.meta_data, seed->meta_data);
    acc.user_data = std::move(seed->user_data);
    acc.vendor_data = std::move(seed->vendor_data);
    acc.found.push_back(seedfrom);
  }

  return FinishOrDecline(std::move(acc), net, log);
}

bool Detect(DatasourceContext& ctx) { return DetectImpl(ctx); }
Result<InstanceData> Crawl(DatasourceContext& ctx) { return CrawlImpl(ctx, /*net=*/false); }
Result<InstanceData> CrawlNet(DatasourceContext& ctx) { return CrawlImpl(ctx, /*net=*/true); }

}  // namespace

const DatasourceSpec kSpec{
    .name = "NoCloud",
    .needs_network = false,
    .detect = &Detect,
    .crawl = &Crawl,
};

const DatasourceSpec kNetSpec{
    .name = "NoCloud",
    .needs_network = true,
    .detect = &Detect,
    .crawl = &CrawlNet,
};

SeedReader RootDirReader(System& sys, std::string dir) {
  return MakeReader([&sys](const std::string& path) { return sys.ReadFile(path); }, std::move(dir));
}

SeedReader HostDirReader(System& sys, std::string dir) {
  return MakeReader([&sys](const std::string& path) { return sys.ReadHostFile(path); },
                    std::move(dir));
}

Result<Value> ParseMetaData(std::string_view text, std::string_view file) {
  auto parsed = ParseYaml(text, file);
  if (!parsed) return parsed.error();
  if (parsed->is_null()) return Value(Value::object());
  if (!parsed->is_object()) {
    return MakeError(std::string(file) + ": expected a dict, got " + TypeName(*parsed));
  }
  return std::move(*parsed);
}

Value LoadMetaData(std::string_view text, std::string_view file, const Logger& log) {
  auto parsed = ParseMetaData(text, file);
  if (parsed) return std::move(*parsed);
  log.Warning("failed loading meta-data " + parsed.error().message + "; using empty meta-data");
  return Value::object();
}

Result<std::optional<Seed>> ReadSeed(const SeedReader& read, std::string_view where,
                                     const Logger& log) {
  // util.pathprefix2dict: every file is read first; a read error other
  // than "no such file" fails, then missing required files mean "not a
  // seed".
  std::optional<std::string> files[4];
  const char* names[4] = {"meta-data", "user-data", "vendor-data", "network-config"};
  for (int i = 0; i < 4; ++i) {
    auto r = read(names[i]);
    if (!r && (IsLimitError(r.error()) || r.error().message.find("not a regular file") != std::string::npos)) {
      // A file over a bound (nubo/limits.h), or a FIFO or device, is
      // dropped with a warning, as one that does not parse is: the rest of
      // the seed still applies.
      log.Warning(r.error().ToString() + ", ignoring " + std::string(where) + names[i]);
      r = std::optional<std::string>(std::string());
    }
    if (!r) return r.error();
    files[i] = std::move(*r);
  }
  if (!files[0] || !files[1]) {
    std::string missing = !files[1] ? "user-data" : "";
    if (!files[0]) missing = "meta-data" + std::string(missing.empty() ? "" : ",") + missing;
    log.Debug(std::string(where) + ": missing required files: " + missing);
    return std::optional<Seed>();
  }
  Seed seed;
  seed.meta_data = LoadMetaData(*files[0], std::string(where) + "meta-data", log);
  seed.user_data = std::move(*files[1]);
  seed.vendor_data = std::move(files[2]);
  if (files[3] && !files[3]->empty()) {
    seed.network_config_seen = true;
    seed.network_config =
        CheckNetworkConfig(std::move(*files[3]), std::string(where) + "network-config", log);
  }
  return std::optional<Seed>(std::move(seed));
}

Result<InstanceData> ParseNoCloudSeed(const SeedReader& read, std::string_view where,
                                      const Logger& log) {
  std::string prefix(where);
  if (!prefix.ends_with('/') && !prefix.ends_with(':')) prefix += '/';
  auto seed = ReadSeed(read, prefix, log);
  if (!seed) return seed.error();
  if (!*seed) return NotFound(std::string(where) + " has no meta-data and user-data");
  Accumulated acc;
  acc.found.push_back(std::string(where));
  MergeNewSeed(&acc, **seed);
  return FinishOrDecline(std::move(acc), /*net=*/false, log);
}

bool LoadCmdlineData(std::string_view cmdline, Value* fill) {
  if (!fill->is_object()) *fill = Value::object();
  for (auto [id, dsmode] : {std::pair{"ds=nocloud", "local"}, std::pair{"ds=nocloud-net", "net"}}) {
    if (ParseCmdlineData(id, cmdline, fill)) {
      if (!fill->contains("dsmode")) (*fill)["dsmode"] = dsmode;
      return true;
    }
  }
  return false;
}


}  // namespace nubo::datasources::nocloud
