// scripts_user: runs the user-data scripts and the
// runcmd script in <instance dir>/scripts, in name order (cloud-init's
// cc_scripts_user).

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::scripts_user {

namespace {

Status Run(ModuleContext& ctx) {
  return RunScriptsModule(ctx, "scripts", ctx.paths.InstancePath("scripts"));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "scripts_user",
    .aliases = {"scripts-user"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{}; },
    .run = &Run,
};

}  // namespace nubo::modules::scripts_user
