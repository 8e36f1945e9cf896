// scripts_vendor: runs the scripts vendor-data supplied, kept in
// <instance dir>/scripts/vendor (cloud-init's cc_scripts_vendor).

#include "modules/modules.h"
#include "nubo/runparts.h"

namespace nubo::modules::scripts_vendor {

namespace {

Status Run(ModuleContext& ctx) {
  const Value& prefix = Get(Get(ctx.config, "vendor_data"), "prefix");
  if (!prefix.is_null() && !(prefix.is_array() && prefix.empty())) {
    ctx.log.Warning("vendor_data.prefix is not supported yet, running the scripts without it");
  }
  return RunScriptsModule(ctx, "vendor", ctx.paths.InstancePath("scripts/vendor"));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "scripts_vendor",
    .aliases = {"scripts-vendor"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Map("vendor_data", {spec::OneOf("enabled", {spec::Bool(), spec::Str().Deprecated("use a boolean")}),
                                       spec::OneOf("prefix", {spec::List(spec::OneOf({spec::Str(), spec::Int()})),
                                                              spec::Str()})})
                   .Closed()}; },
    .run = &Run,
};

}  // namespace nubo::modules::scripts_vendor
