// disk_setup: partition tables (`disk_setup`) and filesystems (`fs_setup`),
// as cloud-init 22.4's cc_disk_setup.
//
//   device_aliases: {data: /dev/vdb}
//   disk_setup:
//     data: {table_type: gpt, layout: [50, [50, 82]], overwrite: false}
//   fs_setup:
//     - {label: fs1, filesystem: ext4, device: data.1}
//     - {label: swap, filesystem: swap, device: data, partition: 2}
//     - {device: /dev/vdc, cmd: "mkfs -t %(filesystem)s -L %(label)s %(device)s",
//        filesystem: xfs, label: big, partition: none}
//
// The commands are 22.4's, with the paths its subp.which finds: lsblk
// --pairs to enumerate a disk, `blkid -c /dev/null` to probe one device,
// `sfdisk -l` / `sgdisk -p` to compare the existing table with the layout,
// `blockdev --getsize64/--getss`, `sfdisk --Linux --unit=S --force` with
// its input script for MBR, `sgdisk -Z`, `-n`, `-t` for GPT, partprobe (else
// `blockdev --rereadpt`) between `udevadm settle`s, `wipefs --all` and
// zeroed first and last MiB (dd) for `layout: remove`, and `mkfs.<fs>` (or
// `mk<fs>`) with `-L label`, the force flag (-F for ext*, -f for btrfs, xfs,
// reiserfs, swap) when overwriting or formatting a whole disk, and
// `extra_opts`; a `cmd` template runs through /bin/sh as 22.4 runs it.
// A disk that already holds a partition table or a filesystem is left
// alone unless `overwrite`; a filesystem already matching label and type
// is kept.
//
// Names: `device_aliases` first, then the datasource's device_name_to_device
// (OpenStack and ConfigDrive: the EC2 block-device-mapping, then a
// filesystem labelled with the name, as ephemeral0 is; NoCloud and None map
// nothing), `<name>.<N>` in fs_setup setting the partition. As in 22.4 a
// failing operation is a warning and the next disk or filesystem goes on;
// config of the wrong type is an error naming the key
// (`fs_setup[1].filesystem: expected a string, got int`), the other entries
// still being done. Only on the host's own root: with --root elsewhere
// nothing is partitioned.
//
// Differences from 22.4, deliberate: config of the wrong type (which 22.4's
// schema only warns about, then trips over or ignores) is a module error
// naming the key; disk_setup's devices are done in key order (Value is a
// sorted map; 22.4 keeps YAML order); `layout: remove` zeroes the first and
// last MiB with dd, not from Python; the OpenStack name "swap" (22.4: blkid
// TYPE=swap) is not looked up. 22.4's own quirks are kept: a numbered
// partition is appended to the device name (/dev/loop0 + 1), a loop device
// is "not a disk device" (lsblk TYPE=loop), `<path>.<N>` without an alias
// is looked up as written, a string `extra_opts` is one argument per
// character.

#include <cmath>
#include <map>
#include <optional>
#include <utility>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::disk_setup {

namespace {

// ---------------------------------------------------------------- config

// One partition of a layout: percent of the disk and an optional type
// (83, 82, "8e00", ...).
struct LayoutPart {
  double percent = 0;
  std::optional<Value> type;
};

struct Layout {
  enum Kind { kNone, kWhole, kRemove, kList } kind = kNone;
  std::vector<LayoutPart> parts;
  Value raw;  // as given, for the repr 22.4 feeds `sfdisk -l`
};

struct DiskDef {
  std::string device;  // as named in disk_setup, then translated
  std::string table_type = "mbr";
  Layout layout;
  bool overwrite = false;
};

struct FsDef {
  std::string key;  // fs_setup[i]
  std::optional<std::string> label;
  std::optional<std::string> filesystem;
  std::string device;
  std::string partition = "any";  // str() of the value, as 22.4
  bool has_partition = false;     // the key was given
  bool overwrite = false;
  std::optional<std::string> replace_fs;
  std::vector<std::string> extra_opts;
  std::optional<std::string> cmd;
};

struct Config {
  std::map<std::string, std::string> aliases;
  std::vector<DiskDef> disks;
  std::vector<FsDef> filesystems;
  std::vector<Error> errors;
};

Error TypeError(const std::string& expected, const Value& got, const std::string& key) {
  return MakeError("expected " + expected + ", got " + TypeName(got), key);
}

std::optional<Error> OptionalString(const Value& obj, const char* name, const std::string& key,
                                    std::optional<std::string>* out) {
  const Value& v = Get(obj, name);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) return TypeError("a string", v, key + "." + name);
  *out = v.get<std::string>();
  return std::nullopt;
}

std::optional<Error> OptionalBool(const Value& obj, const char* name, const std::string& key,
                                  bool* out) {
  const Value& v = Get(obj, name);
  if (v.is_null()) return std::nullopt;
  if (!v.is_boolean()) return TypeError("a bool", v, key + "." + name);
  *out = v.get<bool>();
  return std::nullopt;
}

