// users_groups: create groups and users (cloud-init's cc_users_groups and
// distros.create_user/add_user/create_group/write_sudo_rules).
//
//   groups:
//     - admingroup: [root, sys]      # members added with usermod -a -G
//     - cloud-users
//   users:
//     - default                      # system_info.default_user
//     - name: alice
//       gecos: Alice
//       groups: [adm, users]         # or "adm, users"; missing groups are created
//       sudo: ALL=(ALL) NOPASSWD:ALL # or a list; false/null: none
//       lock_passwd: true            # default
//       hashed_passwd: $6$...        # or passwd (hash), plain_text_passwd
//       ssh_authorized_keys: [ssh-ed25519 AAAA... alice@laptop]
//
// Users are created with useradd (given the target root); a user that
// exists already is not re-created, but its password, lock, sudo rules and
// keys are still applied, as cloud-init does. Passwords and hashes go to
// chpasswd on stdin (cloud-init passes `passwd` to useradd --password; nubo
// keeps it out of argv). Sudo rules are appended to
// /etc/sudoers.d/90-cloud-init-users (0440, directory 0750), checked with
// `visudo -cf` before the file is installed when visudo exists.

#include <algorithm>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/distro_users.h"
#include "nubo/ssh_util.h"
#include "nubo/users_config.h"

