// runcmd: writes the user's `runcmd` as a shell script to
// <instance dir>/scripts/runcmd (cloud-init's cc_runcmd). It does not run
// it: scripts_user does, in the final stage.

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::runcmd {

namespace {

constexpr mode_t kScriptMode = 0700;

Status Run(ModuleContext& ctx) {
  std::string path = ctx.paths.InstancePath("scripts") + "/runcmd";
  auto script = Shellify(Get(ctx.config, "runcmd"), "runcmd");
  if (!script) {
    Error e = script.error();
    e.message = "Failed to shellify runcmd into file '" + path + "': " + e.message;
    return e;
  }
  WriteOptions options;
  options.mode = kScriptMode;
  if (Status s = ctx.sys.WriteFile(path, *script, options); !s.ok()) return s;
  ctx.log.Info("wrote '" + path + "' (0700, root:root)");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "runcmd",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"runcmd"},
    .reads = [] { return std::vector<KeySpec>{spec::List("runcmd", spec::OneOf({spec::List(spec::Str()), spec::Str(), spec::Null()})).MinItems(1)}; },
    .run = &Run,
};

}  // namespace nubo::modules::runcmd
