// Tests for the NoCloud datasources: the pure seed parser against
// tests/fixtures/nocloud/<case>/, the command line parser, public-keys
// forms, and full crawls through TestSystem (seed dirs, ds=nocloud on the
// command line and in the SMBIOS serial, seedfrom, cidata filesystems).
#include "datasources/nocloud.h"
#include "nubo/sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "nubo/log.h"
#include "support/http_server.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo::datasources::nocloud {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kFixtures = std::string(NUBO_SOURCE_DIR) + "/tests/fixtures/nocloud/";
const std::string kSeed = "/var/lib/cloud/seed/nocloud";
const std::string kSeedNet = "/var/lib/cloud/seed/nocloud-net";

class NoCloudTest : public ::testing::Test {
 protected:
  Result<InstanceData> ParseFixture(const std::string& name) {
    return ParseNoCloudSeed(HostDirReader(sys_, kFixtures + name), kSeed, log_);
  }
  DatasourceContext Context(bool local = true) {
    return DatasourceContext{sys_, log_, config_, paths_, local};
  }
  bool Detect() {
    auto ctx = Context();
    return kSpec.detect(ctx);
  }
  Result<InstanceData> Crawl() {
    auto ctx = Context();
    return kSpec.crawl(ctx);
  }
  Result<InstanceData> CrawlNet() {
    auto ctx = Context(false);
    return kNetSpec.crawl(ctx);
  }
  void AddSeed(const std::string& dir, const std::string& meta_data,
               const std::string& user_data = "#cloud-config\n") {
    sys_.AddFile(dir + "/meta-data", meta_data);
    sys_.AddFile(dir + "/user-data", user_data);
  }
  // A fake filesystem whose mount is a host directory holding `files`.
  void AddDevice(const std::string& devname, const std::string& label, const std::string& fstype,
                 const std::map<std::string, std::string>& files) {
    auto dir = std::make_unique<testing::TempDir>();
    for (const auto& [name, content] : files) {
      std::ofstream(dir->path() + "/" + name, std::ios::binary) << content;
    }
    sys_.AddFilesystem(BlockDevice{devname, label, fstype}, dir->path());
    device_dirs_.push_back(std::move(dir));
  }

  testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init-local"};
  Value config_ = Value::object();
  Paths paths_;
  std::vector<std::unique_ptr<testing::TempDir>> device_dirs_;
};

// --- the pure parser on fixtures ---

TEST_F(NoCloudTest, ParsesBasicSeed) {
  auto d = ParseFixture("basic");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->datasource, "NoCloud");
  EXPECT_EQ(d->instance_id, "iid-basic01");
  EXPECT_EQ(d->local_hostname, "vm-basic");
  EXPECT_EQ(d->dsmode, "net");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]");
  EXPECT_EQ(d->subplatform, "seed-dir (/var/lib/cloud/seed/nocloud)");
  EXPECT_THAT(d->public_keys,
              ElementsAre("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBasicKeyOne alice@laptop",
                          "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABBasicKeyTwo bob@desk"));
  EXPECT_EQ(d->user_data, ReadHostFile(kFixtures + "basic/user-data"));
  EXPECT_FALSE(d->vendor_data.has_value());
  EXPECT_FALSE(d->network_config.has_value());
  // Defaults are merged into the meta-data, as cloud-init keeps them.
  EXPECT_EQ(d->meta_data["dsmode"], "net");
  EXPECT_EQ(d->meta_data["instance-id"], "iid-basic01");
}

