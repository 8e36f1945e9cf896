#include "support/test_system.h"

#include <set>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "nubo/log.h"

namespace nubo::testing {

void FakeRunner::Expect(std::vector<std::string> argv, CommandResult result) {
  expectations_.push_back({std::move(argv), false, std::move(result)});
}

void FakeRunner::ExpectPrefix(std::vector<std::string> argv_prefix, CommandResult result) {
  expectations_.push_back({std::move(argv_prefix), true, std::move(result)});
}

Result<CommandResult> FakeRunner::Run(const Command& command) {
  calls_.push_back(command);
  for (const auto& e : expectations_) {
    bool match = e.prefix ? command.argv.size() >= e.argv.size() &&
                                std::equal(e.argv.begin(), e.argv.end(), command.argv.begin())
                          : command.argv == e.argv;
    if (match) {
      if (e.effect) e.effect();
      return e.result;
    }
  }
  ADD_FAILURE() << "unexpected command: " << agent::DisplayArgv(command.argv);
  return MakeError("unexpected command in test: " + agent::DisplayArgv(command.argv));
}

void FakeRunner::ExpectWithEffect(std::vector<std::string> argv, std::function<void()> effect,
                                  CommandResult result) {
  expectations_.push_back({std::move(argv), false, std::move(result), std::move(effect)});
}

std::vector<std::vector<std::string>> FakeRunner::argvs() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : calls_) out.push_back(c.argv);
  return out;
}

std::string TestSystem::MakeTempRoot() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nubo-test.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

TestSystem::TestSystem() : RealSystem(MakeTempRoot()) {}

TestSystem::~TestSystem() {
  std::error_code ec;
  std::filesystem::remove_all(root(), ec);
}

void TestSystem::AddFile(const std::string& path, const std::string& content, mode_t mode) {
  WriteOptions o;
  o.mode = mode;
  Status s = WriteFile(path, content, o);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

void TestSystem::AddDir(const std::string& path, mode_t mode) {
  Status s = MakeDirs(path, mode);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

std::string TestSystem::Read(const std::string& path) {
  auto r = ReadFile(path);
  if (!r) {
    ADD_FAILURE() << "cannot read " << path << ": " << r.error().ToString();
    return "";
  }
  return *r;
}

mode_t TestSystem::ModeOf(const std::string& path) {
  auto r = Stat(path);
  if (!r) {
    ADD_FAILURE() << "cannot stat " << path << ": " << r.error().ToString();
    return 0;
  }
  return r->mode;
}

Status TestSystem::ApplyOwner(int, const std::string&, uid_t uid, gid_t gid,
                              const std::string& path) {
  std::string u = uid == static_cast<uid_t>(-1) ? "" : std::to_string(uid);
  std::string g = gid == static_cast<gid_t>(-1) ? "" : std::to_string(gid);
  owners_[path] = u + ":" + g;
  return Status::Ok();
}

std::string TestSystem::DmiValue(const std::string& key) {
  auto it = dmi_.find(key);
  return it == dmi_.end() ? "" : it->second;
}

void TestSystem::AddFilesystem(BlockDevice device, std::string host_dir) {
  filesystems_.emplace_back(std::move(device), std::move(host_dir));
}

Result<std::vector<BlockDevice>> TestSystem::FindFilesystems(const std::vector<std::string>& labels) {
  std::vector<BlockDevice> out;
  for (const auto& [dev, dir] : filesystems_) {
    if (std::find(labels.begin(), labels.end(), dev.label) != labels.end()) out.push_back(dev);
  }
  return out;
}

Result<std::string> TestSystem::MountReadOnly(const BlockDevice& device) {
  for (const auto& [dev, dir] : filesystems_) {
    if (dev.devname == device.devname) {
      ++mounted_;
      return dir;
    }
  }
  return MakeError("no such fake device " + Quote(device.devname));
}

void TestSystem::Unmount(const std::string&) { --mounted_; }

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nubo-tmp.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Status TestSystem::SetHostnameViaHostnamed(const std::string& static_name,
                                           const std::string& transient_name) {
  if (!hostnamed_reachable_) {
    return Error{"connect to the system bus: No such file or directory", "", ENOTCONN};
  }
  if (!static_name.empty()) hostname_calls_.push_back("static:" + static_name);
  if (!transient_name.empty()) hostname_calls_.push_back("transient:" + transient_name);
  return Status::Ok();
}

Status TestSystem::SetTransientHostname(const std::string& name) {
  hostname_calls_.push_back("sethostname:" + name);
  return Status::Ok();
}

Status TestSystem::RunDetached(const Command& command,
                               std::function<void(const Result<CommandResult>&)> on_exit) {
  on_exit(Run(command));
  return Status::Ok();
}

Result<std::string> TestSystem::ReadHostFile(const std::string& host_path) {
  auto it = host_files_.find(host_path);
  if (it != host_files_.end()) return it->second;
  return RealSystem::ReadHostFile(host_path);
}

Result<std::vector<std::string>> TestSystem::ListHostDir(const std::string& host_path) {
  // /sys/class/net is always the test's (never the host's NICs); other
  // host directories are faked once a test adds something below them.
  std::string prefix = host_path + "/";
  bool faked = host_dirs_.count(host_path) > 0;
  std::set<std::string> names;
  auto add = [&](const std::string& p) {
    if (p.rfind(prefix, 0) != 0) return;
    faked = true;
    std::string rest = p.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
  };
  for (const auto& [p, _] : host_files_) add(p);
  for (const auto& d : host_dirs_) add(d);
  for (const auto& [p, _] : host_devices_) add(p);
  if (!faked && host_path.rfind("/sys/class/net", 0) == 0) return ErrnoError("list " + host_path, ENOENT);
  if (!faked) return RealSystem::ListHostDir(host_path);
  return std::vector<std::string>(names.begin(), names.end());
}

Result<HostDeviceInfo> TestSystem::StatHostPath(const std::string& host_path) {
  auto it = host_devices_.find(host_path);
  if (it != host_devices_.end()) return it->second;
  if (host_dirs_.count(host_path)) return HostDeviceInfo{host_path};
  for (const auto& [p, _] : host_files_) {
    if (p == host_path || p.rfind(host_path + "/", 0) == 0) return HostDeviceInfo{host_path};
  }
  for (const auto& d : host_dirs_) {
    if (host_path.rfind(d + "/", 0) == 0) return ErrnoError("stat " + host_path, ENOENT);  // under a faked dir
  }
  if (host_path.rfind("/sys/class/net", 0) == 0) {
    return ErrnoError("stat " + host_path, ENOENT);
  }
  if (host_path.rfind("/dev/", 0) == 0 && !host_devices_.empty()) {
    return ErrnoError("stat " + host_path, ENOENT);  // a faked /dev
  }
  return RealSystem::StatHostPath(host_path);
}

}  // namespace nubo::testing
