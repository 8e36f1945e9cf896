// scripts_per_instance: runs the scripts in
// /var/lib/cloud/scripts/per-instance once per instance (cloud-init's
// cc_scripts_per_instance).

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::scripts_per_instance {

namespace {

Status Run(ModuleContext& ctx) {
  return RunScriptsModule(ctx, "per-instance", ctx.paths.ScriptsDir("per-instance"));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "scripts_per_instance",
    .aliases = {"scripts-per-instance"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{}; },
    .run = &Run,
};

}  // namespace nubo::modules::scripts_per_instance
