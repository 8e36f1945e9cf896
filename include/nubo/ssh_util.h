// ssh_util.h — authorized_keys and sshd_config, as cloud-init 22.4.2's
// ssh_util: parsing key lines, finding a user's keys file from sshd_config's
// AuthorizedKeysFile, adding keys without following symlinks in the home,
// and setting sshd options (in the sshd_config.d drop-in when it is included).
//
//   Status s = ssh_util::SetupUserKeys(ctx.sys, ctx.log, {"ssh-ed25519 AAAA... me"}, "alice");
//   auto keys = ssh_util::ReadAuthorizedKeys(ctx.sys, "alice");   // Result<AuthorizedKeys>
//   auto changed = ssh_util::UpdateSshdConfig(ctx.sys, {{"PasswordAuthentication", "no"}});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/system.h"

namespace nubo::ssh_util {

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

// The line `ssh-keygen -l -f FILE` prints for a public key file holding
// `text` (OpenSSH's default SHA256 fingerprint): "3072 SHA256:<base64, no
// padding> root@host (RSA)", "no comment" when there is none. nullopt for
// anything it would not print just so (a key type other than rsa, dsa,
// ecdsa and ed25519, a blob that does not parse, more than one key, a
// comment with characters ssh-keygen escapes): the caller runs ssh-keygen.
std::optional<std::string> KeygenFingerprint(std::string_view text);

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

// --- sshd_config --------------------------------------------------------

// ssh_util.update_ssh_config: sets each option (kept in order), in
// sshd_config.d/50-cloud-init.conf (0600) when sshd_config has
// "Include /etc/ssh/sshd_config.d/*.conf", else in sshd_config itself.
// Returns whether the file changed; `written` gets the file's path.
Result<bool> UpdateSshdConfig(System& sys,
                              const std::vector<std::pair<std::string, std::string>>& updates,
                              std::string* written = nullptr,
                              const std::string& path = "/etc/ssh/sshd_config");

}  // namespace nubo::ssh_util
