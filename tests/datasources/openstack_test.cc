// The OpenStack metadata service datasource against a real HTTP server
// (tests/support/metadata_server.h) serving tests/fixtures/openstack/, with
// every fault of faults.json scripted; each fault test asserts the outcome
// and the time it ended within.

#include "datasources/openstack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "agent/cli.h"
#include "nubo/dhcp.h"
#include "support/metadata_server.h"
#include "support/test_system.h"

namespace nubo::datasources::openstack {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nubo::testing::MetadataFault;
using nubo::testing::MetadataServer;
using nubo::testing::TestSystem;

constexpr char kKey[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 mykey@nova";
constexpr char kUuid[] = "83679162-1378-4288-a2d4-70e13ec132aa";

std::string Fixture(const std::string& name) { return std::string(NUBO_SOURCE_DIR) + "/tests/fixtures/openstack/" + name; }

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class OpenStackCrawlTest : public ::testing::Test {
 protected:
  Result<RawTree> Crawl(MetadataServer& md, UrlParams p = Fast()) {
    return CrawlMetadataService(sys_, {md.base_url()}, p, log_);
  }
  static UrlParams Fast() { return {.max_wait = -1, .timeout = 2, .retries = 2, .sec_between_retries = 0.05}; }
  Result<Built> CrawlAndBuild(MetadataServer& md, UrlParams p = Fast()) {
    auto t = Crawl(md, p);
    if (!t) return t.error();
    return BuildInstanceData(*t, "OpenStack", log_);
  }

  TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "test"};
};

TEST_F(OpenStackCrawlTest, HappyPathReadsEveryDocumentOnce) {
  MetadataServer md(Fixture("keypair"));
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok()) << tree.error().ToString();
  EXPECT_EQ(tree->version, "2018-08-27");  // newest known; 2020-10-14 and latest are not chosen
  EXPECT_TRUE(tree->meta_data.body);
  EXPECT_TRUE(tree->user_data.body);
  EXPECT_TRUE(tree->network_data.body);
  EXPECT_FALSE(tree->password.body);
  // "0=mykey" -> 0/openssh-key; text with a newline is a list of lines.
  EXPECT_EQ(tree->ec2["public-keys"]["mykey"], Value::array({kKey}));
  EXPECT_EQ(tree->ec2["placement"]["availability-zone"], "nova");
  EXPECT_EQ(tree->ec2["block-device-mapping"]["root"], "/dev/vda");
  EXPECT_EQ(tree->ec2["local-ipv4"], "10.0.0.5");
  // Nothing asked for twice, and no version but the chosen one.
  for (const auto& path : md.Requests()) {
    EXPECT_EQ(md.Count(path), 1) << path;
    EXPECT_THAT(path, ::testing::Not(HasSubstr("/openstack/latest/"))) << path;
  }
  EXPECT_EQ(md.Count("/openstack"), 1);
  EXPECT_EQ(md.Count("/openstack/2018-08-27/meta_data.json"), 1);
}

TEST_F(OpenStackCrawlTest, BuildsInstanceDataAsCloudInit) {
  MetadataServer md(Fixture("keypair"));
  auto built = CrawlAndBuild(md);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  const InstanceData& d = built->data;
  EXPECT_EQ(d.instance_id, kUuid);
  EXPECT_EQ(d.meta_data["instance-id"], kUuid);
  EXPECT_EQ(d.local_hostname, "vm-1.novalocal");
  EXPECT_EQ(d.meta_data["local-hostname"], "vm-1.novalocal");
  EXPECT_THAT(d.public_keys, ElementsAre(kKey));
  EXPECT_EQ(d.dsmode, "net");
  EXPECT_EQ(d.platform, "openstack");
  EXPECT_THAT(d.user_data, HasSubstr("/run/user-data-ran"));
  ASSERT_TRUE(d.vendor_data);  // {"cloud-init": "..."}: its string
  EXPECT_THAT(*d.vendor_data, HasSubstr("/etc/from-vendor-data"));
  EXPECT_FALSE(d.vendor_data2);  // {}: nothing
  ASSERT_TRUE(d.network_data_json);
  EXPECT_EQ(d.ds_extra["network_json"]["links"][0]["id"], "tap1");
  EXPECT_EQ(d.ds_extra["ec2_metadata"]["instance-id"], "i-00000001");
  EXPECT_THAT(d.base64_encoded_keys, ElementsAre("ds/meta_data/random_seed"));
}

