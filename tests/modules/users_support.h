// users_support.h — a TestSystem whose shadow-utils commands (useradd,
// groupadd, usermod, passwd, chpasswd) run for real against the temporary
// root (they are given --root), for the users/ssh/set_passwords tests.
//
//   if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
//   ShadowSystem sys;            // a minimal Debian-like /etc in the root
//   ... run users_groups ...
//   EXPECT_THAT(sys.Read("/etc/shadow"), HasSubstr("alice:!"));
//
// Everything else still goes to the FakeRunner. Ownership is recorded, not
// applied, as in TestSystem.
#pragma once

#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/test_system.h"

namespace nubo::testing {

class ShadowSystem : public TestSystem {
 public:
  static constexpr const char* kSkipReason =
      "needs root and shadow-utils (useradd --root chroots into the target root)";
  static bool CanRun() { return geteuid() == 0 && access("/usr/sbin/useradd", X_OK) == 0; }

  ShadowSystem() { SeedBase(); }

  // A minimal Debian /etc: root, the default groups, login.defs from the host.
  void SeedBase() {
    AddFile("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    AddFile("/etc/group",
            "root:x:0:\nadm:x:4:\ncdrom:x:24:\nsudo:x:27:\naudio:x:29:\ndip:x:30:\n"
            "plugdev:x:46:\nstaff:x:50:\nusers:x:100:\n");
    AddFile("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
    AddFile("/etc/gshadow",
            "root:*::\nadm:*::\ncdrom:*::\nsudo:*::\naudio:*::\ndip:*::\nplugdev:*::\n"
            "staff:*::\nusers:*::\n",
            0640);
    AddFile("/etc/login.defs", nubo::testing::ReadHostFile("/etc/login.defs"));
    AddFile("/etc/subuid", "");
    AddFile("/etc/subgid", "");
    AddDir("/etc/skel");
    AddDir("/home");
    AddDir("/root", 0700);
  }

  // Real commands run, in order, as argv.
  const std::vector<std::vector<std::string>>& real_calls() const { return real_calls_; }
  const std::vector<Command>& real_commands() const { return real_commands_; }

 protected:
  Result<CommandResult> Execute(const Command& command) override {
    static const std::set<std::string> kTools = {"useradd", "groupadd", "usermod", "passwd",
                                                 "chpasswd"};
    if (!command.argv.empty() && kTools.count(command.argv[0]) && CanRun()) {
      real_calls_.push_back(command.argv);
      real_commands_.push_back(command);
      return agent::RealSystem::Execute(command);
    }
    return TestSystem::Execute(command);
  }

 private:
  std::vector<std::vector<std::string>> real_calls_;
  std::vector<Command> real_commands_;
};

}  // namespace nubo::testing
