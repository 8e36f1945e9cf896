// apt_configure: sources.list from the distro template or `sources_list`
// with mirrors from `primary`/`security`/package_mirrors, disabled suites,
// `sources` entries with inline keys (gpg --dearmor), $KEY_FILE, append,
// add-apt-repository, keyid without network, conf and proxy files,
// debconf_selections, and bad config naming the key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;

const std::vector<std::string> kLsb = {"lsb_release", "--all"};
const std::vector<std::string> kArch = {"dpkg", "--print-architecture"};
const std::vector<std::string> kUpdate = {"apt-get", "--option=Dpkg::Options::=--force-confold",
                                          "--option=Dpkg::options::=--force-unsafe-io",
                                          "--assume-yes", "--quiet", "update"};
const std::vector<std::string> kDearmor = {"gpg", "--dearmor"};

constexpr char kKey[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0key\n-----END PGP PUBLIC KEY BLOCK-----\n";

// Debian's sources.list.debian.tmpl, shortened to the lines that use each
// variable and the codename test.
constexpr char kDebianTemplate[] =
    "## template:jinja\n"
    "## Note, this file is written by cloud-init on first boot of an instance\n"
    "deb {{mirror}} {{codename}} main\n"
    "deb {{security}} {{codename}}{% if codename in ('buster', 'stretch') %}/updates"
    "{% else %}-security{% endif %} main\n"
    "deb {{mirror}} {{codename}}-backports main\n";

class AptConfigureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.sys.AddFile("/usr/bin/apt-get", "#!/bin/sh\n", 0755);
    h.sys.runner().Expect(kLsb, {.out = "Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux "
                                        "12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n"});
    h.sys.runner().Expect(kArch, {.out = "amd64\n"});
  }
  std::string Config(const std::string& apt) {
    return "system_info:\n  distro: debian\n  package_mirrors:\n"
           "    - arches: [default]\n      failsafe:\n"
           "        primary: https://deb.debian.org/debian\n"
           "        security: https://deb.debian.org/debian-security\n" +
           apt;
  }
  ModuleHarness h{modules::apt_configure::kSpec};
};

TEST_F(AptConfigureTest, Spec) {
  const auto& spec = modules::apt_configure::kSpec;
  EXPECT_EQ(FindModule("apt-configure"), &spec);
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.stage, Stage::kConfig);
  EXPECT_THAT(spec.distros, ElementsAre("ubuntu", "debian"));  // not the RHEL family
  EXPECT_THAT(spec.activated_by, IsEmpty());
}

TEST_F(AptConfigureTest, DefaultTemplateWithPackageMirrors) {
  h.sys.AddFile("/etc/cloud/templates/sources.list.debian.tmpl", kDebianTemplate);
  Status s = h.RunYaml(Config("apt: {conf: 'APT::Get::Assume-Yes \"true\";'}\n"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list"),
            "## Note, this file is written by cloud-init on first boot of an instance\n"
            "deb https://deb.debian.org/debian bookworm main\n"
            "deb https://deb.debian.org/debian-security bookworm-security main\n"
            "deb https://deb.debian.org/debian bookworm-backports main\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/apt/sources.list"), 0644u);
  EXPECT_EQ(h.sys.Read("/etc/apt/apt.conf.d/94cloud-init-config"), "APT::Get::Assume-Yes \"true\";");
  EXPECT_FALSE(h.sys.Has("/etc/apt/apt.conf.d/90cloud-init-aptproxy"));
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(kLsb, kArch));  // no sources: no update
}

TEST_F(AptConfigureTest, PrimarySecurityCustomTemplateAndDisabledSuites) {
  Status s = h.RunYaml(Config(R"(apt:
  primary:
    - {arches: [arm64], uri: 'http://ports.example/debian'}
    - {arches: [default], uri: 'http://mirror.example/debian'}
  security:
    - {arches: [amd64], uri: 'http://security.example/debian-security'}
  disable_suites: [backports, $RELEASE-proposed]
  sources_list: |
    deb $MIRROR $RELEASE main
    deb [ arch=amd64 ] ${PRIMARY} $RELEASE-backports main
    deb $SECURITY $RELEASE-security main
    # deb $primary $RELEASE-backports main
    deb $mirror $RELEASE-proposed main
)"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list"),
            "deb http://mirror.example/debian bookworm main\n"
            "# suite disabled by cloud-init: deb [ arch=amd64 ] http://mirror.example/debian "
            "bookworm-backports main\n"
            "deb http://security.example/debian-security bookworm-security main\n"
            "# deb http://mirror.example/debian bookworm-backports main\n"
            "# suite disabled by cloud-init: deb http://mirror.example/debian bookworm-proposed "
            "main\n");
}