TEST_F(OpenStackCrawlTest, FirstRoundAsksForEverythingAtOnce) {
  // 50 ms on every response: the crawl takes a few round trips, not one per
  // document (cloud-init makes 28 in a row).
  MetadataServer md(Fixture("keypair"));
  md.SetDefaultDelay(50);
  Stopwatch w;
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok()) << tree.error().ToString();
  EXPECT_GE(md.TotalRequests(), 25);
  // One after another they would take at least TotalRequests() x 50 ms;
  // the bound is half of that, so a loaded machine does not fail it while
  // a sequential crawl always would.
  EXPECT_LT(w.Seconds(), 0.05 * md.TotalRequests() / 2)
      << "took " << w.Seconds() << " s for " << md.TotalRequests() << " requests";
}

TEST_F(OpenStackCrawlTest, OptionalDocument404IsAbsent) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/vendor_data.json", {.status = 404});
  auto built = CrawlAndBuild(md);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_FALSE(built->data.vendor_data);
  EXPECT_EQ(md.Count("/openstack/2018-08-27/vendor_data.json"), 1) << "a 404 is not retried";
}

TEST_F(OpenStackCrawlTest, ServerErrorOnOptionalDocumentIsRetriedThenAbsent) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/vendor_data.json", {.status = 500});
  Stopwatch w;
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_FALSE(tree->vendor_data.body);
  EXPECT_TRUE(tree->vendor_data.unreadable);
  EXPECT_EQ(tree->vendor_data.problem, "HTTP 500");
  EXPECT_EQ(md.Count("/openstack/2018-08-27/vendor_data.json"), 3);  // retries + 1
  EXPECT_LT(w.Seconds(), 2.0);
}

TEST_F(OpenStackCrawlTest, ServiceUnavailableThenOkIsRetried) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/meta_data.json", {.status_sequence = {503, 200}});
  Stopwatch w;
  auto built = CrawlAndBuild(md);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_EQ(built->data.instance_id, kUuid);
  EXPECT_EQ(md.Count("/openstack/2018-08-27/meta_data.json"), 2);
  EXPECT_LT(w.Seconds(), 2.0);
}

TEST_F(OpenStackCrawlTest, MetaData500IsAnErrorNamingTheUrl) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/meta_data.json", {.status = 500});
  auto built = CrawlAndBuild(md);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(built.error().message, HasSubstr(md.base_url() + "/openstack/2018-08-27/meta_data.json"));
  EXPECT_THAT(built.error().message, HasSubstr("HTTP 500"));
}

TEST_F(OpenStackCrawlTest, DelayWithinTimeoutIsFine) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/user_data", {.delay_ms = 300});
  Stopwatch w;
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_TRUE(tree->user_data.body);
  EXPECT_LT(w.Seconds(), 1.5);
}

TEST_F(OpenStackCrawlTest, ConnectionDroppedMidBodyIsRetriedThenAbsent) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/network_data.json", {.drop_after_bytes = 10});
  Stopwatch w;
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_FALSE(tree->network_data.body);
  EXPECT_THAT(tree->network_data.problem, HasSubstr("/openstack/2018-08-27/network_data.json"));
  EXPECT_EQ(md.Count("/openstack/2018-08-27/network_data.json"), 3);
  EXPECT_LT(w.Seconds(), 2.0);
}

TEST_F(OpenStackCrawlTest, HangPastTimeoutEndsWithinTheDeadline) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/vendor_data2.json", {.hang = true});
  UrlParams p{.max_wait = -1, .timeout = 0.5, .retries = 1, .sec_between_retries = 0.05};
  Stopwatch w;
  auto built = CrawlAndBuild(md, p);
  double took = w.Seconds();
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_FALSE(built->data.vendor_data2);
  EXPECT_TRUE(built->data.vendor_data);  // the rest arrived
  EXPECT_LE(took, CrawlDeadline(p) + 0.5);
  EXPECT_GE(took, 0.5);
  md.Stop();
}

