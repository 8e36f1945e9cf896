#include "support/module_harness.h"

#include <gtest/gtest.h>

namespace nubo::testing {

ModuleHarness::ModuleHarness(const ModuleSpec& module_spec, std::string instance_id)
    : spec(module_spec), log(&sink, std::string(module_spec.name)) {
  paths.instance_id = instance_id;
  instance.instance_id = std::move(instance_id);
}

Status ModuleHarness::Run(const Value& cfg) {
  config = cfg;
  ModuleContext ctx{.name = std::string(spec.name),
                    .config = config,
                    .instance = instance,
                    .sys = sys,
                    .log = log,
                    .paths = paths,
                    .frequency = spec.frequency,
                    .dry_run = false,
                    .console = [this](std::string_view text) { console += text; },
                    .version = "0.0-test"};
  return spec.run(ctx);
}

Status ModuleHarness::RunYaml(const std::string& yaml) {
  auto parsed = ParseYaml(yaml, "test config");
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return Run(parsed.ok() && parsed->is_object() ? *parsed : Value::object());
}

}  // namespace nubo::testing
