// OutputTee (agent/output_tee.h): everything written to fds 1 and 2, by the
// process and by its children, reaches both the console and the output
// log, and fds 1 and 2 are the console again afterwards. Also built alone
// under ThreadSanitizer (`scripts/fuzz tsan`): the pump is the agent's only
// thread.

#include "agent/output_tee.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo::agent {
namespace {

// fds 1 and 2 pointed at a "console" file for the test's length, and an
// output log: what a stage under systemd has (the journal, and
// /var/log/cloud-init-output.log).
class OutputTeeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nubo-tee-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::fflush(stdout);
    std::fflush(stderr);
    saved_out_ = dup(1);
    saved_err_ = dup(2);
    int console = open((dir_ + "/console").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(console, 0);
    dup2(console, 1);
    dup2(console, 2);
    close(console);
    fstat(1, &console_st_);
  }
  void TearDown() override {
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(saved_out_, 1);
    dup2(saved_err_, 2);
    close(saved_out_);
    close(saved_err_);
    std::string cmd = "rm -rf " + dir_;
    (void)std::system(cmd.c_str());
  }
  int OpenLog() { return open((dir_ + "/output.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640); }
  std::string Console() { return ReadHostFile(dir_ + "/console"); }
  std::string Log() { return ReadHostFile(dir_ + "/output.log"); }

  std::string dir_;
  int saved_out_ = -1, saved_err_ = -1;
  struct stat console_st_ {};
};

TEST_F(OutputTeeTest, CopiesTheProcessAndItsChildrenToConsoleAndLog) {
  {
    OutputTee tee(OpenLog());
    std::printf("stdio line\n");
    std::cout << "iostream line" << std::endl;
    std::cerr << "stderr line\n";
    pid_t pid = fork();
    if (pid == 0) {
      execlp("sh", "sh", "-c", "echo child stdout; echo child stderr >&2", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_EQ(status, 0);
    std::printf("after the child\n");
  }
  std::string want = "stdio line\niostream line\nstderr line\nchild stdout\nchild stderr\nafter the child\n";
  EXPECT_EQ(Log(), want);
  EXPECT_EQ(Console(), want);
  // fds 1 and 2 are the console again, not the pipe.
  struct stat st {};
  ASSERT_EQ(fstat(1, &st), 0);
  EXPECT_EQ(st.st_ino, console_st_.st_ino);
  ASSERT_EQ(fstat(2, &st), 0);
  EXPECT_EQ(st.st_ino, console_st_.st_ino);
}

TEST_F(OutputTeeTest, NothingLostWhenTheProcessAndAChildWriteMuchAtOnce) {
  constexpr int kLines = 20000;
  {
    OutputTee tee(OpenLog());
    pid_t pid = fork();
    if (pid == 0) {
      setvbuf(stdout, nullptr, _IOLBF, 0);  // one write per line: lines stay whole in the pipe
      for (int i = 0; i < kLines; ++i) std::printf("child %d\n", i);
      std::fflush(stdout);
      _exit(0);
    }
    for (int i = 0; i < kLines; ++i) std::fprintf(stderr, "parent %d\n", i);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_EQ(status, 0);
  }
  std::string log = Log();
  EXPECT_EQ(log, Console());
  int child = 0, parent = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("child ", 0) == 0) ++child;
    if (line.rfind("parent ", 0) == 0) ++parent;
  }
  EXPECT_EQ(child, kLines);
  EXPECT_EQ(parent, kLines);
}

}  // namespace
}  // namespace nubo::agent
