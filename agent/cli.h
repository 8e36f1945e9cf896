// cli.h — nubo's command line, which is cloud-init's.
//
//   // main.cc
//   return nubo::agent::RunCommandLine({argv, argv + argc}, {});
//
//   // tests: run a stage in-process against a TestSystem
//   CliEnv env;
//   env.system = &test_system;
//   env.out = &captured;
//   int rc = RunCommandLine({"cloud-init", "init", "--local"}, env);
#pragma once

#include <string>
#include <vector>

#include "nubo/log.h"
#include "nubo/system.h"

namespace nubo::agent {

struct CliEnv {
  System* system = nullptr;         // null: a RealSystem on --root (default "/")
  std::string* out = nullptr;       // null: stdout
  LogSink* extra_sink = nullptr;    // also receives every log line (tests)
  bool tee_output_log = true;       // stage output to /var/log/cloud-init-output.log
};

int RunCommandLine(const std::vector<std::string>& args, const CliEnv& env);

// The cloud-init release whose behaviour and exit codes nubo matches.
inline constexpr const char* kCloudInitVersion = "22.4.2";

}  // namespace nubo::agent
