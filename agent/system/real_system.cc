#include "agent/system/real_system.h"

#include "nubo/dlopen.h"
#include "nubo/limits.h"

#include "nubo/log.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace nubo::agent {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

int Openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve, mode_t mode = 0) {
  struct open_how how {};
  how.flags = flags;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = resolve;
  const char* p = path.empty() ? "." : path.c_str();
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dirfd, p, &how, sizeof(how)));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

std::string JoinComponents(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += "/";
    s += parts[i];
  }
  return s;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write '" + path + "'", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads to the end, at most kMaxFileBytes.
Result<std::string> ReadAll(int fd, const std::string& path) {
  std::string out;
  char buf[65536];
  while (true) {
    if (out.size() > kMaxFileBytes.value) return LimitError(kMaxFileBytes, "read '" + path + "'");
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read '" + path + "'", errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string TempName(const std::string& base) {
  static std::mt19937_64 rng(std::random_device{}());
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = "." + base + ".nubo-";
  for (int i = 0; i < 8; ++i) s += kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

struct RealSystem::Parent {
  Fd fd;             // O_PATH descriptor of the parent directory
  std::string name;  // last component
};

Result<std::vector<std::string>> SplitAbsolutePath(const std::string& path) {
  if (path.empty() || path[0] != '/') return MakeError("path '" + path + "' is not absolute");
  if (path.find('\0') != std::string::npos) {
    return MakeError("path '" + path.substr(0, path.find('\0')) + "\\0...' contains a NUL byte");
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string item;
  while (std::getline(ss, item, '/')) {
    if (item.empty() || item == ".") continue;
    if (item == "..") return MakeError("path '" + path + "' contains '..'");
    parts.push_back(item);
  }
  return parts;
}

std::string DisplayArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') out += "'\\''"; else out += c;
      }
      out += '\'';
    }
  }
  return out;
}

