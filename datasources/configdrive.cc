// The config drive, as cloud-init 22.4.2's DataSourceConfigDrive reads it
// (seed dirs first, then labelled devices; read_v2; on_first_boot).

#include "datasources/configdrive.h"

#include "nubo/sources.h"
#include "nubo/value.h"

namespace nubo::datasources::configdrive {
namespace {

using openstack::RawDoc;
using openstack::RawTree;

constexpr size_t kMaxFile = 16 << 20;

const char* const kSeedDirs[] = {"/var/lib/cloud/seed/config_drive", "/config-drive"};
const std::vector<std::string> kLabels = {"config-2", "CONFIG-2"};

RawDoc ReadDoc(const TreeReader& r, const std::string& source, const std::string& rel) {
  std::string where = source + "/" + rel;
  auto got = r.read(rel);
  if (!got) return RawDoc::Absent(where, got.error().ToString(), true);
  if (!*got) return RawDoc::Absent(where, "not there");
  if ((*got)->size() > kMaxFile) {
    return RawDoc::Absent(where, "larger than " + std::to_string(kMaxFile) + " bytes, refused", true);
  }
  return RawDoc::Found(where, std::move(**got));
}

bool DirExists(System& sys, const std::string& dir) {
  auto st = sys.Stat(dir);
  return st.ok() && st->is_dir;
}

Result<std::optional<std::string>> ReadOptional(Result<std::string> r) {
  if (r) return std::optional<std::string>(std::move(*r));
  if (r.error().errno_value == ENOENT || r.error().errno_value == ENOTDIR) return std::optional<std::string>();
  return r.error();
}

bool Detect(DatasourceContext& ctx) {
  for (const char* d : kSeedDirs) {
    if (DirExists(ctx.sys, d)) return true;
  }
  auto found = ctx.sys.FindFilesystems(kLabels);
  if (!found) {
    ctx.log.Warning(found.error().message + ", not looking for config drives");
    return false;
  }
  return !found->empty();
}

// on_first_boot: the injected files, mode 0660, on a new instance only.
void WriteInjectedFiles(DatasourceContext& ctx, const std::vector<openstack::InjectedFile>& files,
                        const Logger& log) {
  if (files.empty()) return;
  log.Debug("writing " + std::to_string(files.size()) + " injected files");
  for (const auto& f : files) {
    std::string path = f.path.empty() || f.path.front() != '/' ? "/" + f.path : f.path;
    WriteOptions o;
    o.mode = 0660;
    if (Status s = ctx.sys.WriteFile(path, f.content, o); !s.ok()) {
      log.Warning("failed writing injected file " + Quote(path) + ": " + s.error().ToString());
    } else {
      log.Info("wrote injected file " + Quote(path));
    }
  }
}

Result<InstanceData> FromTree(DatasourceContext& ctx, const RawTree& tree, const std::string& source,
                              bool is_device, const Logger& log) {
  auto built = openstack::BuildInstanceData(tree, "ConfigDrive", log);
  if (!built) return MakeError("broken config drive " + Quote(source) + ": " + built.error().message);
  InstanceData d = std::move(built->data);
  // dsmode: meta.dsmode, else the datasource config's, else net.
  const Value& meta_mode = Get(Get(d.meta_data, "meta"), "dsmode");
  const Value& cfg_mode = Get(Get(Get(ctx.config, "datasource"), "ConfigDrive"), "dsmode");
  if (meta_mode.is_null() && cfg_mode.is_string()) d.dsmode = cfg_mode.get<std::string>();
  if (d.dsmode == "disabled") return MakeError("not found: " + source + " has dsmode 'disabled'");

  std::string prev_iid;
  if (auto t = ctx.sys.ReadFile(ctx.paths.DataPath("instance-id"))) {
    prev_iid = *t;
    while (!prev_iid.empty() && prev_iid.back() == '\n') prev_iid.pop_back();
  }
  if (prev_iid != d.instance_id) WriteInjectedFiles(ctx, built->files, log);
  if (d.dsmode == "pass") return MakeError("not found: " + source + " has dsmode 'pass': not claiming it");

  d.description = "DataSourceConfigDrive [" + d.dsmode + ",ver=2][source=" + source + "]";
  d.subplatform = std::string(is_device ? "config-disk" : "seed-dir") + " (" + source + ")";
  return d;
}

Result<InstanceData> Crawl(DatasourceContext& ctx) {
  Logger log = ctx.log.Child("ConfigDrive");
  for (const char* dir : kSeedDirs) {
    if (!DirExists(ctx.sys, dir)) continue;
    auto tree = ReadConfigDriveTree(RootTreeReader(ctx.sys, dir), dir, log);
    if (!tree) {
      log.Warning("failed reading config drive from " + Quote(dir) + ": " + tree.error().message);
      continue;
    }
    return FromTree(ctx, *tree, dir, false, log);
  }
  auto found = ctx.sys.FindFilesystems(kLabels);
  if (!found) log.Warning(found.error().message + ", not looking for config drives");
  for (const BlockDevice& dev : found ? *found : std::vector<BlockDevice>{}) {
    auto mounted = ctx.sys.MountReadOnly(dev);
    if (!mounted) {
      log.Debug("cannot mount " + Quote(dev.devname) + ": " + mounted.error().ToString());
      continue;
    }
    auto tree = ReadConfigDriveTree(HostTreeReader(ctx.sys, *mounted), dev.devname, log);
    ctx.sys.Unmount(*mounted);
    if (!tree) {
      log.Debug(Quote(dev.devname) + " is not a config drive: " + tree.error().message);
      continue;
    }
    return FromTree(ctx, *tree, dev.devname, true, log);
  }
  return MakeError("not found: no config drive");
}

}  // namespace

const DatasourceSpec kSpec{
    .name = "ConfigDrive",
    .needs_network = false,
    .detect = &Detect,
    .crawl = &Crawl,
};

TreeReader HostTreeReader(System& sys, std::string host_dir) {
  return {
      [&sys, host_dir](const std::string& rel) { return ReadOptional(sys.ReadHostFile(host_dir + "/" + rel)); },
      [&sys, host_dir](const std::string& rel) {
        auto l = sys.ListHostDir(host_dir + "/" + rel);
        return l ? *l : std::vector<std::string>{};
      },
  };
}

TreeReader RootTreeReader(System& sys, std::string dir) {
  return {
      [&sys, dir](const std::string& rel) { return ReadOptional(sys.ReadFile(dir + "/" + rel)); },
      [&sys, dir](const std::string& rel) {
        auto l = sys.ListDir(dir + "/" + rel);
        return l ? *l : std::vector<std::string>{};
      },
  };
}

Result<RawTree> ReadConfigDriveTree(const TreeReader& reader, const std::string& source, const Logger& log) {
  RawTree tree;
  tree.source = source;
  // cloud-init lists every entry of openstack/ (files too) as a version.
  tree.version = openstack::SelectVersion(reader.list("openstack"));
  std::string base = "openstack/" + tree.version + "/";
  tree.meta_data = ReadDoc(reader, source, base + "meta_data.json");
  if (!tree.meta_data.body) {
    return MakeError("missing mandatory path '" + tree.meta_data.where + "'");
  }
  tree.user_data = ReadDoc(reader, source, base + "user_data");
  tree.vendor_data = ReadDoc(reader, source, base + "vendor_data.json");
  tree.vendor_data2 = ReadDoc(reader, source, base + "vendor_data2.json");
  tree.network_data = ReadDoc(reader, source, base + "network_data.json");
  tree.password = ReadDoc(reader, source, base + "password");
  RawDoc ec2 = ReadDoc(reader, source, "ec2/latest/meta-data.json");
  if (ec2.body) {
    Value v = Value::parse(*ec2.body, nullptr, false);
    if (v.is_object()) tree.ec2 = v;
    else log.Warning("'" + ec2.where + "' is not a JSON object, ignoring it");
  }
  if (auto md = openstack::ParseMetaDataJson(*tree.meta_data.body, tree.meta_data.where)) {
    for (const std::string& path : openstack::ContentPaths(*md)) {
      tree.content[path] = ReadDoc(reader, source, "openstack/" + path);
    }
  }
  return tree;
}

}  // namespace nubo::datasources::configdrive
