#include "agent/output_tee.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace nubo::agent {

OutputTee::OutputTee(int log_fd) : log_fd_(log_fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  saved_out_ = dup(1);
  saved_err_ = dup(2);
  dup2(p[1], 1);
  dup2(p[1], 2);
  close(p[1]);
  read_fd_ = p[0];
  thread_ = std::thread([this] { Pump(); });
}

OutputTee::~OutputTee() {
  if (read_fd_ < 0) {
    close(log_fd_);
    return;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // The pipe's last write ends go: the pump reads to its end, then stops.
  dup2(saved_out_, 1);
  dup2(saved_err_, 2);
  thread_.join();
  close(read_fd_);
  close(saved_out_);
  close(saved_err_);
  close(log_fd_);
}

void OutputTee::Pump() {
  char buf[8192];
  while (true) {
    ssize_t n = read(read_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    ssize_t a = write(saved_out_, buf, static_cast<size_t>(n));
    ssize_t b = write(log_fd_, buf, static_cast<size_t>(n));
    (void)a;
    (void)b;
  }
}

}  // namespace nubo::agent
