// rsyslog: config files written then appended, remotes rendered as 22.4's
// SyslogRemotesLine, the reload through the distro, the legacy list form.

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

class RsyslogTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::rsyslog::kSpec};
};

TEST_F(RsyslogTest, ConfigsAndRemotes) {
  h.sys.runner().Expect({"service", "rsyslog", "restart"});
  Status s = h.RunYaml(R"(rsyslog:
  configs:
    - "*.* @@logs.example:514"
    - {filename: 01-x.conf, content: "local0.* /var/log/x.log\n"}
    - "mail.* /var/log/mail.log"
  remotes:
    a: "@@10.0.0.1:514"
    b: "*.err [fd00::1]:10514 # v6"
    c: "kern.* fd00::2"
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/rsyslog.d/20-cloud-config.conf"),
            "*.* @@logs.example:514\nmail.* /var/log/mail.log\n# begin remotes\n"
            "*.* @@10.0.0.1:514 # a\n*.err @[fd00::1]:10514 # b\n"
            "# end remotes\n");
  EXPECT_EQ(h.sys.Read("/etc/rsyslog.d/01-x.conf"), "local0.* /var/log/x.log\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/rsyslog.d/01-x.conf"), 0644u);
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Argv{"service", "rsyslog", "restart"}));
  // An unbracketed IPv6 address does not parse: a warning, the line left out.
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "failed loading remote c: kern.* fd00::2"));
}

TEST_F(RsyslogTest, SystemdTryReloadAndCustomCommand) {
  h.sys.AddDir("/run/systemd/system");
  h.sys.runner().Expect({"systemctl", "reload-or-try-restart", "syslog-ng"});
  ASSERT_TRUE(h.RunYaml("system_info: {rsyslog_svcname: syslog-ng}\nrsyslog: {configs: [x]}\n").ok());
  h.sys.runner().Expect({"pkill", "-HUP", "rsyslogd"}, {.exit_code = 1});
  Status s = h.RunYaml("rsyslog: {configs: [y], service_reload_command: [pkill, -HUP, rsyslogd]}\n");
  ASSERT_TRUE(s.ok()) << "a failed reload is a warning";
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Failed to reload syslog"));
}

TEST_F(RsyslogTest, LegacyListForm) {
  h.sys.runner().Expect({"service", "rsyslog", "restart"});
  ASSERT_TRUE(h.RunYaml("rsyslog: [a, b]\nrsyslog_dir: /etc/r.d\nrsyslog_filename: f.conf\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/r.d/f.conf"), "a\nb\n");
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "rsyslog list format is deprecated"));
}

TEST_F(RsyslogTest, NothingToDoAndBadTypes) {
  ASSERT_TRUE(h.RunYaml("rsyslog: {}\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
  Status s = h.RunYaml("rsyslog: {configs: x}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "rsyslog.configs: Invalid type for key `configs`. Expected type(s): list, got str");
  s = h.RunYaml("rsyslog: {configs: [7]}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "rsyslog.configs[0]: expected a string or a dict, got int");
}

}  // namespace
}  // namespace nubo
