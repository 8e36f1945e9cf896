// distro_users.h — the OS side of users and groups, as cloud-init's
// Distro.add_user/create_group/lock_passwd/chpasswd do it: lookups in the
// target root's /etc/passwd and /etc/group, and shadow-utils commands given
// the root.
//
//   if (!distro::FindUser(ctx.sys, "alice")) {
//     Command c = distro::ShadowCommand(ctx.sys, {"useradd", "-m", "alice"});
//     auto r = ctx.sys.Run(c);
//   }
//   Command cp = distro::ChpasswdCommand(ctx.sys, /*hashed=*/true);  // passwords on stdin
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "nubo/system.h"

namespace nubo::distro {

// Distro.ci_sudoers_fn.
constexpr const char* kSudoersFile = "/etc/sudoers.d/90-cloud-init-users";

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

}  // namespace nubo::distro
