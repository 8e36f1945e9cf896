// ds_identify.cc — see ds_identify.h. Each check follows the dscheck_<Name>
// function of cloud-init 22.4.2's tools/ds-identify of the same name.
#include "units/ds_identify.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

namespace nubo::dsid {
namespace {

// ds-identify's DI_DSLIST_DEFAULT: what cloud-init searches with no
// datasource_list configured.
const char* const kDefaultDsList[] = {
    "MAAS", "ConfigDrive", "NoCloud", "AltCloud", "Azure", "Bigstep", "CloudSigma", "CloudStack",
    "DigitalOcean", "Vultr", "AliYun", "Ec2", "GCE", "OpenNebula", "OpenStack", "OVF", "SmartOS",
    "Scaleway", "Hetzner", "IBMCloud", "Oracle", "Exoscale", "RbxCloud", "UpCloud", "VMware",
    "LXD", "NWCS"};

enum class Check { kFound, kNotFound, kMaybe };

std::string Join(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + path;
}

std::optional<std::string> ReadSmall(const std::string& path, size_t limit = 1 << 20) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() >= limit) break;
  }
  close(fd);
  return out;
}

bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') ||
                        (s.front() == '\'' && s.back() == '\'')))
    return s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool Glob(const std::string& pattern, const std::string& value) {
  return fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

// parse_yaml_array: "[a, 'b']" or "a, b" -> {a, b}.
std::vector<std::string> ParseYamlArray(std::string v) {
  v = Trim(v);
  if (!v.empty() && v.front() == '[') v.erase(0, 1);
  if (!v.empty() && v.back() == ']') v.pop_back();
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string tok = Unquote(Trim(v.substr(start, comma - start)));
    if (!tok.empty()) out.push_back(tok);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// check_config: the last "KEY: value" line (leading blanks and comments
// dropped) in /etc/cloud/cloud.cfg and cloud.cfg.d/*.cfg. `block` receives
// the "- item" lines that follow an empty value (a block-style list, which
// ds-identify itself does not read; nubo does, see the README).
std::optional<std::string> CheckConfig(const std::string& root, const std::string& key,
                                       std::vector<std::string>* block = nullptr) {
  std::vector<std::string> files = {Join(root, "/etc/cloud/cloud.cfg")};
  std::string dir = Join(root, "/etc/cloud/cloud.cfg.d");
  for (const std::string& n : ListDir(dir))
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".cfg") == 0) files.push_back(dir + "/" + n);
  std::optional<std::string> found;
  for (const std::string& f : files) {
    auto text = ReadSmall(f);
    if (!text) continue;
    size_t pos = 0;
    bool in_block = false;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? text->size() : nl + 1;
      size_t hash = line.find('#');
      if (hash != std::string::npos) line.erase(hash);
      std::string t = Trim(line);
      if (in_block) {
        if (t.rfind("- ", 0) == 0 || t == "-") {
          block->push_back(Unquote(Trim(t.substr(1))));
          continue;
        }
        if (t.empty()) continue;
        in_block = false;
      }
      if (t.rfind(key + ":", 0) == 0 &&
          (t.size() == key.size() + 1 || t[key.size() + 1] == ' ')) {
        found = Trim(t.substr(key.size() + 1));
        if (block) {
          block->clear();
          in_block = found->empty();
        }
      }
    }
  }
  return found;
}

bool CheckSeedDir(const std::string& root, const std::string& name,
                  std::initializer_list<const char*> required) {
  std::string dir = Join(root, "/var/lib/cloud/seed/" + name);
  if (!IsDir(dir)) return false;
  for (const char* f : required)
    if (!IsFile(dir + "/" + f)) return false;
  return true;
}

bool HasLabel(const Facts& f, std::initializer_list<const char*> labels) {
  for (const char* l : labels)
    if (std::find(f.fs_labels.begin(), f.fs_labels.end(), l) != f.fs_labels.end()) return true;
  return false;
}

bool DmiProductNameMatches(const Facts& f, const char* pattern) {
  return !f.container && Glob(pattern, f.dmi_product_name);
}
bool DmiAssetTagMatches(const Facts& f, const char* pattern) {
  return !f.container && Glob(pattern, f.dmi_chassis_asset_tag);
}