TEST_F(AptConfigureTest, UbuntuDefaultMirrorsWithoutPackageMirrors) {
  ASSERT_TRUE(h.RunYaml("apt: {sources_list: \"deb $MIRROR $RELEASE main\\ndeb $SECURITY x\\n\"}\n")
                  .ok());
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list"),
            "deb http://archive.ubuntu.com/ubuntu/ bookworm main\n"
            "deb http://security.ubuntu.com/ubuntu/ x\n");
}

TEST_F(AptConfigureTest, PreservedSourcesListIsLeftAlone) {
  ModuleHarness p(modules::apt_configure::kSpec);  // no lsb_release, no dpkg expected
  p.sys.AddFile("/etc/apt/sources.list", "mine\n");
  p.sys.AddFile("/etc/apt/apt.conf.d/90cloud-init-aptproxy", "old\n");
  ASSERT_TRUE(p.RunYaml(Config("apt: {preserve_sources_list: true}\n")).ok());
  EXPECT_EQ(p.sys.Read("/etc/apt/sources.list"), "mine\n");
  EXPECT_FALSE(p.sys.Has("/etc/apt/apt.conf.d/90cloud-init-aptproxy"));  // not configured
  EXPECT_THAT(p.sys.runner().argvs(), IsEmpty());
}

TEST_F(AptConfigureTest, Proxies) {
  ASSERT_TRUE(h.RunYaml(Config(R"(apt:
  preserve_sources_list: true
  proxy: http://p:3128
  https_proxy: https://s:3129
  ftp_proxy: ftp://f:21
)")).ok());
  EXPECT_EQ(h.sys.Read("/etc/apt/apt.conf.d/90cloud-init-aptproxy"),
            "Acquire::http::Proxy \"http://p:3128\";\nAcquire::ftp::Proxy \"ftp://f:21\";\n"
            "Acquire::https::Proxy \"https://s:3129\";\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/apt/apt.conf.d/90cloud-init-aptproxy"), 0644u);
}

TEST_F(AptConfigureTest, SourcesWithInlineKeysKeyFileAppendAndPpa) {
  h.sys.AddFile("/etc/apt/sources.list.d/extra.list", "deb http://old/ x main\n");
  h.sys.AddFile("/etc/apt/sources.list.d/fresh.list", "deb http://gone/ x main\n");
  h.sys.runner().Expect(kDearmor, {.out = std::string("\x99\x01\x0d", 3)});
  h.sys.runner().Expect({"add-apt-repository", "--no-update", "ppa:foo/bar"});
  h.sys.runner().Expect(kUpdate);
  Status s = h.RunYaml(Config(R"(apt:
  preserve_sources_list: true
  sources:
    extra:
      source: 'deb $MIRROR $RELEASE contrib'
      key: |
        -----BEGIN PGP PUBLIC KEY BLOCK-----

        mDMEZ0key
        -----END PGP PUBLIC KEY BLOCK-----
    fresh:
      source: 'deb http://new/ $RELEASE main'
      append: false
    signed.list:
      source: 'deb [signed-by=$KEY_FILE] file:///srv/repo ./'
      key: |
        -----BEGIN PGP PUBLIC KEY BLOCK-----

        mDMEZ0key
        -----END PGP PUBLIC KEY BLOCK-----
    x-ppa: {source: 'ppa:foo/bar'}
    keyonly: {key: 'k', filename: /etc/apt/other.list}
)"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/extra.list"),
            "deb http://old/ x main\ndeb https://deb.debian.org/debian bookworm contrib\n");
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/fresh.list"), "deb http://new/ bookworm main\n");
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/signed.list"),
            "deb [signed-by=/etc/apt/cloud-init.gpg.d/signed.gpg] file:///srv/repo ./\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/apt/sources.list.d/fresh.list"), 0644u);
  EXPECT_FALSE(h.sys.Has("/etc/apt/sources.list.d/x-ppa.list"));
  EXPECT_FALSE(h.sys.Has("/etc/apt/other.list"));  // a key only
  EXPECT_EQ(h.sys.Read("/etc/apt/trusted.gpg.d/extra.gpg"), std::string("\x99\x01\x0d", 3));
  EXPECT_EQ(h.sys.Read("/etc/apt/cloud-init.gpg.d/signed.gpg"), std::string("\x99\x01\x0d", 3));
  EXPECT_EQ(h.sys.Read("/etc/apt/trusted.gpg.d/other.gpg"), std::string("\x99\x01\x0d", 3));
  EXPECT_EQ(h.sys.ModeOf("/etc/apt/trusted.gpg.d/extra.gpg"), 0644u);
  // Sorted names: extra, fresh, keyonly, signed.list, x-ppa; then one update.
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(kLsb, kArch, kDearmor, kDearmor, kDearmor,
                          std::vector<std::string>{"add-apt-repository", "--no-update",
                                                   "ppa:foo/bar"},
                          kUpdate));
  const auto& calls = h.sys.runner().calls();
  EXPECT_EQ(calls[2].stdin_data, kKey);
  EXPECT_EQ(calls[3].stdin_data, "k");
  EXPECT_TRUE(h.sys.Has("/var/lib/cloud/instances/iid-1/sem/update_sources"));
}

