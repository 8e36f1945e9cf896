// growpart_bench: times nubo's partition growth (libfdisk + BLKPG, what the
// growpart module does) against cloud-guest-utils' `growpart` script on
// the same image, side by side, and prints the ratio. Run by hand, as root:
//
//   bench/growpart_bench [--iterations 20] [--label gpt|dos]
//
// Each iteration makes a fresh sparse image (partition 1 of 512 MiB),
// attaches it with losetup -P, grows the file to 2 GiB (losetup -c), then
// grows partition 1 with one tool; the two tools alternate. Only the grow is
// timed: for the script that includes its process start, as cloud-init runs
// it; for nubo the in-process call, as the module makes it.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/system/real_system.h"

namespace {

using nubo::agent::RealSystem;
using Clock = std::chrono::steady_clock;

RealSystem& Host() {
  static RealSystem host("/");
  return host;
}

bool Run(std::vector<std::string> argv, std::string* out = nullptr, const std::string& in = "") {
  nubo::Command c{.argv = std::move(argv), .stdin_data = in, .in_root = false};
  auto r = Host().Run(c);
  if (!r || r->exit_code != 0) {
    std::fprintf(stderr, "command failed: %s: %s\n", c.argv[0].c_str(),
                 r ? r->err.c_str() : r.error().ToString().c_str());
    return false;
  }
  if (out) *out = r->out;
  return true;
}

// One image, attached and enlarged; returns the loop device or "".
std::string Prepare(const std::string& image, const std::string& label) {
  unlink(image.c_str());
  std::string script = "label: " + label + "\nstart=2048, size=1048576, type=" +
                       (label == "gpt" ? "L" : "83") + "\n";
  if (!Run({"truncate", "-s", "1024M", image})) return "";
  if (!Run({"sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image}, nullptr, script)) {
    return "";
  }
  std::string dev;
  if (!Run({"losetup", "-P", "-f", "--show", image}, &dev)) return "";
  while (!dev.empty() && dev.back() == '\n') dev.pop_back();
  // Kernels without partition table parsers (microVMs) scan nothing at
  // losetup -P: add the partitions with BLKPG, as partx does.
  usleep(100 * 1000);
  if (access((dev + "p1").c_str(), F_OK) != 0 && !Run({"partx", "--add", dev})) return "";
  if (!Run({"truncate", "-s", "2048M", image}) || !Run({"losetup", "-c", dev})) return "";
  return dev;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20;
  std::string label = "gpt";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--label") == 0) label = argv[i + 1];
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "growpart_bench: needs root (loop devices)\n");
    return 2;
  }
  char dir[] = "/tmp/nubo-bench.XXXXXX";
  if (mkdtemp(dir) == nullptr) return 2;
  std::string image = std::string(dir) + "/disk.img";
  std::vector<double> nubo_ms, script_ms;
  for (int i = 0; i < 2 * iterations; ++i) {
    bool nubo_turn = (i % 2 == 0) == ((i / 2) % 2 == 0);  // ABBA order
    std::string dev = Prepare(image, label);
    if (dev.empty()) return 1;
    auto t0 = Clock::now();
    bool ok;
    if (nubo_turn) {
      auto g = Host().GrowPartition(dev, 1, false);
      ok = g.ok() && g->new_size > g->old_size;
      if (!g.ok()) std::fprintf(stderr, "nubo: %s\n", g.error().ToString().c_str());
    } else {
      ok = Run({"growpart", dev, "1"});
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    Run({"losetup", "-d", dev});
    if (!ok) return 1;
    (nubo_turn ? nubo_ms : script_ms).push_back(ms);
  }
  unlink(image.c_str());
  rmdir(dir);
  double n = Median(nubo_ms), s = Median(script_ms);
  std::printf("label %s, %d runs each, median wall time of the grow:\n", label.c_str(),
              iterations);
  std::printf("  nubo (libfdisk + BLKPG):        %8.2f ms\n", n);
  std::printf("  growpart (cloud-guest-utils):   %8.2f ms\n", s);
  std::printf("  ratio growpart/nubo:            %8.1fx\n", n > 0 ? s / n : 0.0);
  return 0;
}
