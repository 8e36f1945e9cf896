// module_harness.h — runs one module against a TestSystem, for module tests.
//
//   ModuleHarness h(modules::runcmd::kSpec);
//   Status s = h.RunYaml("runcmd: [ls]\n");
//   EXPECT_EQ(h.sys.Read(h.paths.InstancePath("scripts/runcmd")), "...");
//   EXPECT_TRUE(h.sink.Contains(LogLevel::kInfo, "wrote"));
#pragma once

#include <string>

#include "nubo/module.h"
#include "support/test_system.h"

namespace nubo::testing {

class ModuleHarness {
 public:
  explicit ModuleHarness(const ModuleSpec& spec, std::string instance_id = "iid-1");

  // Runs the module with `config` as the merged config, at the module's
  // default frequency.
  Status Run(const Value& config = Value::object());
  // The same with the config given as YAML (a test failure when it does not parse).
  Status RunYaml(const std::string& yaml);

  const ModuleSpec& spec;
  TestSystem sys;
  CapturingSink sink;
  Logger log;
  InstanceData instance;
  Paths paths;
  std::string console;  // everything the module printed to the console
  Value config = Value::object();
};

}  // namespace nubo::testing