// As 22.4: a key gpg cannot dearmor is a warning (the list is still
// written), a keyid no keyserver gives fails the module there (its ValueError):
// that source's list is not written, nor are the sources after it.
TEST_F(AptConfigureTest, GpgFailureWarnsButAKeyidNoKeyserverGivesFails) {
  h.sys.runner().Expect(kDearmor, {.exit_code = 2, .err = "gpg: no valid OpenPGP data found.\n"});
  h.sys.runner().Expect({"gpg", "--export", "--armour", "0368 3F77"});  // empty: not local
  h.sys.runner().Expect({"gpg", "--no-tty", "--keyserver=pgp.example", "--recv-keys", "0368 3F77"},
                        {.exit_code = 2, .err = "gpg: keyserver receive failed\n"});
  h.sys.runner().Expect({"gpg", "--batch", "--yes", "--delete-keys", "0368 3F77"}, {.exit_code = 2});
  Status s = h.RunYaml(Config(R"(apt:
  preserve_sources_list: true
  sources:
    bad: {source: 'deb http://b/ x main', key: 'not a key'}
    byid: {source: 'deb [signed-by=$KEY_FILE] http://i/ x main', keyid: '0368 3F77', keyserver: pgp.example}
    later: {source: 'deb http://l/ x main'}
)"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("apt.sources.byid.keyid"), std::string::npos) << s.error().ToString();
  EXPECT_NE(s.error().ToString().find("could not get key '0368 3F77' from keyserver 'pgp.example' (no network?)"),
            std::string::npos)
      << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/bad.list"), "deb http://b/ x main\n");
  EXPECT_FALSE(h.sys.Has("/etc/apt/sources.list.d/byid.list"));
  EXPECT_FALSE(h.sys.Has("/etc/apt/sources.list.d/later.list"));
  EXPECT_FALSE(h.sys.Has("/etc/apt/trusted.gpg.d/bad.gpg"));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "apt.sources.bad: gpg error, failed to add key"));
}

TEST_F(AptConfigureTest, DebconfSelections) {
  h.sys.runner().Expect({"debconf-set-selections"});
  h.sys.runner().Expect({"dpkg-query", "--list"},
                        {.out = "||/ Name Version Architecture Description\n"
                                "ii  tzdata  2024a  all  time zone data\n"
                                "rc  gone  1  all  removed\n"});
  ASSERT_TRUE(h.RunYaml(Config(R"(apt:
  preserve_sources_list: true
  debconf_selections:
    set2: 'gone gone/q string x'
    set1: "tzdata tzdata/Areas select Europe\n# comment\n"
)")).ok());
  const auto& calls = h.sys.runner().calls();
  ASSERT_EQ(calls[0].argv, std::vector<std::string>{"debconf-set-selections"});
  EXPECT_EQ(calls[0].stdin_data, "tzdata tzdata/Areas select Europe\n# comment\n\ngone gone/q string x\n");
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "installed and preseeded, but cannot be unconfigured: ['tzdata']"));
}

TEST_F(AptConfigureTest, NoConfigAndNoAptDoesNothing) {
  ModuleHarness bare(modules::apt_configure::kSpec);
  ASSERT_TRUE(bare.RunYaml("{}\n").ok());
  EXPECT_THAT(bare.sys.runner().argvs(), IsEmpty());
  EXPECT_FALSE(bare.sys.Has("/etc/apt/sources.list"));
}

