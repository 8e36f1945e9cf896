// mounts: fstab entries for the config's mounts and a swap file
// (cloud-init's cc_mounts).
//
//   mount_default_fields: [~, ~, auto, "defaults,nofail", "0", "2"]
//   mounts:
//     - [ephemeral0, /mnt]                      # device, mount point, ...defaults
//     - ["nfs.example:/export", /srv/nfs, nfs, "rw,noatime", "0", "0"]
//     - [sdc, ~]                                # null mount point: no entry
//   swap: {filename: /swap.img, size: 512M, maxsize: 1G}   # size: auto
//
// Every line nubo writes carries "comment=cloudconfig" in its options; lines
// with it from a previous run are replaced. Devices are resolved as 22.4's
// sanitize_devname does: a "host:path" stays, ephemeralN/swap/ami/root/ebsN
// ask the datasource (NoCloud and OpenStack give none), sdX/vdX/xvdX/hdX/srN
// become /dev/... and must exist under /sys/block. Like 22.4, an entry whose
// device does not resolve is still written with its name as given. The swap
// file is made with fallocate (dd on btrfs) and mkswap; then swapon -a and
// mount -a (plus systemctl daemon-reload under systemd) run, failures being
// warnings. Differences: `size: auto` sizes from memory only (cloud-init
// also caps it at a quarter of the free space of the file's filesystem).

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "modules/modules.h"
#include "nubo/disk.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::mounts {

namespace {

constexpr char kFstab[] = "/etc/fstab";
constexpr char kMntComment[] = "comment=cloudconfig";
constexpr uint64_t kMB = 1ull << 20;
constexpr uint64_t kGB = 1ull << 30;

// A mount entry: null fields are std::nullopt.
using Entry = std::vector<std::optional<std::string>>;

bool IsMetaDeviceName(const std::string& name) {
  if (name == "ami" || name == "root" || name == "swap") return true;
  for (const char* e : {"ephemeral", "ebs"}) {
    if (name.starts_with(e) && name.find(':') == std::string::npos) return true;
  }
  return false;
}

bool HostExists(System& sys, const std::string& path) { return sys.StatHostPath(path).ok(); }

std::string LastComponent(System& sys, const std::string& path) {
  auto st = sys.StatHostPath(path);
  std::string real = st ? st->real_path : path;
  size_t slash = real.rfind('/');
  return slash == std::string::npos ? real : real.substr(slash + 1);
}

// sanitize_devname; nullopt: the device does not exist.
std::optional<std::string> SanitizeDevname(ModuleContext& ctx, const std::string& start,
                                           const Value& aliases) {
  std::string devname = start == "ephemeral" ? "ephemeral0" : start;
  static const std::regex kNetwork("^.+:.*");
  static const std::regex kDevice("^([x]{0,1}[shv]d[a-z][0-9]*|sr[0-9]+)$");
  if (std::regex_search(start, kNetwork)) return start;
  std::string device = devname;
  std::optional<std::string> partno;
  if (size_t dot = devname.rfind('.'); dot != std::string::npos) {
    device = devname.substr(0, dot);
    partno = devname.substr(dot + 1);
  }
  if (aliases.is_object() && aliases.contains(device) && aliases[device].is_string()) {
    device = aliases[device].get<std::string>();
  }
  if (IsMetaDeviceName(device)) {
    // cloud.device_name_to_device: NoCloud and OpenStack map no names.
    return std::nullopt;
  }
  if (std::regex_search(start, kDevice)) device = "/dev/" + device;
  std::optional<std::string> partition;
  std::string n = partno.value_or("1");
  for (const std::string& suffix : {n, "p" + n, "-part" + n}) {
    if (HostExists(ctx.sys, device + suffix)) {
      partition = device + suffix;
      break;
    }
  }
  if (partno && !partition) return std::nullopt;
  std::string sys_path = "/sys/block/" + LastComponent(ctx.sys, device);
  if (partition) sys_path += "/" + LastComponent(ctx.sys, *partition);
  if (!HostExists(ctx.sys, sys_path)) return std::nullopt;
  return partition ? *partition : device;
}

// util.human2bytes.
Result<uint64_t> Human2Bytes(std::string size, const std::string& key) {
  std::string in = size;
  if (size.ends_with("B")) size.pop_back();
  uint64_t mult = 1;
  for (auto [suffix, m] : {std::pair<char, uint64_t>{'B', 1}, {'K', 1ull << 10},
                           {'M', 1ull << 20}, {'G', 1ull << 30}, {'T', 1ull << 40}}) {
    if (!size.empty() && size.back() == suffix) {
      mult = m;
      size.pop_back();
      break;
    }
  }
  char* end = nullptr;
  std::string num = PyStrip(size);
  double v = std::strtod(num.c_str(), &end);
  if (num.empty() || *end != '\0') return MakeError(Quote(in) + " is not valid input.", key);
  if (v < 0) return MakeError(Quote(in) + ": cannot be negative", key);
  return static_cast<uint64_t>(v * static_cast<double>(mult));
}

Result<std::optional<uint64_t>> SizeValue(const Value& v, const std::string& key) {
  if (v.is_null()) return std::optional<uint64_t>{};
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.get<long long>() < 0) return MakeError("cannot be negative", key);
    return std::optional<uint64_t>(v.get<uint64_t>());
  }
  if (v.is_number_float()) return std::optional<uint64_t>(static_cast<uint64_t>(v.get<double>()));
  if (v.is_string()) {
    auto b = Human2Bytes(v.get<std::string>(), key);
    if (!b) return b.error();
    return std::optional<uint64_t>(*b);
  }
  return MakeError("expected a size (bytes, or a string like 512M), got " + TypeName(v), key);
}

