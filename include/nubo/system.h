// system.h — the only way nubo touches the machine.
//
//   System& sys = ctx.sys;
//   auto text = sys.ReadFile("/etc/hostname");          // inside the target root
//   WriteOptions o; o.mode = 0600; o.owner = "alice";
//   Status s = sys.WriteFile("/home/alice/.ssh/authorized_keys", keys, o);
//   auto r = sys.Run({.argv = {"useradd", "-m", "alice"}});
//
// Every path is absolute and resolved inside the target root: ".." and
// symlinks cannot lead out of it. Writes are atomic (temp file in the same
// directory, fsync, mode and owner set, rename). RealSystem is made only by
// main; tests use TestSystem (tests/support/test_system.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nubo/http.h"
#include "nubo/result.h"

namespace nubo {

struct FileInfo {
  bool is_dir = false;
  bool is_regular = false;
  bool is_symlink = false;
  mode_t mode = 0;  // permission bits only
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
};

struct WriteOptions {
  mode_t mode = 0644;
  // Owner and group by name or number, looked up in the target root's
  // /etc/passwd and /etc/group. Unset keeps root:root (the writer).
  std::optional<std::string> owner;
  std::optional<std::string> group;
  // When set (a directory such as "/home/alice"), no symlink is followed at
  // or below it: a planted ~/.ssh -> /etc makes the write fail.
  std::optional<std::string> no_symlinks_below;
  // Create missing parent directories with this mode.
  mode_t parent_mode = 0755;
};

struct Command {
  std::vector<std::string> argv;
  std::string stdin_data;
  std::vector<std::string> env;  // extra "NAME=value" entries
  std::chrono::seconds timeout{0};  // 0: no limit
  // Run chrooted into the target root (the default). Tools that take a root
  // option themselves (useradd -R) set this false and get HostPath()s.
  bool in_root = true;
  // Shown in logs and --dry-run output instead of argv when argv holds a
  // secret.
  std::string display;
  // Append the command's stdout/stderr to /var/log/cloud-init-output.log
  // and echo it, as cloud-init does for scripts, instead of capturing it.
  bool to_output_log = false;
  // RunDetached only: the child's pid is written here (in the target root)
  // before RunDetached returns, so a later process can tell whether the
  // child still runs.
  std::string pid_file;
};

struct CommandResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

struct BlockDevice {
  std::string devname;  // /dev/vdb
  std::string label;
  std::string fstype;   // iso9660, vfat
};

// A path on the host (/dev/..., /sys/...), not inside the target root.
struct HostDeviceInfo {
  std::string real_path;  // realpath(3): /dev/disk/by-label/x -> /dev/vda1
  bool is_block = false;
  bool is_char = false;
  unsigned major = 0;     // of st_rdev, for device nodes
  unsigned minor = 0;
  uint64_t size = 0;      // bytes, for block devices
};

// What GrowPartition did (or would do, with dry_run), in sectors.
struct PartitionGrowth {
  uint64_t sector_size = 512;
  uint64_t start = 0;
  uint64_t old_size = 0;
  uint64_t new_size = 0;  // == old_size: nothing to do
  std::string label;      // "gpt" or "dos"
  bool backup_header_moved = false;  // GPT: the backup header was relocated
};

class System {
 public:
  virtual ~System() = default;

  // --- files, all paths absolute inside the target root ---
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual Status WriteFile(const std::string& path, std::string_view content,
                           const WriteOptions& options) = 0;
  // Atomic too: old content + addition, written to a temp file and renamed.
  virtual Status AppendFile(const std::string& path, std::string_view content,
                            const WriteOptions& options) = 0;
  virtual Status MakeDirs(const std::string& path, mode_t mode) = 0;
  // lstat: a symlink is reported as one. Error with ENOENT when absent.
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  bool Exists(const std::string& path) { return Stat(path).ok(); }
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;  // sorted names
  virtual Status Remove(const std::string& path) = 0;      // file or symlink; absent is ok
  virtual Status RemoveTree(const std::string& path) = 0;  // absent is ok
  virtual Status Symlink(const std::string& target, const std::string& link) = 0;  // replaces
  virtual Result<std::string> ReadLink(const std::string& path) = 0;
  virtual Status Chmod(const std::string& path, mode_t mode) = 0;
  virtual Status Chown(const std::string& path, const std::optional<std::string>& owner,
                       const std::optional<std::string>& group) = 0;

