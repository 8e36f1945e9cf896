// Replays, in the ordinary test build (and the sanitizer build), what the
// libFuzzer targets in fuzz/ are seeded with and every input they ever
// crashed on (fuzz/regressions/<target>/, one file per crash, named after
// what it found): each must run to its end, within a time bound. A crash
// found by `scripts/fuzz` is fixed and its input added there.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"

namespace nubo::fuzz {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using Target = int (*)(const uint8_t*, size_t);

struct Case {
  const char* name;
  Target target;
};

// Seed inputs, built from tests/fixtures the way scripts/fuzz builds the
// seed corpus: every fixture file for yaml and userdata, each NoCloud
// fixture directory as one input (files joined with "\n--8<--\n"), and
// fuzz/seeds/<target>/.
std::vector<std::string> Inputs(const std::string& name) {
  const fs::path src = NUBO_SOURCE_DIR;
  std::vector<std::string> out;
  auto add_dir = [&](const fs::path& dir) {
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(Slurp(e.path()));
    }
  };
  if (name == "yaml" || name == "userdata") add_dir(src / "tests/fixtures");
  if (name == "nocloud") {
    for (const auto& d : fs::directory_iterator(src / "tests/fixtures/nocloud")) {
      std::string joined;
      const char* files[] = {"meta-data", "user-data", "vendor-data", "network-config"};
      for (int i = 0; i < 4; ++i) {
        if (i) joined += "\n--8<--\n";
        if (fs::exists(d.path() / files[i])) joined += Slurp(d.path() / files[i]);
      }
      out.push_back(joined);
    }
  }
  add_dir(src / "fuzz/seeds" / name);
  add_dir(src / "fuzz/regressions" / name);
  return out;
}

class FuzzRegressionTest : public ::testing::TestWithParam<Case> {};

TEST_P(FuzzRegressionTest, SeedsAndPastCrashesRunToTheEnd) {
  std::vector<std::string> inputs = Inputs(GetParam().name);
  ASSERT_FALSE(inputs.empty());
  for (const std::string& in : inputs) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(GetParam().target(reinterpret_cast<const uint8_t*>(in.data()), in.size()), 0);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(s, 10.0) << "input of " << in.size() << " bytes: " << in.substr(0, 200);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressionTest,
                         ::testing::Values(Case{"yaml", &Target_yaml}, Case{"userdata", &Target_userdata},
                                           Case{"nocloud", &Target_nocloud}, Case{"cmdline", &Target_cmdline}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace nubo::fuzz