Result<Layout> ParseLayout(const Value& v, const std::string& key) {
  Layout l;
  l.raw = v;
  if (v.is_null() || (v.is_boolean() && !v.get<bool>())) return l;
  if (v.is_boolean()) {
    l.kind = Layout::kWhole;
    return l;
  }
  if (v.is_string()) {
    if (AsciiLower(v.get<std::string>()) != "remove") {
      return MakeError("expected true, false, 'remove' or a list, got " + PyStrRepr(v.get<std::string>()), key);
    }
    l.kind = Layout::kRemove;
    return l;
  }
  if (!v.is_array()) return TypeError("true, false, 'remove' or a list", v, key);
  if (v.empty()) return l;  // an empty list partitions nothing, as 22.4
  l.kind = Layout::kList;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string k = key + "[" + std::to_string(i) + "]";
    const Value& p = v[i];
    LayoutPart part;
    const Value* percent = &p;
    if (p.is_array()) {
      if (p.size() != 2) {
        return MakeError("expected [percent, type], got " + PyRepr(p) +
                             " (Partition was incorrectly defined)", k);
      }
      percent = &p[0];
      if (!p[1].is_number() && !p[1].is_string()) {
        return TypeError("a partition type (82, 83, '8e00')", p[1], k + "[1]");
      }
      part.type = p[1];
      k += "[0]";
    }
    if (!percent->is_number() || percent->is_boolean()) {
      return TypeError("a percentage", *percent, k);
    }
    part.percent = percent->get<double>();
    l.parts.push_back(std::move(part));
  }
  return l;
}

// Parses everything; a bad entry is recorded in `errors` and left out.
Config ParseConfig(const Value& cfg) {
  Config c;
  const Value& aliases = Get(cfg, "device_aliases");
  if (!aliases.is_null() && !aliases.is_object()) {
    c.errors.push_back(TypeError("a dict of alias: device path", aliases, "device_aliases"));
  } else if (aliases.is_object()) {
    for (const auto& [name, path] : aliases.items()) {
      if (!path.is_string()) {
        c.errors.push_back(TypeError("a string", path, "device_aliases." + name));
        continue;
      }
      c.aliases[name] = path.get<std::string>();
    }
  }

  const Value& disks = Get(cfg, "disk_setup");
  if (!disks.is_null() && !disks.is_object()) {
    c.errors.push_back(TypeError("a dict of device: definition", disks, "disk_setup"));
  } else if (disks.is_object()) {
    for (const auto& [name, def] : disks.items()) {
      std::string key = "disk_setup." + name;
      if (!def.is_object()) {
        c.errors.push_back(TypeError("a dict (Invalid disk definition)", def, key));
        continue;
      }
      DiskDef d;
      d.device = name;
      std::optional<std::string> table;
      std::optional<Error> e = OptionalString(def, "table_type", key, &table);
      if (!e && table) {
        if (*table != "mbr" && *table != "gpt") {
          e = MakeError("expected 'mbr' or 'gpt', got " + PyStrRepr(*table), key + ".table_type");
        }
        d.table_type = *table;
      }
      if (!e) e = OptionalBool(def, "overwrite", key, &d.overwrite);
      if (!e) {
        auto layout = ParseLayout(Get(def, "layout"), key + ".layout");
        if (layout) {
          d.layout = std::move(*layout);
        } else {
          e = layout.error();
        }
      }
      if (e) {
        c.errors.push_back(*e);
        continue;
      }
      c.disks.push_back(std::move(d));
    }
  }

  const Value& fss = Get(cfg, "fs_setup");
  if (!fss.is_null() && !fss.is_array()) {
    c.errors.push_back(TypeError("a list of filesystem definitions", fss, "fs_setup"));
  } else if (fss.is_array()) {
    for (size_t i = 0; i < fss.size(); ++i) {
      const Value& def = fss[i];
      FsDef f;
      f.key = "fs_setup[" + std::to_string(i) + "]";
      if (!def.is_object()) {
        c.errors.push_back(TypeError("a dict (Invalid file system definition)", def, f.key));
        continue;
      }
      std::optional<Error> e = OptionalString(def, "label", f.key, &f.label);
      if (!e) e = OptionalString(def, "filesystem", f.key, &f.filesystem);
      if (!e) {
        const Value& dev = Get(def, "device");
        if (!dev.is_string()) {
          e = TypeError("a string", dev, f.key + ".device");
        } else {
          f.device = dev.get<std::string>();
        }
      }
      if (!e && def.contains("partition")) {
        f.has_partition = true;
        const Value& p = def["partition"];
        if (p.is_number_integer() || p.is_string() || p.is_null()) {
          f.partition = PyStr(p);
        } else {
          e = TypeError("'auto', 'any', 'none' or a partition number", p, f.key + ".partition");
        }
      }
      if (!e) e = OptionalBool(def, "overwrite", f.key, &f.overwrite);
      if (!e) e = OptionalString(def, "replace_fs", f.key, &f.replace_fs);
      if (!e) {
        const Value& o = Get(def, "extra_opts");
        if (o.is_string()) {
          // 22.4 list.extend()s the string: one argument per character.
          for (char ch : o.get<std::string>()) f.extra_opts.emplace_back(1, ch);
        } else if (o.is_array()) {
          for (size_t j = 0; j < o.size() && !e; ++j) {
            if (!o[j].is_string()) {
              e = TypeError("a string", o[j], f.key + ".extra_opts[" + std::to_string(j) + "]");
            } else {
              f.extra_opts.push_back(o[j].get<std::string>());
            }
          }
        } else if (!o.is_null()) {
          e = TypeError("a list of strings", o, f.key + ".extra_opts");
        }
      }
      if (!e) {
        const Value& cmd = Get(def, "cmd");
        if (cmd.is_string()) {
          f.cmd = cmd.get<std::string>();
        } else if (!cmd.is_null() && !(cmd.is_array() && cmd.empty())) {
          // 22.4 formats `cmd % {...}`, which only a string can be.
          e = TypeError("a string (a shell command with %(device)s, %(label)s, %(filesystem)s)",
                        cmd, f.key + ".cmd");
        }
      }
      if (e) {
        c.errors.push_back(*e);
        continue;
      }
      c.filesystems.push_back(std::move(f));
    }
  }
  return c;
}

