// `analyze` over the event lines the stage runner writes.

#include "agent/analyze.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "agent/cli.h"
#include "support/test_system.h"

namespace nubo::agent {
namespace {

const char kLog[] =
    "2026-12-01 08:00:00,000 - nubo[DEBUG]: init-local: start: init-local: running 'cloud-init init-local'\n"
    "2026-12-01 08:00:00,100 - nubo[INFO]: init-local: something else\n"
    "2026-12-01 08:00:00,250 - nubo[DEBUG]: init-local: finish: init-local: SUCCESS: running 'cloud-init init-local'\n"
    "2026-12-01 08:00:01,000 - nubo[DEBUG]: init: start: init-network: running 'cloud-init init'\n"
    "2026-12-01 08:00:01,000 - nubo[DEBUG]: init: start: init-network/config-write_files: running config-write_files with frequency once-per-instance\n"
    "2026-12-01 08:00:01,100 - nubo[DEBUG]: init: finish: init-network/config-write_files: SUCCESS: config-write_files ran successfully\n"
    "2026-12-01 08:00:01,100 - nubo[DEBUG]: init: start: init-network/config-ssh: running config-ssh with frequency once-per-instance\n"
    "2026-12-01 08:00:01,900 - nubo[DEBUG]: init: finish: init-network/config-ssh: FAIL: running config-ssh failed\n"
    "2026-12-01 08:00:02,000 - nubo[DEBUG]: init: finish: init-network: FAIL: running 'cloud-init init'\n";

TEST(AnalyzeTest, ParsesStartAndFinishEvents) {
  auto events = ParseEvents(kLog);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].event_type, "start");
  EXPECT_EQ(events[0].name, "init-local");
  EXPECT_EQ(events[6].name, "init-network/config-ssh");
  EXPECT_EQ(events[6].result, "FAIL");
  EXPECT_EQ(events[6].description, "running config-ssh failed");
  EXPECT_NEAR(events[6].timestamp - events[0].timestamp, 1.9, 1e-6);
}

TEST(AnalyzeTest, BlameNamesTheSlowModuleFirst) {
  EXPECT_EQ(AnalyzeBlame(ParseEvents(kLog)),
            "-- Boot Record 01 --\n"
            "     00.80000s (init-network/config-ssh)\n"
            "     00.10000s (init-network/config-write_files)\n"
            "\n1 boot records analyzed\n");
}

TEST(AnalyzeTest, ShowPrintsStagesAndModules) {
  std::string show = AnalyzeShow(ParseEvents(kLog));
  EXPECT_NE(show.find("Starting stage: init-local\nFinished stage: (init-local) 00.25000 seconds\n"), std::string::npos)
      << show;
  EXPECT_NE(show.find("|`->running config-ssh failed @01.90000s +00.80000s\n"), std::string::npos) << show;
  EXPECT_NE(show.find("Total Time: 01.25000 seconds\n"), std::string::npos) << show;
}

TEST(AnalyzeTest, DumpIsTheEventList) {
  Value dump = AnalyzeDump(ParseEvents(kLog));
  ASSERT_EQ(dump.size(), 8u);
  EXPECT_EQ(dump[1]["event_type"], "finish");
  EXPECT_EQ(dump[1]["result"], "SUCCESS");
  EXPECT_FALSE(dump[2].contains("result"));  // a start
  EXPECT_EQ(dump[2]["origin"], "cloudinit");
}

TEST(AnalyzeTest, EventStageNames) {
  EXPECT_EQ(EventStageName("init"), "init-network");
  EXPECT_EQ(EventStageName("init-local"), "init-local");
  EXPECT_EQ(EventStageName("modules:final"), "modules-final");
}

// Expected values from Python's datetime.utcfromtimestamp and float repr
// on the same inputs (22.4's analyze_boot arithmetic).
TEST(AnalyzeBootTest, PyUtcDatetime) {
  EXPECT_EQ(PyUtcDatetime(0.0), "1970-01-01 00:00:00");
  EXPECT_EQ(PyUtcDatetime(1764576735.659645), "2025-12-01 08:12:15.659645");
  EXPECT_EQ(PyUtcDatetime(1764576735.9999996), "2025-12-01 08:12:16");  // rounds up a second
  EXPECT_EQ(PyUtcDatetime(-1), "1969-12-31 23:59:59");
}

void ExpectNotContainer(nubo::testing::TestSystem& sys) {
  sys.runner().Expect({"systemd-detect-virt", "--quiet", "--container"}, {.exit_code = 1});
  sys.runner().Expect({"running-in-container"}, {.exit_code = 127});
  sys.runner().Expect({"lxc-is-container"}, {.exit_code = 127});
}

// The log's times are local time (as both agents write and read them); the
// report is in UTC: pin the zone so the expected strings hold anywhere.
void UseUtc() {
  setenv("TZ", "UTC", 1);
  tzset();
}

