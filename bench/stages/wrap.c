// bench/stages/wrap.c — runs one agent stage and reports what it cost.
//
//   nubo-bench-wrap /usr/bin/cloud-init init --local
//
// Forks, execs ARGV, and once the stage process has exited (still a
// zombie, waitid WNOWAIT) reads its own CPU from /proc/PID/stat (utime +
// stime, all threads, in clock ticks) and /proc/PID/schedstat (the main
// thread's run time, ns), then reaps it and takes getrusage(RUSAGE_CHILDREN):
// the stage's CPU with every process it waited for, and the peak RSS of the
// largest process of the stage. The stage process runs traced (PTRACE_TRACEME,
// PTRACE_O_TRACEEXIT, nothing else: its children and threads are not traced,
// its signals are passed on): at its exit stop, before its memory is gone, its
// own peak RSS (VmHWM) is read, the figure without the children it ran
// (cloud-init's and nubo's useradd, perl debconf...). -1 where ptrace is refused.
// Prints one line on stderr:
//
//   BENCH-RUSAGE wall_us=.. cpu_children_us=.. self_ticks_us=.. self_sched_us=.. maxrss_kb=.. self_maxrss_kb=.. rc=..
//
// and exits with the stage's exit code. Built static by bench/stages/run
// (a tiny parent: the child's pre-exec image must not count in maxrss).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long MonotonicUs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
    return 2;
  }
  long long t0 = MonotonicUs();
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);  // refused: the stage runs untraced
    execv(argv[1], argv + 1);
    perror(argv[1]);
    _exit(127);
  }
  long self_maxrss_kb = -1;
  // Traced, the stage stops first at its exec (SIGTRAP); untraced, the first
  // event is its exit. waitid(WNOWAIT) looks, waitpid takes a stop.
  siginfo_t peek;
  int st = 0;
  memset(&peek, 0, sizeof(peek));
  while (waitid(P_PID, pid, &peek, WEXITED | WSTOPPED | WNOWAIT) == 0 &&
         (peek.si_code == CLD_TRAPPED || peek.si_code == CLD_STOPPED)) {
    if (waitpid(pid, &st, __WALL) < 0) break;
    int sig = WSTOPSIG(st);
    if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXIT) {
      char path[64], line[256];
      snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
      FILE* f = fopen(path, "r");
      while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmHWM: %ld kB", &self_maxrss_kb) == 1) break;
      }
      if (f) fclose(f);
      sig = 0;
    } else if (sig == SIGTRAP) {
      // The exec's stop (the first one: set the options) or an exec of its own.
      ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL);
      sig = 0;
    }
    ptrace(PTRACE_CONT, pid, 0, sig);
    memset(&peek, 0, sizeof(peek));
  }
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0) {
  }
  long long wall = MonotonicUs() - t0;
  char path[64], buf[4096];
  long long self_ticks_us = -1, self_sched_us = -1;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE* f = fopen(path, "r");
  if (f) {
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    char* p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    // After "comm)": state ppid pgrp session tty tpgid flags minflt cminflt
    // majflt cmajflt utime stime.
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
      self_ticks_us = (long long)(ut + st) * 1000000 / sysconf(_SC_CLK_TCK);
  }
  snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
  f = fopen(path, "r");
  if (f) {
    unsigned long long ns = 0;
    if (fscanf(f, "%llu", &ns) == 1) self_sched_us = (long long)(ns / 1000);
    fclose(f);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  long long cpu = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                  (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fprintf(stderr,
          "BENCH-RUSAGE wall_us=%lld cpu_children_us=%lld self_ticks_us=%lld "
          "self_sched_us=%lld maxrss_kb=%ld self_maxrss_kb=%ld rc=%d\n",
          wall, cpu, self_ticks_us, self_sched_us, ru.ru_maxrss, self_maxrss_kb, rc);
  return rc;
}