RealSystem::RealSystem(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = "/";
  root_fd_ = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

RealSystem::~RealSystem() {
  if (root_fd_ >= 0) close(root_fd_);
}

std::string RealSystem::HostPath(const std::string& path) const {
  if (root_ == "/") return path;
  return root_ + path;
}

Result<int> RealSystem::OpenInRoot(const std::string& path, int flags, bool no_symlinks) {
  if (root_fd_ < 0) return ErrnoError("open root '" + root_ + "'", ENOENT);
  auto parts = SplitAbsolutePath(path);
  if (!parts) return parts.error();
  uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (no_symlinks) resolve |= RESOLVE_NO_SYMLINKS;
  int fd = Openat2(root_fd_, JoinComponents(*parts, parts->size()),
                   static_cast<uint64_t>(flags) | O_CLOEXEC, resolve);
  if (fd < 0) return ErrnoError("open '" + path + "'", errno);
  return fd;
}

Result<RealSystem::Parent> RealSystem::OpenParent(
    const std::string& path, bool create, mode_t parent_mode,
    const std::optional<std::string>& no_symlinks_below) {
  auto parts = SplitAbsolutePath(path);
  if (!parts) return parts.error();
  if (parts->empty()) return MakeError("path '" + path + "' names the root itself");
  if (root_fd_ < 0) return ErrnoError("open root '" + root_ + "'", ENOENT);

  // Components up to `strict_from` resolve inside the root; below it (a
  // user's home) no symlink is followed at all.
  size_t strict_from = parts->size();
  if (no_symlinks_below) {
    auto guard = SplitAbsolutePath(*no_symlinks_below);
    if (!guard) return guard.error();
    if (guard->size() <= parts->size() &&
        std::equal(guard->begin(), guard->end(), parts->begin())) {
      strict_from = guard->size();
    }
  }

  Fd dir(dup(root_fd_));
  size_t n_dirs = parts->size() - 1;
  // The directories that resolve inside the root, in one call when they
  // all exist (the common case: one openat2 instead of one per level);
  // else level by level below, creating what is missing.
  size_t first = 0;
  if (size_t k = std::min(n_dirs, strict_from); k > 1) {
    int fd = Openat2(root_fd_, JoinComponents(*parts, k), O_PATH | O_DIRECTORY | O_CLOEXEC,
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) {
      dir = Fd(fd);
      first = k;
    }
  }
  for (size_t i = first; i < n_dirs; ++i) {
    const std::string& comp = (*parts)[i];
    int fd;
    if (i < strict_from) {
      fd = Openat2(root_fd_, JoinComponents(*parts, i + 1), O_PATH | O_DIRECTORY | O_CLOEXEC,
                   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    } else {
      fd = Openat2(dir.get(), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(dir.get(), comp.c_str(), parent_mode) < 0 && errno != EEXIST) {
        return ErrnoError("mkdir '/" + JoinComponents(*parts, i + 1) + "'", errno);
      }
      fd = Openat2(dir.get(), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      if (fd >= 0) {
        // mkdir's mode is cut by the umask; set what was asked for.
        Fd rd(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (rd.get() >= 0) fchmod(rd.get(), parent_mode);
      }
    }
    if (fd < 0) {
      int err = errno;
      if (err == ELOOP || err == EXDEV) {
        return MakeError("refusing to follow a symlink at '/" + JoinComponents(*parts, i + 1) +
                         "' (inside '" + no_symlinks_below.value_or("/") + "')");
      }
      return ErrnoError("open '/" + JoinComponents(*parts, i + 1) + "'", err);
    }
    dir = Fd(fd);
  }
  Parent p;
  p.fd = std::move(dir);
  p.name = parts->back();
  if (strict_from < parts->size()) {
    struct stat st {};
    if (fstatat(p.fd.get(), p.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      return MakeError("refusing to follow a symlink at '" + path + "' (inside '" +
                       *no_symlinks_below + "')");
    }
  }
  return p;
}

namespace {
// A FIFO, socket or device where a document is expected would block the
// boot or never end: refused (opened O_NONBLOCK, so the open returns).
Status CheckReadable(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) < 0) return ErrnoError("stat '" + path + "'", errno);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return MakeError("read '" + path + "': not a regular file, refusing to read it");
  }
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxFileBytes.value) {
    return LimitError(kMaxFileBytes, "read '" + path + "'");
  }
  return Status::Ok();
}
}  // namespace

Result<std::string> RealSystem::ReadFile(const std::string& path) {
  auto fd = OpenInRoot(path, O_RDONLY | O_NONBLOCK);
  if (!fd) return fd.error();
  Fd guard(*fd);
  if (Status s = CheckReadable(guard.get(), path); !s.ok()) return s.error();
  return ReadAll(guard.get(), path);
}

Result<std::string> RealSystem::ReadHostFile(const std::string& host_path) {
  Fd fd(open(host_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open '" + host_path + "'", errno);
  if (Status s = CheckReadable(fd.get(), host_path); !s.ok()) return s.error();
  return ReadAll(fd.get(), host_path);
}

Result<std::pair<uid_t, gid_t>> RealSystem::ResolveOwner(const std::optional<std::string>& owner,
                                                        const std::optional<std::string>& group) {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (owner) {
    auto u = LookupUid(*owner);
    if (!u) return u.error();
    uid = *u;
  }
  if (group) {
    auto g = LookupGid(*group);
    if (!g) return g.error();
    gid = *g;
  }
  return std::make_pair(uid, gid);
}

namespace {
// Field 2 (id) of the line whose field 0 is `name` in a passwd/group file.
std::optional<unsigned long> LookupIdIn(const std::string& text, const std::string& name) {
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string item;
    while (std::getline(ls, item, ':')) f.push_back(item);
    if (f.size() >= 3 && f[0] == name && AllDigits(f[2])) return std::stoul(f[2]);
  }
  return std::nullopt;
}
}  // namespace

Result<uid_t> RealSystem::LookupUid(const std::string& name) {
  if (AllDigits(name)) return static_cast<uid_t>(std::stoul(name));
  auto passwd = ReadFile("/etc/passwd");
  if (passwd) {
    if (auto id = LookupIdIn(*passwd, name)) return static_cast<uid_t>(*id);
  }
  return MakeError("unknown user " + Quote(name) + " in " + HostPath("/etc/passwd"));
}

Result<gid_t> RealSystem::LookupGid(const std::string& name) {
  if (AllDigits(name)) return static_cast<gid_t>(std::stoul(name));
  auto group = ReadFile("/etc/group");
  if (group) {
    if (auto id = LookupIdIn(*group, name)) return static_cast<gid_t>(*id);
  }
  return MakeError("unknown group " + Quote(name) + " in " + HostPath("/etc/group"));
}

Status RealSystem::ApplyOwner(int dir_fd, const std::string& name, uid_t uid, gid_t gid,
                              const std::string& path) {
  if (fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
    return ErrnoError("chown '" + path + "'", errno);
  }
  return Status::Ok();
}

Status RealSystem::WriteFile(const std::string& path, std::string_view content,
                             const WriteOptions& options) {
  auto ids = ResolveOwner(options.owner, options.group);
  if (!ids) return ids.error();
  auto parent = OpenParent(path, true, options.parent_mode, options.no_symlinks_below);
  if (!parent) return parent.error();
  int dfd = parent->fd.get();
  std::string tmp;
  FaultPoint();
  Fd fd;
  // A name taken (by a temporary file a crash left behind, or a writer
  // sharing the random state across fork) is not an error: try another.
  for (int attempt = 0; attempt < 16; ++attempt) {
    tmp = TempName(parent->name);
    fd = Fd(openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() >= 0 || errno != EEXIST) break;
  }
  if (fd.get() < 0) return ErrnoError("create temporary file for '" + path + "'", errno);
  auto fail = [&](Status s) {
    unlinkat(dfd, tmp.c_str(), 0);
    return s;
  };
  // Half of the content, then a fault point: a kill here leaves a
  // half-written temporary file, never a half-written `path`.
  size_t half = content.size() / 2;
  if (Status s = WriteAll(fd.get(), content.substr(0, half), path); !s.ok()) return fail(s);
  FaultPoint();
  if (Status s = WriteAll(fd.get(), content.substr(half), path); !s.ok()) return fail(s);
  if (fchmod(fd.get(), options.mode) < 0) return fail(ErrnoError("chmod '" + path + "'", errno));
  if (options.owner || options.group) {
    if (Status s = ApplyOwner(dfd, tmp, ids->first, ids->second, path); !s.ok()) return fail(s);
  }
  if (fsync(fd.get()) < 0) return fail(ErrnoError("fsync '" + path + "'", errno));
  fd.Reset();
  FaultPoint();
  if (renameat(dfd, tmp.c_str(), dfd, parent->name.c_str()) < 0) {
    return fail(ErrnoError("rename into '" + path + "'", errno));
  }
  Fd dir_rd(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_rd.get() >= 0) fsync(dir_rd.get());
  written_.push_back(path);
  FaultPoint();
  return Status::Ok();
}

Status RealSystem::AppendFile(const std::string& path, std::string_view content,
                              const WriteOptions& options) {
  std::string existing;
  auto parent = OpenParent(path, true, options.parent_mode, options.no_symlinks_below);
  if (!parent) return parent.error();
  Fd fd(openat(parent->fd.get(), parent->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() >= 0) {
    auto text = ReadAll(fd.get(), path);
    if (!text) return text.error();
    existing = std::move(*text);
  } else if (errno != ENOENT) {
    return ErrnoError("open '" + path + "'", errno);
  }
  existing.append(content);
  return WriteFile(path, existing, options);
}

Result<int> RealSystem::OpenForAppend(const std::string& path, mode_t mode) {
  auto parent = OpenParent(path, true, 0755, std::nullopt);
  if (!parent) return parent.error();
  int fd = openat(parent->fd.get(), parent->name.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("open '" + path + "'", errno);
  fchmod(fd, mode);
  return fd;
}

Status RealSystem::MakeDirs(const std::string& path, mode_t mode) {
  auto parts = SplitAbsolutePath(path);
  if (!parts) return parts.error();
  if (parts->empty()) return Status::Ok();
  auto parent = OpenParent(path, true, 0755, std::nullopt);
  if (!parent) return parent.error();
  FaultPoint();
  bool created = mkdirat(parent->fd.get(), parent->name.c_str(), mode) == 0;
  if (!created && errno != EEXIST) return ErrnoError("mkdir '" + path + "'", errno);
  struct stat st {};
  if (fstatat(parent->fd.get(), parent->name.c_str(), &st, 0) < 0) {
    return ErrnoError("stat '" + path + "'", errno);
  }
  if (!S_ISDIR(st.st_mode)) return MakeError("'" + path + "' exists and is not a directory");
  if (created) {
    Fd rd(Openat2(parent->fd.get(), parent->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    if (rd.get() >= 0) fchmod(rd.get(), mode);
  }
  return Status::Ok();
}

Result<FileInfo> RealSystem::Stat(const std::string& path) {
  auto parts = SplitAbsolutePath(path);
  if (!parts) return parts.error();
  struct stat st {};
  if (parts->empty()) {
    if (fstat(root_fd_, &st) < 0) return ErrnoError("stat '/'", errno);
  } else {
    auto parent = OpenParent(path, false, 0, std::nullopt);
    if (!parent) return parent.error();
    if (fstatat(parent->fd.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return ErrnoError("stat '" + path + "'", errno);
    }
  }
  FileInfo info;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.is_symlink = S_ISLNK(st.st_mode);
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.size = static_cast<uint64_t>(st.st_size);
  return info;
}

Result<std::vector<std::string>> RealSystem::ListDir(const std::string& path) {
  auto fd = OpenInRoot(path, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd.error();
  DIR* d = fdopendir(*fd);
  if (d == nullptr) {
    close(*fd);
    return ErrnoError("opendir '" + path + "'", errno);
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status RealSystem::Remove(const std::string& path) {
  auto parent = OpenParent(path, false, 0, std::nullopt);
  if (!parent) {
    return parent.error().errno_value == ENOENT ? Status::Ok() : Status(parent.error());
  }
  FaultPoint();
  if (unlinkat(parent->fd.get(), parent->name.c_str(), 0) < 0 && errno != ENOENT) {
    return ErrnoError("remove '" + path + "'", errno);
  }
  FaultPoint();
  return Status::Ok();
}

namespace {
Status RemoveTreeAt(int at_fd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (fstatat(at_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return errno == ENOENT ? Status::Ok() : ErrnoError("stat '" + path + "'", errno);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(at_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open '" + path + "'", errno);
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      close(fd);
      return ErrnoError("opendir '" + path + "'", errno);
    }
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    for (const auto& n : names) {
      Status s = RemoveTreeAt(dirfd(d), n, path + "/" + n);
      if (!s.ok()) {
        closedir(d);
        return s;
      }
    }
    closedir(d);
    if (unlinkat(at_fd, name.c_str(), AT_REMOVEDIR) < 0) return ErrnoError("rmdir '" + path + "'", errno);
    return Status::Ok();
  }
  if (unlinkat(at_fd, name.c_str(), 0) < 0 && errno != ENOENT) {
    return ErrnoError("remove '" + path + "'", errno);
  }
  return Status::Ok();
}
}  // namespace

Status RealSystem::RemoveTree(const std::string& path) {
  auto parent = OpenParent(path, false, 0, std::nullopt);
  if (!parent) {
    return parent.error().errno_value == ENOENT ? Status::Ok() : Status(parent.error());
  }
  return RemoveTreeAt(parent->fd.get(), parent->name, path);
}

Status RealSystem::Symlink(const std::string& target, const std::string& link) {
  auto parent = OpenParent(link, true, 0755, std::nullopt);
  if (!parent) return parent.error();
  std::string tmp;
  FaultPoint();
  int rc = -1;
  for (int attempt = 0; attempt < 16 && rc < 0; ++attempt) {  // as in WriteFile
    tmp = TempName(parent->name);
    rc = symlinkat(target.c_str(), parent->fd.get(), tmp.c_str());
    if (rc < 0 && errno != EEXIST) break;
  }
  if (rc < 0) return ErrnoError("symlink '" + link + "'", errno);
  FaultPoint();
  if (renameat(parent->fd.get(), tmp.c_str(), parent->fd.get(), parent->name.c_str()) < 0) {
    int err = errno;
    unlinkat(parent->fd.get(), tmp.c_str(), 0);
    return ErrnoError("symlink '" + link + "'", err);
  }
  written_.push_back(link);
  return Status::Ok();
}

Result<std::string> RealSystem::ReadLink(const std::string& path) {
  auto parent = OpenParent(path, false, 0, std::nullopt);
  if (!parent) return parent.error();
  char buf[4096];
  ssize_t n = readlinkat(parent->fd.get(), parent->name.c_str(), buf, sizeof(buf));
  if (n < 0) return ErrnoError("readlink '" + path + "'", errno);
  return std::string(buf, static_cast<size_t>(n));
}

Status RealSystem::Chmod(const std::string& path, mode_t mode) {
  auto parent = OpenParent(path, false, 0, std::nullopt);
  if (!parent) return parent.error();
  Fd fd(openat(parent->fd.get(), parent->name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("chmod '" + path + "'", errno);
  struct stat st {};
  if (fstat(fd.get(), &st) < 0 || S_ISLNK(st.st_mode)) {
    return MakeError("refusing to chmod symlink '" + path + "'");
  }
  // fchmod does not take O_PATH descriptors; go through /proc/self/fd.
  std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  FaultPoint();
  if (chmod(proc.c_str(), mode) < 0) return ErrnoError("chmod '" + path + "'", errno);
  return Status::Ok();
}

Status RealSystem::Chown(const std::string& path, const std::optional<std::string>& owner,
                         const std::optional<std::string>& group) {
  auto ids = ResolveOwner(owner, group);
  if (!ids) return ids.error();
  auto parent = OpenParent(path, false, 0, std::nullopt);
  if (!parent) return parent.error();
  return ApplyOwner(parent->fd.get(), parent->name, ids->first, ids->second, path);
}

Result<CommandResult> RealSystem::Run(const Command& command) {
  if (command.argv.empty()) return MakeError("empty command");
  commands_.push_back(command.display.empty() ? DisplayArgv(command.argv) : command.display);
  if (dry_run_) return CommandResult{};
  FaultPoint();
  auto result = Execute(command);
  FaultPoint();
  return result;
}

namespace {

// What a vforked child needs, prepared by the parent.
struct ChildSetup {
  char* const* argv;
  char* const* envp;
  const sigset_t* mask;  // the caller's, restored before exec
  int stdin_fd, stdout_fd, stderr_fd;  // -1: inherited
  const char* chroot_dir;  // nullptr: no chroot
};

// The child's side of Execute's vfork: system calls only, then exec or _exit.
[[noreturn]] __attribute__((noinline)) void ExecChild(const ChildSetup& c) {
  // The child has its own dispositions: every handler back to the default,
  // and SIGPIPE and SIGXFSZ too, as Python's subprocess (restore_signals)
  // gives cloud-init's children.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, nullptr, &sa) != 0) continue;
    bool handler = (sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
    if (handler || sig == SIGPIPE || sig == SIGXFSZ) signal(sig, SIG_DFL);
  }
  pthread_sigmask(SIG_SETMASK, c.mask, nullptr);
  dup2(c.stdin_fd, 0);
  if (c.stdout_fd >= 0) dup2(c.stdout_fd, 1);
  if (c.stderr_fd >= 0) dup2(c.stderr_fd, 2);
  setpgid(0, 0);
  if (c.chroot_dir != nullptr && (chroot(c.chroot_dir) < 0 || chdir("/") < 0)) _exit(126);
  if (c.chroot_dir == nullptr && chdir("/") < 0) _exit(126);
  execvpe(c.argv[0], c.argv, c.envp);
  _exit(errno == ENOENT ? 127 : 126);
}

}  // namespace

Result<CommandResult> RealSystem::Execute(const Command& command) {
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  bool capture = !command.to_output_log;
  if (pipe2(in_pipe, O_CLOEXEC) < 0) return ErrnoError("pipe", errno);
  if (capture && (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)) {
    return ErrnoError("pipe", errno);
  }
  std::vector<char*> argv;
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : command.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  bool chroot_into = command.in_root && root_ != "/";
  signal(SIGPIPE, SIG_IGN);  // ours, for the stdin pipe; the child's is reset below

  // vfork: the child borrows this process's memory until execve, so there
  // is no copy of the page tables and no copy-on-write faults afterwards
  // (fork was a fifth of init's CPU in the sandbox, perf). Everything it
  // uses is prepared above; it makes system calls only. Signals stay
  // blocked across the borrow, so no handler of ours runs in the child.
  sigset_t all, old_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const ChildSetup child{.argv = argv.data(), .envp = envp.data(), .mask = &old_mask, .stdin_fd = in_pipe[0],
                         .stdout_fd = capture ? out_pipe[1] : -1, .stderr_fd = capture ? err_pipe[1] : -1,
                         .chroot_dir = chroot_into ? root_.c_str() : nullptr};
  pid_t pid = vfork();
  if (pid == 0) ExecChild(child);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) return ErrnoError("vfork", fork_errno);
  close(in_pipe[0]);
  if (capture) {
    close(out_pipe[1]);
    close(err_pipe[1]);
  }
  CommandResult result;
  std::string_view to_write = command.stdin_data;
  int in_fd = in_pipe[1];
  if (to_write.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int out_fd = capture ? out_pipe[0] : -1, err_fd = capture ? err_pipe[0] : -1;
  struct timespec start {};
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool timed_out = false;
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    struct pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    int wait_ms = -1;
    if (command.timeout.count() > 0) {
      struct timespec now {};
      clock_gettime(CLOCK_MONOTONIC, &now);
      double elapsed = static_cast<double>(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
      double left = static_cast<double>(command.timeout.count()) - elapsed;
      if (left <= 0) {
        timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left * 1000) + 1;
    }
    int r = poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = write(in_fd, to_write.data(), to_write.size());
        if (w > 0) to_write.remove_prefix(static_cast<size_t>(w));
        if (w < 0 || to_write.empty()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[8192];
      ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        (fds[i].fd == out_fd ? result.out : result.err).append(buf, static_cast<size_t>(got));
      } else {
        close(fds[i].fd);
        if (fds[i].fd == out_fd) out_fd = -1; else err_fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return MakeError("command timed out after " + std::to_string(command.timeout.count()) +
                     "s: " + DisplayArgv({command.argv[0]}));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

std::string RealSystem::KernelCmdline() {
  auto text = ReadHostFile("/proc/cmdline");
  return text ? *text : "";
}

std::string RealSystem::DmiValue(const std::string& key) {
  static const std::map<std::string, std::string> kSysfs = {
      {"system-serial-number", "product_serial"}, {"system-product-name", "product_name"},
      {"system-uuid", "product_uuid"}, {"system-manufacturer", "sys_vendor"},
      {"chassis-asset-tag", "chassis_asset_tag"}, {"baseboard-product-name", "board_name"},
      {"bios-vendor", "bios_vendor"}};
  auto it = kSysfs.find(key);
  if (it == kSysfs.end()) return "";
  auto text = ReadHostFile("/sys/class/dmi/id/" + it->second);
  if (!text) return "";
  std::string v = *text;
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

namespace {

// libblkid, opened when a datasource first looks for a labelled filesystem.
struct BlkidApi {
  NUBO_DLFN(blkid_get_cache);
  NUBO_DLFN(blkid_probe_all);
  NUBO_DLFN(blkid_dev_iterate_begin);
  NUBO_DLFN(blkid_dev_next);
  NUBO_DLFN(blkid_verify);
  NUBO_DLFN(blkid_dev_devname);
  NUBO_DLFN(blkid_get_tag_value);
  NUBO_DLFN(blkid_dev_iterate_end);
  NUBO_DLFN(blkid_put_cache);
};

Result<const BlkidApi*> Blkid() {
  static BlkidApi api;
  static const Status loaded = DlopenSymbols(
      "libblkid.so.1", "finding seed filesystems by label (cidata, config-2) needs the libblkid1 package",
      {NUBO_DLSYM(api, blkid_get_cache), NUBO_DLSYM(api, blkid_probe_all),
       NUBO_DLSYM(api, blkid_dev_iterate_begin), NUBO_DLSYM(api, blkid_dev_next),
       NUBO_DLSYM(api, blkid_verify), NUBO_DLSYM(api, blkid_dev_devname),
       NUBO_DLSYM(api, blkid_get_tag_value), NUBO_DLSYM(api, blkid_dev_iterate_end),
       NUBO_DLSYM(api, blkid_put_cache)});
  if (!loaded) return loaded.error();
  return &api;
}

}  // namespace

Result<std::vector<BlockDevice>> RealSystem::FindFilesystems(const std::vector<std::string>& labels) {
  auto api = Blkid();
  if (!api) return api.error();
  const BlkidApi& b = **api;
  std::vector<BlockDevice> found;
  blkid_cache cache = nullptr;
  if (b.blkid_get_cache(&cache, "/dev/null") != 0) return found;
  b.blkid_probe_all(cache);
  blkid_dev_iterate it = b.blkid_dev_iterate_begin(cache);
  blkid_dev dev;
  while (b.blkid_dev_next(it, &dev) == 0) {
    dev = b.blkid_verify(cache, dev);
    if (dev == nullptr) continue;
    const char* name = b.blkid_dev_devname(dev);
    char* label = b.blkid_get_tag_value(cache, "LABEL", name);
    char* type = b.blkid_get_tag_value(cache, "TYPE", name);
    if (label != nullptr &&
        std::find(labels.begin(), labels.end(), std::string(label)) != labels.end()) {
      found.push_back({name, label, type ? type : ""});
    }
    free(label);
    free(type);
  }
  b.blkid_dev_iterate_end(it);
  b.blkid_put_cache(cache);
  return found;
}

Result<std::string> RealSystem::MountReadOnly(const BlockDevice& device) {
  char dir[] = "/run/nubo-seed.XXXXXX";
  if (mkdtemp(dir) == nullptr) return ErrnoError("mkdtemp for mounting " + Quote(device.devname), errno);
  std::vector<std::string> types;
  if (!device.fstype.empty()) types.push_back(device.fstype);
  else types = {"iso9660", "vfat"};
  int err = 0;
  for (const auto& t : types) {
    if (mount(device.devname.c_str(), dir, t.c_str(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) == 0) {
      return std::string(dir);
    }
    err = errno;
  }
  rmdir(dir);
  return ErrnoError("mount " + Quote(device.devname) + " read-only", err);
}

void RealSystem::Unmount(const std::string& host_dir) {
  umount2(host_dir.c_str(), MNT_DETACH);
  rmdir(host_dir.c_str());
}

double RealSystem::Now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

double RealSystem::Uptime() {
  struct timespec ts {};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

}  // namespace nubo::agent