namespace nubo::modules::users_groups {

namespace {

// Python truthiness of a config value.
bool Truthy(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<long long>() != 0;
  if (v.is_number_float()) return v.get<double>() != 0.0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

std::string Joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

Status RunChecked(ModuleContext& ctx, const Command& c, const std::string& what) {
  ctx.log.Debug("running " + (c.display.empty() ? Joined(c.argv, " ") : c.display));
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    std::string err = r->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return MakeError(what + ": " + (c.display.empty() ? c.argv[0] : c.display) + " exited with " +
                     std::to_string(r->exit_code) + (err.empty() ? "" : " (" + err + ")"));
  }
  return Status::Ok();
}

// distros.create_group.
Status CreateGroup(ModuleContext& ctx, const std::string& name,
                   const std::vector<std::string>& members) {
  if (distro::GroupExists(ctx.sys, name)) {
    ctx.log.Warning("Skipping creation of existing group " + Quote(name));
  } else {
    auto c = distro::ShadowCommand(ctx.sys, {"groupadd", name});
    if (Status s = RunChecked(ctx, c, "create group " + Quote(name)); !s.ok()) {
      // cloud-init logs and goes on.
      ctx.log.Warning("Failed to create group " + Quote(name) + ": " + s.error().ToString());
    } else {
      ctx.log.Info("created group " + Quote(name));
    }
  }
  for (const auto& m : members) {
    if (!distro::FindUser(ctx.sys, m)) {
      ctx.log.Warning("Unable to add group member " + Quote(m) + " to group " + Quote(name) +
                      "; user does not exist, skipping");
      continue;
    }
    auto c = distro::ShadowCommand(ctx.sys, {"usermod", "-a", "-G", name, m});
    if (Status s = RunChecked(ctx, c, "add " + Quote(m) + " to group " + Quote(name)); !s.ok()) {
      return s;
    }
    ctx.log.Info("added user " + Quote(m) + " to group " + Quote(name));
  }
  return Status::Ok();
}

// A string value (numbers as Python's str()), or empty.
std::string OptString(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return PyStr(v);
  return "";
}

struct SudoState {
  std::string added;  // rule blocks appended this run
};

// distros.add_user: useradd unless the user exists.
Status AddUser(ModuleContext& ctx, const std::string& name, const Value& cfg,
               const std::string& key) {
  if (distro::FindUser(ctx.sys, name)) {
    ctx.log.Info("User " + Quote(name) + " already exists, skipping creation");
    return Status::Ok();
  }
  bool create_groups = !cfg.contains("create_groups") || Truthy(cfg["create_groups"]);
  std::vector<std::string> argv = {"useradd", name};
  std::vector<std::string> groups;
  const Value& g = Get(cfg, "groups");
  if (Truthy(g)) {
    if (g.is_object()) {
      ctx.log.Warning(key + ".groups: a dictionary is deprecated, use a list or a string");
      for (auto it = g.begin(); it != g.end(); ++it) groups.push_back(it.key());
    } else {
      auto list = users::StringList(g, key + ".groups");
      if (!list) return list.error();
      groups = *list;
    }
    for (auto& s : groups) {
      size_t b = s.find_first_not_of(" \t");
      size_t e = s.find_last_not_of(" \t");
      s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
    }
  }
  std::string primary = OptString(Get(cfg, "primary_group"));
  if (create_groups && !groups.empty()) {
    std::vector<std::string> needed = groups;
    if (!primary.empty()) needed.push_back(primary);
    for (const auto& grp : needed) {
      if (grp.empty() || distro::GroupExists(ctx.sys, grp)) continue;
      if (Status s = CreateGroup(ctx, grp, {}); !s.ok()) return s;
    }
  }
  // In cloud-init's order: the options sorted by config key.
  struct Opt {
    const char* key;
    const char* flag;
    bool is_flag;
  };
  static const Opt kOpts[] = {
      {"expiredate", "--expiredate", false}, {"gecos", "--comment", false},
      {"groups", "--groups", false},         {"homedir", "--home", false},
      {"inactive", "--inactive", false},     {"no_log_init", "--no-log-init", true},
      {"no_user_group", "--no-user-group", true}, {"primary_group", "--gid", false},
      {"selinux_user", "--selinux-user", false},  {"shell", "--shell", false},
      {"system", "--system", true},          {"uid", "--uid", false},
  };
  for (const auto& o : kOpts) {
    if (!cfg.contains(o.key)) continue;
    const Value& v = cfg[o.key];
    if (o.is_flag) {
      if (Truthy(v)) argv.push_back(o.flag);
      continue;
    }
    std::string s = std::string(o.key) == "groups" ? Joined(groups, ",") : OptString(v);
    if (!s.empty()) {
      argv.push_back(o.flag);
      argv.push_back(s);
    }
  }
  argv.push_back(Truthy(Get(cfg, "no_create_home")) || Truthy(Get(cfg, "system")) ? "-M" : "-m");
  auto c = distro::ShadowCommand(ctx.sys, argv);
  if (Status s = RunChecked(ctx, c, "Failed to create user " + Quote(name)); !s.ok()) {
    Error e = s.error();
    e.key = key;
    return e;
  }
  ctx.log.Info("created user " + Quote(name));
  return Status::Ok();
}

Status SetPassword(ModuleContext& ctx, const std::string& name, const std::string& secret,
                   bool hashed, const std::string& key) {
  Command c = distro::ChpasswdCommand(ctx.sys, hashed);
  c.stdin_data = name + ":" + secret + "\n";
  c.display = "chpasswd" + std::string(hashed ? " -e" : "") + " (password for " + Quote(name) +
              " on stdin)";
  if (Status s = RunChecked(ctx, c, "Failed to set password for " + Quote(name)); !s.ok()) {
    Error e = s.error();
    e.key = key;
    return e;
  }
  ctx.log.Info(std::string(hashed ? "set hashed password" : "set password") + " for " +
               Quote(name));
  return Status::Ok();
}

// distros.ensure_sudo_dir: /etc/sudoers includes the directory; it is 0750.
Status EnsureSudoDir(ModuleContext& ctx, const std::string& dir) {
  auto base = ctx.sys.ReadFile("/etc/sudoers");
  bool found = false;
  if (base) {
    std::string_view t = *base;
    while (!t.empty()) {
      size_t nl = t.find('\n');
      std::string line(t.substr(0, nl));
      t.remove_prefix(nl == std::string_view::npos ? t.size() : nl + 1);
      size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos) continue;
      line = line.substr(b);
      for (const char* prefix : {"#includedir", "@includedir", "|includedir"}) {
        if (!line.starts_with(prefix)) continue;
        std::string rest = line.substr(std::string_view(prefix).size());
        if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) continue;
        size_t rb = rest.find_first_not_of(" \t");
        size_t re = rest.find_last_not_of(" \t\r");
        if (rb == std::string::npos) continue;
        std::string inc = rest.substr(rb, re - rb + 1);
        while (inc.size() > 1 && inc.back() == '/') inc.pop_back();
        if (inc == dir) found = true;
      }
    }
  }
  if (!found) {
    std::string add = "\n# " + distro::MakeHeader(ctx.sys, "added") + "\n#includedir " + dir + "\n";
    WriteOptions o;
    o.mode = 0440;
    Status s = base ? ctx.sys.AppendFile("/etc/sudoers", add, o)
                    : ctx.sys.WriteFile("/etc/sudoers",
                                        "# See sudoers(5) for more information on \"#include\" "
                                        "directives:\n" +
                                            add,
                                        o);
    if (!s.ok()) return s;
    ctx.log.Info("added '#includedir " + dir + "' to '/etc/sudoers'");
  }
  if (!ctx.sys.Exists(dir)) {
    if (Status s = ctx.sys.MakeDirs(dir, 0750); !s.ok()) return s;
  }
  return ctx.sys.Chmod(dir, 0750);
}

