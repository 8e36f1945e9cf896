// users.h — what users_groups, ssh, set_passwords and ssh_authkey_fingerprints
// share: the users/groups config normalized with the default user, the
// distro table, passwd/group lookups in the target root, shadow-utils
// commands given the root, authorized_keys and sshd_config handling.
//
//   auto ug = users::NormalizeUsersGroups(ctx.config);      // Result<UsersGroups>
//   if (ug && ug->default_user) ...
//   Status s = users::SetupUserKeys(ctx.sys, ctx.log, {"ssh-ed25519 AAAA... me"}, "alice");
//   auto changed = users::UpdateSshdConfig(ctx.sys, {{"PasswordAuthentication", "no"}});
//
// Behaviour follows cloud-init 22.4.2 (distros/ug_util.py, ssh_util.py);
// differences are noted where they are made.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::users {

// --- distro table -------------------------------------------------------

struct DistroInfo {
  std::string_view name;         // "debian", "rhel"
  std::string_view ssh_service;  // default system_info.ssh_svcname
  std::string_view admin_group;  // the group granting sudo: "sudo" or "wheel"
  std::string_view sudoers_includedir;  // "/etc/sudoers.d"
};

// system_info.distro: debian/ubuntu, rhel/centos/fedora/rocky/alma/almalinux;
// anything else (or absent) is treated as debian.
const DistroInfo& DistroFor(const Value& config);
// system_info.ssh_svcname, else the distro's.
std::string SshServiceName(const Value& config);

constexpr const char* kSudoersFile = "/etc/sudoers.d/90-cloud-init-users";

// --- users and groups config --------------------------------------------

struct UserEntry {
  std::string name;
  Value config = Value::object();  // keys with '-' replaced by '_'
  bool is_default = false;
};

struct UsersGroups {
  // In cloud-init's order: as listed, the default user last.
  std::vector<UserEntry> users;
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  std::optional<std::string> default_user;
  std::vector<std::string> warnings;  // deprecations and ignored values
};

// ug_util.normalize_users_groups + extract_default: `users` (list, dict or
// comma string; "default" means system_info.default_user, merged with the
// legacy `user` key), `groups` (list of names or {name: members}, a dict, or
// a comma string). Errors carry the key path ("groups[1].devs").
Result<UsersGroups> NormalizeUsersGroups(const Value& config);

// A list of strings from a string ("a, b" split on commas), a list or null.
Result<std::vector<std::string>> StringList(const Value& v, const std::string& key,
                                            bool split_commas = true);

// --- the target root's passwd and group ---------------------------------

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
};

std::optional<PasswdEntry> FindUser(System& sys, const std::string& name);
bool GroupExists(System& sys, const std::string& name);
// Names of the groups `user` is a member of (primary by gid and supplementary).
std::vector<std::string> UserGroups(System& sys, const PasswdEntry& user);

// A shadow-utils command (useradd, usermod, groupadd, passwd, chpasswd)
// acting on the target root: with "--root <host path>" after argv[0] and run
// outside the root when the root is not "/".
Command ShadowCommand(const System& sys, std::vector<std::string> argv);
// chpasswd for clear-text passwords. Given a --root, chpasswd cannot use
// the target's PAM, so it hashes itself with the target's login.defs
// ENCRYPT_METHOD (SHA512 when unset) through -c.
Command ChpasswdCommand(System& sys, bool hashed);

// --- authorized_keys ----------------------------------------------------

// ssh_util.DISABLE_USER_OPTS: $USER and $DISABLE_USER are substituted.
extern const char kDisableUserOpts[];

bool IsValidKeyType(std::string_view type);

struct AuthKeyLine {
  std::string source;  // the line as read
  std::string options;
  std::string keytype;
  std::string base64;
  std::string comment;
  bool valid() const { return !keytype.empty() && !base64.empty(); }
  std::string ToString() const;
};

// ssh_util.AuthKeyLineParser.parse: `options` replaces the line's own
// options when given.
AuthKeyLine ParseAuthKeyLine(std::string_view line,
                             const std::optional<std::string>& options = std::nullopt);

// ssh_util.render_authorizedkeysfile_paths: %h, %u, %% ; relative paths are
// under the home directory.
std::vector<std::string> RenderAuthorizedKeysPaths(const std::string& value,
                                                   const std::string& home,
                                                   const std::string& user);

// sshd_config read as a map, lowercase keys; for a repeated key the first
// value wins, as sshd reads it.
std::vector<std::pair<std::string, std::string>> ReadSshdConfig(
    System& sys, const std::string& path = "/etc/ssh/sshd_config");

struct AuthorizedKeys {
  std::string path;
  std::vector<AuthKeyLine> entries;
};

// ssh_util.extract_authorized_keys: the user's file as sshd_config's
// AuthorizedKeysFile names it (the first user-specific entry), and its lines.
// With `create_empty`, a missing file is created empty (0600, ~/.ssh 0700,
// owned by the user) as check_create_path does for every caller in 22.4.
Result<AuthorizedKeys> ReadAuthorizedKeys(System& sys, const std::string& user,
                                          bool create_empty = false);

// ssh_util.setup_user_keys: adds `keys` (with `options` when not empty) to
// the user's authorized_keys, keeping existing lines and replacing a line
// with the same key. ~/.ssh is made 0700 and the file 0600, both owned by
// the user; no symlink is followed inside the home directory. Logs one info
// line naming the file and the number of keys added.
Status SetupUserKeys(System& sys, const Logger& log, const std::vector<std::string>& keys,
                     const std::string& user, const std::string& options = "");

// A config value holding keys: a string, a list of strings, or a dict (its
// values) as distros.create_user accepts.
Result<std::vector<std::string>> KeyList(const Value& v, const std::string& key);

// --- sshd_config --------------------------------------------------------

// ssh_util.update_ssh_config: sets each option (kept in order), in
// sshd_config.d/50-cloud-init.conf (0600) when sshd_config has
// "Include /etc/ssh/sshd_config.d/*.conf", else in sshd_config itself.
// Returns whether the file changed; `written` gets the file's path.
Result<bool> UpdateSshdConfig(System& sys,
                              const std::vector<std::pair<std::string, std::string>>& updates,
                              std::string* written = nullptr,
                              const std::string& path = "/etc/ssh/sshd_config");

// "Created by cloud-init v. 22.4.2 on Sun, 22 Nov 2026 01:50:00 +0000",
// util.make_header's text after "# ".
std::string MakeHeader(System& sys, std::string_view base = "created");

}  // namespace nubo::users
