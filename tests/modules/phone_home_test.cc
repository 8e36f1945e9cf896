// phone_home against a real local HTTP server: the form-encoded POST body
// in the listed order, N/A for what is missing, INSTANCE_ID in the URL,
// 22.4's warnings, a failed post that is not a module failure, bad config.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/http_server.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using nubo::testing::HttpServer;
using nubo::testing::ModuleHarness;

TEST(PhoneHomeTest, Spec) {
  const auto& spec = modules::phone_home::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.stage, Stage::kFinal);
  EXPECT_EQ(FindModule("phone-home"), &spec);
}

TEST(PhoneHomeTest, PostsListedKeysFormEncoded) {
  HttpServer server;
  server.Serve("/ph/iid-1/", 200, "ok");
  ModuleHarness h(modules::phone_home::kSpec);
  h.instance.meta_data = Value{{"local-hostname", "web1.example.com"}};
  h.sys.AddFile("/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA+/= root@h\n");
  Status s = h.RunYaml("phone_home:\n  url: " + server.Url("/ph/$INSTANCE_ID/") +
                       "\n  post: [pub_key_ed25519, instance_id, fqdn, pub_key_rsa]\n  tries: 2\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  auto reqs = server.full_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/ph/iid-1/");
  EXPECT_EQ(reqs[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(reqs[0].body,
            "pub_key_ed25519=ssh-ed25519+AAAA%2B%2F%3D+root%40h%0A&instance_id=iid-1"
            "&fqdn=web1.example.com&pub_key_rsa=N%2FA");
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "/etc/ssh/ssh_host_rsa_key.pub: failed to open"));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "Requested key pub_key_rsa from 'post' configuration list not available"));
  EXPECT_FALSE(h.sink.Contains(LogLevel::kWarning, "'tries'"));
}

TEST(PhoneHomeTest, AllIsEveryKeyAndMissingTriesWarns) {
  HttpServer server;
  server.Serve("/all", 200, "");
  ModuleHarness h(modules::phone_home::kSpec);
  h.instance.meta_data = Value{{"local-hostname", "box"}};
  Status s = h.RunYaml("phone_home: {url: '" + server.Url("/all") + "'}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  auto reqs = server.full_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body,
            "pub_key_dsa=N%2FA&pub_key_rsa=N%2FA&pub_key_ecdsa=N%2FA&pub_key_ed25519=N%2FA"
            "&instance_id=iid-1&hostname=box&fqdn=box");
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "Configuration entry 'tries' is not an integer, using 10 instead"));
}

TEST(PhoneHomeTest, FailureIsAWarningNotAnError) {
  HttpServer server;
  server.Serve("/down", 503, "");
  ModuleHarness h(modules::phone_home::kSpec);
  Status s = h.RunYaml("phone_home: {url: '" + server.Url("/down") + "', post: [instance_id], tries: 1}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Failed to post phone home data to " +
                                                      server.Url("/down") + " in 1 tries"));
}

TEST(PhoneHomeTest, NoUrlAndBadConfig) {
  {
    ModuleHarness h(modules::phone_home::kSpec);
    ASSERT_TRUE(h.RunYaml("phone_home: {post: all}\n").ok());
    EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                                "no 'url' found in 'phone_home' configuration"));
  }
  struct Case {
    const char* yaml;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"phone_home: http://x/\n", "phone_home", "expected a mapping, got str"},
      {"phone_home: {url: [x]}\n", "phone_home.url", "expected a string, got list"},
      {"phone_home: {url: 'http://x/', post: some}\n", "phone_home.post",
       "expected 'all' or a list of keys, got 'some'"},
      {"phone_home: {url: 'http://x/', post: [fqdn, 3]}\n", "phone_home.post[1]",
       "expected a string, got int"},
  };
  for (const Case& c : cases) {
    ModuleHarness h(modules::phone_home::kSpec);
    Status s = h.RunYaml(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().key, c.key) << c.yaml;
    EXPECT_EQ(s.error().message, c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace nubo
