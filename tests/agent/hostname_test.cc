// Hostname/fqdn resolution over the combinations cloud-init 22.4 documents
// (util.get_hostname_fqdn, DataSource.get_hostname), and the hostname and
// hosts file formats.

#include "nubo/hostname.h"
#include "nubo/templater.h"

#include <gtest/gtest.h>

namespace nubo {
namespace {

struct NameCase {
  const char* name;
  const char* config_yaml;
  std::optional<std::string> local_hostname;
  const char* system_hostname;
  const char* etc_hosts;
  const char* hostname;
  const char* fqdn;
  bool is_default;
};

class HostnameFqdnTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(HostnameFqdnTest, Resolves) {
  const NameCase& c = GetParam();
  auto cfg = ParseYaml(c.config_yaml, "test");
  ASSERT_TRUE(cfg.ok());
  HostnameFacts facts{c.local_hostname, c.system_hostname, c.etc_hosts};
  auto got = GetHostnameFqdn(cfg->is_null() ? Value::object() : *cfg, facts);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->hostname, c.hostname) << c.name;
  EXPECT_EQ(got->fqdn, c.fqdn) << c.name;
  EXPECT_EQ(got->is_default, c.is_default) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Combinations, HostnameFqdnTest,
    ::testing::Values(
        NameCase{"fqdn only", "fqdn: web1.example.com", std::nullopt, "box", "", "web1",
                 "web1.example.com", false},
        NameCase{"fqdn and hostname", "{fqdn: web1.example.com, hostname: other}", "md1",
                 "box", "", "other", "web1.example.com", false},
        NameCase{"dotted hostname", "hostname: h1.example.org", "md1", "box", "", "h1",
                 "h1.example.org", false},
        NameCase{"hostname, fqdn from meta-data", "hostname: plain", "md1.example.net", "box",
                 "", "plain", "md1.example.net", false},
        NameCase{"hostname, no meta-data: fqdn from the system", "hostname: plain",
                 std::nullopt, "box", "", "plain", "box", false},
        NameCase{"meta-data short name", "{}", "vm1", "box", "", "vm1", "vm1", false},
        NameCase{"meta-data dotted name", "{}", "vm1.example.com", "box", "", "vm1",
                 "vm1.example.com", false},
        NameCase{"meta-data IPv4 address", "{}", "10.0.0.5", "box", "", "ip-10-0-0-5",
                 "ip-10-0-0-5", false},
        NameCase{"meta-data not quite an address", "{}", "10.0.0.256", "box", "", "10",
                 "10.0.0.256", false},
        NameCase{"empty meta-data name: the system's", "{}", "", "box", "", "box", "box",
                 false},
        NameCase{"system localhost is the default", "{}", std::nullopt, "localhost", "",
                 "localhost", "localhost", true},
        NameCase{"user-chosen localhost is not", "hostname: localhost", std::nullopt,
                 "localhost", "", "localhost", "localhost", false},
        NameCase{"system name with /etc/hosts fqdn", "{}", std::nullopt, "box",
                 "# c\n127.0.1.1  box.lan box # me\n", "box", "box.lan", false},
        NameCase{"/etc/hosts needs an alias column", "{}", std::nullopt, "box",
                 "127.0.1.1 box.lan\n", "box", "box", false},
        NameCase{"dotted system name", "{}", std::nullopt, "box.corp.example", "", "box",
                 "box.corp.example", false},
        NameCase{"localdomain is no domain", "{}", "vm1.localdomain", "box", "", "vm1", "vm1",
                 false},
        NameCase{"leading dot is not a dotted hostname", "hostname: .lead", "md1", "box", "",
                 ".lead", "md1", false},
        NameCase{"fqdn without dot", "fqdn: single", std::nullopt, "box", "", "single",
                 "single", false},
        NameCase{"non-string hostname with fqdn is str()ed", "{fqdn: a.b, hostname: 12}",
                 std::nullopt, "box", "", "12", "a.b", false}),
    [](const ::testing::TestParamInfo<NameCase>& info) {
      std::string n;
      for (const char* p = info.param.name; *p; ++p) n += std::isalnum(*p) ? *p : '_';
      return n;
    });

TEST(HostnameFqdnErrors, NamesTheKey) {
  HostnameFacts facts{std::nullopt, "box", ""};
  auto a = GetHostnameFqdn(Value{{"fqdn", 7}}, facts);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().ToString(), "fqdn: expected str, got int");
  auto b = GetHostnameFqdn(Value{{"hostname", Value::array({"x"})}}, facts);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().ToString(), "hostname: expected str, got list");
}