// Writes the sudoers file with the rules gathered this run appended, after
// visudo accepts it.
Status FlushSudoers(ModuleContext& ctx, SudoState& sudo) {
  if (sudo.added.empty()) return Status::Ok();
  const std::string path = distro::kSudoersFile;
  std::string dir = path.substr(0, path.rfind('/'));
  if (Status s = EnsureSudoDir(ctx, dir); !s.ok()) return s;
  std::string content;
  if (auto old = ctx.sys.ReadFile(path); old) {
    content = *old + sudo.added;
  } else {
    content = "# " + distro::MakeHeader(ctx.sys) + "\n" + sudo.added;
  }
  WriteOptions o;
  o.mode = 0440;
  o.parent_mode = 0750;
  if (ctx.sys.Exists("/usr/sbin/visudo") || ctx.sys.Exists("/usr/bin/visudo")) {
    // sudo skips files whose name has a '.', so the candidate is inert.
    std::string candidate = dir + "/.90-cloud-init-users.nubo-check";
    if (Status s = ctx.sys.WriteFile(candidate, content, o); !s.ok()) return s;
    Command c;
    c.argv = {"visudo", "-cf", candidate};
    auto r = ctx.sys.Run(c);
    (void)ctx.sys.Remove(candidate);
    if (!r) return r.error();
    if (r->exit_code != 0) {
      return MakeError("sudo rules rejected by visudo, " + Quote(path) + " left unchanged: " +
                       r->out + r->err);
    }
  }
  if (Status s = ctx.sys.WriteFile(path, content, o); !s.ok()) return s;
  ctx.log.Info("wrote sudo rules to " + Quote(path));
  sudo.added.clear();
  return Status::Ok();
}

// distros.write_sudo_rules: the text for one user.
Result<std::string> SudoRules(const std::string& name, const Value& rules, const std::string& key) {
  std::string out = "\n# User rules for " + name + "\n";
  if (rules.is_string()) {
    out += name + " " + rules.get<std::string>() + "\n";
  } else if (rules.is_array()) {
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!rules[i].is_string()) {
        return MakeError("expected str, got " + TypeName(rules[i]),
                         key + "[" + std::to_string(i) + "]");
      }
      out += name + " " + rules[i].get<std::string>() + "\n";
    }
  } else {
    return MakeError("Can not create sudoers rule addition with type " + TypeName(rules), key);
  }
  return out;
}