Check CheckNoCloud(const Facts& f) {
  if ((" " + f.cmdline + " ").find(" ds=nocloud") != std::string::npos) return Check::kFound;
  if ((" " + f.dmi_product_serial + " ").find(" ds=nocloud") != std::string::npos)
    return Check::kFound;
  for (const char* d : {"nocloud", "nocloud-net"})
    if (CheckSeedDir(f.root, d, {"meta-data", "user-data"})) return Check::kFound;
  if (HasLabel(f, {"cidata", "CIDATA"})) return Check::kFound;
  if (CheckConfig(f.root, "NoCloud") && CheckConfig(f.root, "user-data") &&
      CheckConfig(f.root, "meta-data"))
    return Check::kFound;
  return Check::kNotFound;
}

bool HasDatedMetaData(const std::string& dir) {
  for (const std::string& n : ListDir(dir + "/openstack"))
    if (Glob("2\?\?\?-\?\?-\?\?", n) && IsFile(dir + "/openstack/" + n + "/meta_data.json")) return true;
  return false;
}

Check CheckConfigDriveV2(const Facts& f) {
  std::string seed = Join(f.root, "/var/lib/cloud/seed/config_drive");
  if (HasDatedMetaData(Join(f.root, "/config-drive")) || HasDatedMetaData(seed))
    return Check::kFound;
  if (Exists(seed + "/openstack/latest/meta_data.json")) return Check::kFound;
  if (HasLabel(f, {"CONFIG-2", "config-2"})) return Check::kFound;
  return Check::kNotFound;
}

Check CheckOpenStack(const Facts& f) {
  if (CheckConfigDriveV2(f) == Check::kFound) return Check::kNotFound;
  const char* nova = "OpenStack Nova";
  const char* compute = "OpenStack Compute";
  if (DmiProductNameMatches(f, nova) || DmiProductNameMatches(f, compute)) return Check::kFound;
  if (f.pid1_product_name == nova) return Check::kFound;
  for (const char* tag : {"OpenTelekomCloud", "SAP CCloud VM", "HUAWEICLOUD", nova, compute})
    if (DmiAssetTagMatches(f, tag)) return Check::kFound;
  if (!Glob("i?86", f.machine) && f.machine != "x86_64") return Check::kMaybe;
  return Check::kNotFound;
}

// The checks nubo has: the datasources it implements. Other names in the
// list are reported as having no check (ds-identify's "No check method").
std::optional<Check> RunCheck(const std::string& ds, const Facts& f) {
  if (ds == "NoCloud") return CheckNoCloud(f);
  if (ds == "ConfigDrive") return CheckConfigDriveV2(f);
  if (ds == "OpenStack") return CheckOpenStack(f);
  return std::nullopt;
}

std::vector<std::string> FoundLines(std::vector<std::string> list, const std::string& mode,
                                    const std::vector<std::string>& extra) {
  if (!list.empty() && std::find(list.begin(), list.end(), "None") == list.end())
    list.push_back("None");
  std::string joined;
  for (const std::string& d : list) joined += (joined.empty() ? "" : ", ") + d;
  std::vector<std::string> lines;
  std::string pre;
  if (mode == "report") {
    lines.push_back("di_report:");
    pre = "  ";
  }
  lines.push_back(pre + "datasource_list: [ " + joined + " ]");
  for (const std::string& e : extra) lines.push_back(pre + e);
  return lines;
}

std::string Env(const std::map<std::string, std::string>& env, const std::string& k) {
  auto it = env.find(k);
  return it == env.end() ? "" : it->second;
}

std::string FirstLine(const std::optional<std::string>& s) {
  if (!s) return "";
  return Trim(s->substr(0, s->find('\n')));
}

// Superblock labels: iso9660 (primary volume descriptor), FAT12/16/32 boot
// sector, ext2/3/4 superblock. Only what cidata and config-2 media use.
std::optional<std::string> ProbeLabel(const std::string& dev) {
  int fd = open(dev.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  std::string buf(0x8000 + 2048, '\0');
  ssize_t n = pread(fd, buf.data(), buf.size(), 0);
  close(fd);
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<size_t>(n));
  auto field = [&](size_t off, size_t len) -> std::optional<std::string> {
    if (buf.size() < off + len) return std::nullopt;
    std::string s = buf.substr(off, len);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    s = Trim(s);
    if (s.empty()) return std::nullopt;
    return s;
  };
  if (buf.size() >= 0x8000 + 72 && buf[0x8000] == 1 && buf.compare(0x8001, 5, "CD001") == 0)
    return field(0x8000 + 40, 32);
  if (buf.size() >= 1024 + 0x88 && static_cast<unsigned char>(buf[1024 + 0x38]) == 0x53 &&
      static_cast<unsigned char>(buf[1024 + 0x39]) == 0xEF)
    return field(1024 + 0x78, 16);
  if (buf.size() >= 512 && static_cast<unsigned char>(buf[510]) == 0x55 &&
      static_cast<unsigned char>(buf[511]) == 0xAA) {
    std::optional<std::string> label;
    if (buf.compare(0x52, 5, "FAT32") == 0) label = field(0x47, 11);
    else if (buf.compare(0x36, 3, "FAT") == 0) label = field(0x2B, 11);
    if (label && *label != "NO NAME") return label;
  }
  return std::nullopt;
}