std::optional<uint64_t> MemTotal(System& sys) {
  auto text = sys.ReadHostFile("/proc/meminfo");
  if (!text) return std::nullopt;
  for (const auto& line : PySplit(*text, '\n')) {
    if (!line.starts_with("MemTotal:")) continue;
    auto toks = SplitWhitespace(line.substr(9));
    if (toks.empty()) return std::nullopt;
    return std::strtoull(toks[0].c_str(), nullptr, 10) * 1024;
  }
  return std::nullopt;
}

// suggested_swapsize without the free-space cap.
uint64_t SuggestedSwapsize(uint64_t memsize, std::optional<uint64_t> maxsize) {
  uint64_t max = maxsize.value_or(memsize * 2);
  uint64_t min;
  if (memsize < 4 * kGB) {
    min = memsize;
  } else if (memsize < 16 * kGB) {
    min = 4 * kGB;
  } else {
    min = static_cast<uint64_t>(std::round(std::sqrt(static_cast<double>(memsize) / kGB))) * kGB;
  }
  return std::min(min, max);
}

Result<CommandResult> RunCmd(ModuleContext& ctx, std::vector<std::string> argv) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
  ctx.log.Debug("running " + shown);
  return ctx.sys.Run(Command{.argv = std::move(argv)});
}

bool RanOk(const Result<CommandResult>& r) { return r.ok() && r->exit_code == 0; }

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// create_swapfile; size in MiB.
Status CreateSwapfile(ModuleContext& ctx, const std::string& fname, uint64_t mib) {
  std::string dir = Dirname(fname);
  if (Status s = ctx.sys.MakeDirs(dir, 0755); !s.ok()) return s;
  auto mount = MountOf(ctx.sys, dir);
  bool use_dd = mount.ok() && mount->fstype == "btrfs";
  std::string m = std::to_string(mib);
  std::vector<std::string> dd = {"dd", "if=/dev/zero", "of=" + fname, "bs=1M", "count=" + m};
  bool made = false;
  if (!use_dd) {
    made = RanOk(RunCmd(ctx, {"fallocate", "-l", m + "M", fname}));
    if (!made) {
      (void)ctx.sys.Remove(fname);
      ctx.log.Info("fallocate swap creation failed, will attempt with dd");
    }
  }
  if (!made && !RanOk(RunCmd(ctx, dd))) {
    (void)ctx.sys.Remove(fname);
    return MakeError("Failed to create swapfile " + Quote(fname) + " of size " + m + "MB");
  }
  if (ctx.sys.Exists(fname)) {
    if (Status s = ctx.sys.Chmod(fname, 0600); !s.ok()) return s;
  }
  if (!RanOk(RunCmd(ctx, {"mkswap", fname}))) {
    (void)ctx.sys.Remove(fname);
    return MakeError("mkswap " + fname + " failed");
  }
  return Status::Ok();
}