const char kInitLocalLine[] =
    "2026-12-01 08:00:00,250 - nubo[INFO]: init-local: nubo 0.1.0 running 'init-local' at 1764576000.250000. "
    "Up 3.500000 seconds.\n";

TEST(AnalyzeBootTest, FromSystemdTimestamps) {
  UseUtc();
  nubo::testing::TestSystem sys;  // Now() 1700000000.0, Uptime() 12.5
  sys.AddDir("/run/systemd/system");
  sys.runner().Expect({"systemctl", "show", "-p", "UserspaceTimestampMonotonic"},
                      {.out = "UserspaceTimestampMonotonic=1929304\n"});
  sys.runner().Expect({"systemctl", "show", "cloud-init-local", "-p", "InactiveExitTimestampMonotonic"},
                      {.out = "InactiveExitTimestampMonotonic=4567890\n"});
  ExpectNotContainer(sys);
  std::string note;
  BootTimes t = GatherBootTimes(sys, &note);
  EXPECT_EQ(note, "");
  EXPECT_EQ(t.status, "successful");
  std::string status;
  EXPECT_EQ(AnalyzeBoot(std::string(kLog) + kInitLocalLine, t, &status),
            "-- Most Recent Boot Record --\n"
            "    Kernel Started at: 2023-11-14 22:13:07.500000\n"
            "    Kernel ended boot at: 2023-11-14 22:13:09.429304\n"
            "    Kernel time to boot (seconds): 1.9293038845062256\n"
            "    Cloud-init activated by systemd at: 2023-11-14 22:13:12.067890\n"
            "    Time between Kernel end boot and Cloud-init activation (seconds): 2.6385860443115234\n"
            "    Cloud-init start: 2026-12-01 08:00:00.250000\n");
  EXPECT_EQ(status, "successful");
}

TEST(AnalyzeBootTest, ContainerAndFailures) {
  UseUtc();
  nubo::testing::TestSystem sys;
  sys.AddDir("/run/systemd/system");
  sys.runner().Expect({"systemctl", "show", "-p", "UserspaceTimestampMonotonic"},
                      {.out = "UserspaceTimestampMonotonic=1929304\n"});
  sys.runner().Expect({"systemctl", "show", "cloud-init-local", "-p", "InactiveExitTimestampMonotonic"},
                      {.out = "InactiveExitTimestampMonotonic=4567890\n"});
  sys.runner().Expect({"systemd-detect-virt", "--quiet", "--container"});
  // pid 1 started 200 ticks (2 s at 100 Hz) after boot.
  std::string stat = "1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 " +
                     std::to_string(2 * sysconf(_SC_CLK_TCK)) + " 1000 10\n";
  sys.AddFile("/proc/1/stat", stat);
  std::string note, status;
  BootTimes t = GatherBootTimes(sys, &note);
  EXPECT_EQ(t.status, "container");
  EXPECT_EQ(AnalyzeBoot(kInitLocalLine, t, &status),
            "-- Most Recent Container Boot Record --\n"
            "    Container started at: 2023-11-14 22:13:09.500000\n"
            "    Cloud-init activated by systemd at: 2023-11-14 22:13:12.067890\n"
            "    Cloud-init start: 2026-12-01 08:00:00.250000\n");
  EXPECT_EQ(status, "container");

  // No init-local start in the log: failure, whatever systemd said.
  EXPECT_NE(AnalyzeBoot(kLog, t, &status).find("does not support this functionality"), std::string::npos);
  EXPECT_EQ(status, "failure");

  // No systemd: failure, nothing run.
  nubo::testing::TestSystem bare;
  t = GatherBootTimes(bare, &note);
  EXPECT_EQ(t.status, "failure");
  EXPECT_TRUE(bare.runner().argvs().empty());

  // systemctl failing: 22.4's line, then failure.
  nubo::testing::TestSystem broken;
  broken.AddDir("/run/systemd/system");
  broken.runner().Expect({"systemctl", "show", "-p", "UserspaceTimestampMonotonic"},
                         {.err = "Running in chroot, ignoring command 'show'\n"});
  t = GatherBootTimes(broken, &note);
  EXPECT_EQ(t.status, "failure");
  EXPECT_EQ(note,
            "Subprocess call to systemctl has failed, returning error code (Running in chroot, "
            "ignoring command 'show'\n)\n");
}

TEST(AnalyzeBootTest, CommandExitsOneAsCloudInit) {
  nubo::testing::TestSystem sys;
  sys.AddFile("/var/log/cloud-init.log", kInitLocalLine);
  std::string out;
  CliEnv env;
  env.system = &sys;
  env.out = &out;
  EXPECT_EQ(RunCommandLine({"cloud-init", "analyze", "boot"}, env), 1);
  EXPECT_EQ(out.rfind("Your Linux distro or container does not support this functionality.\n", 0), 0u) << out;
}

}  // namespace
}  // namespace nubo::agent