TEST(SelectHostname, PrefersAsConfigured) {
  HostnameFqdn n{"web1", "web1.example.com", false};
  EXPECT_EQ(SelectHostname(n, false), "web1");
  EXPECT_EQ(SelectHostname(n, true), "web1.example.com");
  EXPECT_EQ(SelectHostname({"", "f.q", false}, false), "f.q");
  EXPECT_EQ(SelectHostname({"h", "", false}, true), "h");
  EXPECT_FALSE(PreferFqdn(Value::object()));
  EXPECT_TRUE(PreferFqdn(Value{{"system_info", {{"distro", "rhel"}}}}));
  EXPECT_FALSE(PreferFqdn(Value{{"system_info", {{"distro", "rhel"}}},
                                {"prefer_fqdn_over_hostname", false}}));
  EXPECT_TRUE(PreferFqdn(Value{{"prefer_fqdn_over_hostname", "yes"}}));
}

TEST(HostnameFile, ParsesAndKeepsComments) {
  auto a = ParseHostnameFile("# comment\n\n  myhost  # mine\n");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(**a, "myhost");
  auto none = ParseHostnameFile("# only\n\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  auto two = ParseHostnameFile("a\nb\n");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().ToString(), "Multiple hostnames ('a', 'b') found");
  EXPECT_EQ(SetHostnameInFile("# comment\n\nold # mine\n", "new"), "# comment\n\nnew# mine\n");
  EXPECT_EQ(SetHostnameInFile("", "new"), "new\n");
  EXPECT_EQ(SetHostnameInFile("# c\n", "new"), "# c\nnew\n");
  EXPECT_EQ(SetHostnameInFile("a\nb\n", "new"), "new\n") << "unreadable: start over";
}

TEST(HostsLocalhost, AddsToANewFileWithAHeader) {
  auto out = UpdateHostsLocalhost(std::nullopt, "127.0.1.1", "vm1", "vm1.example.com", "# H");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "# H\n127.0.1.1\tvm1.example.com\tvm1\n\n");
}

TEST(HostsLocalhost, LeavesAMatchingEntry) {
  EXPECT_FALSE(UpdateHostsLocalhost("127.0.0.1 localhost\n127.0.1.1 vm1.example.com vm1 x\n",
                                    "127.0.1.1", "vm1", "vm1.example.com", "# H"));
}

TEST(HostsLocalhost, ReplacesOtherEntriesAtTheEnd) {
  auto out = UpdateHostsLocalhost("# top\n127.0.1.1   old.example old\n127.0.0.1  localhost # lo\n",
                                  "127.0.1.1", "vm1", "vm1.example.com", "# H");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "# top\n127.0.0.1\tlocalhost# lo\n127.0.1.1\told.example\told\n"
            "127.0.1.1\tvm1.example.com\tvm1\n\n");
}

TEST(HostsTemplate, Renders) {
  std::string out = RenderHostsTemplate(templater::Builtin("hosts.debian"), "vm1", "vm1.example.com");
  EXPECT_EQ(out.rfind("# Written by cloud-init (nubo)", 0), 0u) << out;
  EXPECT_NE(out.find("\n#\n127.0.1.1 vm1.example.com vm1\n127.0.0.1 localhost\n\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("{"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 23), "ff02::2 ip6-allrouters\n");
  EXPECT_EQ(RenderHostsTemplate("## template:jinja\n{# c #}\na {{ hostname }} {{fqdn}}\n", "h",
                                "f"),
            "a h f\n");
}

TEST(OsFamily, FromSystemInfo) {
  EXPECT_EQ(OsFamily(Value::object()), "debian");
  EXPECT_EQ(OsFamily(Value{{"system_info", {{"distro", "ubuntu"}}}}), "debian");
  EXPECT_EQ(OsFamily(Value{{"system_info", {{"distro", "centos"}}}}), "redhat");
  EXPECT_EQ(LocalhostIp("debian"), "127.0.1.1");
  EXPECT_EQ(LocalhostIp("redhat"), "127.0.0.1");
  EXPECT_EQ(TemplatesDir(Value{{"system_info", {{"paths", {{"templates_dir", "/t/"}}}}}}), "/t");
}

}  // namespace
}  // namespace nubo
