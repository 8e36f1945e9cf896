// The users/groups config normalized with the default user (ug_util), and
// key lists from config. See include/nubo/users_config.h.

#include "nubo/users_config.h"

#include <algorithm>

#include "nubo/text.h"

namespace nubo::users {

namespace {

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

}  // namespace

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

}  // namespace nubo::users
