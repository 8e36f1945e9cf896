// scripts_per_once: runs the scripts in
// /var/lib/cloud/scripts/per-once once ever (cloud-init's
// cc_scripts_per_once).

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::scripts_per_once {

namespace {

Status Run(ModuleContext& ctx) {
  return RunScriptsModule(ctx, "per-once", ctx.paths.ScriptsDir("per-once"));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "scripts_per_once",
    .aliases = {"scripts-per-once"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kOnce,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{}; },
    .run = &Run,
};

}  // namespace nubo::modules::scripts_per_once
