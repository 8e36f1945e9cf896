#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

// Keeps the script as it was when /bin/sh was started (bootcmd removes it).
class ScriptCapturingSystem : public nubo::testing::TestSystem {
 public:
  Result<CommandResult> Run(const Command& command) override {
    if (command.argv.size() == 2) {
      script_ = Read(command.argv[1]);
      mode_ = ModeOf(command.argv[1]);
    }
    return TestSystem::Run(command);
  }
  std::string script_;
  mode_t mode_ = 0;
};

class BootcmdTest : public ::testing::Test {
 protected:
  Status RunWith(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    instance_.instance_id = "iid-1";
    ModuleContext ctx{.name = "bootcmd",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kAlways};
    return modules::bootcmd::kSpec.run(ctx);
  }

  static constexpr const char* kScript = "/run/cloud-init/tmp/bootcmd.sh";
  ScriptCapturingSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/bootcmd"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(BootcmdTest, Spec) {
  const ModuleSpec& spec = modules::bootcmd::kSpec;
  EXPECT_EQ(spec.name, "bootcmd");
  EXPECT_EQ(spec.stage, Stage::kInit);
  EXPECT_EQ(spec.frequency, Frequency::kAlways);
  EXPECT_EQ(spec.activated_by, std::vector<std::string_view>{"bootcmd"});
}

TEST_F(BootcmdTest, RunsShellifiedScriptWithInstanceId) {
  sys_.runner().Expect({"/bin/sh", kScript});
  Status s = RunWith(R"(bootcmd:
  - echo 192.168.1.130 us.archive.ubuntu.com > /etc/hosts
  - [cloud-init-per, once, mymkfs, mkfs, /dev/vdb]
  - [sh, -c, 'echo "$INSTANCE_ID" it''s']
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(sys_.runner().calls().size(), 1u);
  const Command& call = sys_.runner().calls()[0];
  EXPECT_EQ(call.argv, (std::vector<std::string>{"/bin/sh", kScript}));
  EXPECT_EQ(call.env, std::vector<std::string>{"INSTANCE_ID=iid-1"});
  EXPECT_TRUE(call.to_output_log);
  EXPECT_TRUE(call.in_root);
  EXPECT_EQ(sys_.script_,
            "#!/bin/sh\n"
            "echo 192.168.1.130 us.archive.ubuntu.com > /etc/hosts\n"
            "'cloud-init-per' 'once' 'mymkfs' 'mkfs' '/dev/vdb'\n"
            "'sh' '-c' 'echo \"$INSTANCE_ID\" it'\\''s'\n");
  EXPECT_EQ(sys_.mode_, 0600u);
  EXPECT_FALSE(sys_.Has(kScript)) << "the temporary script is removed";
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/tmp"), 01777u);
}

TEST_F(BootcmdTest, FailingCommandFailsTheModule) {
  sys_.runner().Expect({"/bin/sh", kScript}, CommandResult{.exit_code = 3});
  Status s = RunWith("bootcmd: [exit 3]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "bootcmd: Failed to run bootcmd module bootcmd: '/bin/sh "
            "/run/cloud-init/tmp/bootcmd.sh' exited with code 3");
  EXPECT_FALSE(sys_.Has(kScript));
}

TEST_F(BootcmdTest, NotAListIsAnErrorAndRunsNothing) {
  Status s = RunWith("bootcmd: echo hi\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "bootcmd: Failed to shellify bootcmd: Input to shellify was type 'str'. Expected "
            "list or tuple.");
  EXPECT_TRUE(sys_.runner().calls().empty());
}

TEST_F(BootcmdTest, BadItemNamesItsIndex) {
  Status s = RunWith("bootcmd: [ls, true]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "bootcmd[1]: Failed to shellify bootcmd: Unable to shellify type 'bool'. Expected "
            "list, string, tuple.");
}

}  // namespace
}  // namespace nubo
