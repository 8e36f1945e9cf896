// RealSystem::RunDetached: the child outlives the caller and holds none of
// its output. A stage's stdout is a pipe whose reader (the output tee) ends
// only when every write end is closed; a detached ssh-keygen holding one kept
// init-local waiting for it at boot.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/system/real_system.h"
#include "support/files.h"

namespace nubo::agent {
namespace {

TEST(RunDetachedTest, TheChildHoldsNoneOfTheCallersOutput) {
  std::filesystem::path root = std::filesystem::temp_directory_path() / ("nubo-detached-" + std::to_string(getpid()));
  std::filesystem::create_directories(root);
  RealSystem sys(root.string());
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int saved = dup(1);
  ASSERT_GE(saved, 0);
  dup2(p[1], 1);
  close(p[1]);
  std::string mark = (root / "fd").string();
  Command c;
  c.argv = {"/bin/sh", "-c", "exit 0"};
  c.in_root = false;
  Status s = sys.RunDetached(c, [mark](const Result<CommandResult>&) {
    // What the child's stdout is, and whether it has its own session.
    char link[256] = {};
    ssize_t n = readlink("/proc/self/fd/1", link, sizeof(link) - 1);
    std::ofstream(mark + ".tmp") << std::string(link, n > 0 ? static_cast<size_t>(n) : 0) << "\n"
                                 << (getsid(0) == getpid() ? "own session" : "caller's session") << "\n";
    std::filesystem::rename(mark + ".tmp", mark);
  });
  dup2(saved, 1);
  close(saved);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  for (int i = 0; i < 200 && !std::filesystem::exists(mark); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(nubo::testing::ReadHostFile(mark), "/dev/null\nown session\n");
  // No process holds the pipe's write end any more: the read end is at its end.
  char buf[16];
  EXPECT_EQ(read(p[0], buf, sizeof(buf)), 0);
  close(p[0]);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace nubo::agent