TEST_F(NoCloudTest, ParsesFullSeedWithBinaryUserData) {
  auto d = ParseFixture("full");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-full01");
  EXPECT_EQ(d->dsmode, "local");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=local]");
  // gzip bytes, untouched.
  std::string raw = ReadHostFile(kFixtures + "full/user-data");
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(raw.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(d->user_data, raw);
  EXPECT_EQ(d->vendor_data, ReadHostFile(kFixtures + "full/vendor-data"));
  EXPECT_EQ(d->network_config, ReadHostFile(kFixtures + "full/network-config"));
  EXPECT_EQ(d->meta_data["network-interfaces"], "auto eth0\niface eth0 inet dhcp\n");
  // dict form: a string value, and a list whose empty entry is dropped.
  EXPECT_THAT(d->public_keys,
              ElementsAre("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFullAlice alice@laptop",
                          "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABFullBob1 bob@desk",
                          "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABFullBob2 bob@home"));
}

// As cloud-init (util.load_yaml): broken meta-data is a warning naming the
// file, line and column, and reads as {}; the seed (and its user-data) is
// still used, as instance "nocloud".
TEST_F(NoCloudTest, BadYamlMetaDataWarnsAndIsEmpty) {
  auto d = ParseFixture("bad-yaml");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "nocloud");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "failed loading meta-data /var/lib/cloud/seed/nocloud/meta-data: line 2, column 17: "))
      << sink_.Dump();
  EXPECT_EQ(ParseMetaData("a: b: c\n", "md").error().message,
            "md: line 1, column 5: mapping values are not allowed in this context");
}

TEST_F(NoCloudTest, MetaDataThatIsNotADictWarnsAndIsEmpty) {
  auto d = ParseFixture("not-dict");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "nocloud");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "/var/lib/cloud/seed/nocloud/meta-data: expected a dict, got list; using empty meta-data"))
      << sink_.Dump();
}

TEST_F(NoCloudTest, MissingInstanceIdDefaultsToNocloud) {
  auto d = ParseFixture("no-instance-id");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "nocloud");
  EXPECT_EQ(d->local_hostname, "vm-noid");
}

TEST_F(NoCloudTest, SeedWithoutUserDataIsNotASeed) {
  auto d = ParseFixture("missing-user-data");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, StartsWith("not found"));
}

TEST_F(NoCloudTest, BadNetworkConfigIsDroppedWithAWarning) {
  auto d = ParseFixture("bad-network-config");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_FALSE(d->network_config.has_value());
  EXPECT_EQ(d->user_data, "");
  EXPECT_TRUE(
      sink_.Contains(LogLevel::kWarning, "/var/lib/cloud/seed/nocloud/network-config: line 3"))
      << sink_.Dump();
}

TEST_F(NoCloudTest, DsmodeDisabledDeclines) {
  auto d = ParseFixture("disabled");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, StartsWith("not found"));
}

TEST_F(NoCloudTest, EmptyMetaDataIsAnEmptyDict) {
  auto md = ParseMetaData("", "meta-data");
  ASSERT_TRUE(md);
  EXPECT_EQ(*md, Value::object());
  auto comment = ParseMetaData("# nothing\n", "meta-data");
  ASSERT_TRUE(comment);
  EXPECT_EQ(*comment, Value::object());
}

// --- ds=nocloud parsing (load_cmdline_data) ---

TEST(NoCloudCmdlineTest, PlainIdsSetDsmode) {
  Value fill = Value::object();
  EXPECT_TRUE(LoadCmdlineData("root=/dev/vda1 ds=nocloud ro", &fill));
  EXPECT_EQ(fill, Value({{"dsmode", "local"}}));
  fill = Value::object();
  EXPECT_TRUE(LoadCmdlineData("ds=nocloud-net", &fill));
  EXPECT_EQ(fill, Value({{"dsmode", "net"}}));
}

TEST(NoCloudCmdlineTest, ShortAndLongKeys) {
  Value fill = Value::object();
  EXPECT_TRUE(LoadCmdlineData(
      "ro ds=nocloud;i=iid-cmd;h=host1;s=file:///srv/seed/;local-hostname=ignored;dsmode=net "
      "quiet",
      &fill));
  EXPECT_EQ(fill["instance-id"], "iid-cmd");
  EXPECT_EQ(fill["seedfrom"], "file:///srv/seed/");
  // The later long key overwrites the short one, as in a Python dict.
  EXPECT_EQ(fill["local-hostname"], "ignored");
  // An explicit dsmode is kept.
  EXPECT_EQ(fill["dsmode"], "net");
}