// handle_swapcfg: the swap file to list in fstab, or nullopt.
Result<std::optional<std::string>> HandleSwap(ModuleContext& ctx, const Value& cfg) {
  if (cfg.is_null()) return std::optional<std::string>{};
  if (!cfg.is_object()) {
    ctx.log.Warning("input for swap config was not a dict.");
    return std::optional<std::string>{};
  }
  const Value& fv = Get(cfg, "filename");
  if (!fv.is_null() && !fv.is_string()) {
    return MakeError("expected a string, got " + TypeName(fv), "swap.filename");
  }
  std::string fname = cfg.contains("filename") ? (fv.is_string() ? fv.get<std::string>() : "")
                                               : "/swap.img";
  const Value& size_v = cfg.contains("size") ? cfg["size"] : Value(0);
  bool auto_size = size_v.is_string() && AsciiLower(size_v.get<std::string>()) == "auto";
  std::optional<uint64_t> size;
  if (!auto_size) {
    auto s = SizeValue(size_v, "swap.size");
    if (!s) return s.error();
    size = *s;
  }
  auto maxsize = SizeValue(Get(cfg, "maxsize"), "swap.maxsize");
  if (!maxsize) return maxsize.error();
  if ((!auto_size && size.value_or(0) == 0) || fname.empty()) {
    ctx.log.Debug("no need to setup swap");
    return std::optional<std::string>{};
  }
  if (ctx.sys.Exists(fname)) {
    auto swaps = ctx.sys.ReadHostFile("/proc/swaps");
    if (!swaps) {
      ctx.log.Debug("swap file " + fname + " exists, but no /proc/swaps exists, being safe");
      return std::optional<std::string>(fname);
    }
    for (const auto& line : PySplit(*swaps, '\n')) {
      if (line.starts_with(fname + " ")) {
        ctx.log.Debug("swap file " + fname + " already in use");
        return std::optional<std::string>(fname);
      }
    }
  }
  uint64_t bytes = 0;
  if (auto_size) {
    auto mem = MemTotal(ctx.sys);
    if (!mem) {
      ctx.log.Debug("Not creating swap: failed to read meminfo");
      return std::optional<std::string>{};
    }
    bytes = SuggestedSwapsize(*mem, *maxsize);
  } else {
    bytes = *size;
  }
  if (bytes == 0) {
    ctx.log.Debug("Not creating swap: suggested size was 0");
    return std::optional<std::string>{};
  }
  if (Status s = CreateSwapfile(ctx, fname, bytes / kMB); !s.ok()) {
    ctx.log.Warning("failed to setup swap: " + s.error().ToString());
    return std::optional<std::string>{};
  }
  ctx.log.Info("created swap file " + Quote(fname) + " (" + std::to_string(bytes / kMB) + " MB)");
  return std::optional<std::string>(fname);
}

std::string CollapseWhitespace(const std::string& s) {
  static const std::regex kWs("[ \t\n\r\x0b\x0c]+");
  return std::regex_replace(s, kWs, " ");
}

// An element of a mounts entry, as str() would print it: null stays null,
// lists and dicts are refused.
Result<std::optional<std::string>> Field(const Value& v, const std::string& key) {
  if (v.is_null()) return std::optional<std::string>{};
  if (v.is_array() || v.is_object()) {
    return MakeError("expected a string, got " + TypeName(v), key);
  }
  return std::optional<std::string>(PyStr(v));
}

