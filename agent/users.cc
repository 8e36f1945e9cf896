// Users, groups, authorized_keys and sshd_config helpers shared by the
// users_groups, ssh, set_passwords and ssh_authkey_fingerprints modules.
// See include/nubo/users.h.

#include "nubo/users.h"
#include "nubo/text.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

namespace nubo::users {

namespace {

std::vector<std::string> SplitWhitespace(std::string_view s, size_t max_splits = std::string::npos) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    if (out.size() == max_splits) {
      out.push_back(PyStrip(s.substr(i)));
      break;
    }
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void AddUnique(std::vector<std::string>& list, const std::string& s) {
  if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
}

// util.mergemanydict with the default mergers: earlier dicts win, nested
// dicts merge, lists and scalars already present are kept.
void MergeInto(Value& into, const Value& from) {
  if (!from.is_object()) return;
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (!into.contains(it.key())) {
      into[it.key()] = it.value();
    } else if (into[it.key()].is_object() && it.value().is_object()) {
      MergeInto(into[it.key()], it.value());
    }
  }
}

const DistroInfo kDistros[] = {
    {"debian", "ssh", "sudo", "/etc/sudoers.d"},
    {"rhel", "sshd", "wheel", "/etc/sudoers.d"},
};

}  // namespace

const DistroInfo& DistroFor(const Value& config) {
  const Value& name = Get(Get(config, "system_info"), "distro");
  std::string n = name.is_string() ? Lower(name.get<std::string>()) : "debian";
  for (const char* rhel : {"rhel", "centos", "fedora", "rocky", "alma", "almalinux", "cloudlinux",
                           "eurolinux", "miraclelinux", "openeuler", "virtuozzo"}) {
    if (n == rhel) return kDistros[1];
  }
  return kDistros[0];
}

std::string SshServiceName(const Value& config) {
  const Value& v = Get(Get(config, "system_info"), "ssh_svcname");
  if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
  return std::string(DistroFor(config).ssh_service);
}

Result<std::vector<std::string>> StringList(const Value& v, const std::string& key,
                                            bool split_commas) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!split_commas) return std::vector<std::string>{s};
    for (auto& part : PySplit(PyStrip(s), ',')) {
      std::string t = PyStrip(part);
      if (!t.empty()) out.push_back(t);
    }
    return out;
  }
  if (!v.is_array()) return MakeError("expected list of strings, got " + PyStr(v), key);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return MakeError("expected list of strings, got " + PyStr(v[i]) + " (" + TypeName(v[i]) +
                           ")",
                       key + "[" + std::to_string(i) + "]");
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// --- users and groups ---------------------------------------------------

namespace {

// ug_util._normalize_groups.
Result<std::vector<std::pair<std::string, std::vector<std::string>>>> NormalizeGroups(
    const Value& cfg) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  auto entry = [&](const std::string& name) -> std::vector<std::string>& {
    for (auto& g : groups) {
      if (g.first == name) return g.second;
    }
    groups.emplace_back(name, std::vector<std::string>{});
    return groups.back().second;
  };
  auto add_members = [&](const std::string& name, const Value& members,
                         const std::string& key) -> Status {
    auto& list = entry(name);
    if (members.is_null()) return Status::Ok();
    if (!members.is_string() && !members.is_array()) {
      return MakeError("Bad group member type " + TypeName(members), key);
    }
    auto names = StringList(members, key);
    if (!names) return names.error();
    for (const auto& m : *names) AddUnique(list, m);
    return Status::Ok();
  };
  if (cfg.is_string()) {
    for (auto& part : PySplit(PyStrip(cfg.get<std::string>()), ',')) {
      std::string t = PyStrip(part);
      if (!t.empty()) entry(t);
    }
  } else if (cfg.is_array()) {
    for (size_t i = 0; i < cfg.size(); ++i) {
      const Value& item = cfg[i];
      std::string key = "groups[" + std::to_string(i) + "]";
      if (item.is_object()) {
        for (auto it = item.begin(); it != item.end(); ++it) {
          if (Status s = add_members(it.key(), it.value(), key + "." + it.key()); !s.ok()) {
            return s.error();
          }
        }
      } else if (item.is_string()) {
        entry(item.get<std::string>());
      } else {
        return MakeError("Unknown group name type " + TypeName(item), key);
      }
    }
  } else if (cfg.is_object()) {
    for (auto it = cfg.begin(); it != cfg.end(); ++it) {
      if (Status s = add_members(it.key(), it.value(), "groups." + it.key()); !s.ok()) {
        return s.error();
      }
    }
  } else if (!cfg.is_null()) {
    return MakeError(
        "Group config must be list, dict or string type only but found " + TypeName(cfg),
        "groups");
  }
  for (auto& g : groups) std::sort(g.second.begin(), g.second.end());
  return groups;
}

}  // namespace