// udev escapes bytes in link names as \xHH.
std::string UnescapeUdev(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && isxdigit(s[i + 2]) &&
        isxdigit(s[i + 3])) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void WriteText(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) unlink(tmp.c_str());
}

void AppendText(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, text.data(), text.size());
  (void)ignored;
  close(fd);
}

void MkdirP(const std::string& path, mode_t mode = 0755) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), mode);
  }
}

std::string Uptime(const std::string& root) {
  std::string u = FirstLine(ReadSmall(Join(root, "/proc/uptime")));
  return u.empty() ? "unavailable" : u.substr(0, u.find(' '));
}

std::string JoinList(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

Policy ParsePolicy(const std::string& text, const Policy& defaults,
                   std::vector<std::string>* warnings) {
  Policy p = defaults;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string tok = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (tok.empty()) continue;
    size_t eq = tok.find('=');
    std::string key = tok.substr(0, eq);
    std::string val = eq == std::string::npos ? "" : tok.substr(eq + 1);
    auto warn = [&](const std::string& k, const std::string& def) {
      if (warnings)
        warnings->push_back("WARN: invalid value '" + val + "' for key '" + k + "'. Using " + k +
                            "=" + def + ".");
    };
    if (eq == std::string::npos) {
      if (tok == "enabled" || tok == "disabled" || tok == "search" || tok == "report")
        p.mode = tok;
    } else if (key == "found") {
      if (val == "all" || val == "first") p.found = val;
      else warn(key, p.found = defaults.found);
    } else if (key == "maybe") {
      if (val == "all" || val == "none") p.maybe = val;
      else warn(key, p.maybe = defaults.maybe);
    } else if (key == "notfound") {
      if (val == "enabled" || val == "disabled") p.notfound = val;
      else warn(key, p.notfound = defaults.notfound);
    }
  }
  return p;
}

std::vector<std::string> ReadFsLabels(const std::string& root) {
  std::vector<std::string> labels;
  std::set<std::string> labelled;  // device names a by-label link points to
  std::string by_label = Join(root, "/dev/disk/by-label");
  for (const std::string& n : ListDir(by_label)) {
    labels.push_back(UnescapeUdev(n));
    char target[256];
    ssize_t len = readlink((by_label + "/" + n).c_str(), target, sizeof target - 1);
    if (len > 0) {
      std::string t(target, static_cast<size_t>(len));
      labelled.insert(t.substr(t.rfind('/') + 1));
    }
  }
  // Devices udev has not seen yet (no /run/udev/data entry): read their
  // superblocks, as blkid would.
  std::string sys_block = Join(root, "/sys/class/block");
  for (const std::string& n : ListDir(sys_block)) {
    if (labelled.count(n) || n.rfind("loop", 0) == 0 || n.rfind("ram", 0) == 0 ||
        n.rfind("zram", 0) == 0)
      continue;
    std::string size = FirstLine(ReadSmall(sys_block + "/" + n + "/size"));
    if (size.empty() || size == "0") continue;
    std::string devno = FirstLine(ReadSmall(sys_block + "/" + n + "/dev"));
    if (!devno.empty() && Exists(Join(root, "/run/udev/data/b" + devno))) continue;
    if (auto l = ProbeLabel(Join(root, "/dev/" + n))) labels.push_back(*l);
  }
  return labels;
}