TEST(NoCloudCmdlineTest, KeyWithoutValueIsNullAndEmptyItemsAreSkipped) {
  Value fill = Value::object();
  EXPECT_TRUE(LoadCmdlineData("ds=nocloud;;i;h=a=b;", &fill));
  EXPECT_TRUE(fill.contains("instance-id"));
  EXPECT_TRUE(fill["instance-id"].is_null());
  EXPECT_EQ(fill["local-hostname"], "a=b");
}

TEST(NoCloudCmdlineTest, OtherDatasourcesAndLookalikesDoNotMatch) {
  Value fill = Value::object();
  EXPECT_FALSE(LoadCmdlineData("ds=openstack", &fill));
  EXPECT_FALSE(LoadCmdlineData("ds=nocloudx;i=1", &fill));
  EXPECT_FALSE(LoadCmdlineData("xds=nocloud", &fill));
  EXPECT_FALSE(LoadCmdlineData("", &fill));
  EXPECT_EQ(fill, Value::object());
}

TEST(NoCloudCmdlineTest, SmbiosSerialForm) {
  Value fill = Value::object();
  EXPECT_TRUE(LoadCmdlineData("ds=nocloud-net;s=http://10.0.0.1:8000/", &fill));
  EXPECT_EQ(fill["seedfrom"], "http://10.0.0.1:8000/");
  EXPECT_EQ(fill["dsmode"], "net");
}

// --- public-keys forms (normalize_pubkey_data) ---

TEST(NoCloudPubkeysTest, Forms) {
  EXPECT_TRUE(NormalizePubkeyData(Value()).empty());
  EXPECT_TRUE(NormalizePubkeyData("").empty());
  EXPECT_TRUE(NormalizePubkeyData(Value::array()).empty());
  // A string: splitlines (blank lines kept, no trailing empty line).
  EXPECT_THAT(NormalizePubkeyData("k1\r\nk2\n\nk3\n"), ElementsAre("k1", "k2", "", "k3"));
  // A list: as given.
  EXPECT_THAT(NormalizePubkeyData(Value::array({"k1", "", "k2"})), ElementsAre("k1", "", "k2"));
  // A dict: strings and lists of keys, empty entries and other types dropped.
  Value dict = {{"a", "ka"}, {"b", Value::array({"kb1", "", "kb2"})}, {"c", ""}, {"d", 7}};
  EXPECT_THAT(NormalizePubkeyData(dict), ElementsAre("ka", "kb1", "kb2"));
}

// --- util.mergemanydict ---

TEST(NoCloudMergeTest, FirstWinsAndDictsRecurse) {
  Value first = {{"a", 1}, {"d", {{"x", 1}}}, {"s", "str"}, {"n", Value()}};
  Value second = {{"a", 2}, {"b", 3}, {"d", {{"x", 2}, {"y", 2}}}, {"s", {{"k", 1}}}, {"n", "v"}};
  Value merged = MergeFirstWins(first, second);
  EXPECT_EQ(merged["a"], 1);
  EXPECT_EQ(merged["b"], 3);
  EXPECT_EQ(merged["d"], Value({{"x", 1}, {"y", 2}}));
  EXPECT_EQ(merged["s"], Value({{"k", 1}}));  // the str merger yields the dict
  EXPECT_TRUE(merged["n"].is_null());         // a null is kept
}

// --- full crawls ---

TEST_F(NoCloudTest, NotDetectedWhenNothingIsPresent) {
  EXPECT_FALSE(Detect());
  auto d = Crawl();
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, StartsWith("not found"));
  EXPECT_EQ(d.error().key, "");
  auto n = CrawlNet();
  ASSERT_FALSE(n);
  EXPECT_THAT(n.error().message, StartsWith("not found"));
}

