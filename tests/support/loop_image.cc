#include "support/loop_image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace nubo::testing {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool HaveTool(const std::string& tool) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
    if (access((dir + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

bool KernelHasFilesystem(const std::string& fstype) {
  agent::RealSystem host("/");
  auto fs = host.ReadHostFile("/proc/filesystems");
  return fs.ok() && fs->find("\t" + fstype + "\n") != std::string::npos;
}

std::optional<std::string> LoopImage::WhyUnavailable(const std::vector<std::string>& tools) {
  if (geteuid() != 0) return "needs root to attach loop devices (CI runs it as root)";
  if (access("/dev/loop-control", R_OK | W_OK) != 0) return "no /dev/loop-control here";
  std::vector<std::string> all = {"losetup", "sfdisk", "partx", "truncate", "mount", "umount"};
  all.insert(all.end(), tools.begin(), tools.end());
  for (const auto& t : all) {
    if (!HaveTool(t)) return "needs '" + t + "' (see NUBO_BUILD_DEPS in scripts/deps)";
  }
  return std::nullopt;
}

CommandResult LoopImage::Host(std::vector<std::string> argv, const std::string& stdin_data) {
  Command c{.argv = std::move(argv), .stdin_data = stdin_data, .in_root = false};
  c.timeout = std::chrono::seconds(120);
  auto r = host_.Run(c);
  if (!r) return CommandResult{127, "", r.error().ToString()};
  return *r;
}

LoopImage::LoopImage(int size_mib, const std::string& sfdisk_script) {
  image_ = dir_.path() + "/disk.img";
  auto run = [&](std::vector<std::string> argv, const std::string& in = "") {
    if (!error_.empty()) return CommandResult{};
    std::string shown = argv[0];
    CommandResult r = Host(std::move(argv), in);
    if (r.exit_code != 0) error_ = shown + " failed: " + r.err + r.out;
    return r;
  };
  run({"truncate", "-s", std::to_string(size_mib) + "M", image_});
  run({"sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image_}, sfdisk_script);
  CommandResult r = run({"losetup", "-P", "-f", "--show", image_});
  if (!error_.empty()) return;
  device_ = Trim(r.out);
  // devtmpfs makes the partition nodes; give it a moment. A kernel built
  // without partition table parsers (microVM kernels) scans nothing: then
  // the partitions are added with BLKPG, by partx.
  auto wait_for_nodes = [&] {
    for (int i = 0; i < 50 && access(Partition(1).c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_for_nodes();
  if (access(Partition(1).c_str(), F_OK) != 0) {
    run({"partx", "--add", device_});
    wait_for_nodes();
  }
  if (error_.empty() && access(Partition(1).c_str(), F_OK) != 0) {
    error_ = "no partition nodes for " + device_ + " after losetup -P and partx --add";
  }
}

LoopImage::~LoopImage() {
  for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) Host({"umount", "-l", *it});
  if (!device_.empty()) Host({"losetup", "-d", device_});
}

bool LoopImage::MakeFs(int partition, std::vector<std::string> mkfs_argv) {
  mkfs_argv.push_back(Partition(partition));
  CommandResult r = Host(mkfs_argv);
  if (r.exit_code != 0) error_ = mkfs_argv[0] + " failed: " + r.err;
  return r.exit_code == 0;
}

bool LoopImage::Mount(int partition, const std::string& dir) {
  CommandResult r = Host({"mount", Partition(partition), dir});
  if (r.exit_code != 0) {
    error_ = "mount failed: " + r.err;
    return false;
  }
  mounts_.push_back(dir);
  return true;
}

bool LoopImage::Enlarge(int size_mib) {
  CommandResult r = Host({"truncate", "-s", std::to_string(size_mib) + "M", image_});
  if (r.exit_code == 0) r = Host({"losetup", "-c", device_});
  if (r.exit_code != 0) error_ = "enlarge failed: " + r.err;
  return r.exit_code == 0;
}

uint64_t LoopImage::SysfsSectors(int partition, const char* what) {
  std::string name = device_.substr(device_.rfind('/') + 1) + "p" + std::to_string(partition);
  std::ifstream in("/sys/class/block/" + name + "/" + what);
  uint64_t v = 0;
  in >> v;
  return v;
}

uint64_t LoopImage::DiskSectors() {
  std::ifstream in("/sys/class/block/" + device_.substr(device_.rfind('/') + 1) + "/size");
  uint64_t v = 0;
  in >> v;
  return v;
}

}  // namespace nubo::testing
