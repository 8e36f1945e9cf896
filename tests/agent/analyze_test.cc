// `analyze` over the event lines the stage runner writes.

#include "agent/analyze.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nubo::agent