TEST_F(NoCloudTest, SeedDirHappyPath) {
  AddSeed(kSeed, "instance-id: iid-dir\nlocal-hostname: dirhost\n", "#cloud-config\n{}\n");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-dir");
  EXPECT_EQ(d->local_hostname, "dirhost");
  EXPECT_EQ(d->user_data, "#cloud-config\n{}\n");
  EXPECT_FALSE(d->vendor_data.has_value());
  EXPECT_FALSE(d->network_config.has_value());
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]");
  EXPECT_EQ(d->subplatform, "seed-dir (/var/lib/cloud/seed/nocloud)");
}

TEST_F(NoCloudTest, NocloudNetSeedDir) {
  AddSeed(kSeedNet, "instance-id: iid-netdir\n");
  sys_.AddFile(kSeedNet + "/vendor-data", "#cloud-config\nvd: 1\n");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-netdir");
  EXPECT_EQ(d->vendor_data, "#cloud-config\nvd: 1\n");
  EXPECT_EQ(d->subplatform, "seed-dir (/var/lib/cloud/seed/nocloud-net)");
}

TEST_F(NoCloudTest, NocloudDirIsUsedBeforeNocloudNet) {
  AddSeed(kSeed, "instance-id: iid-first\n");
  AddSeed(kSeedNet, "instance-id: iid-second\nlocal-hostname: net\n");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-first");
  EXPECT_EQ(d->local_hostname, "");  // only the first seed dir is read
}

TEST_F(NoCloudTest, SeedDirWithOnlyMetaDataIsNotASeed) {
  sys_.AddFile(kSeed + "/meta-data", "instance-id: iid-x\n");
  EXPECT_FALSE(Detect());
  auto d = Crawl();
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, StartsWith("not found"));
}

TEST_F(NoCloudTest, CmdlineOverridesSeedDir) {
  AddSeed(kSeed, "instance-id: iid-dir\nlocal-hostname: dirhost\ndsmode: net\nregion: r1\n",
          "#cloud-config\nfrom: dir\n");
  sys_.set_cmdline("BOOT_IMAGE=/vmlinuz ro ds=nocloud;i=iid-cmd;h=cmdhost");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-cmd");
  EXPECT_EQ(d->local_hostname, "cmdhost");
  EXPECT_EQ(d->meta_data["region"], "r1");
  EXPECT_EQ(d->user_data, "#cloud-config\nfrom: dir\n");
  // ds=nocloud means dsmode local, and the command line beats the seed.
  EXPECT_EQ(d->dsmode, "local");
  EXPECT_EQ(d->description,
            "DataSourceNoCloud [seed=cmdline,/var/lib/cloud/seed/nocloud][dsmode=local]");
  EXPECT_EQ(d->subplatform, "seed-dir (cmdline,/var/lib/cloud/seed/nocloud)");
}

TEST_F(NoCloudTest, CmdlineAloneIsEnough) {
  sys_.set_cmdline("ro ds=nocloud-net;h=onlyhost");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "nocloud");
  EXPECT_EQ(d->local_hostname, "onlyhost");
  EXPECT_EQ(d->dsmode, "net");
  EXPECT_EQ(d->user_data, "");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=cmdline][dsmode=net]");
}

TEST_F(NoCloudTest, CmdlineKeyWithoutValueGivesInstanceIdNone) {
  // As cloud-init: {"instance-id": None} is kept, and str(None) is "None".
  sys_.set_cmdline("ds=nocloud;i");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "None");
  EXPECT_TRUE(d->meta_data["instance-id"].is_null());
}

