// yum_add_repo: the .repo file format, id canonicalisation, existing files,
// the required baseurl, bad config.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using nubo::testing::ModuleHarness;

class YumAddRepoTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::yum_add_repo::kSpec};
};

TEST_F(YumAddRepoTest, Spec) {
  const auto& d = modules::yum_add_repo::kSpec.distros;
  EXPECT_NE(std::find(d.begin(), d.end(), "centos"), d.end());
  EXPECT_EQ(std::find(d.begin(), d.end(), "debian"), d.end());
}

TEST_F(YumAddRepoTest, WritesRepoFiles) {
  Status s = h.RunYaml(R"(yum_repos:
  epel testing:
    baseurl: http://mirror/epel/$releasever
    enabled: true
    gpgcheck: false
    Name: EPEL testing
    mirror-list: [http://a, http://b]
  nobase: {name: x}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  std::string repo = h.sys.Read("/etc/yum.repos.d/epel-testing.repo");
  EXPECT_THAT(repo, ::testing::StartsWith("# Created by "));
  EXPECT_EQ(repo.substr(repo.find('\n') + 1),
            // Keys in the config's (sorted) order: "Name" sorts first.
            "[epel-testing]\nname = EPEL testing\nbaseurl = http://mirror/epel/$releasever\n"
            "enabled = 1\ngpgcheck = 0\nmirror_list = http://a\n\thttp://b\n\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/yum.repos.d/epel-testing.repo"), 0644u);
  EXPECT_FALSE(h.sys.Has("/etc/yum.repos.d/nobase.repo"));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Repository nobase is missing 1 required fields"));
}

TEST_F(YumAddRepoTest, ExistingFileKeptAndOtherDir) {
  h.sys.AddFile("/etc/yum.repos.d/a.repo", "mine\n");
  ASSERT_TRUE(h.RunYaml("yum_repos: {a: {baseurl: x}}\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/yum.repos.d/a.repo"), "mine\n");
  ASSERT_TRUE(h.RunYaml("yum_repo_dir: /srv/repos\nyum_repos: {b: {baseurl: y}}\n").ok());
  EXPECT_TRUE(h.sys.Has("/srv/repos/b.repo"));
}

TEST_F(YumAddRepoTest, BadConfigNamesTheKey) {
  Status s = h.RunYaml("yum_repos: {a: [x]}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "yum_repos.a: expected a dict, got list");
}

}  // namespace
}  // namespace nubo
