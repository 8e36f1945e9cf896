// keyboard: localectl's argv with 22.4's defaults, Debian's console-setup
// restart (RHEL has none), no systemd is an error, bad config names the key.

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

TEST(KeyboardTest, Spec) {
  const auto& spec = modules::keyboard::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.stage, Stage::kConfig);
  EXPECT_EQ(FindModule("keyboard"), &spec);
  EXPECT_EQ(spec.distros.size(), 19u);
}

TEST(KeyboardTest, DebianSetsKeymapThenRestartsConsoleSetup) {
  ModuleHarness h(modules::keyboard::kSpec);
  h.sys.AddDir("/run/systemd/system");
  Argv localectl = {"localectl", "set-x11-keymap", "de", "pc105", "nodeadkeys", "compose:rwin"};
  Argv restart = {"systemctl", "restart", "console-setup"};
  h.sys.runner().Expect(localectl);
  h.sys.runner().Expect(restart);
  Status s = h.RunYaml("keyboard: {layout: de, model: pc105, variant: nodeadkeys, options: compose:rwin}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(localectl, restart));
}

TEST(KeyboardTest, RhelDefaultsAndNoConsoleSetup) {
  ModuleHarness h(modules::keyboard::kSpec);
  h.sys.AddDir("/run/systemd/system");
  Argv localectl = {"localectl", "set-x11-keymap", "us", "pc105", "", ""};
  h.sys.runner().Expect(localectl);
  Status s = h.RunYaml("system_info: {distro: rhel}\nkeyboard: {layout: us}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(localectl));
}

TEST(KeyboardTest, FailuresAndBadConfig) {
  {
    ModuleHarness h(modules::keyboard::kSpec);  // no /run/systemd/system
    Status s = h.RunYaml("keyboard: {layout: us}\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message,
              "setting the keymap of distro 'debian' without systemd is not implemented (as in "
              "cloud-init 22.4)");
    EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
  }
  {
    ModuleHarness h(modules::keyboard::kSpec);
    h.sys.AddDir("/run/systemd/system");
    CommandResult fail;
    fail.exit_code = 1;
    fail.err = "Failed to set keymap\n";
    h.sys.runner().Expect({"localectl", "set-x11-keymap", "us", "pc105", "", ""}, fail);
    Status s = h.RunYaml("keyboard: {layout: us}\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message,
              "'localectl set-x11-keymap us pc105  ' exited with 1: Failed to set keymap");
  }
  struct Case {
    const char* yaml;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"keyboard: us\n", "keyboard", "expected a mapping, got str"},
      {"keyboard: {model: pc105}\n", "keyboard.layout", "a layout is required"},
      {"keyboard: {layout: us, variant: [x]}\n", "keyboard.variant", "expected a string, got list"},
  };
  for (const Case& c : cases) {
    ModuleHarness h(modules::keyboard::kSpec);
    h.sys.AddDir("/run/systemd/system");
    Status s = h.RunYaml(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().key, c.key) << c.yaml;
    EXPECT_EQ(s.error().message, c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace nubo
