// nubo's entry point: everything happens in RunCommandLine (agent/cli.cc).
#include "agent/cli.h"

int main(int argc, char** argv) {
  return nubo::agent::RunCommandLine(std::vector<std::string>(argv, argv + argc), {});
}
