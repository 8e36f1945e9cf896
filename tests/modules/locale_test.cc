// locale on both families: locale-gen/update-locale argv on Debian, the
// sysconfig file on RHEL, the no-op when the system already has it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;
using Argv = std::vector<std::string>;

class LocaleTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::locale::kSpec};
};

TEST_F(LocaleTest, DebianGeneratesAndUpdates) {
  h.sys.AddFile("/etc/default/locale", "LANG=C.UTF-8\n");
  h.sys.runner().Expect({"locale-gen", "de_DE.UTF-8"});
  h.sys.runner().Expect({"update-locale", "--locale-file=/etc/default/locale", "LANG=de_DE.UTF-8"});
  Status s = h.RunYaml("locale: de_DE.UTF-8\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Argv{"locale-gen", "de_DE.UTF-8"},
                          Argv{"update-locale", "--locale-file=/etc/default/locale",
                               "LANG=de_DE.UTF-8"}));
}

TEST_F(LocaleTest, DebianSystemLocaleAlreadySetIsANoOp) {
  h.sys.AddFile("/etc/default/locale", "LANG=C.UTF-8\n");
  ASSERT_TRUE(h.RunYaml("{}").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

TEST_F(LocaleTest, DebianOtherConfigFileGetsUpdateLocaleOnly) {
  // The centos7 cloud.cfg on Debian: C.UTF-8 needs no locale-gen.
  h.sys.AddFile("/etc/default/locale", "LANG=C.UTF-8\n");
  h.sys.runner().Expect({"update-locale", "--locale-file=/etc/sysconfig/i18n", "LANG=C.UTF-8"});
  ASSERT_TRUE(h.RunYaml("locale_configfile: /etc/sysconfig/i18n\n").ok());
  EXPECT_EQ(h.sys.runner().argvs().size(), 1u);
}

TEST_F(LocaleTest, RhelWritesLangToLocaleConf) {
  h.sys.AddDir("/run/systemd/system");
  h.sys.AddFile("/etc/locale.conf", "LANG=C.UTF-8\nLC_TIME=C\n");
  ASSERT_TRUE(h.RunYaml("system_info: {distro: almalinux}\nlocale: fr_FR.UTF-8\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/locale.conf"), "LANG=fr_FR.UTF-8\nLC_TIME=C\n");
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

TEST_F(LocaleTest, RhelWithoutSystemdUsesConfigFile) {
  ASSERT_TRUE(
      h.RunYaml("system_info: {distro: centos}\nlocale_configfile: /etc/sysconfig/i18n\n").ok());
  EXPECT_THAT(h.sys.Read("/etc/sysconfig/i18n"), ::testing::EndsWith("\nLANG=en_US.UTF-8\n"));
}

TEST_F(LocaleTest, FalseSkipsAndBadTypeNamesKey) {
  ASSERT_TRUE(h.RunYaml("locale: false\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
  Status s = h.RunYaml("locale: {a: b}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "locale: expected a string, got dict");
}

}  // namespace
}  // namespace nubo