Facts CollectFacts(const std::string& root, const std::map<std::string, std::string>& env) {
  Facts f;
  f.root = root;
  struct utsname u;
  if (uname(&u) == 0) f.machine = u.machine;
  if (env.count("NUBO_DSID_MACHINE")) f.machine = Env(env, "NUBO_DSID_MACHINE");

  // Virtualization: systemd tells generators ($SYSTEMD_VIRTUALIZATION,
  // "vm:kvm" / "container:lxc"); else $container, /run/systemd/container.
  std::string virt = Env(env, "SYSTEMD_VIRTUALIZATION");
  if (virt.rfind("container:", 0) == 0) {
    f.container = true;
    f.virt = virt.substr(10);
  } else if (virt.rfind("vm:", 0) == 0) {
    f.virt = virt.substr(3);
  } else if (!Env(env, "container").empty()) {
    f.container = true;
    f.virt = Env(env, "container");
  } else if (auto c = ReadSmall(Join(root, "/run/systemd/container"))) {
    f.container = !FirstLine(c).empty();
    f.virt = FirstLine(c);
  }

  if (env.count("KERNEL_CMDLINE")) {
    f.cmdline = Env(env, "KERNEL_CMDLINE");
  } else if (f.container) {
    std::string c = ReadSmall(Join(root, "/proc/1/cmdline")).value_or("");
    std::replace(c.begin(), c.end(), '\0', ' ');
    f.cmdline = Trim(c);
  } else {
    f.cmdline = FirstLine(ReadSmall(Join(root, "/proc/cmdline")));
  }

  if (auto environ = ReadSmall(Join(root, "/proc/1/environ"))) {
    size_t pos = 0;
    f.pid1_product_name = "unavailable";
    while (pos < environ->size()) {
      size_t end = environ->find('\0', pos);
      std::string kv = environ->substr(pos, end == std::string::npos ? std::string::npos
                                                                     : end - pos);
      if (kv.rfind("product_name=", 0) == 0) {
        f.pid1_product_name = kv.substr(13);
        break;
      }
      if (end == std::string::npos) break;
      pos = end + 1;
    }
  }

  std::string dmi = Join(root, "/sys/class/dmi/id/");
  f.dmi_product_name = FirstLine(ReadSmall(dmi + "product_name"));
  f.dmi_sys_vendor = FirstLine(ReadSmall(dmi + "sys_vendor"));
  f.dmi_product_serial = FirstLine(ReadSmall(dmi + "product_serial"));
  f.dmi_chassis_asset_tag = FirstLine(ReadSmall(dmi + "chassis_asset_tag"));
  f.dmi_board_name = FirstLine(ReadSmall(dmi + "board_name"));

  // read_config: ds-identify.cfg, then the command line (last token wins).
  if (auto cfg = ReadSmall(Join(root, "/etc/cloud/ds-identify.cfg"))) {
    size_t pos = 0;
    while (pos < cfg->size()) {
      size_t nl = cfg->find('\n', pos);
      std::string line = cfg->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? cfg->size() : nl + 1;
      line = line.substr(0, line.find('#'));
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = Trim(line.substr(0, colon));
      std::string val = Unquote(Trim(line.substr(colon + 1)));
      if (key == "datasource") f.dsname = val;
      if (key == "policy") f.policy_text = val;
    }
  }
  for (const std::string& tok : SplitWords(f.cmdline)) {
    size_t eq = tok.find('=');
    if (eq == std::string::npos) continue;
    std::string key = tok.substr(0, eq), val = tok.substr(eq + 1);
    if (key == "ci.ds" || key == "ci.datasource") f.dsname = val;
    if (key == "ci.di.policy") f.policy_text = val;
  }

  // read_datasource_list: ci.ds wins, then cc:...datasource_list[...] on
  // the command line, then the config files, then the default.
  if (!f.dsname.empty()) {
    f.dslist = {f.dsname};
    f.dslist_source = "ci.ds";
  } else if (size_t cc = f.cmdline.find("cc:"); cc != std::string::npos &&
             f.cmdline.find("datasource_list", cc) != std::string::npos) {
    std::string t = f.cmdline.substr(f.cmdline.rfind("datasource_list") + 15);
    t = t.substr(0, t.find(']'));
    t = t.substr(t.rfind('[') == std::string::npos ? 0 : t.rfind('[') + 1);
    f.dslist = ParseYamlArray(t);
    f.dslist_source = "kernel command line cc:";
  }
  if (f.dslist.empty()) {
    std::vector<std::string> block;
    if (auto v = CheckConfig(root, "datasource_list", &block)) {
      f.dslist = v->empty() ? block : ParseYamlArray(*v);
      f.dslist_source = "/etc/cloud/cloud.cfg{,.d}";
    }
  }
  if (f.dslist.empty()) {
    f.dslist.assign(std::begin(kDefaultDsList), std::end(kDefaultDsList));
    f.dslist_source = "default";
  }

  f.manual_clean = IsFile(Join(root, "/var/lib/cloud/instance/manual-clean"));
  f.fs_labels = ReadFsLabels(root);
  return f;
}