TEST_F(NoCloudTest, SmbiosSerialWithFileSeedfrom) {
  sys_.set_dmi("system-serial-number", "ds=nocloud;s=file:///srv/seed/;h=smbioshost");
  sys_.AddFile("/srv/seed/meta-data", "instance-id: iid-seedfrom\nlocal-hostname: seedhost\n");
  sys_.AddFile("/srv/seed/user-data", "#!/bin/sh\ntrue\n");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-seedfrom");
  EXPECT_EQ(d->local_hostname, "smbioshost");  // the serial wins over the seed
  EXPECT_EQ(d->user_data, "#!/bin/sh\ntrue\n");
  EXPECT_FALSE(d->vendor_data.has_value());
  EXPECT_EQ(d->meta_data["seedfrom"], "file:///srv/seed/");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=dmi,file:///srv/seed/][dsmode=local]");
}

TEST_F(NoCloudTest, SmbiosSerialBeatsCmdline) {
  sys_.set_dmi("system-serial-number", "ds=nocloud;i=iid-dmi");
  sys_.set_cmdline("ds=nocloud;i=iid-cmd;h=cmdhost");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-dmi");
  EXPECT_EQ(d->local_hostname, "cmdhost");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=dmi,cmdline][dsmode=local]");
}

TEST_F(NoCloudTest, SeedfromPlainPathAndVendorData) {
  sys_.set_cmdline("ds=nocloud;s=/srv/s/");
  sys_.AddFile("/srv/s/meta-data", "instance-id: iid-path\n");
  sys_.AddFile("/srv/s/user-data", "ud");
  sys_.AddFile("/srv/s/vendor-data", "vd");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-path");
  EXPECT_EQ(d->user_data, "ud");
  EXPECT_EQ(d->vendor_data, "vd");
}

TEST_F(NoCloudTest, SeedfromReplacesSeedDirUserData) {
  AddSeed(kSeed, "instance-id: iid-dir\nseedfrom: file:///srv/s/\n", "dir-ud");
  sys_.AddFile(kSeed + "/vendor-data", "dir-vd");
  sys_.AddFile("/srv/s/meta-data", "instance-id: iid-s\nlocal-hostname: from-s\n");
  sys_.AddFile("/srv/s/user-data", "s-ud");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-dir");
  EXPECT_EQ(d->local_hostname, "from-s");
  EXPECT_EQ(d->user_data, "s-ud");
  EXPECT_FALSE(d->vendor_data.has_value());  // read_seeded's None replaces it
}

TEST_F(NoCloudTest, SeedfromMissingMetaDataIsAnError) {
  sys_.set_cmdline("ds=nocloud;s=file:///srv/none/");
  auto d = Crawl();
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().ToString(), HasSubstr("/srv/none/meta-data"));
  EXPECT_THAT(d.error().message, Not(StartsWith("not found")));
}

TEST_F(NoCloudTest, SeedfromBadYamlNamesTheFile) {
  sys_.set_cmdline("ds=nocloud;s=file:///srv/s/");
  sys_.AddFile("/srv/s/meta-data", "a: b\n c: d\n");
  sys_.AddFile("/srv/s/user-data", "#cloud-config\n");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->user_data, "#cloud-config\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "/srv/s/meta-data: line 2, column ")) << sink_.Dump();
}

TEST_F(NoCloudTest, HttpSeedfromIsLeftToTheNetworkDatasource) {
  nubo::testing::HttpServer server;
  server.Serve("/seed/meta-data", 200, "instance-id: iid-http\nlocal-hostname: webseed\n");
  server.Serve("/seed/user-data", 200, "#cloud-config\nruncmd: [ls]\n");
  sys_.set_cmdline("ds=nocloud-net;s=" + server.Url("/seed/"));
  EXPECT_TRUE(Detect());
  auto local = Crawl();
  ASSERT_FALSE(local);
  EXPECT_THAT(local.error().message, StartsWith("not found"));
  auto net = CrawlNet();
  ASSERT_TRUE(net) << net.error().ToString();
  EXPECT_EQ(net->instance_id, "iid-http");
  EXPECT_EQ(net->local_hostname, "webseed");
  EXPECT_EQ(net->user_data, "#cloud-config\nruncmd: [ls]\n");
  EXPECT_FALSE(net->vendor_data);  // 404: absent, and not retried
  std::vector<std::string> asked = server.requests();
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "/seed/vendor-data"), 1);
}

