// output_tee.h — copies everything the process writes to stdout and stderr
// (its own output and its children's, since they inherit fds 1 and 2) into
// the output log too, as cloud-init's
// `output: {all: "| tee -a /var/log/cloud-init-output.log"}` does.
//
//   auto fd = real->OpenForAppend(Paths::kOutputLogFile, 0640);
//   { nubo::agent::OutputTee tee(*fd);   // takes the fd, closes it at the end
//     ... run the stage ...
//   }                                    // all output copied, fds 1/2 restored
//
// fds 1 and 2 become a pipe; one thread (the agent's only one) pumps it to
// the saved stdout and the log. It shares nothing with the rest of the
// process but fds set before it starts, and is joined before they close
// (tests/agent/output_tee_test.cc runs under TSan: scripts/fuzz tsan).
#pragma once

#include <thread>

namespace nubo::agent {

class OutputTee {
 public:
  explicit OutputTee(int log_fd);
  ~OutputTee();
  OutputTee(const OutputTee&) = delete;
  OutputTee& operator=(const OutputTee&) = delete;

 private:
  void Pump();
  int log_fd_;
  int read_fd_ = -1;
  int saved_out_ = -1;
  int saved_err_ = -1;
  std::thread thread_;
};

}  // namespace nubo::agent