Result<UsersGroups> NormalizeUsersGroups(const Value& cfg) {
  UsersGroups out;
  // The legacy `user` key: a name or a dict, merged over the default user.
  Value old_user = Value::object();
  const Value& user_key = Get(cfg, "user");
  if (user_key.is_string() && !user_key.get<std::string>().empty()) {
    old_user = {{"name", user_key.get<std::string>()}};
    out.warnings.push_back(
        "user: a string is deprecated, use the 'users' list instead");
  } else if (user_key.is_object() && !user_key.empty()) {
    old_user = user_key;
  } else if (!user_key.is_null() && !(user_key.is_object() || user_key.is_string() ||
                                      (user_key.is_boolean() && !user_key.get<bool>()))) {
    out.warnings.push_back("user: must be a string or a dictionary, not " + TypeName(user_key) +
                           ", ignoring it");
  }
  Value default_cfg = old_user;
  MergeInto(default_cfg, Get(Get(cfg, "system_info"), "default_user"));

  // `users` as a list of entries (strings and dicts).
  Value base = cfg.is_object() && cfg.contains("users") ? cfg["users"] : Value::array();
  std::vector<Value> entries;
  if (base.is_object()) {
    out.warnings.push_back("users: a dictionary is deprecated, use a list");
    if (!old_user.empty() && !base.contains("default")) base["default"] = true;
    for (auto it = base.begin(); it != base.end(); ++it) {
      const Value& v = it.value();
      if (v.is_boolean() || v.is_number() || v.is_string()) {
        if (IsTrue(v) || (v.is_number() && v != 0)) entries.push_back(it.key());
      } else if (v.is_object()) {
        Value e = v;
        e["name"] = it.key();
        entries.push_back(e);
      } else {
        return MakeError("Unmappable user value type " + TypeName(v), "users." + it.key());
      }
    }
  } else if (base.is_string()) {
    out.warnings.push_back("users: a comma-separated string is deprecated, use a list");
    auto names = StringList(base, "users");
    if (!names) return names.error();
    // cloud-init sorts the names of the string form.
    std::sort(names->begin(), names->end());
    for (auto& n : *names) entries.push_back(n);
    if (!old_user.empty()) entries.push_back("default");
  } else if (base.is_array()) {
    for (const auto& e : base) entries.push_back(e);
    if (!old_user.empty()) entries.push_back(Value{{"name", "default"}});
  } else if (!base.is_null()) {
    out.warnings.push_back("users: must be a list, a dictionary or a comma-separated string, not " +
                           TypeName(base) + ", ignoring it");
    if (!old_user.empty()) entries.push_back(Value{{"name", "default"}});
  }

  // ug_util._normalize_users.
  std::vector<UserEntry> users;
  auto find = [&](const std::string& name) -> UserEntry* {
    for (auto& u : users) {
      if (u.name == name) return &u;
    }
    return nullptr;
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    const Value& e = entries[i];
    std::string key = "users[" + std::to_string(i) + "]";
    if (e.is_string() || e.is_array()) {
      auto names = StringList(e, key);
      if (!names) return names.error();
      for (const auto& n : *names) {
        if (!n.empty() && !find(n)) users.push_back({n, Value::object()});
      }
    } else if (e.is_object()) {
      Value conf = Value::object();
      for (auto it = e.begin(); it != e.end(); ++it) {
        std::string k = it.key();
        std::replace(k.begin(), k.end(), '-', '_');
        k = PyStrip(k);
        if (!k.empty()) conf[k] = it.value();
      }
      std::string name = "default";
      if (conf.contains("name")) {
        if (!conf["name"].is_string()) {
          return MakeError("expected str, got " + TypeName(conf["name"]), key + ".name");
        }
        name = conf["name"].get<std::string>();
        conf.erase("name");
      }
      if (UserEntry* prev = find(name)) {
        // mergemanydict([prev, new]): what came first wins.
        MergeInto(prev->config, conf);
      } else {
        users.push_back({name, conf});
      }
    } else {
      return MakeError("User config must be dictionary/list or string types only and not " +
                           TypeName(e),
                       key);
    }
  }

  auto default_it = std::find_if(users.begin(), users.end(),
                                 [](const UserEntry& u) { return u.name == "default"; });
  if (default_it != users.end()) {
    Value def_config = default_it->config;
    users.erase(default_it);
    if (default_cfg.is_object() && default_cfg.contains("name") &&
        default_cfg["name"].is_string()) {
      Value def_user_cfg = default_cfg;
      std::string def_name = def_user_cfg["name"].get<std::string>();
      def_user_cfg.erase("name");
      Value def_groups = def_user_cfg.contains("groups") ? def_user_cfg["groups"] : Value::array();
      def_user_cfg.erase("groups");
      Value parsed = Value::object();
      auto same = std::find_if(users.begin(), users.end(),
                               [&](const UserEntry& u) { return u.name == def_name; });
      if (same != users.end()) {
        parsed = same->config;
        users.erase(same);
      }
      std::vector<std::string> groups;
      auto g1 = StringList(Get(parsed, "groups"), "users." + def_name + ".groups");
      if (!g1) return g1.error();
      auto g2 = StringList(def_groups, "system_info.default_user.groups");
      if (!g2) return g2.error();
      for (const auto& g : *g1) AddUnique(groups, g);
      for (const auto& g : *g2) AddUnique(groups, g);
      std::sort(groups.begin(), groups.end());
      std::string joined;
      for (const auto& g : groups) joined += (joined.empty() ? "" : ",") + g;
      parsed["groups"] = joined;
      Value merged = def_user_cfg;
      MergeInto(merged, def_config);
      MergeInto(merged, parsed);
      users.push_back({def_name, merged, true});
      out.default_user = def_name;
    } else {
      out.warnings.push_back(
          "users: 'default' is listed but system_info.default_user is not set, so no default "
          "user is created, skipping");
    }
  }
  out.users = std::move(users);

  if (cfg.is_object() && cfg.contains("groups")) {
    auto groups = NormalizeGroups(cfg["groups"]);
    if (!groups) return groups.error();
    out.groups = std::move(*groups);
  }
  return out;
}

