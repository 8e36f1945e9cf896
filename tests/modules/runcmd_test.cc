#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

class RuncmdTest : public ::testing::Test {
 protected:
  Status RunWith(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    instance_.instance_id = "iid-1";
    ModuleContext ctx{.name = "runcmd",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kPerInstance};
    return modules::runcmd::kSpec.run(ctx);
  }

  static constexpr const char* kScript = "/var/lib/cloud/instances/iid-1/scripts/runcmd";
  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "config/runcmd"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(RuncmdTest, Spec) {
  const ModuleSpec& spec = modules::runcmd::kSpec;
  EXPECT_EQ(spec.name, "runcmd");
  EXPECT_EQ(spec.stage, Stage::kConfig);
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.activated_by, std::vector<std::string_view>{"runcmd"});
  EXPECT_EQ(FindModule("runcmd"), &spec);
}

TEST_F(RuncmdTest, WritesStringAndListFormsWithoutRunningThem) {
  Status s = RunWith(R"(runcmd:
  - ls -l /root
  - [ls, -l, /]
  - [sh, -c, echo "=========hello world'========="]
  -
  - [echo, 1, yes, ~, 1.5, 0644]
  - |
    for i in 1 2; do echo $i; done
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read(kScript),
            "#!/bin/sh\n"
            "ls -l /root\n"
            "'ls' '-l' '/'\n"
            "'sh' '-c' 'echo \"=========hello world'\\''=========\"'\n"
            "'echo' '1' 'True' 'None' '1.5' '420'\n"
            "for i in 1 2; do echo $i; done\n"
            "\n");
  EXPECT_EQ(sys_.ModeOf(kScript), 0700u);
  EXPECT_TRUE(sys_.runner().calls().empty());
  EXPECT_TRUE(
      sink_.Contains(LogLevel::kInfo, "wrote '" + std::string(kScript) + "' (0700, root:root)"))
      << sink_.Dump();
}

TEST_F(RuncmdTest, EmptyListWritesOnlyTheHeader) {
  ASSERT_TRUE(RunWith("runcmd: []\n").ok());
  EXPECT_EQ(sys_.Read(kScript), "#!/bin/sh\n");
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class RuncmdErrorTest : public RuncmdTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(RuncmdErrorTest, NamesTheKey) {
  Status s = RunWith(GetParam().yaml);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), GetParam().error);
  EXPECT_FALSE(sys_.Has(kScript));
}

INSTANTIATE_TEST_SUITE_P(
    Config, RuncmdErrorTest,
    ::testing::Values(
        BadCase{"runcmd: ls -l\n",
                "runcmd: Failed to shellify runcmd into file "
                "'/var/lib/cloud/instances/iid-1/scripts/runcmd': Input to shellify was type "
                "'str'. Expected list or tuple."},
        BadCase{"runcmd:\n",
                "runcmd: Failed to shellify runcmd into file "
                "'/var/lib/cloud/instances/iid-1/scripts/runcmd': Input to shellify was type "
                "'NoneType'. Expected list or tuple."},
        BadCase{"runcmd: {a: b}\n",
                "runcmd: Failed to shellify runcmd into file "
                "'/var/lib/cloud/instances/iid-1/scripts/runcmd': Input to shellify was type "
                "'dict'. Expected list or tuple."},
        BadCase{"runcmd: [ls, 7]\n",
                "runcmd[1]: Failed to shellify runcmd into file "
                "'/var/lib/cloud/instances/iid-1/scripts/runcmd': Unable to shellify type "
                "'int'. Expected list, string, tuple."},
        BadCase{"runcmd: [ls, {a: b}]\n",
                "runcmd[1]: Failed to shellify runcmd into file "
                "'/var/lib/cloud/instances/iid-1/scripts/runcmd': Unable to shellify type "
                "'dict'. Expected list, string, tuple."}));

}  // namespace
}  // namespace nubo
