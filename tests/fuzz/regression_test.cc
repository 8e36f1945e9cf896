// Replays, in the ordinary test build (and the sanitizer build), what the
// libFuzzer targets in fuzz/ are seeded with and every input they ever
// crashed on (fuzz/regressions/<target>/, one file per crash, named after
// what it found): each must run to its end, within a time bound. A crash
// found by `scripts/fuzz` is fixed and its input added there.

#include <gtest/gtest.h>

#include <glob.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo::fuzz {
namespace {

namespace fs = std::filesystem;

using Target = int (*)(const uint8_t*, size_t);

struct Case {
  const char* name;
  Target target;
};

// Seed inputs, as scripts/fuzz seeds the corpus: the sources fuzz/corpus.txt
// lists for the target ("tree DIR": every file; "join GLOB F1,F2...": each
// matching directory's files joined with "\n--8<--\n"), fuzz/seeds/<target>/
// and fuzz/regressions/<target>/.
std::vector<std::string> Inputs(const std::string& name) {
  const fs::path src = NUBO_SOURCE_DIR;
  std::vector<std::string> out;
  auto add_tree = [&](const fs::path& dir) {
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(ReadHostFile(e.path()));
    }
  };
  auto add_joined = [&](const std::string& pattern, const std::string& files) {
    std::vector<std::string> names;
    std::stringstream fl(files);
    for (std::string f; std::getline(fl, f, ',');) names.push_back(f);
    glob_t g{};
    if (glob((src / pattern).c_str(), GLOB_ONLYDIR, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        fs::path d = g.gl_pathv[i];
        std::string joined;
        bool any = false;
        for (size_t k = 0; k < names.size(); ++k) {
          if (k) joined += "\n--8<--\n";
          if (fs::is_regular_file(d / names[k])) {
            joined += ReadHostFile(d / names[k]);
            any = true;
          }
        }
        if (any) out.push_back(joined);
      }
    }
    globfree(&g);
  };
  std::ifstream manifest(src / "fuzz/corpus.txt");
  for (std::string line; std::getline(manifest, line);) {
    std::stringstream ls(line);
    std::string target, kind, pattern, files;
    ls >> target >> kind >> pattern >> files;
    if (target.empty() || target[0] == '#' || target != name) continue;
    if (kind == "tree") add_tree(src / pattern);
    if (kind == "join") add_joined(pattern, files);
  }
  add_tree(src / "fuzz/seeds" / name);
  add_tree(src / "fuzz/regressions" / name);
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
                                           Case{"nocloud", &Target_nocloud}, Case{"cmdline", &Target_cmdline},
                                           Case{"openstack", &Target_openstack}, Case{"netcfg", &Target_netcfg}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace nubo::fuzz