Status CreateUser(ModuleContext& ctx, const users::UserEntry& user, const std::string& key,
                  const std::optional<std::string>& default_user, SudoState& sudo) {
  Value cfg = user.config;
  const std::string& name = user.name;
  static const char* const kNoHome[] = {"no_create_home", "system"};
  static const char* const kNeedHome[] = {"ssh_authorized_keys", "ssh_import_id",
                                          "ssh_redirect_user"};
  std::vector<std::string> no_home, need_home;
  for (const char* k : kNoHome) {
    if (Truthy(Get(cfg, k))) no_home.push_back(k);
  }
  for (const char* k : kNeedHome) {
    if (Truthy(Get(cfg, k))) need_home.push_back(k);
  }
  if (!no_home.empty() && !need_home.empty()) {
    return MakeError("Not creating user " + name + ". Key(s) " + Joined(need_home) +
                         " cannot be provided with " + Joined(no_home),
                     key);
  }
  std::optional<std::string> redirect_to;
  const Value& redirect = Get(cfg, "ssh_redirect_user");
  if (Truthy(redirect)) {
    if (cfg.contains("ssh_authorized_keys") || cfg.contains("ssh_import_id")) {
      return MakeError("Not creating user " + name +
                           ". ssh_redirect_user cannot be provided with ssh_import_id or "
                           "ssh_authorized_keys",
                       key + ".ssh_redirect_user");
    }
    if (!(redirect == true || redirect == "default")) {
      return MakeError("Not creating user " + name + ". Invalid value of ssh_redirect_user: " +
                           PyStr(redirect) + ". Expected values: true, default or false.",
                       key + ".ssh_redirect_user");
    }
    if (!default_user) {
      ctx.log.Warning("Ignoring ssh_redirect_user: " + PyStr(redirect) + " for " + name +
                      ". No default_user defined. Perhaps missing cloud configuration users:  "
                      "[default, ..].");
    } else {
      redirect_to = *default_user;
    }
  }

  // Config errors first, whether or not the user exists.
  if (const Value& g = Get(cfg, "groups"); !g.is_object()) {
    if (auto list = users::StringList(g, key + ".groups"); !list) return list.error();
  }
  bool existed = distro::FindUser(ctx.sys, name).has_value();
  if (Status s = AddUser(ctx, name, cfg, key); !s.ok()) return s;

  // `passwd` is useradd's --password in cloud-init: set here through chpasswd -e.
  const Value& passwd = Get(cfg, "passwd");
  if (!existed && passwd.is_string() && !passwd.get<std::string>().empty()) {
    if (Status s = SetPassword(ctx, name, passwd.get<std::string>(), true, key + ".passwd");
        !s.ok()) {
      return s;
    }
  }
  const Value& plain = Get(cfg, "plain_text_passwd");
  if (Truthy(plain)) {
    if (Status s = SetPassword(ctx, name, OptString(plain), false, key + ".plain_text_passwd");
        !s.ok()) {
      return s;
    }
  }
  const Value& hashed = Get(cfg, "hashed_passwd");
  if (Truthy(hashed)) {
    if (Status s = SetPassword(ctx, name, OptString(hashed), true, key + ".hashed_passwd");
        !s.ok()) {
      return s;
    }
  }
  if (!cfg.contains("lock_passwd") || Truthy(cfg["lock_passwd"])) {
    auto c = distro::ShadowCommand(ctx.sys, {"passwd", "-l", name});
    if (Status s = RunChecked(ctx, c, "Failed to disable password for user " + Quote(name));
        !s.ok()) {
      Error e = s.error();
      e.key = key + ".lock_passwd";
      return e;
    }
    ctx.log.Info("locked the password of " + Quote(name));
  }
  if (cfg.contains("sudo")) {
    const Value& rules = cfg["sudo"];
    if (Truthy(rules)) {
      auto text = SudoRules(name, rules, key + ".sudo");
      if (!text) return text.error();
      // Rerun after a crash (or for a new instance): rules already there
      // are not appended twice.
      auto old = ctx.sys.ReadFile(distro::kSudoersFile);
      if (old && old->find(*text) != std::string::npos) {
        ctx.log.Debug("sudo rules for " + Quote(name) + " are already in " + Quote(distro::kSudoersFile));
      } else {
        sudo.added += *text;
      }
    } else if (rules.is_boolean()) {
      ctx.log.Warning("DEPRECATED: The user " + name +
                      " has a 'sudo' config value of 'false' which will be dropped after April "
                      "2027. Use 'null' instead.");
    }
  }
  if (ctx.dry_run && !distro::FindUser(ctx.sys, name)) {
    // --dry-run: useradd was only recorded, so there is no home for keys.
    ctx.log.Info("dry run: user " + Quote(name) + " was not created, skipping its SSH keys");
    return Status::Ok();
  }
  if (cfg.contains("ssh_authorized_keys")) {
    const Value& v = cfg["ssh_authorized_keys"];
    std::vector<std::string> keys;
    if (v.is_string() || v.is_array() || v.is_object() || v.is_null()) {
      auto list = users::KeyList(v, key + ".ssh_authorized_keys");
      if (!list) return list.error();
      keys = std::move(*list);
    } else {
      ctx.log.Warning(key + ".ssh_authorized_keys: Invalid type '" + TypeName(v) +
                      "', expected list, string, dict, or set; no keys added");
    }
    if (Status s = ssh_util::SetupUserKeys(ctx.sys, ctx.log, keys, name); !s.ok()) {
      Error e = s.error();
      if (e.key.empty()) e.key = key + ".ssh_authorized_keys";
      return e;
    }
  }
  if (redirect_to) {
    const auto& cloud_keys = ctx.instance.public_keys;
    if (cloud_keys.empty()) {
      ctx.log.Warning("Unable to disable SSH logins for " + name + " given ssh_redirect_user: " +
                      *redirect_to + ". No cloud public-keys present.");
    } else {
      std::string opts = ssh_util::kDisableUserOpts;
      auto replace = [&](const std::string& what, const std::string& with) {
        for (size_t p = opts.find(what); p != std::string::npos; p = opts.find(what, p + with.size())) {
          opts.replace(p, what.size(), with);
        }
      };
      replace("$USER", *redirect_to);
      replace("$DISABLE_USER", name);
      if (Status s = ssh_util::SetupUserKeys(ctx.sys, ctx.log, cloud_keys, name, opts); !s.ok()) {
        Error e = s.error();
        if (e.key.empty()) e.key = key + ".ssh_redirect_user";
        return e;
      }
    }
  }
  return Status::Ok();
}

