// test_system.h — a System on a real temporary directory, for tests.
//
//   TestSystem sys;                                   // fresh temp root
//   sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
//   sys.runner().Expect({"useradd", "alice"});        // allowed, exit 0
//   ... run the module ...
//   EXPECT_EQ(sys.Read("/etc/motd"), "hi\n");
//   EXPECT_THAT(sys.runner().calls(), ElementsAre(...));
//
// Files, modes and renames are real. Ownership changes are recorded, not
// applied (tests run unprivileged). The FakeRunner refuses every command the
// test did not expect: the test fails and prints the argv.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/system/real_system.h"

namespace nubo::testing {

class FakeRunner {
 public:
  struct Expectation {
    std::vector<std::string> argv;  // exact match, or a prefix when prefix == true
    bool prefix = false;
    CommandResult result;
    std::function<void()> effect;  // runs when the command does (a tool writing its file)
  };
  // Allows `argv` (exactly) and answers with `result`.
  void Expect(std::vector<std::string> argv, CommandResult result = {});
  // Allows any command starting with `argv_prefix`.
  void ExpectPrefix(std::vector<std::string> argv_prefix, CommandResult result = {});
  // Allows `argv` (exactly); `effect` runs each time it does.
  void ExpectWithEffect(std::vector<std::string> argv, std::function<void()> effect, CommandResult result = {});
  Result<CommandResult> Run(const Command& command);
  const std::vector<Command>& calls() const { return calls_; }
  std::vector<std::vector<std::string>> argvs() const;

 private:
  std::vector<Expectation> expectations_;
  std::vector<Command> calls_;
};

class TestSystem : public agent::RealSystem {
 public:
  TestSystem();  // a new temporary root, removed on destruction
  ~TestSystem() override;

  // Writes a file (creating directories) with `mode`.
  void AddFile(const std::string& path, const std::string& content, mode_t mode = 0644);
  void AddDir(const std::string& path, mode_t mode = 0755);
  // Content of a file in the root; fails the test when it cannot be read.
  std::string Read(const std::string& path);
  bool Has(const std::string& path) { return Exists(path); }
  mode_t ModeOf(const std::string& path);

  FakeRunner& runner() { return runner_; }
  // path -> "owner:group" as last set (empty side when not given).
  const std::map<std::string, std::string>& owners() const { return owners_; }

  // Host facts.
  void set_cmdline(std::string s) { cmdline_ = std::move(s); }
  void set_dmi(const std::string& key, std::string value) { dmi_[key] = std::move(value); }
  // A fake block device whose "mount" is `host_dir` (a directory the test fills).
  void AddFilesystem(BlockDevice device, std::string host_dir);
  int mounted_now() const { return mounted_; }
  void set_now(double t) { now_ = t; }
  // Names ResolveHost answers (every other name does not resolve: tests
  // never ask the real resolver).
  void AddHost(const std::string& name, std::string address) { hosts_[name] = std::move(address); }
  const std::vector<std::string>& resolved() const { return resolved_; }  // names asked, in order

  std::string KernelCmdline() override { return cmdline_; }
  std::string DmiValue(const std::string& key) override;
  Result<std::vector<BlockDevice>> FindFilesystems(const std::vector<std::string>& labels) override;
  Result<std::string> MountReadOnly(const BlockDevice& device) override;
  void Unmount(const std::string& host_dir) override;
  double Now() override { return now_; }
  double Uptime() override { return 12.5; }
  std::optional<std::string> ResolveHost(const std::string& name) override {
    resolved_.push_back(name);
    auto it = hosts_.find(name);
    if (it == hosts_.end()) return std::nullopt;
    return it->second;
  }

  // The running system, faked: IsHostRoot() is false unless a test says
  // so; hostname changes are recorded, never applied.
  void set_host_root(bool host_root) { host_root_ = host_root; }
  bool IsHostRoot() const override { return host_root_; }
  void set_running_hostname(std::string name) { running_hostname_ = std::move(name); }
  // Whether the fake hostnamed answers; when not, its calls fail as
  // "unreachable" (ENOTCONN).
  void set_hostnamed_reachable(bool reachable) { hostnamed_reachable_ = reachable; }
  // "static:NAME", "transient:NAME" (hostnamed) and "sethostname:NAME".
  const std::vector<std::string>& hostname_calls() const { return hostname_calls_; }
  Result<std::string> RunningHostname() override { return running_hostname_; }
  Status SetHostnameViaHostnamed(const std::string& static_name,
                                 const std::string& transient_name) override;
  Status SetTransientHostname(const std::string& name) override;
  // Host files (/proc/self/mountinfo, /sys/...) and device nodes a test
  // fakes; others are the real host's.
  void AddHostFile(const std::string& host_path, std::string content) {
    host_files_[host_path] = std::move(content);
  }
  void AddHostDevice(const std::string& host_path, HostDeviceInfo info) {
    host_devices_[host_path] = std::move(info);
  }
  // A faked (empty) host directory: ListHostDir lists the host files and
  // directories added below it, not the real host's.
  void AddHostDir(const std::string& host_path) { host_dirs_.insert(host_path); }
  Result<std::string> ReadHostFile(const std::string& host_path) override;
  // Directories of faked host files list their children; /sys/class/net is
  // always faked (empty unless a test adds NICs), so no test sees the
  // build machine's NICs.
  Result<std::vector<std::string>> ListHostDir(const std::string& host_path) override;
  Result<HostDeviceInfo> StatHostPath(const std::string& host_path) override;
  // Runs the command (through the FakeRunner) at once, in this process.
  Status RunDetached(const Command& command,
                     std::function<void(const Result<CommandResult>&)> on_exit) override;

 protected:
  Status ApplyOwner(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                    const std::string& path) override;
  Result<CommandResult> Execute(const Command& command) override { return runner_.Run(command); }

 private:
  static std::string MakeTempRoot();
  FakeRunner runner_;
  std::map<std::string, std::string> owners_;
  std::string cmdline_ = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro";
  std::map<std::string, std::string> dmi_;
  std::vector<std::pair<BlockDevice, std::string>> filesystems_;
  int mounted_ = 0;
  double now_ = 1700000000.0;
  std::map<std::string, std::string> hosts_;
  std::vector<std::string> resolved_;
  bool host_root_ = false;
  std::string running_hostname_ = "buildhost";
  bool hostnamed_reachable_ = false;
  std::vector<std::string> hostname_calls_;
  std::map<std::string, std::string> host_files_;
  std::map<std::string, HostDeviceInfo> host_devices_;
  std::set<std::string> host_dirs_;
};

// A temporary directory on the host, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace nubo::testing
