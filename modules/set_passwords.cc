// set_passwords: passwords and sshd's PasswordAuthentication (cloud-init's
// cc_set_passwords).
//
//   chpasswd:
//     expire: true                    # default: passwd --expire for each user set
//     users:
//       - {name: alice, password: $6$..., type: hash}   # type: hash (default), text, RANDOM
//       - {name: bob, type: RANDOM}
//     list: |                         # legacy: "user:password" lines or a list
//       carol:R                       # R or RANDOM: a random password
//   password: s3cret                  # the default user's, when chpasswd sets none
//   ssh_pwauth: false                 # true/false/"unchanged"
//
// Passwords go to chpasswd on stdin, never in argv or the log. RANDOM
// passwords (20 characters from a CSPRNG, at least one lowercase, one
// uppercase and one digit) are printed to the console only.

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/distro_users.h"
#include "nubo/ssh_util.h"
#include "nubo/users_config.h"

namespace nubo::modules::set_passwords {

namespace {

// cc_set_passwords.PW_SET: letters and digits without look-alikes.
constexpr std::string_view kPwSet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";

Result<std::string> RandomPassword(size_t len = 20) {
  while (true) {
    std::string out;
    while (out.size() < len) {
      unsigned char buf[64];
      ssize_t n = getrandom(buf, sizeof(buf), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("getrandom", errno);
      }
      // Rejection sampling: no modulo bias.
      const unsigned limit = 256 - 256 % kPwSet.size();
      for (ssize_t i = 0; i < n && out.size() < len; ++i) {
        if (buf[i] < limit) out += kPwSet[buf[i] % kPwSet.size()];
      }
    }
    bool lower = std::any_of(out.begin(), out.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    bool upper = std::any_of(out.begin(), out.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    bool digit = std::any_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (lower && upper && digit) return out;
  }
}

// The regex cloud-init uses to tell a hash from a password in `list`:
// \$(1|2a|2y|5|6)(\$.+){2}, matched at the start.
bool LooksHashed(const std::string& p) {
  if (p.find(':') != std::string::npos) return false;
  for (const char* id : {"$1$", "$2a$", "$2y$", "$5$", "$6$"}) {
    if (!p.starts_with(id)) continue;
    std::string rest = p.substr(std::string_view(id).size());
    size_t d = rest.find('$');
    return d != std::string::npos && d > 0 && d + 1 < rest.size();
  }
  return false;
}

std::string Names(const std::vector<std::pair<std::string, std::string>>& list) {
  std::string out;
  for (const auto& [u, p] : list) out += (out.empty() ? "" : ", ") + Quote(u);
  return out;
}

Status Chpasswd(ModuleContext& ctx, const std::vector<std::pair<std::string, std::string>>& list,
                bool hashed) {
  Command c = distro::ChpasswdCommand(ctx.sys, hashed);
  for (const auto& [u, p] : list) c.stdin_data += u + ":" + p + "\n";
  c.display = std::string(hashed ? "chpasswd -e" : "chpasswd") + " (passwords for " + Names(list) +
              " on stdin)";
  ctx.log.Debug("running " + c.display);
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError(std::string("Failed to set ") + (hashed ? "hashed " : "") +
                     "passwords with chpasswd for " + Names(list) + ": exit " +
                     std::to_string(r->exit_code));
  }
  ctx.log.Info(std::string(hashed ? "set hashed passwords" : "set passwords") + " for " +
               Names(list));
  return Status::Ok();
}

Status HandleSshPwauth(ModuleContext& ctx) {
  const Value& pw_auth = Get(ctx.config, "ssh_pwauth");
  std::string value;
  if (pw_auth.is_string()) {
    ctx.log.Warning(
        "DEPRECATION: The 'ssh_pwauth' config key should be set to a boolean value. The string "
        "format is deprecated and will be removed in a future version of cloud-init.");
  }
  if (IsTrue(pw_auth)) {
    value = "yes";
  } else if (IsFalse(pw_auth) || (pw_auth.is_number() && pw_auth == 0)) {
    value = "no";
  } else if (pw_auth.is_number() && pw_auth == 1) {
    value = "yes";
  } else {
    std::string shown = pw_auth.is_string() ? pw_auth.get<std::string>() : PyStr(pw_auth);
    std::string lower = shown;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (pw_auth.is_null() || lower == "unchanged") {
      ctx.log.Debug("Leaving SSH config 'PasswordAuthentication' unchanged. ssh_pwauth=" + shown);
    } else {
      ctx.log.Warning(
          "Leaving SSH config 'PasswordAuthentication' unchanged. Unrecognized value: "
          "ssh_pwauth=" +
          shown);
    }
    return Status::Ok();
  }

  std::string service = distro::SshServiceName(ctx.config);
  bool restart = true;
  if (!ctx.sys.Exists("/run/systemd/system")) {
    ctx.log.Debug("Writing config 'ssh_pwauth: " + value + "'. SSH service '" + service +
                  "' will not be reloaded because systemd is not running.");
    restart = false;
  } else {
    Command c;
    c.argv = {"systemctl", "status", service};
    auto r = ctx.sys.Run(c);
    int code = r ? r->exit_code : 127;
    if (code == 3) {
      ctx.log.Debug("Writing config 'ssh_pwauth: " + value + "'. SSH service '" + service +
                    "' will not be reloaded because it is stopped.");
      restart = false;
    } else if (code == 4) {
      ctx.log.Warning("Ignoring config 'ssh_pwauth: " + value + "'. SSH service '" + service +
                      "' is not installed.");
      return Status::Ok();
    } else if (code != 0) {
      ctx.log.Warning("Ignoring config 'ssh_pwauth: " + value + "'. SSH service '" + service +
                      "' is not available (systemctl status exited with " +
                      std::to_string(code) + ").");
      return Status::Ok();
    }
  }
  std::string written;
  auto changed = ssh_util::UpdateSshdConfig(ctx.sys, {{"PasswordAuthentication", value}}, &written);
  if (!changed) {
    Error e = changed.error();
    e.key = "ssh_pwauth";
    return e;
  }
  if (!*changed) {
    ctx.log.Debug("No need to reload SSH service, PasswordAuthentication not updated.");
    return Status::Ok();
  }
  ctx.log.Info("set PasswordAuthentication " + value + " in " + Quote(written));
  if (restart) {
    Command c;
    c.argv = {"systemctl", "reload", service};
    auto r = ctx.sys.Run(c);
    if (!r) return r.error();
    if (r->exit_code != 0) {
      return MakeError("systemctl reload " + service + " exited with " +
                           std::to_string(r->exit_code),
                       "ssh_pwauth");
    }
    ctx.log.Info("reloaded the SSH service " + Quote(service));
  }
  return Status::Ok();
}

Status Run(ModuleContext& ctx) {
  const Value& chfg = Get(ctx.config, "chpasswd");
  bool expire = true;
  std::vector<std::string> plist;
  std::vector<std::pair<std::string, std::string>> text, hashed;
  std::vector<std::string> randlist;
  const Value& users_list = Get(chfg, "users");
  if (!chfg.is_null() && !chfg.is_object()) {
    return MakeError("expected dict, got " + TypeName(chfg), "chpasswd");
  }
  if (!users_list.is_null() && !users_list.is_array()) {
    return MakeError("expected list, got " + TypeName(users_list), "chpasswd.users");
  }
  const Value& list = Get(chfg, "list");
  if (!list.is_null() && !(list.is_string() && list.get<std::string>().empty())) {
    ctx.log.Warning("DEPRECATION: key 'lists' is now deprecated. Use 'users'.");
    if (list.is_array()) {
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string()) {
          return MakeError("expected str, got " + TypeName(list[i]),
                           "chpasswd.list[" + std::to_string(i) + "]");
        }
        plist.push_back(list[i].get<std::string>());
      }
    } else if (list.is_string()) {
      ctx.log.Warning(
          "DEPRECATION: The chpasswd multiline string format is deprecated and will be removed "
          "from a future version of cloud-init. Use the list format instead.");
      std::string s = list.get<std::string>();
      size_t i = 0;
      while (i < s.size()) {
        size_t j = s.find('\n', i);
        std::string line = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        plist.push_back(line);
        if (j == std::string::npos) break;
        i = j + 1;
      }
    } else {
      return MakeError("expected list or str, got " + TypeName(list), "chpasswd.list");
    }
  }
  if (chfg.is_object() && chfg.contains("expire")) expire = TranslateBool(chfg["expire"]);

