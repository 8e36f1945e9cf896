// ssh_import_id: imports users' SSH keys from a keyserver with
// ssh-import-id (cloud-init's cc_ssh_import_id), on debian, ubuntu, cos.
//
//   ssh_import_id: [gh:alice, lp:bob]      # for the default user
//   users:
//     - default
//     - {name: carol, ssh_import_id: [gh:carol]}
//
// For each user (as `users` lists them, the default user last) with ids,
// runs "sudo --preserve-env=https_proxy -Hu USER ssh-import-id ID..." with
// its output in cloud-init-output.log. Without ssh-import-id in the image:
// one warning and nothing else. A user that does not exist or a failing
// import is logged and, after the other users, fails the module, as 22.4.

#include <algorithm>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/distro_users.h"
#include "nubo/text.h"
#include "nubo/users_config.h"

namespace nubo::modules::ssh_import_id {

namespace {

// is_key_in_nested_dict: dicts, and dicts directly inside lists.
bool KeyInNestedDict(const Value& v, const std::string& key) {
  for (const auto& [k, child] : v.items()) {
    if (k == key) return true;
    if (child.is_object() && KeyInNestedDict(child, key)) return true;
    if (child.is_array()) {
      for (const Value& item : child) {
        if (item.is_object() && KeyInNestedDict(item, key)) return true;
      }
    }
  }
  return false;
}

// util.uniq_merge of one value, then str() of each id.
std::vector<std::string> UniqIds(const Value& v) {
  std::vector<std::string> ids;
  if (v.is_string()) {
    for (const std::string& s : PySplit(PyStrip(v.get<std::string>()), ',')) {
      if (!s.empty()) ids.push_back(s);
    }
  } else if (v.is_array()) {
    for (const Value& item : v) ids.push_back(PyStr(item));
  } else if (!v.is_null()) {
    ids.push_back(PyStr(v));
  }
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

std::string PyListRepr(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + PyStrRepr(v[i]);
  return out + "]";
}

Status Run(ModuleContext& ctx) {
  if (!KeyInNestedDict(ctx.config, "ssh_import_id")) {
    ctx.log.Debug("Skipping module named ssh-import-id, no 'ssh_import_id' directives found.");
    return Status::Ok();
  }
  if (!distro::Which(ctx.sys, "ssh-import-id")) {
    ctx.log.Warning("ssh-import-id is not installed, but module ssh_import_id is configured. "
                    "Skipping module.");
    return Status::Ok();
  }
  auto ug = users::NormalizeUsersGroups(ctx.config);
  if (!ug) return ug.error();
  std::optional<Error> first;
  for (const users::UserEntry& u : ug->users) {
    std::vector<std::string> ids;
    if (u.is_default) {
      // get_cfg_option_list: a string is one id (not split), a list its items.
      const Value& top = Get(ctx.config, "ssh_import_id");
      if (top.is_array()) {
        ids = UniqIds(top);
      } else if (!top.is_null()) {
        ids = UniqIds(Value::array({PyStr(top)}));
      }
    } else {
      if (!u.config.contains("ssh_import_id")) {
        ctx.log.Debug("User " + u.name + " is not configured for ssh_import_id");
        continue;
      }
      ids = UniqIds(u.config["ssh_import_id"]);
    }
    if (ids.empty()) continue;
    Status s = [&]() -> Status {
      if (!distro::FindUser(ctx.sys, u.name)) {
        return MakeError("getpwnam(): name not found: " + Quote(u.name), "users");
      }
      Command c;
      c.argv = {"sudo", "--preserve-env=https_proxy", "-Hu", u.name, "ssh-import-id"};
      c.argv.insert(c.argv.end(), ids.begin(), ids.end());
      c.to_output_log = true;
      ctx.log.Debug("Importing SSH ids for user " + u.name + ".");
      auto r = ctx.sys.Run(c);
      if (!r) return r.error();
      if (r->exit_code != 0) {
        return MakeError("Failed to run command to import " + u.name + " SSH ids: exit code " +
                         std::to_string(r->exit_code));
      }
      ctx.log.Info("imported SSH ids " + PyListRepr(ids) + " for user " + Quote(u.name));
      return Status::Ok();
    }();
    if (!s.ok()) {
      ctx.log.Warning("ssh-import-id failed for: " + u.name + " " + PyListRepr(ids) + ": " +
                      s.error().message);
      if (!first) first = s.error();
    }
  }
  if (first) return *first;
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "ssh_import_id",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .distros = {"ubuntu", "debian", "cos"},
    .reads = [] { return std::vector<KeySpec>{spec::List("ssh_import_id", spec::Str())}; },
    .run = &Run,
};

}  // namespace nubo::modules::ssh_import_id
