// RealSystem's view of the running machine beyond the target root: host
// device nodes and sysfs, growing a partition (libfdisk + BLKPG), and the
// running hostname (systemd-hostnamed over sd-bus, or sethostname(2)).

#include <dirent.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "agent/system/real_system.h"
#include "nubo/dlopen.h"
#include "nubo/log.h"

namespace nubo::agent {

namespace {

// libfdisk (growpart) and libsystemd (sd-bus, for systemd-hostnamed) are
// opened on first use (nubo/dlopen.h): most stages do neither.
struct FdiskApi {
  NUBO_DLFN(fdisk_assign_device);
  NUBO_DLFN(fdisk_deassign_device);
  NUBO_DLFN(fdisk_free_iter);
  NUBO_DLFN(fdisk_get_devfd);
  NUBO_DLFN(fdisk_get_freespaces);
  NUBO_DLFN(fdisk_get_label);
  NUBO_DLFN(fdisk_get_partition);
  NUBO_DLFN(fdisk_get_partitions);
  NUBO_DLFN(fdisk_get_sector_size);
  NUBO_DLFN(fdisk_has_label);
  NUBO_DLFN(fdisk_is_labeltype);
  NUBO_DLFN(fdisk_is_partition_used);
  NUBO_DLFN(fdisk_label_get_name);
  NUBO_DLFN(fdisk_label_is_changed);
  NUBO_DLFN(fdisk_new_context);
  NUBO_DLFN(fdisk_new_iter);
  NUBO_DLFN(fdisk_new_partition);
  NUBO_DLFN(fdisk_partition_get_end);
  NUBO_DLFN(fdisk_partition_get_size);
  NUBO_DLFN(fdisk_partition_get_start);
  NUBO_DLFN(fdisk_partition_has_end);
  NUBO_DLFN(fdisk_partition_has_start);
  NUBO_DLFN(fdisk_partition_is_container);
  NUBO_DLFN(fdisk_partition_set_size);
  NUBO_DLFN(fdisk_partition_size_explicit);
  NUBO_DLFN(fdisk_set_partition);
  NUBO_DLFN(fdisk_table_next_partition);
  NUBO_DLFN(fdisk_unref_context);
  NUBO_DLFN(fdisk_unref_partition);
  NUBO_DLFN(fdisk_unref_table);
  NUBO_DLFN(fdisk_write_disklabel);
};

Result<const FdiskApi*> LoadFdisk() {
  static FdiskApi api;
  static const Status loaded = DlopenSymbols(
      "libfdisk.so.1", "growing a partition (growpart) needs the libfdisk1 package",
{NUBO_DLSYM(api, fdisk_assign_device), NUBO_DLSYM(api, fdisk_deassign_device),
        NUBO_DLSYM(api, fdisk_free_iter), NUBO_DLSYM(api, fdisk_get_devfd),
        NUBO_DLSYM(api, fdisk_get_freespaces), NUBO_DLSYM(api, fdisk_get_label),
        NUBO_DLSYM(api, fdisk_get_partition), NUBO_DLSYM(api, fdisk_get_partitions),
        NUBO_DLSYM(api, fdisk_get_sector_size), NUBO_DLSYM(api, fdisk_has_label),
        NUBO_DLSYM(api, fdisk_is_labeltype), NUBO_DLSYM(api, fdisk_is_partition_used),
        NUBO_DLSYM(api, fdisk_label_get_name), NUBO_DLSYM(api, fdisk_label_is_changed),
        NUBO_DLSYM(api, fdisk_new_context), NUBO_DLSYM(api, fdisk_new_iter),
        NUBO_DLSYM(api, fdisk_new_partition), NUBO_DLSYM(api, fdisk_partition_get_end),
        NUBO_DLSYM(api, fdisk_partition_get_size), NUBO_DLSYM(api, fdisk_partition_get_start),
        NUBO_DLSYM(api, fdisk_partition_has_end), NUBO_DLSYM(api, fdisk_partition_has_start),
        NUBO_DLSYM(api, fdisk_partition_is_container), NUBO_DLSYM(api, fdisk_partition_set_size),
        NUBO_DLSYM(api, fdisk_partition_size_explicit), NUBO_DLSYM(api, fdisk_set_partition),
        NUBO_DLSYM(api, fdisk_table_next_partition), NUBO_DLSYM(api, fdisk_unref_context),
        NUBO_DLSYM(api, fdisk_unref_partition), NUBO_DLSYM(api, fdisk_unref_table),
        NUBO_DLSYM(api, fdisk_write_disklabel)});
  if (!loaded) return loaded.error();
  return &api;
}

// Only after LoadFdisk() succeeded.
const FdiskApi& Fd() { return **LoadFdisk(); }

struct BusApi {
  NUBO_DLFN(sd_bus_call_method);
  NUBO_DLFN(sd_bus_error_free);
  NUBO_DLFN(sd_bus_error_has_names_sentinel);
  NUBO_DLFN(sd_bus_error_is_set);
  NUBO_DLFN(sd_bus_flush_close_unref);
  NUBO_DLFN(sd_bus_new);
  NUBO_DLFN(sd_bus_open_system);
  NUBO_DLFN(sd_bus_set_address);
  NUBO_DLFN(sd_bus_set_bus_client);
  NUBO_DLFN(sd_bus_set_method_call_timeout);
  NUBO_DLFN(sd_bus_start);
  NUBO_DLFN(sd_bus_unref);
};

Result<const BusApi*> LoadBus() {
  static BusApi api;
  static const Status loaded = DlopenSymbols(
      "libsystemd.so.0", "setting the hostname through systemd-hostnamed needs the libsystemd0 package",
{NUBO_DLSYM(api, sd_bus_call_method), NUBO_DLSYM(api, sd_bus_error_free),
        NUBO_DLSYM(api, sd_bus_error_has_names_sentinel), NUBO_DLSYM(api, sd_bus_error_is_set),
        NUBO_DLSYM(api, sd_bus_flush_close_unref), NUBO_DLSYM(api, sd_bus_new),
        NUBO_DLSYM(api, sd_bus_open_system), NUBO_DLSYM(api, sd_bus_set_address),
        NUBO_DLSYM(api, sd_bus_set_bus_client), NUBO_DLSYM(api, sd_bus_set_method_call_timeout),
        NUBO_DLSYM(api, sd_bus_start), NUBO_DLSYM(api, sd_bus_unref)});
  if (!loaded) return loaded.error();
  return &api;
}

// Only after LoadBus() succeeded.
const BusApi& Bus() { return **LoadBus(); }

}  // namespace

Result<HostDeviceInfo> RealSystem::StatHostPath(const std::string& host_path) {
  char buf[PATH_MAX];
  if (realpath(host_path.c_str(), buf) == nullptr) return ErrnoError("stat " + host_path, errno);
  HostDeviceInfo info;
  info.real_path = buf;
  struct stat st {};
  if (stat(buf, &st) < 0) return ErrnoError("stat " + info.real_path, errno);
  info.is_block = S_ISBLK(st.st_mode);
  info.is_char = S_ISCHR(st.st_mode);
  if (info.is_block || info.is_char) {
    info.major = major(st.st_rdev);
    info.minor = minor(st.st_rdev);
  }
  if (info.is_block) {
    int fd = open(buf, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      uint64_t bytes = 0;
      if (ioctl(fd, BLKGETSIZE64, &bytes) == 0) info.size = bytes;
      close(fd);
    }
  }
  return info;
}

Result<std::vector<std::string>> RealSystem::ListHostDir(const std::string& host_path) {
  DIR* d = opendir(host_path.c_str());
  if (d == nullptr) return ErrnoError("list " + host_path, errno);
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

struct FdiskContext {
  fdisk_context* cxt = Fd().fdisk_new_context();
  ~FdiskContext() {
    if (cxt != nullptr) Fd().fdisk_unref_context(cxt);
  }
};

struct FdiskPartition {
  fdisk_partition* pa = nullptr;
  ~FdiskPartition() {
    if (pa != nullptr) Fd().fdisk_unref_partition(pa);
  }
};

// End (inclusive, in sectors) of the free space right after `end`, or `end`
// when the next sector is used. libfdisk reports free ranges between
// partitions (inside the extended one for logical partitions), with the
// GPT's last usable LBA already moved to the disk's end when it grew.
Result<uint64_t> FreeEndAfter(fdisk_context* cxt, uint64_t end) {
  fdisk_table* tb = nullptr;
  int rc = Fd().fdisk_get_freespaces(cxt, &tb);
  if (rc < 0) return ErrnoError("read free space", -rc);
  uint64_t next_used = UINT64_MAX;
  // The first partition (or container) that starts after `end` bounds the
  // free range we may take.
  fdisk_table* parts = nullptr;
  if (Fd().fdisk_get_partitions(cxt, &parts) == 0 && parts != nullptr) {
    fdisk_iter* itr = Fd().fdisk_new_iter(FDISK_ITER_FORWARD);
    fdisk_partition* p = nullptr;
    while (Fd().fdisk_table_next_partition(parts, itr, &p) == 0) {
      if (!Fd().fdisk_partition_has_start(p)) continue;
      uint64_t s = Fd().fdisk_partition_get_start(p);
      if (s > end && s < next_used) next_used = s;
    }
    Fd().fdisk_free_iter(itr);
    Fd().fdisk_unref_table(parts);
  }
  uint64_t best = end;
  fdisk_iter* itr = Fd().fdisk_new_iter(FDISK_ITER_FORWARD);
  fdisk_partition* f = nullptr;
  while (Fd().fdisk_table_next_partition(tb, itr, &f) == 0) {
    if (!Fd().fdisk_partition_has_start(f) || !Fd().fdisk_partition_has_end(f)) continue;
    uint64_t s = Fd().fdisk_partition_get_start(f), e = Fd().fdisk_partition_get_end(f);
    if (s > end && s < next_used && e < next_used && e > best) best = e;
  }
  Fd().fdisk_free_iter(itr);
  Fd().fdisk_unref_table(tb);
  return best;
}

Status ResizeInKernel(int fd, int partno, uint64_t start_bytes, uint64_t length_bytes,
                      const std::string& disk) {
  struct blkpg_partition bp {};
  bp.start = static_cast<long long>(start_bytes);
  bp.length = static_cast<long long>(length_bytes);
  bp.pno = partno;
  struct blkpg_ioctl_arg arg {};
  arg.op = BLKPG_RESIZE_PARTITION;
  arg.datalen = sizeof(bp);
  arg.data = &bp;
  if (ioctl(fd, BLKPG, &arg) < 0) {
    return ErrnoError("BLKPG resize of partition " + std::to_string(partno) + " of " + disk, errno);
  }
  return Status::Ok();
}

}  // namespace

Result<PartitionGrowth> RealSystem::GrowPartition(const std::string& disk, int partno,
                                                  bool dry_run) {
  if (partno < 1) return MakeError("bad partition number " + std::to_string(partno));
  if (auto api = LoadFdisk(); !api) return api.error();
  FdiskContext c;
  if (c.cxt == nullptr) return ErrnoError("libfdisk context", ENOMEM);
  // Read-write even for a dry run: libfdisk moves a misplaced GPT backup
  // header (and with it the last usable LBA) only on a writable device.
  // Nothing is written unless fdisk_write_disklabel is called.
  int rc = Fd().fdisk_assign_device(c.cxt, disk.c_str(), 0);
  if (rc < 0) return ErrnoError("open " + disk, -rc);
  if (!Fd().fdisk_has_label(c.cxt)) return MakeError(disk + " has no partition table");
  PartitionGrowth g;
  bool gpt = Fd().fdisk_is_labeltype(c.cxt, FDISK_DISKLABEL_GPT);
  bool dos = Fd().fdisk_is_labeltype(c.cxt, FDISK_DISKLABEL_DOS);
  if (!gpt && !dos) {
    return MakeError(disk + ": unsupported partition table '" +
                     Fd().fdisk_label_get_name(Fd().fdisk_get_label(c.cxt, nullptr)) + "'");
  }
  g.label = gpt ? "gpt" : "dos";
  g.sector_size = Fd().fdisk_get_sector_size(c.cxt);
  // libfdisk moves a GPT backup header that is not at the disk's end (the
  // disk grew) when the label is read, and marks the label changed.
  g.backup_header_moved = gpt && Fd().fdisk_label_is_changed(Fd().fdisk_get_label(c.cxt, nullptr));

  FdiskPartition cur;
  size_t idx = static_cast<size_t>(partno - 1);
  if (Fd().fdisk_get_partition(c.cxt, idx, &cur.pa) < 0 || !Fd().fdisk_is_partition_used(c.cxt, idx)) {
    return MakeError(disk + " has no partition " + std::to_string(partno));
  }
  if (Fd().fdisk_partition_is_container(cur.pa)) {
    return MakeError("partition " + std::to_string(partno) + " of " + disk +
                     " is an extended partition; grow a logical partition in it instead");
  }
  g.start = Fd().fdisk_partition_get_start(cur.pa);
  g.old_size = Fd().fdisk_partition_get_size(cur.pa);
  uint64_t end = g.start + g.old_size - 1;

  // A logical partition grows inside its extended partition only; when
  // it ends there, the extended partition grows first, into the free space
  // after it (in memory: written together below).
  uint64_t bound = UINT64_MAX;
  if (dos && partno > 4) {
    for (size_t i = 0; i < 4; ++i) {
      FdiskPartition ext;
      if (Fd().fdisk_get_partition(c.cxt, i, &ext.pa) < 0 || !Fd().fdisk_is_partition_used(c.cxt, i) ||
          !Fd().fdisk_partition_is_container(ext.pa)) {
        continue;
      }
      uint64_t es = Fd().fdisk_partition_get_start(ext.pa);
      uint64_t eend = es + Fd().fdisk_partition_get_size(ext.pa) - 1;
      auto inner = FreeEndAfter(c.cxt, end);
      if (!inner) return inner.error();
      if (std::min(*inner, eend) == end || std::min(*inner, eend) == eend) {
        auto outer = FreeEndAfter(c.cxt, eend);
        if (!outer) return outer.error();
        if (*outer > eend) {
          FdiskPartition npa;
          npa.pa = Fd().fdisk_new_partition();
          Fd().fdisk_partition_set_size(npa.pa, *outer - es + 1);
          Fd().fdisk_partition_size_explicit(npa.pa, 1);
          rc = Fd().fdisk_set_partition(c.cxt, i, npa.pa);
          if (rc < 0) {
            return ErrnoError("grow extended partition " + std::to_string(i + 1) + " of " + disk,
                              -rc);
          }
          eend = *outer;
        }
      }
      bound = eend;
      break;
    }
  }

  auto free_end = FreeEndAfter(c.cxt, end);
  if (!free_end) return free_end.error();
  g.new_size = std::min(*free_end, bound) - g.start + 1;
  if (g.new_size <= g.old_size) {
    g.new_size = g.old_size;
    return g;  // NOCHANGE: nothing written
  }
  if (dry_run) return g;

  FdiskPartition npa;
  npa.pa = Fd().fdisk_new_partition();
  Fd().fdisk_partition_set_size(npa.pa, g.new_size);
  Fd().fdisk_partition_size_explicit(npa.pa, 1);
  rc = Fd().fdisk_set_partition(c.cxt, idx, npa.pa);
  if (rc < 0) return ErrnoError("resize partition " + std::to_string(partno) + " of " + disk, -rc);
  {
    FdiskPartition check;
    if (Fd().fdisk_get_partition(c.cxt, idx, &check.pa) == 0) {
      g.new_size = Fd().fdisk_partition_get_size(check.pa);
    }
  }
  rc = Fd().fdisk_write_disklabel(c.cxt);
  if (rc < 0) return ErrnoError("write partition table of " + disk, -rc);
  int fd = Fd().fdisk_get_devfd(c.cxt);
  fsync(fd);
  // The kernel's view of an extended partition is its first sectors only:
  // it needs no BLKPG update.
  Status s = ResizeInKernel(fd, partno, g.start * g.sector_size, g.new_size * g.sector_size, disk);
  rc = Fd().fdisk_deassign_device(c.cxt, 0);
  if (!s.ok()) return s.error();
  if (rc < 0) return ErrnoError("close " + disk, -rc);
  return g;
}

Result<std::string> RealSystem::RunningHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) < 0) return ErrnoError("gethostname", errno);
  return std::string(buf);
}