// --- passwd and group ----------------------------------------------------

std::optional<PasswdEntry> FindUser(System& sys, const std::string& name) {
  auto text = sys.ReadFile("/etc/passwd");
  if (!text) return std::nullopt;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (f.size() < 7 || f[0] != name) continue;
    PasswdEntry e;
    e.name = f[0];
    e.uid = static_cast<uid_t>(std::strtoul(f[2].c_str(), nullptr, 10));
    e.gid = static_cast<gid_t>(std::strtoul(f[3].c_str(), nullptr, 10));
    e.gecos = f[4];
    e.home = f[5];
    e.shell = f[6];
    return e;
  }
  return std::nullopt;
}

bool GroupExists(System& sys, const std::string& name) {
  auto text = sys.ReadFile("/etc/group");
  if (!text) return false;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (!f.empty() && f[0] == name) return true;
  }
  return false;
}

std::vector<std::string> UserGroups(System& sys, const PasswdEntry& user) {
  std::vector<std::string> out;
  auto text = sys.ReadFile("/etc/group");
  if (!text) return out;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (f.size() < 4) continue;
    bool member = std::strtoul(f[2].c_str(), nullptr, 10) == user.gid;
    for (const auto& m : PySplit(f[3], ',')) member = member || m == user.name;
    if (member) out.push_back(f[0]);
  }
  return out;
}

