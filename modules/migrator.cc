// migrator: renames semaphore files to their canonical names ('-' becomes
// '_': "config_scripts-user.once" -> "config_scripts_user.once") in the
// instance's and the cloud's sem directories, so a module that ran under an
// old spelling does not run again (cloud-init's cc_migrator). `migrate:
// false` turns it off.

#include <algorithm>

#include "modules/modules.h"

namespace nubo::modules::migrator {

namespace {

// os.path.splitext on a file name: the extension starts at the last dot
// that is not part of the leading dots.
std::pair<std::string, std::string> SplitExt(const std::string& name) {
  size_t dot = name.rfind('.');
  size_t first = name.find_first_not_of('.');
  if (dot == std::string::npos || first == std::string::npos || dot < first) return {name, ""};
  return {name.substr(0, dot), name.substr(dot)};
}

std::string CanonSemName(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// Moves `from` to `to` (replacing it) keeping content and mode.
Status Move(System& sys, const std::string& from, const std::string& to, mode_t mode) {
  auto content = sys.ReadFile(from);
  if (!content) return content.error();
  WriteOptions options;
  options.mode = mode;
  if (Status s = sys.WriteFile(to, *content, options); !s.ok()) return s;
  return sys.Remove(from);
}

Result<int> CanonicalizeSems(ModuleContext& ctx, const std::string& dir) {
  auto info = ctx.sys.Stat(dir);
  if (!info || !info->is_dir) return 0;
  auto names = ctx.sys.ListDir(dir);
  if (!names) return names.error();
  int moved = 0;
  for (const std::string& name : *names) {
    std::string path = dir + "/" + name;
    auto file = ctx.sys.Stat(path);
    if (!file || !file->is_regular) continue;
    auto [base, ext] = SplitExt(name);
    std::string canon = CanonSemName(base);
    if (canon == base) continue;
    std::string target = dir + "/" + canon + ext;
    if (Status s = Move(ctx.sys, path, target, file->mode); !s.ok()) return s.error();
    ctx.log.Info("renamed semaphore '" + path + "' to '" + target + "'");
    ++moved;
  }
  return moved;
}

Status Run(ModuleContext& ctx) {
  // get_cfg_option_str then translate_bool: str() of the value must be a
  // true word ("True", "yes", "1", ...); absent means true.
  if (ctx.config.is_object() && ctx.config.contains("migrate") &&
      !IsTrue(Value(PyStr(ctx.config["migrate"])))) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", migration disabled");
    return Status::Ok();
  }
  int moved = 0;
  std::vector<std::string> dirs;
  if (!ctx.paths.instance_id.empty()) dirs.push_back(ctx.paths.InstancePath("sem"));
  dirs.push_back(ctx.paths.CloudSemDir());
  for (const std::string& dir : dirs) {
    auto n = CanonicalizeSems(ctx, dir);
    if (!n) return n.error();
    moved += *n;
  }
  ctx.log.Debug("Migrated " + std::to_string(moved) +
                " semaphore files to their canonicalized names");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "migrator",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"migrate", KeyType::kBool}}; },
    .run = &Run,
};

}  // namespace nubo::modules::migrator