Status RealSystem::SetTransientHostname(const std::string& name) {
  if (root_ != "/") {
    return MakeError("not setting the running hostname: the target root is " + Quote(root_));
  }
  if (sethostname(name.data(), name.size()) < 0) {
    return ErrnoError("sethostname " + Quote(name), errno);
  }
  return Status::Ok();
}

Status RealSystem::SetHostnameViaHostnamed(const std::string& static_name,
                                           const std::string& transient_name) {
  if (root_ != "/" && hostname_bus_.empty()) {
    return MakeError("not talking to the host's systemd-hostnamed: the target root is " +
                     Quote(root_));
  }
  // No system bus to connect to (a container, an image without D-Bus):
  // unreachable, as sd_bus_open_system would find, without mapping
  // libsystemd and its libraries (3 MB) to find it.
  if (hostname_bus_.empty() && getenv("DBUS_SYSTEM_BUS_ADDRESS") == nullptr) {
    struct stat st {};
    if (stat(system_bus_socket_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
      return Error{"connect to the system bus: no " + system_bus_socket_, "", ENOTCONN};
    }
  }
  // Unreachable, as a bus that is down: the caller writes the files instead.
  if (auto api = LoadBus(); !api) return Error{api.error().message, "", ENOTCONN};
  sd_bus* bus = nullptr;
  int rc;
  if (hostname_bus_.empty()) {
    rc = Bus().sd_bus_open_system(&bus);
  } else {
    rc = Bus().sd_bus_new(&bus);
    if (rc >= 0) rc = Bus().sd_bus_set_address(bus, hostname_bus_.c_str());
    if (rc >= 0) rc = Bus().sd_bus_set_bus_client(bus, 1);
    if (rc >= 0) rc = Bus().sd_bus_start(bus);
  }
  if (rc < 0) {
    if (bus != nullptr) Bus().sd_bus_unref(bus);
    return Error{"connect to the system bus: " + std::string(strerror(-rc)), "", ENOTCONN};
  }
  Bus().sd_bus_set_method_call_timeout(bus, 10ULL * 1000 * 1000);
  Status result;
  auto call = [&](const char* method, const std::string& name) -> bool {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = Bus().sd_bus_call_method(bus, "org.freedesktop.hostname1", "/org/freedesktop/hostname1",
                               "org.freedesktop.hostname1", method, &err, nullptr, "sb",
                               name.c_str(), 0);
    if (r < 0) {
      bool unreachable = Bus().sd_bus_error_has_names_sentinel(&err, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                                SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT,
                                                SD_BUS_ERROR_DISCONNECTED, nullptr) ||
                         !Bus().sd_bus_error_is_set(&err);
      std::string what = std::string("hostnamed ") + method + " " + Quote(name) + ": " +
                         (err.message != nullptr ? err.message : strerror(-r));
      result = Error{what, "", unreachable ? ENOTCONN : EINVAL};
      Bus().sd_bus_error_free(&err);
      return false;
    }
    Bus().sd_bus_error_free(&err);
    return true;
  };
  if (static_name.empty() || call("SetStaticHostname", static_name)) {
    if (!transient_name.empty()) call("SetHostname", transient_name);
  }
  Bus().sd_bus_flush_close_unref(bus);
  return result;
}

Status RealSystem::RunDetached(const Command& command,
                               std::function<void(const Result<CommandResult>&)> on_exit) {
  if (dry_run_) {
    Result<CommandResult> r = Run(command);
    on_exit(r);
    return Status::Ok();
  }
  commands_.push_back(command.display.empty() ? DisplayArgv(command.argv) : command.display);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork", errno);
  if (pid == 0) {
    // Detached from the caller: its own session, and none of the caller's
    // stdin, stdout or stderr. A stage's stdout is the output tee's pipe,
    // whose reader runs until every write end is gone: a child holding one
    // kept init-local waiting for ssh-keygen (14.6 s of the bench's boot).
    setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      for (int fd = 0; fd <= 2; ++fd) dup2(null, fd);
      if (null > 2) close(null);
    }
    Result<CommandResult> r = Execute(command);
    on_exit(r);
    _exit(r.ok() && r->exit_code == 0 ? 0 : 1);
  }
  if (!command.pid_file.empty()) {
    if (Status s = WriteFile(command.pid_file, std::to_string(pid) + "\n", WriteOptions{.mode = 0600});
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace nubo::agent
