// real_system.h — System on a real directory tree (the target root).
//
//   RealSystem sys("/");                 // main: the running machine
//   RealSystem sys("/tmp/target");       // --root /tmp/target
//   sys.set_dry_run(true);               // commands are recorded, not run
//
// Paths are resolved with openat2(RESOLVE_IN_ROOT): "..", absolute symlinks
// and relative ones all stay inside the root. Only main creates one; tests
// derive TestSystem from it to fake commands and host facts.
#pragma once

#include <string>
#include <vector>

#include "nubo/system.h"

namespace nubo::agent {

class RealSystem : public System {
 public:
  explicit RealSystem(std::string root);
  ~RealSystem() override;
  RealSystem(const RealSystem&) = delete;
  RealSystem& operator=(const RealSystem&) = delete;

  Result<std::string> ReadFile(const std::string& path) override;
  Status WriteFile(const std::string& path, std::string_view content,
                   const WriteOptions& options) override;
  Status AppendFile(const std::string& path, std::string_view content,
                    const WriteOptions& options) override;
  Status MakeDirs(const std::string& path, mode_t mode) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status RemoveTree(const std::string& path) override;
  Status Symlink(const std::string& target, const std::string& link) override;
  Result<std::string> ReadLink(const std::string& path) override;
  Status Chmod(const std::string& path, mode_t mode) override;
  Status Chown(const std::string& path, const std::optional<std::string>& owner,
               const std::optional<std::string>& group) override;
  std::string HostPath(const std::string& path) const override;
  const std::string& root() const override { return root_; }

  Result<CommandResult> Run(const Command& command) override;

  std::string KernelCmdline() override;
  std::string DmiValue(const std::string& key) override;
  Result<std::vector<BlockDevice>> FindFilesystems(const std::vector<std::string>& labels) override;
  Result<std::string> MountReadOnly(const BlockDevice& device) override;
  void Unmount(const std::string& host_dir) override;
  Result<std::string> ReadHostFile(const std::string& host_path) override;
  double Now() override;
  double Uptime() override;

  // Host devices, partitions and the running hostname
  // (agent/system/real_system_host.cc). Changing the running system is
  // refused unless the root is "/".
  Result<HostDeviceInfo> StatHostPath(const std::string& host_path) override;
  Result<std::vector<std::string>> ListHostDir(const std::string& host_path) override;
  Result<PartitionGrowth> GrowPartition(const std::string& disk, int partno,
                                        bool dry_run) override;
  Result<std::string> RunningHostname() override;
  Status SetHostnameViaHostnamed(const std::string& static_name,
                                 const std::string& transient_name) override;
  Status SetTransientHostname(const std::string& name) override;
  Status RunDetached(const Command& command,
                     std::function<void(const Result<CommandResult>&)> on_exit) override;
  // Talks to hostnamed on this bus ("unix:path=...") instead of the system
  // bus, whatever the root: for tests with a private dbus-daemon.
  void set_hostname_bus(std::string address) { hostname_bus_ = std::move(address); }
  // The system bus's socket, looked for before libsystemd is loaded (tests).
  void set_system_bus_socket(std::string path) { system_bus_socket_ = std::move(path); }

  // Opens `path` inside the root for appending (created with `mode`), for
  // the output log; the caller closes the descriptor.
  Result<int> OpenForAppend(const std::string& path, mode_t mode);

  // Commands are recorded (and printed by the caller) instead of run.
  void set_dry_run(bool dry_run) { dry_run_ = dry_run; }
  // Every command run or recorded, as displayed (redacted where needed).
  const std::vector<std::string>& commands() const { return commands_; }
  // Every path written, in order.
  const std::vector<std::string>& written() const { return written_; }

  // Owner and group names resolved in the target root's passwd/group.
  Result<uid_t> LookupUid(const std::string& name);
  Result<gid_t> LookupGid(const std::string& name);

 protected:
  // How ownership is applied; TestSystem records instead (unprivileged).
  virtual Status ApplyOwner(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                            const std::string& path);
  // Executes for real; TestSystem replaces it with its FakeRunner.
  virtual Result<CommandResult> Execute(const Command& command);
  // Called between the steps of every change to the target root (before
  // and after each write, rename, mkdir, unlink, chmod, command): the
  // crash-consistency test (tests/agent/kill_test.cc) overrides it to
  // SIGKILL the process at the N-th point. Does nothing here.
  virtual void FaultPoint() {}

 private:
  struct Parent;
  Result<Parent> OpenParent(const std::string& path, bool create, mode_t parent_mode,
                            const std::optional<std::string>& no_symlinks_below);
  Result<int> OpenInRoot(const std::string& path, int flags, bool no_symlinks = false);
  Result<std::pair<uid_t, gid_t>> ResolveOwner(const std::optional<std::string>& owner,
                                               const std::optional<std::string>& group);

  std::string root_;
  int root_fd_ = -1;
  bool dry_run_ = false;
  std::vector<std::string> commands_;
  std::vector<std::string> written_;
  std::string hostname_bus_;
  std::string system_bus_socket_ = "/run/dbus/system_bus_socket";  // sd-bus's default
};

// Splits "/a/b/c" into {"a", "b", "c"}; rejects relative paths and "..".
Result<std::vector<std::string>> SplitAbsolutePath(const std::string& path);
// The argv joined for display, each word quoted when it needs to be.
std::string DisplayArgv(const std::vector<std::string>& argv);

}  // namespace nubo::agent
