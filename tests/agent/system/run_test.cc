// RealSystem::Run: the child is started with vfork, and starts as a child
// of Python's subprocess would (cloud-init's subp): SIGPIPE and SIGXFSZ at
// their defaults although nubo ignores SIGPIPE, no handler of the caller's,
// the caller's signal mask (not the all-blocked mask of the borrow).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "agent/system/real_system.h"

namespace nubo::agent {
namespace {

// The hex mask of a "SigXxx:" line of /proc/self/status, as a number.
unsigned long long Mask(const std::string& status, const std::string& field) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1), nullptr, 16);
  }
  ADD_FAILURE() << "no " << field << " in " << status;
  return 0;
}
unsigned long long Bit(int sig) { return 1ull << (sig - 1); }

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("nubo-run-" + std::to_string(getpid()));
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

void Handler(int) {}

TEST_F(RunTest, TheChildStartsWithDefaultSignalsAndTheCallersMask) {
  RealSystem sys(root_.string());
  struct sigaction sa {};
  sa.sa_handler = Handler;
  struct sigaction old_usr1 {}, old_pipe {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old_usr1), 0);
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &old_pipe), 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);  // an ignored signal other than these stays ignored, as exec keeps it
  sigset_t usr2, before, after;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr2, &before), 0);

  Command c;
  c.argv = {"cat", "/proc/self/status"};
  c.in_root = false;
  auto r = sys.Run(c);
  // A second run: the first one's SIG_IGN for SIGPIPE must not reach it either.
  auto r2 = sys.Run(c);

  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &before, &after), 0);
  signal(SIGHUP, SIG_DFL);
  sigaction(SIGUSR1, &old_usr1, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r2.ok()) << r2.error().ToString();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  for (const auto* out : {&r->out, &r2->out}) {
    unsigned long long ign = Mask(*out, "SigIgn"), cgt = Mask(*out, "SigCgt"), blk = Mask(*out, "SigBlk");
    EXPECT_EQ(ign & Bit(SIGPIPE), 0u) << "SIGPIPE ignored in the child";
    EXPECT_EQ(ign & Bit(SIGXFSZ), 0u);
    EXPECT_NE(ign & Bit(SIGHUP), 0u);
    EXPECT_EQ(cgt & Bit(SIGUSR1), 0u) << "the caller's handler reached the child";
    EXPECT_NE(blk & Bit(SIGUSR2), 0u) << "the caller's mask is the child's";
    EXPECT_EQ(blk & Bit(SIGTERM), 0u) << "the borrow's all-blocked mask reached the child";
  }
  // The caller's mask is its own again after the run.
  EXPECT_TRUE(sigismember(&after, SIGUSR2));
  EXPECT_FALSE(sigismember(&after, SIGTERM));
}

TEST_F(RunTest, StdinOutputAndExitCodes) {
  RealSystem sys(root_.string());
  Command c;
  c.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"};
  c.in_root = false;
  c.stdin_data = "from stdin\n";
  auto r = sys.Run(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "from stdin\n");
  EXPECT_EQ(r->err, "err\n");
  c.argv = {"nubo-no-such-program-here"};
  c.stdin_data.clear();
  r = sys.Run(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 127);
}

// A child killed by SIGPIPE, as under a shell: `yes | head -1` ends.
TEST_F(RunTest, APipelineInTheChildEndsBySigpipe) {
  RealSystem sys(root_.string());
  signal(SIGPIPE, SIG_IGN);
  Command c;
  c.argv = {"/bin/sh", "-c", "yes | head -n 1; echo done"};
  c.in_root = false;
  c.timeout = std::chrono::seconds(20);
  auto r = sys.Run(c);
  signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->out, "y\ndone\n");
  EXPECT_EQ(r->err, "") << "yes saw EPIPE: SIGPIPE was ignored in the child";
}

}  // namespace
}  // namespace nubo::agent