Status Run(ModuleContext& ctx) {
  bool systemd = distro::UsesSystemd(ctx.sys);
  std::string def_opts =
      systemd ? "defaults,nofail,x-systemd.requires=cloud-init.service,_netdev"
              : "defaults,nobootwait";
  Entry defvals = {std::nullopt, std::nullopt, "auto", def_opts, "0", "2"};
  if (ctx.config.contains("mount_default_fields")) {
    const Value& f = ctx.config["mount_default_fields"];
    if (!f.is_array() || f.size() < 4) {
      return MakeError("expected a list of 6 fields, got " + TypeName(f), "mount_default_fields");
    }
    defvals.clear();
    for (size_t j = 0; j < f.size(); ++j) {
      auto v = Field(f[j], "mount_default_fields[" + std::to_string(j) + "]");
      if (!v) return v.error();
      defvals.push_back(*v);
    }
  }
  std::vector<Entry> defmnts = {
      {"ephemeral0", "/mnt", "auto", defvals[3], "0", "2"},
      {"swap", "none", "swap", "sw", "0", "0"},
  };

  const Value& cfgv = Get(ctx.config, "mounts");
  if (!cfgv.is_null() && !cfgv.is_array()) {
    return MakeError("expected a list of mount entries, got " + TypeName(cfgv), "mounts");
  }

  std::vector<std::string> fstab_lines;
  std::vector<std::string> fstab_removed;
  std::map<std::string, std::string> fstab_devs;
  if (auto text = ctx.sys.ReadFile(kFstab)) {
    std::string t = *text;
    if (t.ends_with("\n")) t.pop_back();
    for (const auto& line : t.empty() && !text->empty() ? std::vector<std::string>{""}
                                                         : (t.empty() ? std::vector<std::string>{}
                                                                      : PySplit(t, '\n'))) {
      if (line.find(kMntComment) != std::string::npos) {
        fstab_removed.push_back(line);
        continue;
      }
      auto toks = PySplit(CollapseWhitespace(line), ' ');
      fstab_devs[toks.empty() ? "" : toks[0]] = line;
      fstab_lines.push_back(line);
    }
  }
  const Value& aliases = Get(ctx.config, "device_aliases");

  // Entries as given, converted to strings where cloud-init converts them.
  std::vector<Entry> cfgmnt;
  std::vector<bool> converted;
  for (size_t i = 0; cfgv.is_array() && i < cfgv.size(); ++i) {
    const Value& e = cfgv[i];
    std::string key = "mounts[" + std::to_string(i) + "]";
    if (!e.is_array()) {
      ctx.log.Warning("Mount option " + std::to_string(i + 1) + " not a list, got a " +
                      TypeName(e) + " instead");
      continue;
    }
    if (e.empty()) return MakeError("expected a device and a mount point, got []", key);
    Entry entry;
    for (size_t j = 0; j < e.size(); ++j) {
      auto f = Field(e[j], key + "[" + std::to_string(j) + "]");
      if (!f) return f.error();
      entry.push_back(*f);
    }
    std::string start = PyStr(e[0]);
    auto sanitized = SanitizeDevname(ctx, start, aliases);
    bool ok = false;
    if (!sanitized) {
      ctx.log.Debug("Ignoring nonexistent named mount " + start);
    } else if (fstab_devs.contains(*sanitized)) {
      ctx.log.Info("Device " + *sanitized + " already defined in fstab: " +
                   fstab_devs[*sanitized]);
    } else {
      entry[0] = *sanitized;
      ok = true;
    }
    // 22.4 leaves an entry it skipped unconverted: a non-string field then
    // fails when the fstab line is joined.
    if (!ok) {
      for (size_t j = 0; j < e.size(); ++j) {
        if (!e[j].is_null() && !e[j].is_string()) {
          return MakeError("expected a string, got " + TypeName(e[j]),
                           key + "[" + std::to_string(j) + "]");
        }
      }
    }
    cfgmnt.push_back(entry);
  }
  for (size_t i = 0; i < cfgmnt.size(); ++i) {
    for (size_t j = 0; j < defvals.size(); ++j) {
      if (cfgmnt[i].size() <= j) {
        cfgmnt[i].push_back(defvals[j]);
      } else if (!cfgmnt[i][j]) {
        cfgmnt[i][j] = defvals[j];
      }
    }
    if (cfgmnt[i].size() < 2 || !cfgmnt[i][1]) {
      for (size_t j = 0; j < i; ++j) {
        if (cfgmnt[j][0] == cfgmnt[i][0]) cfgmnt[j][1] = std::nullopt;
      }
    }
  }
  for (auto& defmnt : defmnts) {
    auto sanitized = SanitizeDevname(ctx, *defmnt[0], aliases);
    if (!sanitized) {
      ctx.log.Debug("Ignoring nonexistent default named mount " + *defmnt[0]);
      continue;
    }
    if (fstab_devs.contains(*sanitized)) continue;
    defmnt[0] = *sanitized;
    bool has = false;
    for (const auto& c : cfgmnt) has = has || c[0] == defmnt[0];
    if (has) continue;
    cfgmnt.push_back(defmnt);
  }
  std::vector<Entry> actlist;
  for (auto& x : cfgmnt) {
    if (x.size() < 2 || !x[1]) {
      ctx.log.Debug("Skipping nonexistent device named " + x[0].value_or("None"));
    } else {
      actlist.push_back(x);
    }
  }
  auto swap = HandleSwap(ctx, Get(ctx.config, "swap"));
  if (!swap) return swap.error();
  if (*swap) actlist.push_back({**swap, "none", "swap", "sw", "0", "0"});
  if (actlist.empty()) {
    ctx.log.Debug("No modifications to fstab needed");
    return Status::Ok();
  }

  std::vector<std::string> cc_lines;
  std::vector<std::string> dirs;
  bool needswap = false;
  for (size_t i = 0; i < actlist.size(); ++i) {
    auto& line = actlist[i];
    std::string line_key = "mounts[" + std::to_string(i) + "]";
    for (size_t j = 0; j < line.size(); ++j) {
      if (!line[j]) {
        return MakeError("expected a string, got None",
                         line_key + "[" + std::to_string(j) + "]");
      }
    }
    if (line.size() < 4) return MakeError("expected at least 4 fields", line_key);
    line[3] = *line[3] + "," + kMntComment;
    if (line.size() > 2 && *line[2] == "swap") needswap = true;
    if (line[1]->starts_with("/")) dirs.push_back(*line[1]);
    std::string joined;
    for (size_t j = 0; j < line.size(); ++j) joined += (j ? "\t" : "") + *line[j];
    cc_lines.push_back(joined);
  }

  // util.mounts(): the mount points of the running system.
  std::vector<std::string> mount_points;
  if (auto m = ctx.sys.ReadHostFile("/proc/mounts")) {
    for (const auto& l : PySplit(*m, '\n')) {
      auto toks = SplitWhitespace(l);
      if (toks.size() >= 2) mount_points.push_back(toks[1]);
    }
  }
  bool need_mount_all = false;
  for (const auto& d : dirs) {
    if (Status s = ctx.sys.MakeDirs(d, 0755); !s.ok()) {
      ctx.log.Warning("Failed to make '" + d + "' config-mount: " + s.error().ToString());
    }
    if (std::find(mount_points.begin(), mount_points.end(), d) == mount_points.end()) {
      need_mount_all = true;
    }
  }
  std::vector<std::string> sadds, sdrops;
  for (const auto& l : cc_lines) sadds.push_back(CollapseWhitespace(l));
  for (const auto& l : fstab_removed) sdrops.push_back(CollapseWhitespace(l));
  bool changes = false;
  for (const auto& d : sdrops) changes = changes || std::find(sadds.begin(), sadds.end(), d) == sadds.end();
  for (const auto& a : sadds) changes = changes || std::find(sdrops.begin(), sdrops.end(), a) == sdrops.end();

  fstab_lines.insert(fstab_lines.end(), cc_lines.begin(), cc_lines.end());
  std::string contents;
  for (size_t i = 0; i < fstab_lines.size(); ++i) contents += (i ? "\n" : "") + fstab_lines[i];
  contents += "\n";
  WriteOptions o;
  o.mode = 0644;
  if (Status s = ctx.sys.WriteFile(kFstab, contents, o); !s.ok()) return s;
  ctx.log.Info("wrote " + std::to_string(cc_lines.size()) + " cloudconfig lines to '" +
               std::string(kFstab) + "'");

  std::vector<std::vector<std::string>> activate;
  if (needswap) activate.push_back({"swapon", "-a"});
  if (changes) need_mount_all = true;
  if (need_mount_all) {
    activate.push_back({"mount", "-a"});
    if (systemd) activate.push_back({"systemctl", "daemon-reload"});
  }
  for (const auto& cmd : activate) {
    std::string shown;
    for (const auto& a : cmd) shown += (shown.empty() ? "" : " ") + a;
    if (RanOk(RunCmd(ctx, cmd))) {
      ctx.log.Debug("Activate mounts: PASS:" + shown);
    } else {
      ctx.log.Warning("Activate mounts: FAIL:" + shown);
    }
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "mounts",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::List("mounts", spec::List(spec::Str()).MinItems(1).MaxItems(6)).MinItems(1),
              spec::List("mount_default_fields", spec::OneOf({spec::Str(), spec::Null()})).MinItems(6).MaxItems(6),
              spec::Map("swap", {spec::Str("filename"),
                                 spec::OneOf("size", {spec::Str().Enum({"auto"}), spec::Int(),
                                                      spec::Str().Pattern("^([0-9]+)?\\.?[0-9]+[BKMGT]$")}),
                                 spec::OneOf("maxsize", {spec::Int(), spec::Str().Pattern("^([0-9]+)?\\.?[0-9]+[BKMGT]$")})})
                  .Closed(),
              {"device_aliases", KeyType::kMap}}; },  // declared in full by disk_setup
    .run = &Run,
};

}  // namespace nubo::modules::mounts
