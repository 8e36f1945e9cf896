#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

class FinalMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.set_now(1700000000.0);  // Tue, 14 Nov 2023 22:13:20 UTC; Uptime() is 12.5
    sys_.AddDir("/var/lib/cloud/instances/iid-1");
    paths_.instance_id = "iid-1";
    instance_.instance_id = "iid-1";
    instance_.datasource = "NoCloud";
    instance_.description = "DataSourceNoCloud [seed=/dev/vdb][dsmode=net]";
  }

  Status RunWith(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() && parsed->is_object() ? *parsed : Value::object();
    ModuleContext ctx{.name = "final_message",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kAlways,
                      .console = [this](std::string_view text) { console_ += text; },
                      .version = "22.4.2"};
    return modules::final_message::kSpec.run(ctx);
  }

  static constexpr const char* kBootFinished = "/var/lib/cloud/instances/iid-1/boot-finished";
  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "final/final_message"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
  std::string console_;
};

TEST_F(FinalMessageTest, Spec) {
  const ModuleSpec& spec = modules::final_message::kSpec;
  EXPECT_EQ(spec.name, "final_message");
  EXPECT_EQ(spec.stage, Stage::kFinal);
  EXPECT_EQ(spec.frequency, Frequency::kAlways);
  EXPECT_TRUE(spec.activated_by.empty());
  EXPECT_EQ(FindModule("final-message"), &spec);
}

TEST_F(FinalMessageTest, DefaultMessageAndBootFinished) {
  Status s = RunWith("{}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(console_,
            "Cloud-init v. 22.4.2 finished at Tue, 14 Nov 2023 22:13:20 +0000. Datasource "
            "DataSourceNoCloud [seed=/dev/vdb][dsmode=net].  Up 12.50 seconds\n");
  EXPECT_EQ(sys_.Read(kBootFinished), "12.50 - Tue, 14 Nov 2023 22:13:20 +0000 - v. 22.4.2\n");
  EXPECT_EQ(sys_.ModeOf(kBootFinished), 0644u);
  EXPECT_FALSE(sink_.Contains(LogLevel::kWarning, "")) << sink_.Dump();
}

struct TemplateCase {
  const char* yaml;
  const char* console;
};

class FinalMessageTemplateTest : public FinalMessageTest,
                                 public ::testing::WithParamInterface<TemplateCase> {};

TEST_P(FinalMessageTemplateTest, Renders) {
  Status s = RunWith(GetParam().yaml);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(console_, GetParam().console) << sink_.Dump();
  EXPECT_TRUE(sys_.Has(kBootFinished));
}

INSTANTIATE_TEST_SUITE_P(
    Substitutions, FinalMessageTemplateTest,
    ::testing::Values(
        TemplateCase{"final_message: 'COMPAT-MARKER final $UPTIME done'\n",
                     "COMPAT-MARKER final 12.50 done\n"},
        TemplateCase{"final_message: '$uptime|${TIMESTAMP}|$version|$DATASOURCE|$$|${a b}|$'\n",
                     "12.50|Tue, 14 Nov 2023 22:13:20 +0000|22.4.2|DataSourceNoCloud "
                     "[seed=/dev/vdb][dsmode=net]|$$|${a b}|$\n"},
        TemplateCase{"final_message: |\n  ## template: jinja\n  up {{ uptime }}s, v{{VERSION}} "
                     "{{ nope }} {% if x %}\n",
                     "up 12.50s, v22.4.2 CI_MISSING_JINJA_VAR/nope {% if x %}\n"},
        TemplateCase{"final_message: \"## template: basic\\nv. $version\"\n", "v. 22.4.2\n"},
        TemplateCase{"final_message: '   '\n",
                     "Cloud-init v. 22.4.2 finished at Tue, 14 Nov 2023 22:13:20 +0000. "
                     "Datasource DataSourceNoCloud [seed=/dev/vdb][dsmode=net].  Up 12.50 "
                     "seconds\n"},
        TemplateCase{"final_message: 42\n", "42\n"},
        TemplateCase{"final_message: \"  done  \\n\"\n", "done\n"}));

struct BrokenCase {
  const char* yaml;
  const char* warning;
};

class FinalMessageBrokenTest : public FinalMessageTest,
                               public ::testing::WithParamInterface<BrokenCase> {};

TEST_P(FinalMessageBrokenTest, WarnsAndStillWritesBootFinished) {
  Status s = RunWith(GetParam().yaml);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(console_, "");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, GetParam().warning)) << sink_.Dump();
  EXPECT_TRUE(sys_.Has(kBootFinished));
}

INSTANTIATE_TEST_SUITE_P(
    Templates, FinalMessageBrokenTest,
    ::testing::Values(
        BrokenCase{"final_message: 'home is $HOME'\n",
                   "Failed to render final message template: no template variable 'HOME'"},
        BrokenCase{"final_message: 'up $UPTIME.'\n",
                   "Failed to render final message template: Can not traverse into "
                   "non-dictionary '12.50' of type str while looking for 'UPTIME.'"},
        BrokenCase{"final_message: \"## template: mako\\nx\"\n",
                   "Failed to render final message template: Unknown template rendering type "
                   "'mako' requested"}));

TEST_F(FinalMessageTest, FallbackDatasourceAndNoInstanceDir) {
  instance_.datasource = "None";
  instance_.description = "";
  paths_.instance_id = "iid-gone";
  Status s = RunWith("final_message: 'from $datasource'\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(console_, "from DataSourceNone\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Used fallback datasource")) << sink_.Dump();
  EXPECT_TRUE(sink_.Contains(
      LogLevel::kWarning,
      "Failed to write boot finished file /var/lib/cloud/instances/iid-gone/boot-finished"))
      << sink_.Dump();
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instances/iid-gone"));
}

}  // namespace
}  // namespace nubo
