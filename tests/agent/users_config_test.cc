// agent/users_config.cc: normalizing users/groups with the default user, as
// cloud-init 22.4.2's ug_util.

#include "nubo/users_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo::users {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nubo::testing::TestSystem;

Value Yaml(const std::string& text) {
  auto v = ParseYaml(text, "test");
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return v.ok() ? *v : Value::object();
}

std::vector<std::string> Names(const UsersGroups& ug) {
  std::vector<std::string> out;
  for (const auto& u : ug.users) out.push_back(u.name);
  return out;
}

TEST(NormalizeUsersGroups, DefaultUserMergedLast) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info:
  default_user:
    name: debian
    lock_passwd: true
    groups: [sudo, adm]
    shell: /bin/bash
users:
  - default
  - name: debian
    groups: [video]
    shell: /bin/zsh
  - alice
)"));
  ASSERT_TRUE(ug.ok()) << ug.error().ToString();
  EXPECT_THAT(Names(*ug), ElementsAre("alice", "debian"));
  ASSERT_TRUE(ug->default_user);
  EXPECT_EQ(*ug->default_user, "debian");
  const Value& d = ug->users[1].config;
  EXPECT_TRUE(ug->users[1].is_default);
  EXPECT_EQ(d["groups"], "adm,sudo,video");
  // system_info.default_user wins over the entry of the same name.
  EXPECT_EQ(d["shell"], "/bin/bash");
  EXPECT_EQ(d["lock_passwd"], true);
}

TEST(NormalizeUsersGroups, NoDefaultUserConfigured) {
  auto ug = NormalizeUsersGroups(Yaml("users: [default, bob]\n"));
  ASSERT_TRUE(ug.ok());
  EXPECT_THAT(Names(*ug), ElementsAre("bob"));
  EXPECT_FALSE(ug->default_user);
  ASSERT_EQ(ug->warnings.size(), 1u);
  EXPECT_THAT(ug->warnings[0], HasSubstr("system_info.default_user is not set"));
  // No `users` key at all: nobody, no warning.
  auto none = NormalizeUsersGroups(Yaml("system_info: {default_user: {name: debian}}\n"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->users.empty());
  EXPECT_FALSE(none->default_user);
}

TEST(NormalizeUsersGroups, LegacyUserKeyRenamesTheDefaultUser) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info: {default_user: {name: debian, gecos: Debian}}
user: {name: admin, ssh_authorized_keys: [k1]}
)"));
  ASSERT_TRUE(ug.ok());
  EXPECT_THAT(Names(*ug), ElementsAre("admin"));
  EXPECT_EQ(ug->users[0].config["gecos"], "Debian");
  EXPECT_EQ(ug->users[0].config["ssh_authorized_keys"], Value::array({"k1"}));
}

TEST(NormalizeUsersGroups, StringAndDictForms) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info: {default_user: {name: debian}}
users: "default, dave"
groups:
  - devs: [dave]
  - ops
  - "qa"
)"));
  ASSERT_TRUE(ug.ok()) << ug.error().ToString();
  EXPECT_THAT(Names(*ug), ElementsAre("dave", "debian"));
  ASSERT_EQ(ug->groups.size(), 3u);
  EXPECT_EQ(ug->groups[0].first, "devs");
  EXPECT_THAT(ug->groups[0].second, ElementsAre("dave"));
  auto dict = NormalizeUsersGroups(Yaml("users: {carl: true, dora: false, eve: {shell: /bin/sh}}\n"
                                        "groups: {admins: [carl, eve], empty: }\n"));
  ASSERT_TRUE(dict.ok()) << dict.error().ToString();
  EXPECT_THAT(Names(*dict), ElementsAre("carl", "eve"));
  EXPECT_EQ(dict->users[1].config["shell"], "/bin/sh");
  ASSERT_EQ(dict->groups.size(), 2u);
  EXPECT_THAT(dict->groups[0].second, ElementsAre("carl", "eve"));
  // Dashes in keys become underscores.
  auto dashes = NormalizeUsersGroups(Yaml("users: [{name: x, lock-passwd: false}]\n"));
  ASSERT_TRUE(dashes.ok());
  EXPECT_EQ(dashes->users[0].config["lock_passwd"], false);
}

TEST(NormalizeUsersGroups, Errors) {
  auto bad = NormalizeUsersGroups(Yaml("users: [{name: 7}]\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "users[0].name: expected str, got int");
  auto g = NormalizeUsersGroups(Yaml("groups: 5\n"));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().ToString(),
            "groups: Group config must be list, dict or string type only but found int");
}

}  // namespace
}  // namespace nubo::users
