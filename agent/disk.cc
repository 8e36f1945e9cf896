// Mount and partition lookup for growpart and resizefs (include/nubo/disk.h).

#include "nubo/disk.h"

#include <sstream>
#include <vector>

#include "nubo/log.h"

namespace nubo {

namespace {

std::vector<std::string> PathElements(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  std::string e;
  while (std::getline(ss, e, '/')) {
    if (!e.empty()) out.push_back(e);
  }
  return out;
}

// mountinfo writes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Basename(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

std::optional<MountEntry> FindMount(std::string_view mountinfo, const std::string& path) {
  std::vector<std::string> want = PathElements(path);
  std::optional<MountEntry> found;
  size_t found_depth = 0;
  std::stringstream lines{std::string(mountinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> parts;
    std::stringstream ls(line);
    std::string w;
    while (ls >> w) parts.push_back(w);
    if (parts.empty()) continue;
    if (parts.size() < 10) return std::nullopt;
    std::string mount_point = Unescape(parts[4]);
    std::vector<std::string> have = PathElements(mount_point);
    if (have.size() > want.size()) continue;
    if (!std::equal(have.begin(), have.end(), want.begin())) continue;
    if (found && found_depth > have.size()) continue;
    size_t dash = 6;
    while (dash < parts.size() && parts[dash] != "-") ++dash;
    if (dash + 2 >= parts.size()) return std::nullopt;
    found = MountEntry{Unescape(parts[dash + 2]), parts[dash + 1], mount_point, parts[5]};
    found_depth = have.size();
  }
  return found;
}

std::optional<std::string> RootDevFromCmdline(std::string_view cmdline) {
  std::stringstream ss{std::string(cmdline)};
  std::string tok, found;
  bool have = false;
  while (ss >> tok) {
    if (tok.rfind("root=", 0) == 0) {
      found = tok.substr(5);
      have = true;
      break;
    }
  }
  if (!have) return std::nullopt;
  if (found.rfind("/dev/", 0) == 0) return found;
  if (found.rfind("LABEL=", 0) == 0) return "/dev/disk/by-label/" + found.substr(6);
  if (found.rfind("UUID=", 0) == 0) return "/dev/disk/by-uuid/" + Lower(found.substr(5));
  if (found.rfind("PARTUUID=", 0) == 0) return "/dev/disk/by-partuuid/" + Lower(found.substr(9));
  return "/dev/" + found;
}

Result<MountEntry> MountOf(System& sys, const std::string& path) {
  std::string host_path = sys.HostPath(path);
  auto text = sys.ReadHostFile("/proc/self/mountinfo");
  if (!text) return text.error();
  auto mount = FindMount(*text, host_path);
  if (!mount) return MakeError("no mount found for " + Quote(host_path) + " in /proc/self/mountinfo");
  if (!sys.IsHostRoot()) {
    const std::string& root = sys.root();
    const std::string& mp = mount->mount_point;
    if (mp != root && mp.rfind(root + "/", 0) != 0) {
      return MakeError(Quote(path) + " of the target root " + Quote(root) + " lies on the mount " +
                       Quote(mp) + ", outside the root; not touching the host's disks");
    }
  }
  return *mount;
}

bool InContainer(System& sys) {
  auto c = sys.ReadHostFile("/run/systemd/container");
  if (c && !Trim(*c).empty()) return true;
  auto env = sys.ReadHostFile("/proc/1/environ");
  if (env) {
    std::string e = *env;
    size_t pos = 0;
    while (pos < e.size()) {
      size_t end = e.find('\0', pos);
      if (end == std::string::npos) end = e.size();
      std::string_view var(e.data() + pos, end - pos);
      if (var.rfind("container=", 0) == 0) return true;
      pos = end + 1;
    }
  }
  return false;
}

Result<DiskPartition> DevicePartInfo(System& sys, const std::string& devpath) {
  auto dev = sys.StatHostPath(devpath);
  if (!dev) return dev.error();
  std::string name = Basename(dev->real_path);
  std::string syspath = "/sys/class/block/" + name;
  auto sysdir = sys.StatHostPath(syspath);
  if (!sysdir) return MakeError(devpath + " had no syspath (" + syspath + ")");
  auto ptnum = sys.ReadHostFile(syspath + "/partition");
  if (!ptnum) return MakeError(devpath + " not a partition");
  DiskPartition out;
  out.partition = dev->real_path;
  try {
    out.number = std::stoi(Trim(*ptnum));
  } catch (...) {
    return MakeError(syspath + "/partition: not a number");
  }
  // The partition's real sysfs dir sits inside its disk's dir.
  std::string disk_sys = sysdir->real_path.substr(0, sysdir->real_path.rfind('/'));
  auto majmin = sys.ReadHostFile(disk_sys + "/dev");
  if (!majmin) return majmin.error();
  auto by_num = sys.StatHostPath("/dev/block/" + Trim(*majmin));
  out.disk = by_num ? by_num->real_path : "/dev/" + Basename(disk_sys);
  return out;
}

Result<std::optional<MappedDevice>> MappedDeviceInfo(System& sys, const std::string& devpath) {
  auto dev = sys.StatHostPath(devpath);
  if (!dev) return dev.error();
  std::string name = Basename(dev->real_path);
  if (name.rfind("dm-", 0) != 0) return std::optional<MappedDevice>();
  MappedDevice m;
  m.dm = dev->real_path;
  auto slaves = sys.ListHostDir("/sys/class/block/" + name + "/slaves");
  if (!slaves) return slaves.error();
  if (slaves->size() != 1) {
    return MakeError(m.dm + " maps " + std::to_string(slaves->size()) +
                     " devices; expected exactly one");
  }
  m.underlying = "/dev/" + (*slaves)[0];
  auto uuid = sys.ReadHostFile("/sys/class/block/" + name + "/dm/uuid");
  m.luks = uuid && uuid->rfind("CRYPT-LUKS", 0) == 0;
  return std::optional<MappedDevice>(m);
}

}  // namespace nubo