TEST_F(OpenStackCrawlTest, DripIsCutAtTheTimeout) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/user_data", {.drip_bytes_per_second = 4});
  UrlParams p{.max_wait = -1, .timeout = 1, .retries = 0, .sec_between_retries = 0.05};
  Stopwatch w;
  auto tree = Crawl(md, p);
  ASSERT_TRUE(tree.ok());
  EXPECT_FALSE(tree->user_data.body);
  EXPECT_THAT(tree->user_data.problem, HasSubstr("/openstack/2018-08-27/user_data"));
  EXPECT_LT(w.Seconds(), 2.5);
  md.Stop();
}

TEST_F(OpenStackCrawlTest, OversizedBodyIsRefusedNamingTheUrl) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/network_data.json", {.oversize_bytes = 3 << 20});
  md.SetFault("/openstack/2018-08-27/meta_data.json", {.oversize_bytes = 2 << 20});
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_FALSE(tree->network_data.body);
  EXPECT_THAT(tree->network_data.problem, HasSubstr("larger than 1048576 bytes"));
  EXPECT_EQ(md.Count("/openstack/2018-08-27/network_data.json"), 1) << "a too large body is not retried";
  auto built = BuildInstanceData(*tree, "OpenStack", log_);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(built.error().message, HasSubstr("/openstack/2018-08-27/meta_data.json"));
  EXPECT_THAT(built.error().message, HasSubstr("larger than"));
}

TEST_F(OpenStackCrawlTest, InvalidJsonInMetaDataIsAnErrorNamingTheUrl) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/meta_data.json", {.body = "{not json"});
  auto built = CrawlAndBuild(md);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message,
            "'" + md.base_url() + "/openstack/2018-08-27/meta_data.json' is not valid JSON");
}

TEST_F(OpenStackCrawlTest, InvalidJsonInVendorDataDropsOnlyIt) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/vendor_data.json", {.body = "{not json"});
  auto built = CrawlAndBuild(md);
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE(built->data.vendor_data);
  EXPECT_EQ(built->data.public_keys.size(), 1u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "/openstack/2018-08-27/vendor_data.json' is not valid JSON"));
}

TEST_F(OpenStackCrawlTest, RedirectLoopIsAnErrorNamingTheUrl) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack/2018-08-27/user_data", {.redirect_to = "/openstack/2018-08-27/user_data"});
  Stopwatch w;
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_FALSE(tree->user_data.body);
  EXPECT_THAT(tree->user_data.problem, HasSubstr("/openstack/2018-08-27/user_data"));
  EXPECT_THAT(tree->user_data.problem, HasSubstr("redirect"));
  EXPECT_LT(w.Seconds(), 1.0);
}

TEST_F(OpenStackCrawlTest, NoServiceIsAnErrorNamingTheUrls) {
  std::string gone;
  {
    MetadataServer md(Fixture("keypair"));
    gone = md.base_url();
  }
  Stopwatch w;
  auto tree = CrawlMetadataService(sys_, {gone}, Fast(), log_);
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.error().message, HasSubstr("no active metadata service found: '" + gone + "/openstack'"));
  EXPECT_LT(w.Seconds(), 1.0);
}

TEST_F(OpenStackCrawlTest, SecondUrlIsUsedWhenTheFirstHasNoService) {
  MetadataServer md(Fixture("keypair"));
  MetadataServer empty(Fixture("no-such-case"));
  auto tree = CrawlMetadataService(sys_, {empty.base_url(), md.base_url()}, Fast(), log_);
  ASSERT_TRUE(tree.ok()) << tree.error().ToString();
  EXPECT_EQ(tree->source, md.base_url());
  EXPECT_TRUE(tree->meta_data.body);
}