Decision Identify(const Facts& f) {
  Decision d;
  Policy defaults;
  if (!Glob("i?86", f.machine) && f.machine != "x86_64") defaults.notfound = "enabled";
  std::vector<std::string> warnings;
  Policy p = ParsePolicy(f.policy_text, defaults, &warnings);

  if (p.mode == "disabled") {
    d.rc = 1;
    d.reason = "mode=disabled. returning 1";
    return d;
  }
  if (p.mode == "enabled") {
    d.rc = 0;
    d.reason = "mode=enabled. returning 0";
    return d;
  }
  d.write_cfg = true;
  if (!f.dsname.empty()) {
    d.rc = 0;
    d.found = {f.dsname};
    d.cloud_cfg = FoundLines({f.dsname}, p.mode, {});
    d.reason = "datasource '" + f.dsname + "' specified.";
    return d;
  }
  if (f.manual_clean) {
    d.rc = 0;
    if (p.mode == "report") d.cloud_cfg = {"di_report:", "  # manual_cache_clean."};
    else d.cloud_cfg = {"# manual_cache_clean."};
    d.reason = "manual_cache_clean enabled. Not writing datasource_list.";
    return d;
  }
  if (f.dslist.size() == 1 || (f.dslist.size() == 2 && f.dslist[1] == "None")) {
    d.rc = 0;
    d.found = f.dslist;
    d.cloud_cfg = FoundLines(f.dslist, p.mode, {});
    d.reason = "single entry in datasource_list (" + JoinList(f.dslist, " ") + ") use that.";
    return d;
  }
  std::vector<std::string> no_check;
  for (const std::string& ds : f.dslist) {
    std::optional<Check> c = RunCheck(ds, f);
    if (!c) {
      if (ds != "None") no_check.push_back(ds);
      continue;
    }
    if (*c == Check::kFound) d.found.push_back(ds);
    if (*c == Check::kMaybe) d.maybe.push_back(ds);
  }
  std::string unchecked =
      no_check.empty() ? "" : " (no check in nubo for: " + JoinList(no_check, " ") + ")";
  if (!d.found.empty()) {
    std::vector<std::string> use = d.found;
    if (p.found == "first") use.resize(1);
    d.rc = 0;
    d.cloud_cfg = FoundLines(use, p.mode, {});
    d.reason = "found: " + JoinList(d.found, " ") + " [found=" + p.found + "]" + unchecked;
    return d;
  }
  if (!d.maybe.empty() && p.maybe != "none") {
    d.rc = 0;
    d.cloud_cfg = FoundLines(d.maybe, p.mode, {});
    d.reason = "maybe: " + JoinList(d.maybe, " ") + unchecked;
    return d;
  }
  // record_notfound: search and report both write a report of nothing.
  d.cloud_cfg = FoundLines({}, "report",
                           {p.mode == "report" ? std::string()
                                               : "# reporting not found result. notfound=" +
                                                     p.notfound + "."});
  if (d.cloud_cfg.back() == "  ") d.cloud_cfg.pop_back();
  std::string base = "No ds found [mode=" + p.mode + ", notfound=" + p.notfound + "].";
  if (p.mode == "report") {
    d.rc = 0;
    d.reason = base + (p.notfound == "disabled" ? " Would disable cloud-init [1]"
                                                : " Would enable cloud-init [0]");
  } else {
    d.rc = p.notfound == "enabled" ? 0 : 1;
    d.reason = base + (d.rc ? " Disabled cloud-init [1]" : " Enabled cloud-init [0]");
  }
  d.reason += unchecked;
  return d;
}

