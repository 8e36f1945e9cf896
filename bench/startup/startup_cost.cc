// startup_cost: what starting a program costs — CPU (user + system) and
// peak RSS from wait4()'s rusage, over N runs; prints one markdown table row
// with medians and min–max.
//
//   startup_cost --runs 200 --label 'nubo --version' -- build/nubo --version
//
// Written against libc only and linked with static libstdc++ (nothing of it
// used): the child's ru_maxrss counts the forked copy of this process before
// exec, so the measuring process must be about as small as /bin/true, or its
// own size would be the floor of every figure.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int Compare(const void* a, const void* b) {
  double x = *static_cast<const double*>(a), y = *static_cast<const double*>(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// "median (min–max)" of v[0..n), sorted in place.
void Stat(double* v, int n, const char* fmt, char* out, size_t size) {
  qsort(v, n, sizeof(double), Compare);
  double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  char a[32], b[32], c[32];
  snprintf(a, sizeof a, fmt, median);
  snprintf(b, sizeof b, fmt, v[0]);
  snprintf(c, sizeof c, fmt, v[n - 1]);
  snprintf(out, size, "%s (%s–%s)", a, b, c);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100;
  const char* label = nullptr;
  int i = 1;
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
      label = argv[++i];
    } else if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else {
      fprintf(stderr, "usage: startup_cost [--runs N] [--label L] -- COMMAND [ARG...]\n");
      return 2;
    }
  }
  if (i >= argc || runs < 1) {
    fprintf(stderr, "usage: startup_cost [--runs N] [--label L] -- COMMAND [ARG...]\n");
    return 2;
  }
  char** command = argv + i;
  double* cpu = static_cast<double*>(calloc(runs, sizeof(double)));
  double* rss = static_cast<double*>(calloc(runs, sizeof(double)));
  double* wall = static_cast<double*>(calloc(runs, sizeof(double)));
  int failures = 0;
  for (int r = 0; r < runs; ++r) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      execvp(command[0], command);
      _exit(127);
    }
    int status = 0;
    struct rusage ru {};
    if (wait4(pid, &status, 0, &ru) < 0) {
      perror("wait4");
      return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    cpu[r] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
             (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    rss[r] = ru.ru_maxrss / 1024.0;  // KiB -> MiB
    wall[r] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  }
  char c[128], m[128], w[128];
  Stat(cpu, runs, "%.2f", c, sizeof c);
  Stat(rss, runs, "%.2f", m, sizeof m);
  Stat(wall, runs, "%.2f", w, sizeof w);
  if (label == nullptr) label = command[0];
  printf("| %s | %s | %s | %s |\n", label, c, m, w);
  if (failures > 0) fprintf(stderr, "startup_cost: %s: %d of %d runs failed\n", label, failures, runs);
  return failures > 0 ? 1 : 0;
}