// ---------------------------------------------------------------- helpers

// shlex.split (POSIX mode), for lsblk --pairs and blkid output.
std::vector<std::string> ShlexSplit(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_token = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      if (in_token) out.push_back(std::move(cur));
      cur.clear();
      in_token = false;
      continue;
    }
    in_token = true;
    if (ch == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else if (ch == '\'') {
      size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) end = s.size();
      cur.append(s.substr(i + 1, end - i - 1));
      i = end;
    } else if (ch == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`')) {
          ++i;
        }
        cur += s[i];
      }
    } else {
      cur += ch;
    }
  }
  if (in_token) out.push_back(std::move(cur));
  return out;
}

// value_splitter: KEY=VALUE pairs of a shlex-split line.
Result<std::vector<std::pair<std::string, std::string>>> ValueSplitter(std::string_view line,
                                                                       size_t start) {
  std::vector<std::pair<std::string, std::string>> out;
  auto tokens = ShlexSplit(line);
  for (size_t i = start; i < tokens.size(); ++i) {
    auto kv = PySplit(tokens[i], '=');
    if (kv.size() != 2) return MakeError("cannot split " + Quote(tokens[i]) + " into KEY=VALUE");
    out.emplace_back(kv[0], kv[1]);
  }
  return out;
}

// Python's "%(name)s" % mapping, for `cmd`.
Result<std::string> PercentFormat(const std::string& tmpl,
                                  const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') {
      out += tmpl[i];
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t close = tmpl.find(')', i);
    if (i + 1 >= tmpl.size() || tmpl[i + 1] != '(' || close == std::string::npos ||
        close + 1 >= tmpl.size() || (tmpl[close + 1] != 's' && tmpl[close + 1] != 'r')) {
      return MakeError("unsupported format at " + Quote(tmpl.substr(i, 12)) +
                       " (only %(device)s, %(label)s, %(filesystem)s and %%)");
    }
    std::string name = tmpl.substr(i + 2, close - i - 2);
    auto it = vars.find(name);
    if (it == vars.end()) return MakeError("no value for " + Quote("%(" + name + ")s"));
    out += tmpl[close + 1] == 'r' ? PyStrRepr(it->second) : it->second;
    i = close + 1;
  }
  return out;
}

std::string Str(const std::optional<std::string>& s) { return s ? *s : "None"; }

struct LsblkEntry {
  std::string name, type, fstype, label;
};

struct FsInfo {
  std::optional<std::string> label, type, uuid;
};

// ---------------------------------------------------------------- the work

class DiskSetup {
 public:
  explicit DiskSetup(ModuleContext& ctx) : ctx_(ctx) {}

  std::optional<std::string> NameToDevice(const std::string& name);
  std::optional<std::string> AliasToDevice(const std::string& cand, const Config& c);
  Status MkPart(const DiskDef& d);
  Status MkFs(const FsDef& f);

 private:
  std::optional<std::string> Tool(const std::string& name) {
    auto it = which_.find(name);
    if (it == which_.end()) it = which_.emplace(name, distro::Which(ctx_.sys, name)).first;
    return it->second;
  }
  Result<std::string> NeedTool(const std::string& name) {
    auto t = Tool(name);
    if (!t) return MakeError(name + ": command not found");
    return *t;
  }
  // subp.subp: an error unless the exit code is in `rcs`.
  Result<CommandResult> Exec(std::vector<std::string> argv, std::string stdin_data = "",
                             std::vector<std::string> env = {}, std::vector<int> rcs = {0});
  bool HostExists(const std::string& path) {
    return path.starts_with("/") && ctx_.sys.StatHostPath(path).ok();
  }
  std::string RealPath(const std::string& path) {
    auto st = ctx_.sys.StatHostPath(path);
    return st ? st->real_path : path;
  }
  Status Settle();
  Status ReadPartTable(const std::string& device);
  Status AssertAndSettle(const std::string& device);
  Result<std::vector<LsblkEntry>> EnumerateDisk(const std::string& device, bool nodeps);
  Result<std::optional<std::string>> DeviceType(const std::string& device);
  Result<FsInfo> CheckFs(const std::string& device);
  Result<bool> IsDiskUsed(const std::string& device);
  Result<std::vector<std::optional<std::string>>> FoundLayout(const DiskDef& d,
                                                             const std::string& device);
  Result<bool> LayoutMatches(const DiskDef& d, const std::string& device);
  Result<double> HddSize(const std::string& device);
  Status PurgeDisk(const std::string& device);
  Status MkPartMbr(const DiskDef& d, const std::string& device, double size);
  Status MkPartGpt(const DiskDef& d, const std::string& device, double size);
  Result<std::pair<std::optional<std::string>, bool>> FindDeviceNode(const FsDef& f,
                                                                     const std::string& device);

  ModuleContext& ctx_;
  std::map<std::string, std::optional<std::string>> which_;
};

Result<CommandResult> DiskSetup::Exec(std::vector<std::string> argv, std::string stdin_data,
                                      std::vector<std::string> env, std::vector<int> rcs) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
  Command c{.argv = std::move(argv), .stdin_data = std::move(stdin_data), .env = std::move(env)};
  c.in_root = false;  // host devices
  auto r = ctx_.sys.Run(c);
  if (!r) return MakeError("'" + shown + "' could not run: " + r.error().ToString());
  if (std::find(rcs.begin(), rcs.end(), r->exit_code) == rcs.end()) {
    return MakeError("'" + shown + "' exited " + std::to_string(r->exit_code) + ": " +
                     PyStrip(r->err + r->out));
  }
  return r;
}

// util.udevadm_settle: nothing without udevadm.
Status DiskSetup::Settle() {
  if (!Tool("udevadm")) return Status::Ok();
  auto r = Exec({"udevadm", "settle"});
  if (!r) return r.error();
  return Status::Ok();
}

Status DiskSetup::ReadPartTable(const std::string& device) {
  std::vector<std::string> probe;
  if (auto partprobe = Tool("partprobe")) {
    probe = {*partprobe, device};
  } else {
    auto blockdev = NeedTool("blockdev");
    if (!blockdev) return blockdev.error();
    probe = {*blockdev, "--rereadpt", device};
  }
  if (Status s = Settle(); !s.ok()) return s;
  if (auto r = Exec(probe); !r) {
    ctx_.log.Warning("Failed reading the partition table " + r.error().message);
  }
  return Settle();
}

Status DiskSetup::AssertAndSettle(const std::string& device) {
  if (!HostExists(device)) {
    if (Status s = Settle(); !s.ok()) return s;
    if (!HostExists(device)) {
      return MakeError("Device " + device +
                       " did not exist and was not created with a udevadm settle.");
    }
  }
  return Settle();
}

Result<std::vector<LsblkEntry>> DiskSetup::EnumerateDisk(const std::string& device, bool nodeps) {
  auto lsblk = NeedTool("lsblk");
  if (!lsblk) return lsblk.error();
  std::vector<std::string> argv = {*lsblk, "--pairs", "--output", "NAME,TYPE,FSTYPE,LABEL", device};
  if (nodeps) argv.push_back("--nodeps");
  auto r = Exec(argv);
  if (!r) return MakeError("Failed during disk check for " + device + "\n" + r.error().message);
  std::vector<LsblkEntry> out;
  for (const auto& line : PySplit(PyStrip(r->out), '\n')) {
    if (SplitWhitespace(line).empty()) continue;
    auto kvs = ValueSplitter(line, 0);
    if (!kvs) return kvs.error();
    LsblkEntry e;
    for (const auto& [k, v] : *kvs) {
      std::string key = AsciiLower(k);
      if (key == "name") e.name = v;
      if (key == "type") e.type = v;
      if (key == "fstype") e.fstype = v;
      if (key == "label") e.label = v;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::optional<std::string>> DiskSetup::DeviceType(const std::string& device) {
  auto entries = EnumerateDisk(device, true);
  if (!entries) return entries.error();
  if (entries->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{AsciiLower(entries->front().type)};
}

Result<FsInfo> DiskSetup::CheckFs(const std::string& device) {
  auto blkid = NeedTool("blkid");
  if (!blkid) return blkid.error();
  auto r = Exec({*blkid, "-c", "/dev/null", device}, "", {}, {0, 2});
  if (!r) return MakeError("Failed during disk check for " + device + "\n" + r.error().message);
  FsInfo info;
  if (!r->out.empty() && PySplit(PyStrip(r->out), '\n').size() == 1) {
    auto kvs = ValueSplitter(r->out, 1);
    if (!kvs) return kvs.error();
    for (const auto& [k, v] : *kvs) {
      std::string key = AsciiLower(k);
      if (key == "label") info.label = v;
      if (key == "type") info.type = v;
      if (key == "uuid") info.uuid = v;
    }
  }
  return info;
}

Result<bool> DiskSetup::IsDiskUsed(const std::string& device) {
  auto entries = EnumerateDisk(device, false);
  if (!entries) return entries.error();
  if (entries->size() > 1) return true;
  auto fs = CheckFs(device);
  if (!fs) return fs.error();
  return fs->type.has_value() && !fs->type->empty();
}

// check_partition_{mbr,gpt}_layout: the type of each partition found.
Result<std::vector<std::optional<std::string>>> DiskSetup::FoundLayout(const DiskDef& d,
                                                                      const std::string& device) {
  std::vector<std::optional<std::string>> found;
  if (d.table_type == "mbr") {
    if (Status s = ReadPartTable(device); !s.ok()) return s.error();
    auto sfdisk = NeedTool("sfdisk");
    if (!sfdisk) return sfdisk.error();
    auto r = Exec({*sfdisk, "-l", device}, PyRepr(d.layout.raw) + "\n");
    if (!r) {
      return MakeError("Error running partition command on " + device + "\n" + r.error().message);
    }
    for (const auto& line : PySplit(r->out, '\n')) {
      auto f = SplitWhitespace(line);
      if (f.empty() || f[0].find(device) == std::string::npos) continue;
      std::string last = AsciiLower(f.back());
      if (last == "extended" || last == "empty") continue;
      std::optional<std::string> type_label;
      for (size_t x = f.size() - 1; x >= 1; --x) {
        if (std::all_of(f[x].begin(), f[x].end(), [](unsigned char c) { return std::isdigit(c); })) {
          type_label = f[x];
          break;
        }
      }
      found.push_back(type_label);
    }
    return found;
  }
  auto sgdisk = NeedTool("sgdisk");
  if (!sgdisk) return sgdisk.error();
  auto r = Exec({*sgdisk, "-p", device}, "", {"LANG=C"});
  if (!r) {
    return MakeError("Error running partition command on " + device + "\n" + r.error().message);
  }
  auto lines = PySplit(r->out, '\n');
  // splitlines() drops the newline that ends the output.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t i = 0;
  while (i < lines.size() && !PyStrip(lines[i]).starts_with("Number")) ++i;
  for (++i; i < lines.size(); ++i) {
    auto f = SplitWhitespace(lines[i]);
    if (f.size() < 6) {
      return MakeError("cannot read the partition type from sgdisk -p line " + Quote(lines[i]) +
                       " (IndexError: list index out of range)");
    }
    std::string code = f[5];
    if (code.size() == 4 && code.ends_with("00")) code = code.substr(0, 2);
    found.push_back(code);
  }
  return found;
}

Result<bool> DiskSetup::LayoutMatches(const DiskDef& d, const std::string& device) {
  auto found = FoundLayout(d, device);
  if (!found) return found.error();
  if (d.layout.kind == Layout::kWhole) return !found->empty();
  if (found->size() != d.layout.parts.size()) return false;
  for (size_t i = 0; i < found->size(); ++i) {
    const auto& want = d.layout.parts[i].type;
    if (want && Str((*found)[i]) != PyStr(*want)) return false;
  }
  return true;
}

Result<double> DiskSetup::HddSize(const std::string& device) {
  auto blockdev = NeedTool("blockdev");
  if (!blockdev) return blockdev.error();
  auto bytes = Exec({*blockdev, "--getsize64", device});
  if (!bytes) return MakeError("Failed to get " + device + " size\n" + bytes.error().message);
  auto ss = Exec({*blockdev, "--getss", device});
  if (!ss) return MakeError("Failed to get " + device + " size\n" + ss.error().message);
  try {
    return std::stod(PyStrip(bytes->out)) / std::stoll(PyStrip(ss->out));
  } catch (const std::exception&) {
    return MakeError("Failed to get " + device + " size: " + Quote(PyStrip(bytes->out)) + " / " +
                     Quote(PyStrip(ss->out)));
  }
}

Status DiskSetup::PurgeDisk(const std::string& device) {
  auto entries = EnumerateDisk(device, false);
  if (!entries) return entries.error();
  for (const auto& d : *entries) {
    if (d.type == "disk" || d.type == "crypt") continue;
    auto wipefs = NeedTool("wipefs");
    if (!wipefs) return wipefs.error();
    ctx_.log.Info("Purging filesystem on /dev/" + d.name);
    if (auto r = Exec({*wipefs, "--all", "/dev/" + d.name}); !r) {
      return MakeError("Failed FS purge of /dev/" + d.name + ": " + r.error().message);
    }
  }
  // purge_disk_ptable: zeros over the first and the last MiB (GPT keeps a
  // copy at the end). 22.4 writes them from Python; dd does it here.
  auto blockdev = NeedTool("blockdev");
  if (!blockdev) return blockdev.error();
  auto size = Exec({*blockdev, "--getsize64", device});
  if (!size) return size.error();
  long long bytes = std::atoll(PyStrip(size->out).c_str());
  constexpr long long kMiB = 1 << 20;
  if (bytes < kMiB) return MakeError(device + " is smaller than 1 MiB");
  for (long long seek : {0LL, bytes - kMiB}) {
    auto r = Exec({"dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=1",
                   "seek=" + std::to_string(seek), "oflag=seek_bytes", "conv=notrunc,fsync"});
    if (!r) return r.error();
  }
  ctx_.log.Info("Wiped the partition table of " + device + " (first and last MiB)");
  return ReadPartTable(device);
}

Status DiskSetup::MkPartMbr(const DiskDef& d, const std::string& device, double size) {
  // get_partition_mbr_layout
  std::string script;
  if (d.layout.kind == Layout::kWhole) {
    script = "0,";
  } else {
    if (d.layout.parts.size() > 4) return MakeError("Only simply partitioning is allowed.");
    for (size_t i = 0; i < d.layout.parts.size(); ++i) {
      const LayoutPart& p = d.layout.parts[i];
      std::string type = p.type ? PyStr(*p.type) : "83";
      if (!script.empty()) script += "\n";
      if (i + 1 == d.layout.parts.size()) {
        script += ",," + type;
      } else {
        auto part_size = static_cast<long long>(size * (p.percent / 100));
        script += "," + std::to_string(part_size) + "," + type;
      }
    }
  }
  ctx_.log.Debug("Layout is: " + script);
  auto sfdisk = NeedTool("sfdisk");
  if (!sfdisk) return sfdisk.error();
  if (auto r = Exec({*sfdisk, "--Linux", "--unit=S", "--force", device}, script + "\n"); !r) {
    return MakeError("Failed to partition device " + device + "\n" + r.error().message);
  }
  ctx_.log.Info("Created an MBR partition table on " + device + " (" + PyRepr(d.layout.raw) + ")");
  return ReadPartTable(device);
}

Status DiskSetup::MkPartGpt(const DiskDef& d, const std::string& device, double size) {
  // get_partition_gpt_layout: (type, start, end) per partition.
  struct Spec {
    std::optional<Value> type;
    std::string end;
  };
  std::vector<Spec> specs;
  if (d.layout.kind == Layout::kWhole) {
    specs.push_back({std::nullopt, "0"});
  } else {
    for (const LayoutPart& p : d.layout.parts) {
      auto part_size = static_cast<long long>(size * (p.percent / 100));
      specs.push_back({p.type, "+" + std::to_string(part_size)});
    }
    specs.back().end = "0";
  }
  auto sgdisk = NeedTool("sgdisk");
  if (!sgdisk) return sgdisk.error();
  auto fail = [&](const Error& e) {
    ctx_.log.Warning("Failed to partition device " + device);
    return e;
  };
  if (auto r = Exec({*sgdisk, "-Z", device}); !r) return fail(r.error());
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string n = std::to_string(i + 1);
    if (auto r = Exec({*sgdisk, "-n", n + ":0:" + specs[i].end, device}); !r) {
      return fail(r.error());
    }
    if (specs[i].type) {
      std::string code = PyStr(*specs[i].type);  // 82 -> 8200, 'Linux' stays
      while (code.size() < 4) code += '0';
      if (auto r = Exec({*sgdisk, "-t", n + ":" + code, device}); !r) return fail(r.error());
    }
  }
  ctx_.log.Info("Created a GPT partition table on " + device + " (" + PyRepr(d.layout.raw) + ")");
  return ReadPartTable(device);
}

Status DiskSetup::MkPart(const DiskDef& d) {
  if (Status s = AssertAndSettle(d.device); !s.ok()) return s;
  std::string device = RealPath(d.device);
  if (d.layout.kind == Layout::kNone) {
    ctx_.log.Debug("Device " + device + " is not to be partitioned, skipping");
    return Status::Ok();
  }
  // is_device_valid: a failed query is "not a disk".
  auto type = DeviceType(device);
  if (!type) ctx_.log.Warning("Query against device " + device + " failed");
  if (!type || *type != "disk") {
    return MakeError("Device " + device + " is not a disk device!");
  }
  if (d.layout.kind == Layout::kRemove) {
    ctx_.log.Debug("Instructed to remove partition table entries");
    return PurgeDisk(device);
  }
  auto matches = LayoutMatches(d, device);
  if (!matches) return matches.error();
  if (*matches) {
    ctx_.log.Info("Partitioning of " + device + " already matches " + PyRepr(d.layout.raw) +
                  ", skipping");
    return Status::Ok();
  }
  if (!d.overwrite) {
    auto used = IsDiskUsed(device);
    if (!used) return used.error();
    bool in_use = *used;
    if (!in_use) {
      auto fs = CheckFs(device);
      if (!fs) return fs.error();
      in_use = fs->type.has_value() && !fs->type->empty();
    }
    if (in_use) {
      ctx_.log.Info("Device " + device +
                    " already has a partition table or a filesystem and overwrite is false: "
                    "not partitioning it, skipping");
      return Status::Ok();
    }
  }
  auto size = HddSize(device);
  if (!size) return size.error();
  return d.table_type == "gpt" ? MkPartGpt(d, device, *size) : MkPartMbr(d, device, *size);
}

Result<std::pair<std::optional<std::string>, bool>> DiskSetup::FindDeviceNode(
    const FsDef& f, const std::string& device) {
  using Found = std::pair<std::optional<std::string>, bool>;
  bool label_match = AsciiLower(f.partition) != "any";
  std::string label = f.label.value_or("");
  auto entries = EnumerateDisk(device, false);
  if (!entries) return entries.error();
  bool raw_device_used = false;
  for (const auto& d : *entries) {
    // A missing fstype is "" from lsblk, which never equals None or False.
    if (f.replace_fs && d.fstype == *f.replace_fs && !label_match) {
      return Found{"/dev/" + d.name, false};
    }
    if (f.filesystem && d.fstype == *f.filesystem && (!label_match || d.label == label)) {
      return Found{"/dev/" + d.name, true};
    }
    if (d.type == "disk" || d.type == "part") {
      if (d.type != "disk" || !d.fstype.empty()) raw_device_used = true;
      if (d.type != "disk" && d.fstype.empty()) return Found{"/dev/" + d.name, false};
    }
  }
  if (!raw_device_used) return Found{device, false};
  ctx_.log.Warning("Failed to find device during available device search.");
  return Found{std::nullopt, false};
}

// cc_disk_setup.lookup_force_flag.
std::string ForceFlag(const std::string& fs, const Logger& log) {
  std::string lower = AsciiLower(fs);
  if (lower.find("ext") != std::string::npos) return "-F";
  if (lower == "btrfs" || lower == "xfs" || lower == "reiserfs" || lower == "swap") return "-f";
  log.Warning("Force flag for " + fs + " is unknown.");
  return "";
}

Status DiskSetup::MkFs(const FsDef& f) {
  if (Status s = AssertAndSettle(f.device); !s.ok()) return s;
  std::string device = RealPath(f.device);
  std::string partition = f.partition;
  std::string lower = AsciiLower(partition);
  bool digits = !partition.empty() &&
                std::all_of(partition.begin(), partition.end(),
                            [](unsigned char c) { return std::isdigit(c); });
  if (partition.empty() || digits) {
    if (digits) device += partition;  // as 22.4: /dev/vdb + 1 (not /dev/loop0p1)
    auto fs = CheckFs(device);
    if (!fs) return fs.error();
    if (fs->label == f.label && fs->type == f.filesystem) {
      if (!f.overwrite) {
        ctx_.log.Info("Device " + device + " already has the required file system (" +
                      Str(f.filesystem) + ", label " + Str(f.label) + "), skipping");
        return Status::Ok();
      }
      ctx_.log.Warning("Destroying filesystem on " + device);
    }
  } else if (lower == "auto" || lower == "any") {
    auto found = FindDeviceNode(f, device);
    if (!found) return found.error();
    if (found->second) {
      ctx_.log.Info("Found a " + Str(f.filesystem) + " filesystem on " + *found->first +
                    " matching " + f.key + ", skipping formatting");
      return Status::Ok();
    }
    if (!found->first) {
      ctx_.log.Info("No device available that matches " + f.key + " on " + device +
                    ", skipping fs creation");
      return Status::Ok();
    }
    if (f.replace_fs) ctx_.log.Debug("Replacing file system on " + *found->first + " as instructed.");
    device = *found->first;
  } else if (lower == "none") {
    ctx_.log.Debug("Using the raw device to place filesystem " + Str(f.label) + " on");
  } else {
    ctx_.log.Warning(f.key + ".partition: " + Quote(partition) +
                     " is not 'auto', 'any', 'none' or a number (Error in device identification "
                     "handling), skipping");
    return Status::Ok();
  }
  bool have_fs = f.filesystem && !f.filesystem->empty();
  if (!have_fs && (!f.cmd || f.cmd->empty())) {
    return MakeError("No way to create filesystem '" + Str(f.label) +
                     "'. fs_type or fs_cmd must be set.");
  }
  Command cmd;
  std::string shown;
  if (f.cmd && !f.cmd->empty()) {
    auto text = PercentFormat(*f.cmd, {{"label", Str(f.label)},
                                       {"filesystem", Str(f.filesystem)},
                                       {"device", device}});
    if (!text) {
      Error e = text.error();
      e.key = f.key + ".cmd";
      return e;
    }
    if (f.overwrite) {
      ctx_.log.Warning("fs_setup:overwrite ignored because cmd was specified: " + *text);
    }
    if (!f.extra_opts.empty()) {
      ctx_.log.Warning("fs_setup:extra_opts ignored because cmd was specified: " + *text);
    }
    cmd.argv = {"/bin/sh", "-c", *text};
    shown = *text;
  } else {
    const std::string& fs = *f.filesystem;
    auto mkfs = Tool("mkfs." + fs);
    if (!mkfs) mkfs = Tool("mk" + fs);
    if (!mkfs) {
      ctx_.log.Warning("Cannot create fstype '" + fs + "'.  No mkfs." + fs + " command, skipping");
      return Status::Ok();
    }
    cmd.argv = {*mkfs};
    if (f.label && !f.label->empty()) cmd.argv.insert(cmd.argv.end(), {"-L", *f.label});
    bool force = f.overwrite;
    if (!force) {
      auto type = DeviceType(device);
      if (!type) return type.error();
      force = *type == "disk";
    }
    if (force) {
      if (std::string flag = ForceFlag(fs, ctx_.log); !flag.empty()) cmd.argv.push_back(flag);
    }
    cmd.argv.insert(cmd.argv.end(), f.extra_opts.begin(), f.extra_opts.end());
    cmd.argv.push_back(device);
    for (const auto& a : cmd.argv) shown += (shown.empty() ? "" : " ") + a;
  }
  cmd.in_root = false;
  auto r = ctx_.sys.Run(cmd);
  if (!r || r->exit_code != 0) {
    std::string why = !r ? r.error().ToString()
                         : "exit " + std::to_string(r->exit_code) + ": " + PyStrip(r->err + r->out);
    return MakeError("Failed to exec of '" + shown + "': " + why);
  }
  ctx_.log.Info("Created " + (f.filesystem ? *f.filesystem + " " : std::string()) +
                "filesystem " + Quote(f.label.value_or("")) + " on " + device + " (" + shown + ")");
  return Status::Ok();
}

// cloud.device_name_to_device. OpenStack and ConfigDrive (their
// SourceMixin): the EC2 block-device-mapping, then a filesystem labelled
// `name`; every other datasource nubo has maps nothing.
std::optional<std::string> DiskSetup::NameToDevice(const std::string& name) {
  const std::string& ds = ctx_.instance.datasource;
  if (name.empty() || (ds != "OpenStack" && ds != "ConfigDrive")) return std::nullopt;
  std::vector<std::string> names = {name};
  if (name == "root") names.insert(names.begin(), "ami");
  if (name == "ami") names.push_back("root");
  auto validate = [&](std::string dev) -> std::optional<std::string> {
    if (dev.empty()) return std::nullopt;
    if (!dev.starts_with("/")) dev = "/dev/" + dev;
    if (HostExists(dev)) return dev;
    // _remap_device: sdX named by the metadata may be vdX or xvdX here.
    std::string base = dev.substr(dev.rfind('/') + 1);
    if (base.starts_with("sd")) {
      for (const char* to : {"vd", "xvd", "vtb"}) {
        std::string cand = "/dev/" + std::string(to) + base.substr(2);
        if (HostExists(cand)) return cand;
      }
    }
    return std::nullopt;
  };
  const Value& bdm = Get(Get(ctx_.instance.ds_extra, "ec2_metadata"), "block-device-mapping");
  for (const auto& n : names) {
    const Value& dev = Get(bdm, n);
    if (dev.is_string()) {
      if (auto v = validate(dev.get<std::string>())) return v;
    }
  }
  for (const auto& n : names) {
    if (n == "swap") continue;  // TYPE=swap: not looked up (libblkid finds labels here)
    auto found = ctx_.sys.FindFilesystems({n});
    if (found && !found->empty()) {
      if (auto v = validate(found->front().devname)) return v;
    }
  }
  return std::nullopt;
}

// handle()'s alias_to_device.
std::optional<std::string> DiskSetup::AliasToDevice(const std::string& cand, const Config& c) {
  std::optional<std::string> name;
  if (auto it = c.aliases.find(cand); it != c.aliases.end()) name = it->second;
  if (auto dev = NameToDevice(name && !name->empty() ? *name : cand)) return dev;
  return name;
}

Status Run(ModuleContext& ctx) {
  Config c = ParseConfig(ctx.config);
  if (!ctx.sys.IsHostRoot()) {
    ctx.log.Info("the target root is not the host's '/': not partitioning or formatting "
                 "host disks, skipping");
    c.disks.clear();
    c.filesystems.clear();
  }
  DiskSetup ds(ctx);

  // update_disk_setup_devices: a translated name moves to the end.
  std::vector<DiskDef> disks;
  std::vector<DiskDef> moved;
  for (DiskDef& d : c.disks) {
    auto t = ds.AliasToDevice(d.device, c);
    if (!t || *t == d.device) {
      disks.push_back(std::move(d));
      continue;
    }
    ctx.log.Debug("updated disk_setup device entry '" + d.device + "' to '" + *t + "'");
    auto same = [&](const DiskDef& o) { return o.device == *t; };
    if (std::erase_if(disks, same) + std::erase_if(moved, same) > 0) {
      ctx.log.Info("Replacing " + d.device + " in disk_setup for translation of " + *t);
    }
    d.device = *t;
    moved.push_back(std::move(d));
  }
  for (DiskDef& d : moved) disks.push_back(std::move(d));
  for (const DiskDef& d : disks) {
    if (Status s = ds.MkPart(d); !s.ok()) {
      ctx.log.Warning("Failed partitioning operation\n" + s.error().ToString());
    }
  }

  for (FsDef& f : c.filesystems) {
    // update_fs_setup_devices: <dev>.<N> names partition N of <dev>.
    std::string orig = f.device;
    std::string dev = orig;
    std::optional<std::string> part;
    if (size_t dot = orig.rfind('.'); dot != std::string::npos) {
      dev = orig.substr(0, dot);
      part = orig.substr(dot + 1);
    }
    if (auto t = ds.AliasToDevice(dev, c)) {
      ctx.log.Debug(orig + " is mapped to disk=" + *t + " part=" + Str(part));
      f.device = *t;
    }
    if (part && !part->empty()) {
      if (f.has_partition) {
        ctx.log.Warning("Partition '" + *part + "' from dotted device name '" + orig +
                        "' overrides 'partition' key in " + f.key);
      }
      f.partition = *part;
    }
    if (Status s = ds.MkFs(f); !s.ok()) {
      ctx.log.Warning("Failed during filesystem operation\n" + s.error().ToString());
    }
  }

  if (c.errors.empty()) return Status::Ok();
  if (c.errors.size() == 1) return c.errors.front();
  std::string all;
  for (const Error& e : c.errors) all += (all.empty() ? "" : "; ") + e.ToString();
  return MakeError(std::to_string(c.errors.size()) + " bad entries: " + all);
}

}  // namespace

const ModuleSpec kSpec{
    .name = "disk_setup",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"disk_setup", "fs_setup"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("disk_setup")
                  .Values(spec::Map({spec::Str("table_type").Enum({"mbr", "gpt"}),
                                     spec::OneOf("layout", {spec::Str().Enum({"remove"}), spec::Bool(),
                                                            spec::List(spec::OneOf(
                                                                {spec::Int(), spec::List(spec::Int()).MinItems(2).MaxItems(2)}))}),
                                     spec::Bool("overwrite")})
                              .Closed(),
                          "^.+$"),
              spec::List("fs_setup",
                         spec::Map({spec::Str("label"), spec::Str("filesystem"), spec::Str("device"),
                                    spec::OneOf("partition", {spec::Str().Enum({"auto", "any", "none"})}),
                                    spec::Bool("overwrite"), spec::Str("replace_fs"),
                                    spec::OneOf("extra_opts", {spec::List(spec::Str()), spec::Str()}),
                                    spec::OneOf("cmd", {spec::List(spec::Str()), spec::Str()})})
                             .Closed()),
              spec::Map("device_aliases").Values(spec::Str(), "^.+$")}; },
    .run = &Run,
};

}  // namespace nubo::modules::disk_setup