int RunDsIdentify(const std::string& root, bool force,
                  const std::map<std::string, std::string>& env) {
  std::string run = Join(root, "/run/cloud-init");
  MkdirP(run);
  std::string cfg = run + "/cloud.cfg", result = run + "/.ds-identify.result";
  std::string log = run + "/ds-identify.log";
  if (!force && IsFile(cfg) && IsFile(result)) {
    std::string r = FirstLine(ReadSmall(result));
    if (r == "0" || r == "1") return r == "0" ? 0 : 1;
  }
  Facts f = CollectFacts(root, env);
  Decision d = Identify(f);
  std::string info = "[up " + Uptime(root) + "s] ds-identify (nubo)\n";
  info += "DMI_PRODUCT_NAME=" + f.dmi_product_name + "\nDMI_SYS_VENDOR=" + f.dmi_sys_vendor +
          "\nDMI_PRODUCT_SERIAL=" + f.dmi_product_serial +
          "\nDMI_CHASSIS_ASSET_TAG=" + f.dmi_chassis_asset_tag +
          "\nPID_1_PRODUCT_NAME=" + f.pid1_product_name +
          "\nFS_LABELS=" + JoinList(f.fs_labels, ",") + "\nKERNEL_CMDLINE=" + f.cmdline +
          "\nVIRT=" + f.virt + "\nUNAME_MACHINE=" + f.machine + "\nDSNAME=" + f.dsname +
          "\nDSLIST=" + JoinList(f.dslist, " ") + " (" + f.dslist_source + ")" +
          "\nPOLICY=" + f.policy_text + "\n";
  std::vector<std::string> warnings;
  Policy defaults;
  ParsePolicy(f.policy_text, defaults, &warnings);
  for (const std::string& w : warnings) info += w + "\n";
  info += d.reason + "\n";
  if (d.write_cfg) {
    std::string text;
    for (const std::string& l : d.cloud_cfg) text += l + "\n";
    WriteText(cfg, text);
  }
  WriteText(result, std::to_string(d.rc) + "\n");
  info += "[up " + Uptime(root) + "s] returning " + std::to_string(d.rc) + "\n";
  AppendText(log, info);
  return d.rc;
}

int RunGenerator(const std::string& root, const std::string& early_dir,
                 const std::map<std::string, std::string>& env) {
  std::string run = Join(root, "/run/cloud-init");
  MkdirP(run);
  std::string log = "nubo cloud-init-generator early=" + early_dir + "\n";

  // kernel_cmdline, etc_file, default: the first that says enabled/disabled.
  std::string cmdline;
  if (env.count("KERNEL_CMDLINE")) {
    cmdline = Env(env, "KERNEL_CMDLINE");
  } else {
    bool container = !Env(env, "container").empty() ||
                     Env(env, "SYSTEMD_VIRTUALIZATION").rfind("container:", 0) == 0;
    if (container) {
      cmdline = ReadSmall(Join(root, "/proc/1/cmdline")).value_or("");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    } else {
      cmdline = FirstLine(ReadSmall(Join(root, "/proc/cmdline")));
    }
  }
  std::string result;
  std::string padded = " " + cmdline + " ";
  if (size_t at = padded.rfind(" cloud-init="); at != std::string::npos) {
    std::string tok = padded.substr(at + 12);
    tok = tok.substr(0, tok.find(' '));
    if (tok == "enabled" || tok == "disabled") {
      result = tok;
      log += "kernel_cmdline found " + tok + "\n";
    }
  }
  if (result.empty()) {
    if (IsFile(Join(root, "/etc/cloud/cloud-init.enabled"))) result = "enabled";
    else if (IsFile(Join(root, "/etc/cloud/cloud-init.disabled"))) result = "disabled";
    if (!result.empty()) log += "etc_file found " + result + "\n";
  }
  if (result.empty()) result = "enabled";

  if (result == "enabled") {
    int ds = RunDsIdentify(root, false, env);
    log += "ds-identify rc=" + std::to_string(ds) + "\n";
    if (ds != 0) {
      log += "cloud-init is enabled but no datasource found, disabling\n";
      result = "disabled";
    }
  }

  int ret = 0;
  std::string wants = early_dir + "/multi-user.target.wants";
  std::string link = wants + "/cloud-init.target";
  const char* target = "/lib/systemd/system/cloud-init.target";
  if (result == "enabled") {
    if (Exists(link)) {
      log += "already enabled: no change needed\n";
    } else {
      MkdirP(wants);
      if (symlink(target, link.c_str()) == 0) {
        log += "enabled via " + link + " -> " + target + "\n";
      } else {
        log += "enable failed: ln " + std::string(target) + " " + link + ": " +
               strerror(errno) + "\n";
        ret = 1;
      }
    }
    unlink((run + "/disabled").c_str());
    WriteText(run + "/enabled", "");
  } else {
    if (Exists(link) && unlink(link.c_str()) == 0) log += "disabled. removed existing " + link + "\n";
    else log += "already disabled: no change needed [no " + link + "]\n";
    unlink((run + "/enabled").c_str());
    WriteText(run + "/disabled", "");
  }
  WriteText(run + "/cloud-init-generator.log", log);
  return ret;
}

}  // namespace nubo::dsid
