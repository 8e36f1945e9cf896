// users_config.h — the `users`, `groups` and `user` config normalized with
// system_info.default_user, as cloud-init 22.4.2's distros/ug_util.py does,
// for users_groups, ssh, set_passwords and ssh_authkey_fingerprints.
//
//   auto ug = users::NormalizeUsersGroups(ctx.config);      // Result<UsersGroups>
//   if (!ug) return ug.error();                             // "groups[1].devs: ..."
//   if (ug->default_user) ...
//   auto keys = users::KeyList(Get(cfg, "ssh_authorized_keys"), "ssh_authorized_keys");
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::users {

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

// A config value holding keys: a string, a list of strings, or a dict (its
// values) as distros.create_user accepts.
Result<std::vector<std::string>> KeyList(const Value& v, const std::string& key);

}  // namespace nubo::users