TEST_F(NoCloudTest, HttpSeedfromWithoutMetaDataIsAnError) {
  nubo::testing::HttpServer server;
  server.Serve("/seed/user-data", 200, "#cloud-config\n");
  sys_.set_cmdline("ds=nocloud-net;s=" + server.Url("/seed/"));
  auto net = CrawlNet();
  ASSERT_FALSE(net);
  EXPECT_THAT(net.error().ToString(), HasSubstr(server.Url("/seed/meta-data") + "' answered HTTP 404"));
}

TEST_F(NoCloudTest, NetDatasourceRefusesFileSeedfromButTakesASeedDir) {
  sys_.set_cmdline("ds=nocloud;s=file:///srv/s/");
  auto refused = CrawlNet();
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, StartsWith("not found"));

  sys_.set_cmdline("ro");
  AddSeed(kSeedNet, "instance-id: iid-n\n");
  auto d = CrawlNet();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->datasource, "NoCloud");
  EXPECT_EQ(d->description,
            "DataSourceNoCloudNet [seed=/var/lib/cloud/seed/nocloud-net][dsmode=net]");
}

TEST_F(NoCloudTest, CidataFilesystem) {
  AddDevice("/dev/sr0", "cidata", "iso9660",
            {{"meta-data", "instance-id: iid-iso\nlocal-hostname: isohost\n"},
             {"user-data", "#cloud-config\n"},
             {"network-config", "version: 1\nconfig: []\n"}});
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-iso");
  EXPECT_EQ(d->network_config, "version: 1\nconfig: []\n");
  EXPECT_FALSE(d->vendor_data.has_value());
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]");
  EXPECT_EQ(d->subplatform, "config-disk (/dev/sr0)");
  EXPECT_EQ(sys_.mounted_now(), 0);  // unmounted after the read
}

TEST_F(NoCloudTest, CidataUppercaseVfatAndWrongFstypeIgnored) {
  AddDevice("/dev/vdc", "cidata", "ext4", {{"meta-data", "instance-id: no\n"}, {"user-data", ""}});
  AddDevice("/dev/vdb", "CIDATA", "vfat",
            {{"meta-data", "instance-id: iid-vfat\n"}, {"user-data", ""}});
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-vfat");
  EXPECT_EQ(d->subplatform, "config-disk (/dev/vdb)");
}

TEST_F(NoCloudTest, CidataInvalidSeedFallsThroughToTheNextDevice) {
  // Highest device name first: /dev/vdb is tried before /dev/sr0.
  AddDevice("/dev/vdb", "cidata", "vfat", {{"meta-data", "instance-id: half\n"}});
  AddDevice("/dev/sr0", "cidata", "iso9660",
            {{"meta-data", "instance-id: iid-sr0\n"}, {"user-data", ""}});
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-sr0");
  EXPECT_TRUE(
      sink_.Contains(LogLevel::kWarning, "device /dev/vdb with label=cidata not a valid seed"))
      << sink_.Dump();
  EXPECT_EQ(sys_.mounted_now(), 0);
}

TEST_F(NoCloudTest, CidataBadYamlNamesDevice) {
  AddDevice("/dev/sr0", "cidata", "iso9660", {{"meta-data", "[1, 2\n"}, {"user-data", ""}});
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "/dev/sr0:meta-data: line ")) << sink_.Dump();
  EXPECT_EQ(sys_.mounted_now(), 0);
}