  if (users_list.is_array()) {
    for (size_t i = 0; i < users_list.size(); ++i) {
      const Value& item = users_list[i];
      std::string key = "chpasswd.users[" + std::to_string(i) + "]";
      if (!item.is_object() || !Get(item, "name").is_string()) {
        return MakeError("expected a dict with a 'name'", key);
      }
      std::string name = item["name"].get<std::string>();
      std::string type = Get(item, "type").is_string() ? item["type"].get<std::string>() : "hash";
      const Value& pw = Get(item, "password");
      if (type == "RANDOM") {
        auto p = RandomPassword();
        if (!p) return p.error();
        text.emplace_back(name, *p);
        randlist.push_back(name + ":" + *p);
        continue;
      }
      if (!pw.is_string()) {
        return MakeError("expected str, got " + TypeName(pw), key + ".password");
      }
      if (type == "text") {
        text.emplace_back(name, pw.get<std::string>());
      } else if (type == "hash") {
        hashed.emplace_back(name, pw.get<std::string>());
      } else {
        ctx.log.Warning(key + ".type: unknown type " + Quote(type) + ", skipping");
      }
    }
  }
  if (text.empty() && hashed.empty() && plist.empty()) {
    const Value& password = Get(ctx.config, "password");
    if (!password.is_null()) {
      std::string p = password.is_string() ? password.get<std::string>() : PyStr(password);
      auto ug = users::NormalizeUsersGroups(ctx.config);
      if (!ug) return ug.error();
      if (ug->default_user) {
        plist.push_back(*ug->default_user + ":" + p);
      } else {
        ctx.log.Warning("No default or defined user to change password for, skipping 'password'");
      }
    }
  }
  for (size_t i = 0; i < plist.size(); ++i) {
    const std::string& line = plist[i];
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return MakeError("expected 'user:password'", "chpasswd.list[" + std::to_string(i) + "]");
    }
    std::string u = line.substr(0, colon), p = line.substr(colon + 1);
    if (LooksHashed(p)) {
      hashed.emplace_back(u, p);
    } else {
      if (p == "R" || p == "RANDOM") {
        auto r = RandomPassword();
        if (!r) return r.error();
        p = *r;
        randlist.push_back(u + ":" + p);
      }
      text.emplace_back(u, p);
    }
  }

