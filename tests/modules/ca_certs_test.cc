// ca_certs on both layouts: the certificate file, ca-certificates.conf,
// remove_defaults, the update command, errors naming the key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using nubo::testing::ModuleHarness;
using Argv = std::vector<std::string>;

class CaCertsTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::ca_certs::kSpec};
};

TEST_F(CaCertsTest, DebianAddsTrustedAndUpdates) {
  h.sys.AddFile("/etc/ca-certificates.conf", "# comment\nmozilla/A.crt\ncloud-init-ca-certs.crt\n");
  h.sys.runner().Expect({"update-ca-certificates"});
  Status s = h.RunYaml("ca_certs:\n  trusted: [CERT-ONE, \"CERT-TWO\\n\"]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/usr/share/ca-certificates/cloud-init-ca-certs.crt"), "CERT-ONE\nCERT-TWO\n");
  EXPECT_EQ(h.sys.ModeOf("/usr/share/ca-certificates/cloud-init-ca-certs.crt"), 0644u);
  EXPECT_EQ(h.sys.Read("/etc/ca-certificates.conf"),
            "# comment\nmozilla/A.crt\ncloud-init-ca-certs.crt\n");
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Argv{"update-ca-certificates"}));
}

TEST_F(CaCertsTest, RemoveDefaultsEmptiesTheStoresFirst) {
  h.sys.AddFile("/etc/ca-certificates.conf", "mozilla/A.crt\n");
  h.sys.AddFile("/usr/share/ca-certificates/mozilla/A.crt", "A");
  h.sys.AddFile("/etc/ssl/certs/A.pem", "A");
  h.sys.runner().Expect({"debconf-set-selections", "-"});
  h.sys.runner().Expect({"update-ca-certificates"});
  Status s = h.RunYaml("system_info: {distro: debian}\nca-certs:\n  remove-defaults: true\n  trusted: [C]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE(h.sys.Has("/usr/share/ca-certificates/mozilla"));
  EXPECT_FALSE(h.sys.Has("/etc/ssl/certs/A.pem"));
  EXPECT_EQ(h.sys.Read("/etc/ca-certificates.conf"), "cloud-init-ca-certs.crt\n");
  EXPECT_EQ(h.sys.runner().calls()[0].stdin_data,
            "ca-certificates ca-certificates/trust_new_crts select no");
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "'ca-certs' is now deprecated"));
}

TEST_F(CaCertsTest, RhelUsesCaTrustAnchors) {
  h.sys.runner().Expect({"update-ca-trust"});
  Status s = h.RunYaml("system_info: {distro: rhel}\nca_certs: {trusted: [X]}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/usr/share/pki/ca-trust-source/anchors/cloud-init-ca-certs.crt"), "X");
  EXPECT_FALSE(h.sys.Has("/etc/ca-certificates.conf"));
}

TEST_F(CaCertsTest, BadConfigNamesTheKey) {
  Status s = h.RunYaml("ca_certs: {trusted: [ok, 7]}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "ca_certs.trusted[1]: expected a string, got int");
  s = h.RunYaml("ca_certs: [x]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "ca_certs: expected a dict, got list");
}

}  // namespace
}  // namespace nubo
