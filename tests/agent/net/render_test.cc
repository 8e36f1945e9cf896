// Table test: every fixture of tests/fixtures/net/ rendered by every
// renderer, compared file by file with tests/fixtures/net/<case>/expected/
// <renderer>/ — cloud-init 22.4.2's `devel net-convert` output, taken from
// the compat sandbox (tests/compat/lib/netconvert.py), except where
// tests/compat/known-differences.yaml lists a deliberate difference.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/net/eni.h"
#include "agent/net/network_state.h"
#include "agent/net/openstack.h"
#include "agent/net/renderer.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo::net {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string fixture;
  std::string renderer;
  std::string distro;
};

std::vector<Case> Cases() {
  std::vector<Case> out;
  for (const char* f :
       {"v1-bond-vlan-routes", "v2-bridge-nameservers", "nova-static-bond-vlan-dhcp", "eni-static-dhcp-bond"}) {
    for (auto [r, d] : {std::pair{"eni", "debian"}, {"netplan", "debian"}, {"networkd", "debian"},
                        {"network-manager", "debian"}, {"sysconfig", "rhel"}}) {
      out.push_back({f, r, d});
    }
  }
  return out;
}

class RenderTest : public ::testing::TestWithParam<Case> {};

TEST_P(RenderTest, MatchesExpectedFiles) {
  const Case& c = GetParam();
  fs::path dir = fs::path(NUBO_SOURCE_DIR) / "tests/fixtures/net" / c.fixture;
  CapturingSink sink;
  Logger log(&sink, "test");
  testing::TestSystem sys;  // no NICs: names come from the config (and `macs`)
  SysNet sysnet(sys);
  Value config;
  KeyOrder order;
  if (fs::exists(dir / "network-config.yaml")) {
    std::string text = ReadHostFile(dir / "network-config.yaml");
    auto v = ParseYaml(text, "network-config.yaml");
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    config = *v;
    order = YamlKeyOrder(text);
  } else if (fs::exists(dir / "interfaces")) {
    auto v = ConvertEniData(ReadHostFile(dir / "interfaces"), "interfaces", log);
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    config = *v;
  } else {
    std::map<std::string, std::string> macs;
    std::istringstream in(ReadHostFile(dir / "macs"));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      macs[line.substr(line.find(',') + 1)] = line.substr(0, line.find(','));
    }
    auto v = ConvertNetworkDataJson(Value::parse(ReadHostFile(dir / "network_data.json")), macs, &sysnet, log);
    ASSERT_TRUE(v.ok()) << v.error().ToString();
    config = *v;
  }
  const RendererSpec* spec = FindRenderer(c.renderer);
  ASSERT_NE(spec, nullptr);
  RenderOptions opts = RenderOptionsForDistro(c.distro);
  if (c.renderer == "netplan") opts.netplan_features = {"dhcp-use-domains", "ipv6-mtu"};
  NetworkState state;
  if (c.renderer == "netplan" && Get(config, "version") == 2) {
    state.version = 2;
    state.config = config;
  } else {
    auto parsed = ParseNetworkConfig(config, c.fixture, &sysnet, log, order);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    state = *parsed;
  }
  auto files = spec->render(state, opts);
  ASSERT_TRUE(files.ok()) << files.error().ToString();
  std::map<std::string, std::string> got;
  for (const auto& f : *files) got[f.path] = f.content;
  fs::path expected = dir / "expected" / c.renderer;
  ASSERT_TRUE(fs::is_directory(expected)) << expected;
  std::map<std::string, std::string> want;
  for (const auto& e : fs::recursive_directory_iterator(expected)) {
    if (e.is_regular_file()) want["/" + fs::relative(e.path(), expected).string()] = ReadHostFile(e.path());
  }
  for (const auto& [path, content] : want) {
    ASSERT_TRUE(got.count(path)) << "not rendered: " << path;
    EXPECT_EQ(got[path], content) << path;
  }
  for (const auto& [path, content] : got) EXPECT_TRUE(want.count(path)) << "unexpected file " << path << ":\n" << content;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RenderTest, ::testing::ValuesIn(Cases()), [](const auto& info) {
  std::string n = info.param.fixture + "_" + info.param.renderer;
  for (char& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
});

}  // namespace
}  // namespace nubo::net