Status Run(ModuleContext& ctx) {
  auto ug = users::NormalizeUsersGroups(ctx.config);
  if (!ug) return ug.error();
  for (const auto& w : ug->warnings) ctx.log.Warning(w);
  for (const auto& [name, members] : ug->groups) {
    if (Status s = CreateGroup(ctx, name, members); !s.ok()) {
      Error e = s.error();
      if (e.key.empty()) e.key = "groups." + name;
      return e;
    }
  }
  SudoState sudo;
  for (const auto& user : ug->users) {
    std::string key = user.is_default ? "users.default (" + user.name + ")" : "users." + user.name;
    Status s = CreateUser(ctx, user, key, ug->default_user, sudo);
    if (!s.ok()) {
      // The rules of the users already done are kept, as cloud-init does.
      if (Status f = FlushSudoers(ctx, sudo); !f.ok()) {
        ctx.log.Warning("cannot write sudo rules: " + f.error().ToString());
      }
      return s;
    }
  }
  return FlushSudoers(ctx, sudo);
}

}  // namespace

// cloud-init's users_groups.groups_by_groupname: {group: member or [members]}.
KeySpec GroupsByName() {
  return spec::Map().Values(spec::OneOf({spec::Str(), spec::List(spec::Str()).MinItems(1)}), "^.+$");
}

// cloud-init's users_groups.user: one entry of `users`, or `user`.
KeySpec UserKey() {
  return spec::Map({spec::Str("name"), spec::Str("expiredate").Format("date"), spec::Str("gecos"),
              spec::OneOf("groups", {spec::Str(), spec::List(spec::Str()).MinItems(1),
                               spec::Map().Values(spec::Null().Deprecated("use a list of group names"), "^.+$")}),
              spec::Str("homedir"), spec::Str("inactive"), spec::Bool("lock-passwd").Deprecated("use 'lock_passwd' instead"),
              spec::Bool("lock_passwd"), spec::Bool("no_create_home"), spec::Bool("no_log_init"), spec::Bool("no_user_group"), spec::Str("passwd"),
              spec::Str("hashed_passwd"), spec::Str("plain_text_passwd"), spec::Bool("create_groups"), spec::Str("primary_group"),
              spec::Str("selinux_user"), spec::Str("shell"), spec::Str("snapuser"), spec::List("ssh_authorized_keys", spec::Str()).MinItems(1),
              spec::List("ssh_import_id", spec::Str()).MinItems(1), spec::Bool("ssh_redirect_user"), spec::Bool("system"),
              spec::OneOf("sudo", {spec::Str(), spec::Null(), spec::Bool().Deprecated("use a sudo rule string, or null")}),
              spec::OneOf("uid", {spec::Int(), spec::Str().Deprecated("use an integer")})})
      .Closed()
      .Either({spec::Map().Required({"name"}), spec::Map().Required({"snapuser"})});
}

const ModuleSpec kSpec{
    .name = "users_groups",
    .aliases = {"users-groups"},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::OneOf("users", {spec::Str(),
                                     spec::List(spec::OneOf({spec::Str(), spec::List(spec::Str()), UserKey()})).MinItems(1),
                                     spec::Map()}),
              spec::OneOf("groups", {spec::Str(), GroupsByName(),
                                     spec::List(spec::OneOf({spec::Str(), GroupsByName()})).MinItems(1)}),
              spec::OneOf("user", {spec::Str(), UserKey()}),
              {"system_info", KeyType::kMap}}; },
    .run = &Run,
};

}  // namespace nubo::modules::users_groups