Command ShadowCommand(const System& sys, std::vector<std::string> argv) {
  Command c;
  if (sys.root() != "/") {
    argv.insert(argv.begin() + 1, {"--root", sys.root()});
    c.in_root = false;
  }
  c.argv = std::move(argv);
  return c;
}

Command ChpasswdCommand(System& sys, bool hashed) {
  std::vector<std::string> argv = {"chpasswd"};
  if (hashed) {
    argv.push_back("-e");
  } else if (sys.root() != "/") {
    std::string method = "SHA512";
    if (auto defs = sys.ReadFile("/etc/login.defs"); defs) {
      for (const auto& line : PySplit(*defs, '\n')) {
        auto toks = SplitWhitespace(line);
        if (toks.size() >= 2 && toks[0] == "ENCRYPT_METHOD") method = toks[1];
      }
    }
    argv.insert(argv.end(), {"-c", method});
  }
  return ShadowCommand(sys, argv);
}

// --- authorized_keys ----------------------------------------------------

const char kDisableUserOpts[] =
    "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,"
    "command=\"echo 'Please login as the user \\\"$USER\\\" rather than the user "
    "\\\"$DISABLE_USER\\\".';echo;sleep 10;exit 142\"";

bool IsValidKeyType(std::string_view type) {
  static const char* const kTypes[] = {
      "dsa",
      "rsa",
      "ecdsa",
      "ed25519",
      "ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384-cert-v01@openssh.com",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521-cert-v01@openssh.com",
      "ecdsa-sha2-nistp521",
      "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "sk-ecdsa-sha2-nistp256@openssh.com",
      "sk-ssh-ed25519-cert-v01@openssh.com",
      "sk-ssh-ed25519@openssh.com",
      "ssh-dss-cert-v01@openssh.com",
      "ssh-dss",
      "ssh-ed25519-cert-v01@openssh.com",
      "ssh-ed25519",
      "ssh-rsa-cert-v01@openssh.com",
      "ssh-rsa",
      "ssh-xmss-cert-v01@openssh.com",
      "ssh-xmss@openssh.com",
  };
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

std::string AuthKeyLine::ToString() const {
  std::string out;
  for (const std::string* t : {&options, &keytype, &base64, &comment}) {
    if (t->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *t;
  }
  return out.empty() ? source : out;
}

namespace {

// "type base64 [comment]"; false when the type is not a key type.
bool SplitKey(std::string_view ent, AuthKeyLine& line) {
  auto toks = SplitWhitespace(ent, 2);
  if (toks.size() < 2 || !IsValidKeyType(toks[0])) return false;
  line.keytype = toks[0];
  line.base64 = toks[1];
  line.comment = toks.size() > 2 ? toks[2] : "";
  return true;
}

}  // namespace

AuthKeyLine ParseAuthKeyLine(std::string_view src, const std::optional<std::string>& options) {
  AuthKeyLine line;
  line.source = std::string(src);
  std::string_view l = src;
  while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
  std::string ent = PyStrip(l);
  if (!l.empty() && l[0] == '#') return line;
  if (ent.empty()) return line;
  if (SplitKey(ent, line)) {
    if (options) line.options = *options;
    return line;
  }
  // Options first: comma-separated, spaces only inside double quotes.
  bool quoted = false;
  size_t i = 0;
  while (i < ent.size() && (quoted || (ent[i] != ' ' && ent[i] != '\t'))) {
    if (i + 1 >= ent.size()) {
      ++i;
      break;
    }
    if (ent[i] == '\\' && ent[i + 1] == '"') {
      ++i;
    } else if (ent[i] == '"') {
      quoted = !quoted;
    }
    ++i;
  }
  std::string own_options = ent.substr(0, i);
  std::string remain = PyStrip(std::string_view(ent).substr(i));
  AuthKeyLine keyed;
  keyed.source = line.source;
  if (!SplitKey(remain, keyed)) return line;
  keyed.options = options ? *options : own_options;
  return keyed;
}

std::vector<std::string> RenderAuthorizedKeysPaths(const std::string& value,
                                                   const std::string& home,
                                                   const std::string& user) {
  std::string v = value.empty() ? "%h/.ssh/authorized_keys" : value;
  std::vector<std::string> out;
  for (auto path : SplitWhitespace(v)) {
    // Left to right, one pass per macro, as ssh_util does.
    for (auto [macro, field] : {std::pair<std::string, std::string>{"%h", home},
                                {"%u", user},
                                {"%%", "%"}}) {
      std::string r;
      size_t i = 0;
      while (true) {
        size_t j = path.find(macro, i);
        if (j == std::string::npos) break;
        r += path.substr(i, j - i) + field;
        i = j + macro.size();
      }
      path = r + path.substr(i);
    }
    if (path.empty() || path[0] != '/') path = home + (home.ends_with("/") ? "" : "/") + path;
    out.push_back(path);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadSshdConfig(System& sys,
                                                                const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto text = sys.ReadFile(path);
  if (!text) return out;
  for (const auto& raw : PySplit(*text, '\n')) {
    std::string line = PyStrip(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string key, value;
    size_t sp = line.find_first_of(" \t");
    size_t eq = line.find('=');
    if (eq != std::string::npos && (sp == std::string::npos || eq < sp)) {
      key = PyStrip(line.substr(0, eq));
      value = PyStrip(line.substr(eq + 1));
    } else if (sp != std::string::npos) {
      key = line.substr(0, sp);
      value = PyStrip(line.substr(sp));
      if (!value.empty() && value[0] == '=') value = PyStrip(value.substr(1));
    } else {
      continue;
    }
    key = Lower(key);
    bool seen = std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
    if (!seen) out.emplace_back(key, value);
  }
  return out;
}

namespace {

std::string ConfigValue(const std::vector<std::pair<std::string, std::string>>& cfg,
                        const std::string& key, const std::string& fallback) {
  for (const auto& [k, v] : cfg) {
    if (k == key) return v;
  }
  return fallback;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

bool Under(const std::string& path, const std::string& dir) {
  std::string d = dir.ends_with("/") ? dir : dir + "/";
  return path.starts_with(d);
}

// The authorized_keys file to use for `user`.
std::string ChooseKeysFile(System& sys, const PasswdEntry& pw) {
  std::string home = pw.home.empty() ? "/" : pw.home;
  std::string fallback = (home == "/" ? "" : home) + "/.ssh/authorized_keys";
  auto cfg = ReadSshdConfig(sys);
  std::string value = ConfigValue(cfg, "authorizedkeysfile", "%h/.ssh/authorized_keys");
  auto templates = SplitWhitespace(value);
  auto rendered = RenderAuthorizedKeysPaths(value, home, pw.name);
  for (size_t i = 0; i < templates.size() && i < rendered.size(); ++i) {
    const std::string& t = templates[i];
    const std::string& p = rendered[i];
    if (t.find("%u") == std::string::npos && t.find("%h") == std::string::npos &&
        !Under(p, home)) {
      continue;  // a file shared by every user (e.g. /etc/ssh/authorized_keys)
    }
    // ssh_util.check_create_path: a symlink or a non-directory on the way,
    // or a directory in place of the file, rules the entry out.
    bool usable = true;
    std::string dir;
    for (const auto& part : PySplit(Dirname(p), '/')) {
      if (part.empty()) continue;
      dir += "/" + part;
      auto st = sys.Stat(dir);
      if (!st) break;  // missing from here on: will be created
      if (st->is_symlink && Under(dir + "/", home)) {
        usable = false;
        break;
      }
      if (!st->is_dir && !st->is_symlink) {
        usable = false;
        break;
      }
    }
    if (auto st = sys.Stat(p); st && (st->is_symlink || st->is_dir)) usable = false;
    if (usable) return p;
  }
  return fallback;
}

}  // namespace

namespace {

// Writes `content` to the user's keys file: directories on the way made
// 0700 and owned by the user inside the home (0755 root outside it), the
// file 0600 owned by the user (an existing file keeps its mode), and no
// symlink followed inside the home.
Status WriteKeysFile(System& sys, const PasswdEntry& pw, const std::string& path,
                     const std::string& content) {
  const std::string& user = pw.name;
  std::string home = pw.home;
  bool in_home = Under(path, home);
  std::string guard = in_home ? home : Dirname(path);
  std::string group = std::to_string(pw.gid);
  std::string owner = std::to_string(pw.uid);
  // The home itself must not be a symlink either.
  if (auto st = sys.Stat(home); st && st->is_symlink) {
    return MakeError("refusing to write keys for " + Quote(user) + ": home directory " +
                     Quote(home) + " is a symlink");
  }
  // Directories between the home (or /) and the file: made 0700 and owned
  // by the user inside the home, 0755 root outside it.
  std::string dir;
  for (const auto& part : PySplit(Dirname(path), '/')) {
    if (part.empty()) continue;
    dir += "/" + part;
    auto st = sys.Stat(dir);
    if (st) {
      if (st->is_symlink && (Under(dir, home) || dir == home)) {
        return MakeError("refusing to write " + Quote(path) + ": " + Quote(dir) +
                         " is a symlink (inside " + Quote(home) + ")");
      }
      continue;
    }
    bool inside = Under(dir, home);
    if (Status s = sys.MakeDirs(dir, inside ? 0700 : 0755); !s.ok()) return s;
    if (inside) {
      if (Status s = sys.Chown(dir, owner, group); !s.ok()) return s;
    }
  }
  WriteOptions o;
  o.mode = 0600;
  o.owner = owner;
  o.group = group;
  o.no_symlinks_below = guard;
  o.parent_mode = 0700;
  // preserve_mode: an existing file keeps its mode.
  if (auto st = sys.Stat(path); st && st->is_regular) o.mode = st->mode;
  return sys.WriteFile(path, content, o);
}

}  // namespace

Result<AuthorizedKeys> ReadAuthorizedKeys(System& sys, const std::string& user,
                                          bool create_empty) {
  auto pw = FindUser(sys, user);
  if (!pw || pw->home.empty()) {
    return MakeError("Unable to get SSH info for user " + Quote(user));
  }
  AuthorizedKeys out;
  out.path = ChooseKeysFile(sys, *pw);
  auto st = sys.Stat(out.path);
  if (!st && create_empty) {
    // ssh_util.check_create_path creates the directories and an empty file.
    if (Status s = WriteKeysFile(sys, *pw, out.path, ""); !s.ok()) return s.error();
    return out;
  }
  if (st && st->is_regular) {
    auto text = sys.ReadFile(out.path);
    if (text) {
      std::string_view t = *text;
      while (!t.empty()) {
        size_t nl = t.find('\n');
        std::string_view line = t.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.entries.push_back(ParseAuthKeyLine(line));
        if (nl == std::string_view::npos) break;
        t.remove_prefix(nl + 1);
      }
    }
  }
  return out;
}

Status SetupUserKeys(System& sys, const Logger& log, const std::vector<std::string>& keys,
                     const std::string& user, const std::string& options) {
  auto pw = FindUser(sys, user);
  if (!pw || pw->home.empty()) {
    return MakeError("Unable to get SSH info for user " + Quote(user));
  }
  std::vector<AuthKeyLine> wanted;
  std::set<std::string> seen;
  for (const auto& k : keys) {
    if (!seen.insert(k).second) continue;  // cloud-init passes a set
    AuthKeyLine line = options.empty() ? ParseAuthKeyLine(k) : ParseAuthKeyLine(k, options);
    if (line.valid()) wanted.push_back(std::move(line));
  }
  auto current = ReadAuthorizedKeys(sys, user);
  if (!current) return current.error();

  // ssh_util.update_authorized_keys: a line with the same key is replaced,
  // the others kept; new keys are appended.
  std::vector<AuthKeyLine> entries = current->entries;
  std::vector<bool> placed(wanted.size(), false);
  for (auto& ent : entries) {
    if (!ent.valid()) continue;
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i].base64 == ent.base64) {
        ent = wanted[i];
        placed[i] = true;
      }
    }
  }
  // The same key given twice (with different comments) is added once.
  std::set<std::string> added;
  int n_added = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (placed[i] || !added.insert(wanted[i].base64).second) continue;
    entries.push_back(wanted[i]);
    ++n_added;
  }
  std::string content;
  for (const auto& e : entries) content += e.ToString() + "\n";

  if (Status s = WriteKeysFile(sys, *pw, current->path, content); !s.ok()) return s;
  const std::string& path = current->path;
  log.Info("authorized keys for " + Quote(user) + " in " + Quote(path) + ": " +
           std::to_string(n_added) + " added, " + std::to_string(entries.size()) + " lines");
  return Status::Ok();
}

Result<std::vector<std::string>> KeyList(const Value& v, const std::string& key) {
  if (v.is_null()) return std::vector<std::string>{};
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  std::vector<std::string> out;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_string()) {
        return MakeError("expected str, got " + TypeName(it.value()), key + "." + it.key());
      }
      out.push_back(it.value().get<std::string>());
    }
    return out;
  }
  if (!v.is_array()) {
    return MakeError("expected list of strings, got " + PyStr(v), key);
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return MakeError("expected str, got " + TypeName(v[i]), key + "[" + std::to_string(i) + "]");
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// --- sshd_config --------------------------------------------------------

Result<bool> UpdateSshdConfig(System& sys,
                              const std::vector<std::pair<std::string, std::string>>& updates,
                              std::string* written, const std::string& path) {
  std::string fname = path;
  bool dropin = false;
  if (auto main = sys.ReadFile(path); main) {
    for (const auto& line : PySplit(*main, '\n')) {
      if (line.starts_with("Include " + path + ".d/*.conf")) dropin = true;
    }
  }
  if (dropin) {
    if (!sys.Exists(path + ".d")) {
      if (Status s = sys.MakeDirs(path + ".d", 0755); !s.ok()) return s.error();
    }
    fname = path + ".d/50-cloud-init.conf";
  }
  std::string text;
  mode_t mode = 0600;
  if (auto st = sys.Stat(fname); st && st->is_regular) {
    mode = st->mode;
    auto t = sys.ReadFile(fname);
    if (!t) return t.error();
    text = *t;
  } else if (!dropin) {
    mode = 0644;
  }
  // Keep every line; set the value of the first line naming each option.
  std::vector<std::string> lines;
  if (!text.empty()) {
    lines = PySplit(text, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
  }
  bool changed = false;
  for (const auto& [key, value] : updates) {
    bool found = false;
    for (auto& raw : lines) {
      std::string line = PyStrip(raw);
      if (line.empty() || line[0] == '#') continue;
      size_t sp = line.find_first_of(" \t=");
      std::string k = line.substr(0, sp);
      if (Lower(k) != Lower(key)) continue;
      std::string v = sp == std::string::npos ? "" : PyStrip(line.substr(sp + 1));
      if (!v.empty() && v[0] == '=') v = PyStrip(v.substr(1));
      found = true;
      if (v != value) {
        raw = k + " " + value;
        changed = true;
      }
    }
    if (!found) {
      lines.push_back(key + " " + value);
      changed = true;
    }
  }
  if (written) *written = fname;
  if (!changed && sys.Exists(fname)) return false;
  std::string content;
  for (const auto& l : lines) content += l + "\n";
  WriteOptions o;
  o.mode = mode;
  if (Status s = sys.WriteFile(fname, content, o); !s.ok()) return s.error();
  return changed;
}

std::string MakeHeader(System& sys, std::string_view base) {
  std::time_t t = static_cast<std::time_t>(sys.Now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string b(base);
  if (!b.empty()) b[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(b[0])));
  return b + " by nubo v. " NUBO_VERSION " (cloud-init 22.4.2 compatible) on " + date;
}

}  // namespace nubo::users
