// templater: Load's order (templates_dir, then the built-in copy), every
// template nubo ships compiled in unchanged, and what nubo's ntp and resolv
// templates render: the settings of cloud-init 22.4.2's templates (the
// directives, in their order), the comments nubo's own.

#include "nubo/templater.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "support/files.h"
#include "support/test_system.h"

namespace nubo {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using nubo::testing::ReadHostFile;
using nubo::testing::TestSystem;

// The lines of `text` that are neither blank nor comments.
std::vector<std::string> Settings(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
    if (!line.empty() && line[0] != '#') out.push_back(line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string RenderBuiltin(std::string_view name, const Value& params) {
  std::string_view text = templater::Builtin(name);
  EXPECT_FALSE(text.empty()) << name;
  auto out = templater::Render(text, params);
  EXPECT_TRUE(out.ok()) << name << ": " << out.error().message;
  return out.ok() ? *out : "";
}

TEST(TemplaterBuiltin, EveryPackagedTemplateIsCompiledInUnchanged) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(NUBO_SOURCE_DIR) / "packaging/templates")) {
    std::string file = e.path().filename();
    ASSERT_TRUE(file.ends_with(".tmpl")) << file;
    std::string name = file.substr(0, file.size() - 5);
    EXPECT_EQ(templater::Builtin(name), ReadHostFile(e.path())) << name;
    ++n;
  }
  EXPECT_EQ(n, 15);
  EXPECT_EQ(templater::Builtin("chrony.conf.nosuch"), "");
  EXPECT_EQ(templater::Builtin("hosts.debian.tmpl"), "");
}

TEST(TemplaterLoad, TemplatesDirFirstThenBuiltinThenNothing) {
  TestSystem sys;
  Value config = Value::object();
  auto builtin = templater::Load(sys, config, "chrony.conf.debian");
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ(builtin->path, "");
  EXPECT_EQ(builtin->text, templater::Builtin("chrony.conf.debian"));

  sys.AddFile("/etc/cloud/templates/chrony.conf.debian.tmpl", "## template:jinja\nmine\n", 0644);
  auto mine = templater::Load(sys, config, "chrony.conf.debian");
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->path, "/etc/cloud/templates/chrony.conf.debian.tmpl");
  EXPECT_EQ(mine->text, "## template:jinja\nmine\n");

  config["system_info"]["paths"]["templates_dir"] = "/srv/t/";
  sys.AddFile("/srv/t/chrony.conf.debian.tmpl", "other\n", 0644);
  EXPECT_EQ(templater::Load(sys, config, "chrony.conf.debian")->path,
            "/srv/t/chrony.conf.debian.tmpl");
  EXPECT_FALSE(templater::Load(sys, config, "chrony.conf.nosuch").has_value());
}

const Value kSources = {{"servers", Value::array({"10.0.0.1", "ntp.example"})},
                        {"pools", Value::array({"p.example"})}};

// 22.4.2's templates render each pool, then each server, with iburst; then
// these settings, per template.
struct NtpCase {
  const char* name;
  std::vector<std::string> settings;
};