TEST_F(OpenStackCrawlTest, UnknownVersionsFallBackToLatest) {
  MetadataServer md(Fixture("keypair"));
  md.SetFault("/openstack", {.body = "2099-01-01\nlatest"});
  auto tree = Crawl(md);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->version, "latest");
  EXPECT_EQ(md.Count("/openstack/latest/meta_data.json"), 1);
}

TEST(OpenStackTreeTest, SelectVersionAndListings) {
  EXPECT_EQ(SelectVersion({"2012-08-10", "2016-06-30", "latest"}), "2016-06-30");
  EXPECT_EQ(SelectVersion({"latest"}), "latest");
  EXPECT_EQ(SelectVersion({}), "latest");
  Ec2Listing l = ParseEc2Listing("ami-id\npublic-keys/\n0=mykey\nsecurity-credentials/\n\n");
  EXPECT_THAT(l.children, ElementsAre("public-keys"));
  ASSERT_EQ(l.leaves.size(), 2u);
  EXPECT_EQ(l.leaves[1], (std::pair<std::string, std::string>{"mykey", "0/openssh-key"}));
}

TEST(OpenStackTreeTest, VendorDataShapes) {
  CapturingSink sink;
  Logger log(&sink, "t");
  EXPECT_EQ(ConvertVendorData("#cloud-config\n", "v", log), "#cloud-config\n");
  EXPECT_EQ(ConvertVendorData(Value{{"cloud-init", "#!/bin/sh\n"}}, "v", log), "#!/bin/sh\n");
  EXPECT_EQ(ConvertVendorData(Value::object(), "v", log), std::nullopt);
  EXPECT_EQ(ConvertVendorData(Value{{"other", 1}}, "v", log), std::nullopt);
  EXPECT_EQ(ConvertVendorData(Value{{"cloud-init", {{"a", 1}}}}, "v", log), std::nullopt);
  EXPECT_TRUE(sink.Contains(LogLevel::kWarning, "cannot be dict"));
  auto list = ConvertVendorData(Value::array({"#cloud-config\na: 1\n"}), "v", log);
  ASSERT_TRUE(list);
  EXPECT_THAT(*list, HasSubstr("#cloud-config-archive"));
}

TEST(OpenStackTreeTest, BadRandomSeedAndMissingUuidAreErrors) {
  CapturingSink sink;
  Logger log(&sink, "t");
  RawTree t;
  t.meta_data = RawDoc::Found("md.json", R"({"uuid": "x", "random_seed": "abc"})");
  auto b = BuildInstanceData(t, "OpenStack", log);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.error().message, HasSubstr("random_seed"));
  t.meta_data = RawDoc::Found("md.json", R"({"hostname": "x"})");
  b = BuildInstanceData(t, "OpenStack", log);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "'md.json': no 'uuid' entry in metadata");
}

TEST(OpenStackDetectTest, DmiProductNameAndAssetTag) {
  TestSystem sys;
  EXPECT_FALSE(DetectFromDmi(sys));
  sys.set_dmi("system-product-name", "OpenStack Nova");
  EXPECT_TRUE(DetectFromDmi(sys));
  TestSystem sys2;
  sys2.set_dmi("chassis-asset-tag", "OpenTelekomCloud");
  EXPECT_TRUE(DetectFromDmi(sys2));
}

TEST(OpenStackUrlParamsTest, DefaultsAndConfig) {
  CapturingSink sink;
  Logger log(&sink, "t");
  UrlParams d = ReadUrlParams(Value::object(), log);
  EXPECT_EQ(d.max_wait, -1);
  EXPECT_EQ(d.timeout, 10);
  EXPECT_EQ(d.retries, 5);
  EXPECT_EQ(CrawlDeadline(d), 60);
  UrlParams c = ReadUrlParams(Value{{"max_wait", "30"}, {"timeout", 3}, {"retries", "x"}}, log);
  EXPECT_EQ(c.max_wait, 30);
  EXPECT_EQ(c.timeout, 3);
  EXPECT_EQ(c.retries, 5);
  EXPECT_TRUE(sink.Contains(LogLevel::kWarning, "datasource.OpenStack.retries: expected a number"));
}

}  // namespace
}  // namespace nubo::datasources::openstack