TEST_F(AptConfigureTest, NoConfigWithAptRendersTheTemplate) {
  h.sys.AddFile("/etc/cloud/templates/sources.list.debian.tmpl", kDebianTemplate);
  ASSERT_TRUE(h.RunYaml(Config("")).ok());
  EXPECT_NE(h.sys.Read("/etc/apt/sources.list").find("deb https://deb.debian.org/debian bookworm"),
            std::string::npos);
}

TEST_F(AptConfigureTest, BuiltinTemplateWithoutTemplatesDir) {
  ASSERT_TRUE(h.RunYaml(Config("apt: {disable_suites: [updates]}\n")).ok());
  std::string out = h.sys.Read("/etc/apt/sources.list");
  EXPECT_NE(out.find("\ndeb https://deb.debian.org/debian bookworm main\n"
                     "deb-src https://deb.debian.org/debian bookworm main\n"
                     "deb https://deb.debian.org/debian-security bookworm-security main\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n# suite disabled by cloud-init: deb https://deb.debian.org/debian "
                     "bookworm-updates main\n"),
            std::string::npos)
      << out;
}

TEST_F(AptConfigureTest, BadConfigNamesTheKey) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"apt: [x]\n", "apt: expected a dict, got list"},
      {"apt: {sources: {foo: {source: 7}}}\n", "apt.sources.foo.source: expected a string, got int"},
      {"apt: {sources: {foo: [x]}}\n", "apt.sources.foo: expected a dict, got list"},
      {"apt: {sources: [x]}\n", "apt.sources: expected a dict, got list"},
      {"apt: {primary: {uri: x}}\n", "apt.primary: expected a list of dicts, got dict"},
      {"apt: {security: [{arches: amd64}]}\n",
       "apt.security[0].arches: expected a list of strings, got str"},
      {"apt: {primary: [{uri: 5}]}\n", "apt.primary[0].uri: expected a string, got int"},
      {"apt: {conf: {a: b}}\n", "apt.conf: expected a string, got dict"},
      {"apt: {disable_suites: [1]}\n", "apt.disable_suites[0]: expected a string, got int"},
      {"apt: {debconf_selections: {a: 1}}\n", "apt.debconf_selections.a: expected a string, got int"},
      // The deprecated keys (convert_to_v3_apt_format).
      {"apt: {proxy: http://new:1}\napt_proxy: http://old:1\n",
       "Old and New apt format defined with unequal values http://old:1 vs http://new:1 @ apt_proxy"},
      {"apt_sources: [x]\n", "apt_sources[0]: expected a dict, got str"},
      {"apt_sources: 5\n", "apt_sources: unknown apt_sources format"},
  };
  for (const auto& c : cases) {
    ModuleHarness bad(modules::apt_configure::kSpec);
    Status s = bad.RunYaml(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().ToString(), c.error) << c.yaml;
    EXPECT_THAT(bad.sys.runner().argvs(), IsEmpty()) << c.yaml;
  }
}

// get_mirror: `search` takes the first candidate whose host resolves (and
// not to the address a redirecting resolver gives for names that cannot
// exist), `search_dns` the first of <distro>-mirror.<domain>, .localdomain
// and no domain; neither found falls back to package_mirrors.
TEST_F(AptConfigureTest, SearchAndSearchDnsResolveCandidates) {
  h.sys.AddHost("example.invalid.", "10.9.9.9");  // the resolver redirects unknown names
  h.sys.AddHost("down.example", "10.9.9.9");
  h.sys.AddHost("up.example", "10.0.0.7");
  h.sys.AddHost("debian-security-mirror.localdomain", "10.0.0.8");
  Status s = h.RunYaml(Config(R"(fqdn: vm1.corp.example
apt:
  primary:
    - arches: [default]
      search: [http://nohost.example/debian, 'http://user@DOWN.example:8080/debian', http://up.example/debian]
  security:
    - arches: [default]
      search_dns: true
  sources_list: |
    deb $PRIMARY $RELEASE main
    deb $SECURITY $RELEASE-security main
)"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list"),
            "deb http://up.example/debian bookworm main\n"
            "deb http://debian-security-mirror.localdomain/debian bookworm-security main\n");
  EXPECT_THAT(h.sys.resolved(),
              ElementsAre("does-not-exist.example.com.", "example.invalid.",
                          "__cloud_init_expected_not_found__", "nohost.example", "down.example",
                          "up.example", "does-not-exist.example.com.", "example.invalid.",
                          "__cloud_init_expected_not_found__", "debian-security-mirror.corp.example",
                          "debian-security-mirror.localdomain"));

  // Nothing resolves: package_mirrors' failsafe mirrors.
  ModuleHarness p(modules::apt_configure::kSpec);
  p.sys.AddFile("/usr/bin/apt-get", "#!/bin/sh\n", 0755);
  p.sys.runner().Expect(kLsb, {.out = "Codename:\tbookworm\n"});
  p.sys.runner().Expect(kArch, {.out = "amd64\n"});
  ASSERT_TRUE(p.RunYaml(Config("apt:\n  primary: [{arches: [default], search: [http://a.example/]}]\n"
                               "  security: [{arches: [default], search_dns: true}]\n"
                               "  sources_list: \"deb $PRIMARY $RELEASE main\\ndeb $SECURITY x\\n\"\n"))
                  .ok());
  EXPECT_EQ(p.sys.Read("/etc/apt/sources.list"),
            "deb https://deb.debian.org/debian bookworm main\ndeb https://deb.debian.org/debian-security x\n");
}