TEST(TemplaterBuiltin, NtpTemplatesRenderCloudInitsSettings) {
  const std::vector<std::string> chrony_debian = {
      "keyfile /etc/chrony/chrony.keys", "driftfile /var/lib/chrony/chrony.drift",
      "logdir /var/log/chrony", "maxupdateskew 100.0", "rtcsync", "makestep 1 3"};
  const std::vector<std::string> chrony_rhel = {"driftfile /var/lib/chrony/drift",
                                                "makestep 1.0 3", "rtcsync",
                                                "logdir /var/log/chrony"};
  const std::vector<std::string> ntp_debian = {
      "driftfile /var/lib/ntp/ntp.drift",
      "statistics loopstats peerstats clockstats",
      "filegen loopstats file loopstats type day enable",
      "filegen peerstats file peerstats type day enable",
      "filegen clockstats file clockstats type day enable",
      "restrict -4 default kod notrap nomodify nopeer noquery limited",
      "restrict -6 default kod notrap nomodify nopeer noquery limited",
      "restrict 127.0.0.1",
      "restrict ::1",
      "restrict source notrap nomodify noquery"};
  const NtpCase cases[] = {
      {"chrony.conf.debian", chrony_debian},
      {"chrony.conf.ubuntu", chrony_debian},
      {"chrony.conf.rhel", chrony_rhel},
      {"chrony.conf.centos", chrony_rhel},
      {"chrony.conf.fedora",
       {"driftfile /var/lib/chrony/drift", "makestep 1.0 3", "rtcsync", "leapsectz right/UTC",
        "logdir /var/log/chrony"}},
      {"ntp.conf.debian", ntp_debian},
      {"ntp.conf.ubuntu", ntp_debian},
      {"ntp.conf.rhel",
       {"driftfile /var/lib/ntp/drift", "restrict default kod nomodify notrap nopeer noquery",
        "restrict -6 default kod nomodify notrap nopeer noquery", "restrict 127.0.0.1",
        "restrict -6 ::1", "includefile /etc/ntp/crypto/pw", "keys /etc/ntp/keys"}},
      {"ntp.conf.fedora",
       {"driftfile /var/lib/ntp/drift", "restrict default nomodify notrap nopeer noquery",
        "restrict 127.0.0.1", "restrict ::1", "includefile /etc/ntp/crypto/pw",
        "keys /etc/ntp/keys", "disable monitor"}},
  };
  for (const NtpCase& c : cases) {
    std::string out = RenderBuiltin(c.name, kSources);
    std::vector<std::string> want = {"pool p.example iburst", "server 10.0.0.1 iburst",
                                     "server ntp.example iburst"};
    want.insert(want.end(), c.settings.begin(), c.settings.end());
    EXPECT_THAT(Settings(out), ElementsAreArray(want)) << c.name << ":\n" << out;
    EXPECT_EQ(out.find('{'), std::string::npos) << c.name;
    EXPECT_TRUE(out.ends_with("\n") && !out.ends_with("\n\n")) << c.name;
    EXPECT_TRUE(out.starts_with("# Written by cloud-init (nubo)")) << c.name;
  }
}

TEST(TemplaterBuiltin, TimesyncdListsServersThenPools) {
  EXPECT_EQ(Settings(RenderBuiltin("timesyncd.conf", kSources)),
            (std::vector<std::string>{"[Time]", "NTP=10.0.0.1 ntp.example p.example"}));
}

TEST(TemplaterBuiltin, ResolvConfEveryKeyAndOnlySome) {
  Value all = {{"nameservers", Value::array({"8.8.8.8", "8.8.4.4"})},
               {"searchdomains", Value::array({"a.example", "b.example"})},
               {"domain", "a.example"},
               {"sortlist", Value::array({"10.0.0.1/255", "10.0.0.2"})},
               {"options", {{"timeout", 1}, {"attempts", 2}}},
               {"flags", Value::array({"rotate"})}};
  std::string out = RenderBuiltin("resolv.conf", all);
  EXPECT_THAT(Settings(out),
              ElementsAreArray({"nameserver 8.8.8.8", "nameserver 8.8.4.4",
                                "search a.example b.example", "domain a.example",
                                "sortlist 10.0.0.1/255 10.0.0.2",
                                "options rotate attempts:2 timeout:1"}));
  EXPECT_TRUE(out.ends_with("timeout:1\n")) << out;
  // Undefined keys leave their line out (cloud-init passes only those set).
  Value some = {{"nameservers", Value::array({"10.0.0.2"})},
                {"options", Value::object()},
                {"flags", Value::array()}};
  EXPECT_THAT(Settings(RenderBuiltin("resolv.conf", some)), ElementsAreArray({"nameserver 10.0.0.2"}));
  Value resolved = {{"nameservers", Value::array({"1.1.1.1", "9.9.9.9"})},
                    {"searchdomains", Value::array({"a.b"})},
                    {"options", Value::object()},
                    {"flags", Value::array()}};
  EXPECT_THAT(Settings(RenderBuiltin("systemd.resolved.conf", resolved)),
              ElementsAreArray({"[Resolve]", "LLMNR=false", "DNS=1.1.1.1 9.9.9.9", "Domains=a.b"}));
}

}  // namespace
}  // namespace nubo