  // Where `path` of the target root is on the host (for tools given --root).
  virtual std::string HostPath(const std::string& path) const = 0;
  virtual const std::string& root() const = 0;

  // --- commands ---
  virtual Result<CommandResult> Run(const Command& command) = 0;

  // --- the network (include/nubo/http.h) ---
  // Concurrent bounded GETs; libcurl's multi interface unless overridden.
  virtual std::unique_ptr<HttpSession> OpenHttpSession(const HttpSessionOptions& options);
  // getaddrinfo(name): the first address it gives ("93.184.216.34"), or
  // nullopt when the name does not resolve (cloud-init's util.is_resolvable).
  virtual std::optional<std::string> ResolveHost(const std::string& name);

  // --- host facts ---
  virtual std::string KernelCmdline() = 0;           // /proc/cmdline of the host
  virtual std::string DmiValue(const std::string& key) = 0;  // "system-serial-number"; "" if unknown
  // Filesystems whose label is one of `labels` (libblkid); an error when
  // libblkid cannot be loaded (nubo/dlopen.h).
  virtual Result<std::vector<BlockDevice>> FindFilesystems(const std::vector<std::string>& labels) = 0;
  // Mounts a device read-only on a new temporary directory (a host path) and
  // returns it; Unmount undoes it and removes the directory.
  virtual Result<std::string> MountReadOnly(const BlockDevice& device) = 0;
  virtual void Unmount(const std::string& host_dir) = 0;
  // Reads a file by its host path (a mounted seed), not inside the root.
  virtual Result<std::string> ReadHostFile(const std::string& host_path) = 0;
  virtual double Now() = 0;          // seconds since the epoch
  virtual double Uptime() = 0;       // seconds since boot

  // --- the running system (growpart, resizefs, hostname) ---
  // True when the target root is the host's "/": only then may a module
  // change the running system (hostname, partitions of "/").
  virtual bool IsHostRoot() const { return root() == "/"; }
  // realpath + stat of a host path; ENOENT error when absent.
  virtual Result<HostDeviceInfo> StatHostPath(const std::string& host_path) = 0;
  virtual Result<std::vector<std::string>> ListHostDir(const std::string& host_path) = 0;
  // Grows partition `partno` (1-based) of `disk` (a host device path) to
  // the end of the free space after it, with libfdisk (GPT: the backup
  // header is moved to the disk's end), and tells the kernel with BLKPG.
  virtual Result<PartitionGrowth> GrowPartition(const std::string& disk, int partno,
                                                bool dry_run) = 0;
  // gethostname(2) of the running system.
  virtual Result<std::string> RunningHostname() = 0;
  // systemd-hostnamed over sd-bus: SetStaticHostname (when `static_name`
  // is not empty) and SetHostname (transient). An error when the bus or
  // the service cannot be reached; callers then fall back.
  virtual Status SetHostnameViaHostnamed(const std::string& static_name,
                                         const std::string& transient_name) = 0;
  // sethostname(2).
  virtual Status SetTransientHostname(const std::string& name) = 0;
  // Runs `command` in a child process that outlives the caller's return;
  // `on_exit` runs in that child when the command ends (to log it). The
  // child is in its own session with /dev/null as stdin, stdout and stderr:
  // it never holds the caller's output open.
  virtual Status RunDetached(const Command& command,
                             std::function<void(const Result<CommandResult>&)> on_exit) = 0;
};

}  // namespace nubo
