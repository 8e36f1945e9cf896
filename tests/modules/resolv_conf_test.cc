// resolv_conf: the rendered file for every key, flags from boolean
// options, photon's resolved.conf, the skips, errors naming the key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;

// nubo's own header (packaging/templates/resolv.conf.tmpl); the settings
// are those of 22.4.2's template.
constexpr char kHeader[] =
    "# Written once by cloud-init (nubo) because the cloud config sets\n"
    "# 'manage_resolv_conf: true', from its 'resolv_conf' section.\n";

TEST(ResolvConfTest, Spec) {
  const auto& spec = modules::resolv_conf::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(FindModule("resolv-conf"), &spec);
  EXPECT_THAT(spec.distros, ::testing::ElementsAre("alpine", "fedora", "mariner", "opensuse",
                                                   "photon", "rhel", "sles"));
}

TEST(ResolvConfTest, EveryKey) {
  ModuleHarness h(modules::resolv_conf::kSpec);
  Status s = h.RunYaml(
      "system_info: {distro: rhel}\nmanage_resolv_conf: true\nresolv_conf:\n"
      "  nameservers: [8.8.8.8, 8.8.4.4]\n  searchdomains: [foo.example.com, bar.example.com]\n"
      "  domain: example.com\n  sortlist: [10.0.0.1/255, 10.0.0.2]\n"
      "  options: {rotate: true, timeout: 1, debug: false}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/resolv.conf"),
            std::string(kHeader) +
                "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
                "search foo.example.com bar.example.com\n"
                "domain example.com\n"
                "sortlist 10.0.0.1/255 10.0.0.2\n"
                "options rotate timeout:1\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/resolv.conf"), 0644u);
}

TEST(ResolvConfTest, NameserversOnly) {
  ModuleHarness h(modules::resolv_conf::kSpec);
  ASSERT_TRUE(h.RunYaml("manage_resolv_conf: true\nresolv_conf: {nameservers: [10.0.0.2]}\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/resolv.conf"), std::string(kHeader) + "nameserver 10.0.0.2\n\n");
}

TEST(ResolvConfTest, PhotonWritesResolvedConf) {
  ModuleHarness h(modules::resolv_conf::kSpec);
  ASSERT_TRUE(h.RunYaml("system_info: {distro: photon}\nmanage_resolv_conf: true\n"
                        "resolv_conf: {nameservers: [1.1.1.1, 9.9.9.9], searchdomains: [a.b]}\n")
                  .ok());
  EXPECT_EQ(h.sys.Read("/etc/systemd/resolved.conf"),
            std::string(kHeader) + "[Resolve]\nLLMNR=false\nDNS=1.1.1.1 9.9.9.9\nDomains=a.b\n");
  EXPECT_FALSE(h.sys.Has("/etc/resolv.conf"));
}

TEST(ResolvConfTest, SkipsAndWarning) {
  ModuleHarness h(modules::resolv_conf::kSpec);
  ASSERT_TRUE(h.RunYaml("manage_resolv_conf: false\nresolv_conf: {nameservers: [1.1.1.1]}\n").ok());
  EXPECT_FALSE(h.sys.Has("/etc/resolv.conf"));
  ASSERT_TRUE(h.RunYaml("manage_resolv_conf: true\n").ok());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "manage_resolv_conf True but no parameters provided!"));
  EXPECT_FALSE(h.sys.Has("/etc/resolv.conf"));
  EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
}

TEST(ResolvConfTest, BadConfigNamesTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"resolv_conf: [a]\n", "resolv_conf", "expected a mapping, got list"},
      {"resolv_conf: {nameservers: 8.8.8.8}\n", "resolv_conf.nameservers", "expected a list, got str"},
      {"resolv_conf: {searchdomains: [{a: b}]}\n", "resolv_conf.searchdomains[0]",
       "expected a string, got dict"},
      {"resolv_conf: {domain: [x]}\n", "resolv_conf.domain", "expected a string, got list"},
      {"resolv_conf: {options: rotate}\n", "resolv_conf.options", "expected a mapping, got str"},
  };
  for (const Case& c : cases) {
    ModuleHarness h(modules::resolv_conf::kSpec);
    Status s = h.RunYaml(std::string("manage_resolv_conf: true\n") + c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().key, c.key) << c.yaml;
    EXPECT_EQ(s.error().message, c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace nubo