  std::vector<Error> errors;
  if (!text.empty()) {
    if (Status s = Chpasswd(ctx, text, false); !s.ok()) {
      ctx.log.Warning(s.error().ToString());
      errors.push_back(s.error());
    }
  }
  if (!hashed.empty()) {
    if (Status s = Chpasswd(ctx, hashed, true); !s.ok()) {
      ctx.log.Warning(s.error().ToString());
      errors.push_back(s.error());
    }
  }
  if (!randlist.empty() && ctx.console) {
    std::string blurb = "Set the following 'random' passwords\n";
    for (size_t i = 0; i < randlist.size(); ++i) blurb += (i ? "\n" : "") + randlist[i];
    ctx.console(blurb + "\n");
    ctx.log.Info("printed " + std::to_string(randlist.size()) +
                 " random passwords to the console");
  }
  if (expire) {
    // features.EXPIRE_APPLIES_TO_HASHED_USERS is true in 22.4.
    std::vector<std::string> expired;
    for (const auto* l : {&text, &hashed}) {
      for (const auto& [u, p] : *l) {
        Command c = distro::ShadowCommand(ctx.sys, {"passwd", "--expire", u});
        auto r = ctx.sys.Run(c);
        if (!r || r->exit_code != 0) {
          Error e = r ? MakeError("Failed to set 'expire' for " + Quote(u) + ": exit " +
                                  std::to_string(r->exit_code))
                      : r.error();
          ctx.log.Warning(e.ToString());
          errors.push_back(e);
          continue;
        }
        expired.push_back(Quote(u));
      }
    }
    if (!expired.empty()) {
      std::string names;
      for (const auto& n : expired) names += (names.empty() ? "" : ", ") + n;
      ctx.log.Info("expired the passwords of " + names);
    }
  }

  if (Status s = HandleSshPwauth(ctx); !s.ok()) errors.push_back(s.error());
  if (!errors.empty()) return errors.back();
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "set_passwords",
    .aliases = {"set-passwords"},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Map("chpasswd",
                        {spec::Bool("expire"),
                         spec::List("users", spec::OneOf({spec::Map({spec::Str("name"), spec::Str("type").Enum({"RANDOM"})})
                                                              .Closed()
                                                              .Required({"name", "type"}),
                                                          spec::Map({spec::Str("name"),
                                                                     spec::Str("type").Enum({"hash", "text"}),
                                                                     spec::Str("password")})
                                                              .Closed()
                                                              .Required({"name", "password"})})),
                         spec::OneOf("list", {spec::Str(), spec::List(spec::Str().Pattern("^.+:.+$"))})
                             .MinItems(1)
                             .Deprecated("use 'users' instead")})
                  .Closed(),
              spec::Str("password"),
              spec::OneOf("ssh_pwauth", {spec::Bool(), spec::Str().Deprecated("use a boolean")})}; },
    .run = &Run,
};

}  // namespace nubo::modules::set_passwords