TEST_F(NoCloudTest, FsLabelFromConfig) {
  AddDevice("/dev/sr0", "cidata", "iso9660",
            {{"meta-data", "instance-id: iid-cidata\n"}, {"user-data", ""}});
  AddDevice("/dev/vdb", "SEED", "vfat",
            {{"meta-data", "instance-id: iid-seed\n"}, {"user-data", ""}});
  config_ = Value::parse(R"({"datasource": {"NoCloud": {"fs_label": "seed"}}})");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-seed");

  config_ = Value::parse(R"({"datasource": {"NoCloud": {"fs_label": null}}})");
  EXPECT_FALSE(Detect());
  EXPECT_FALSE(Crawl());
}

TEST_F(NoCloudTest, SeedDirMetaDataWinsButCidataUserDataReplaces) {
  AddSeed(kSeed, "instance-id: iid-dir\n", "dir-ud");
  AddDevice(
      "/dev/sr0", "cidata", "iso9660",
      {{"meta-data", "instance-id: iid-iso\nlocal-hostname: isohost\n"}, {"user-data", "iso-ud"}});
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-dir");
  EXPECT_EQ(d->local_hostname, "isohost");
  EXPECT_EQ(d->user_data, "iso-ud");
  EXPECT_EQ(d->description,
            "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud,/dev/sr0][dsmode=net]");
  EXPECT_EQ(d->subplatform, "seed-dir (/var/lib/cloud/seed/nocloud,/dev/sr0)");
}

TEST_F(NoCloudTest, BadYamlInSeedDirWarnsNamingTheFile) {
  sys_.AddFile(kSeed + "/meta-data", "instance-id: iid-bad\n  local-hostname: vm-bad\n");
  sys_.AddFile(kSeed + "/user-data", "");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "nocloud");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "/var/lib/cloud/seed/nocloud/meta-data: line 2, column 17: "))
      << sink_.Dump();
}

TEST_F(NoCloudTest, DatasourceConfigSeed) {
  config_ = Value::parse(R"({"datasource": {"NoCloud": {
      "meta-data": "instance-id: iid-cfg\nlocal-hostname: cfghost\n",
      "user-data": "#cloud-config\nfrom: cfg\n"}}})");
  EXPECT_TRUE(Detect());
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-cfg");
  EXPECT_EQ(d->local_hostname, "cfghost");
  EXPECT_EQ(d->user_data, "#cloud-config\nfrom: cfg\n");
  EXPECT_EQ(d->description, "DataSourceNoCloud [seed=ds_config][dsmode=net]");
}

TEST_F(NoCloudTest, DatasourceConfigSeedfromBeatsSeedDirs) {
  AddSeed(kSeed, "instance-id: iid-dir\nseedfrom: /srv/dir/\n");
  config_ = Value::parse(R"({"datasource": {"NoCloud": {"seedfrom": "/srv/cfg/"}}})");
  sys_.AddFile("/srv/cfg/meta-data", "local-hostname: cfgseed\n");
  sys_.AddFile("/srv/cfg/user-data", "cfg-ud");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "iid-dir");
  EXPECT_EQ(d->local_hostname, "cfgseed");
  EXPECT_EQ(d->user_data, "cfg-ud");
  EXPECT_EQ(d->description,
            "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud,ds_config_seedfrom,/srv/cfg/]"
            "[dsmode=net]");
}

TEST_F(NoCloudTest, InvalidDsmodeWarnsAndUsesNet) {
  AddSeed(kSeed, "instance-id: i\ndsmode: pass\n");
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->dsmode, "net");
  EXPECT_EQ(d->meta_data["dsmode"], "pass");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "invalid dsmode 'pass', using default=net"))
      << sink_.Dump();
}

TEST_F(NoCloudTest, NonStringInstanceIdIsItsPythonStr) {
  AddSeed(kSeed, "instance-id: 0123\n");  // YAML 1.1 octal: 83
  auto d = Crawl();
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->instance_id, "83");
}

}  // namespace
}  // namespace nubo::datasources::nocloud
