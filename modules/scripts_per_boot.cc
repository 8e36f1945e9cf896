// scripts_per_boot: runs the scripts in
// /var/lib/cloud/scripts/per-boot on every boot (cloud-init's
// cc_scripts_per_boot).

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::scripts_per_boot {

namespace {

Status Run(ModuleContext& ctx) {
  return RunScriptsModule(ctx, "per-boot", ctx.paths.ScriptsDir("per-boot"));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "scripts_per_boot",
    .aliases = {"scripts-per-boot"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{}; },
    .run = &Run,
};

}  // namespace nubo::modules::scripts_per_boot