// convert_to_v3_apt_format: the deprecated top-level keys act as their
// `apt` counterparts, with 22.4's warnings (and its crossed-over ftp/https
// proxy keys).
TEST_F(AptConfigureTest, DeprecatedTopLevelKeysAreConverted) {
  h.sys.runner().Expect(kUpdate);
  Status s = h.RunYaml(Config(R"(apt_preserve_sources_list: false
apt_mirror: http://mirror.example/debian
apt_custom_sources_list: |
  deb $MIRROR $RELEASE main
apt_proxy: http://p:3128
apt_https_proxy: http://s:3129
apt_ftp_proxy: ''
apt_sources:
  - source: deb http://a.example/debian $RELEASE main
  - source: deb http://b.example/debian $RELEASE contrib
  - source: deb http://c.example/debian $RELEASE main
    filename: c.list
)"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list"), "deb http://mirror.example/debian bookworm main\n");
  EXPECT_EQ(h.sys.Read("/etc/apt/apt.conf.d/90cloud-init-aptproxy"),
            "Acquire::http::Proxy \"http://p:3128\";\nAcquire::ftp::Proxy \"http://s:3129\";\n");
  // Entries without a filename share cloud_config_sources.list, in order.
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/cloud_config_sources.list"),
            "deb http://a.example/debian bookworm main\n"
            "deb http://b.example/debian bookworm contrib\n");
  EXPECT_EQ(h.sys.Read("/etc/apt/sources.list.d/c.list"),
            "deb http://c.example/debian bookworm main\n");
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(kLsb, kArch, kUpdate));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "DEPRECATION: 'apt_sources' deprecated config key found. Use 'apt' "
                              "instead"));
  EXPECT_TRUE(h.sink.Contains(
      LogLevel::kWarning,
      "DEPRECATION apt: converted deprecated config V2 to V3 format for keys 'apt_sources, "
      "apt_mirror, apt_proxy, apt_https_proxy, apt_preserve_sources_list, "
      "apt_custom_sources_list'. Use updated config keys."));
}

TEST_F(AptConfigureTest, DeprecatedKeysBesideAptArePreferred) {
  ModuleHarness p(modules::apt_configure::kSpec);
  p.sys.AddFile("/usr/bin/apt-get", "#!/bin/sh\n", 0755);
  // Equal values, or old keys with no counterpart in `apt`: apt wins.
  ASSERT_TRUE(p.RunYaml("apt: {preserve_sources_list: true, proxy: http://p:1}\n"
                        "apt_proxy: http://p:1\napt_mirror: http://ignored.example/\n")
                  .ok());
  EXPECT_EQ(p.sys.Read("/etc/apt/apt.conf.d/90cloud-init-aptproxy"),
            "Acquire::http::Proxy \"http://p:1\";\n");
  EXPECT_TRUE(p.sink.Contains(
      LogLevel::kWarning,
      "DEPRECATION: apt config: deprecated V1/2 and V3 format specified, preferring V3"));
}

TEST_F(AptConfigureTest, MissingTemplateVariableIsAnError) {
  Status s = h.RunYaml(Config("apt: {preserve_sources_list: true, sources: {a: {source: 'deb $NOPE x'}}}\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "apt.sources.a.source: template variable 'NOPE' is not defined");
}

}  // namespace
}  // namespace nubo
