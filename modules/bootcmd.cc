// bootcmd: runs the user's `bootcmd` early in every boot (cloud-init's
// cc_bootcmd): the commands are written, shellified, to a temporary script
// under /run/cloud-init/tmp and run with /bin/sh, INSTANCE_ID set.

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::bootcmd {

namespace {

// cloud-init's temp_utils directory for root (/run survives tmp cleaners).
constexpr mode_t kTmpDirMode = 01777;

Status Run(ModuleContext& ctx) {
  const Value& commands = Get(ctx.config, "bootcmd");
  auto script = Shellify(commands, "bootcmd");
  if (!script) {
    Error e = script.error();
    e.message = "Failed to shellify bootcmd: " + e.message;
    return e;
  }
  std::string tmp_dir = ctx.paths.RunPath("tmp");
  if (Status s = ctx.sys.MakeDirs(tmp_dir, kTmpDirMode); !s.ok()) return s;
  std::string path = tmp_dir + "/bootcmd.sh";
  WriteOptions options;
  options.mode = 0600;  // as NamedTemporaryFile creates it
  if (Status s = ctx.sys.WriteFile(path, *script, options); !s.ok()) return s;

  Command command{.argv = {"/bin/sh", path}, .to_output_log = true};
  std::string iid =
      ctx.instance.instance_id.empty() ? ctx.paths.instance_id : ctx.instance.instance_id;
  if (!iid.empty()) command.env.push_back("INSTANCE_ID=" + iid);
  ctx.log.Debug("running '/bin/sh " + path + "'");
  auto result = ctx.sys.Run(command);
  if (Status s = ctx.sys.Remove(path); !s.ok()) {
    ctx.log.Debug("cannot remove '" + path + "': " + s.error().ToString());
  }
  if (!result) {
    Error e = result.error();
    e.message = "Failed to run bootcmd module bootcmd: " + e.message;
    if (e.key.empty()) e.key = "bootcmd";
    return e;
  }
  if (result->exit_code != 0) {
    return MakeError("Failed to run bootcmd module bootcmd: '/bin/sh " + path +
                         "' exited with code " + std::to_string(result->exit_code),
                     "bootcmd");
  }
  ctx.log.Info("ran bootcmd ('/bin/sh " + path + "')");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "bootcmd",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {"bootcmd"},
    .reads = [] { return std::vector<KeySpec>{spec::List("bootcmd", spec::OneOf({spec::List(spec::Str()), spec::Str()})).MinItems(1)}; },
    .run = &Run,
};

}  // namespace nubo::modules::bootcmd
