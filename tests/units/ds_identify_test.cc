// Tests of the generator and ds-identify (units/ds_identify.h) against a
// temp root: the evidence files are written under it, the generator's
// outputs (/run/cloud-init/*, the early dir's symlink) read back.
#include "units/ds_identify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include "support/test_system.h"

namespace nubo::dsid {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DsIdentifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = sys_.root();
    sys_.AddFile("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n");
    sys_.AddDir("/sys/class/dmi/id");
    sys_.AddDir("/run");
    early_ = root_ + "/run/systemd/generator.early";
  }
  void Dmi(const std::string& key, const std::string& value) {
    sys_.AddFile("/sys/class/dmi/id/" + key, value + "\n");
  }
  void Cmdline(const std::string& c) { sys_.AddFile("/proc/cmdline", c + "\n"); }
  void Label(const std::string& label, const std::string& dev) {
    sys_.AddFile("/dev/" + dev, "");
    std::string dir = root_ + "/dev/disk/by-label";
    ::mkdir((root_ + "/dev/disk").c_str(), 0755);
    ::mkdir(dir.c_str(), 0755);
    ASSERT_EQ(::symlink(("../../" + dev).c_str(), (dir + "/" + label).c_str()), 0);
  }
  std::string RunCfg() { return sys_.Read("/run/cloud-init/cloud.cfg"); }
  bool Enabled() {
    struct stat st;
    return ::lstat((early_ + "/multi-user.target.wants/cloud-init.target").c_str(), &st) == 0;
  }
  int Generate(std::map<std::string, std::string> env = {}) {
    return RunGenerator(root_, early_, env);
  }

  testing::TestSystem sys_;
  std::string root_, early_;
};

TEST_F(DsIdentifyTest, NoEvidenceDisablesAndWritesTheNotFoundReport) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, ConfigDrive, OpenStack, None]\n");
  EXPECT_EQ(Generate(), 0);
  EXPECT_FALSE(Enabled());
  EXPECT_TRUE(sys_.Has("/run/cloud-init/disabled"));
  EXPECT_FALSE(sys_.Has("/run/cloud-init/enabled"));
  EXPECT_EQ(RunCfg(),
            "di_report:\n  datasource_list: [  ]\n"
            "  # reporting not found result. notfound=disabled.\n");
  EXPECT_EQ(sys_.Read("/run/cloud-init/.ds-identify.result"), "1\n");
  EXPECT_THAT(sys_.Read("/run/cloud-init/cloud-init-generator.log"),
              HasSubstr("no datasource found, disabling"));
}

TEST_F(DsIdentifyTest, CidataLabelEnablesNoCloud) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, ConfigDrive, OpenStack, None]\n");
  Label("cidata", "vdb");
  EXPECT_EQ(Generate(), 0);
  EXPECT_TRUE(Enabled());
  char target[256] = {};
  ASSERT_GT(::readlink((early_ + "/multi-user.target.wants/cloud-init.target").c_str(), target,
                       sizeof target - 1),
            0);
  EXPECT_STREQ(target, "/lib/systemd/system/cloud-init.target");
  EXPECT_EQ(RunCfg(), "datasource_list: [ NoCloud, None ]\n");
  EXPECT_TRUE(sys_.Has("/run/cloud-init/enabled"));
  EXPECT_FALSE(sys_.Has("/run/cloud-init/disabled"));
}

TEST_F(DsIdentifyTest, ConfigDriveLabelFindsConfigDriveAndNotTheMetadataService) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, ConfigDrive, OpenStack, None]\n");
  Dmi("product_name", "OpenStack Nova");
  Label("config-2", "sr0");
  EXPECT_EQ(Generate(), 0);
  EXPECT_EQ(RunCfg(), "datasource_list: [ ConfigDrive, None ]\n");
}

TEST_F(DsIdentifyTest, OpenStackNovaDmi) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, ConfigDrive, OpenStack, None]\n");
  Dmi("product_name", "OpenStack Nova");
  EXPECT_EQ(Generate(), 0);
  EXPECT_TRUE(Enabled());
  EXPECT_EQ(RunCfg(), "datasource_list: [ OpenStack, None ]\n");
}

TEST_F(DsIdentifyTest, OpenStackAssetTagAndPid1ProductName) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [ConfigDrive, OpenStack]\n");
  Dmi("chassis_asset_tag", "HUAWEICLOUD");
  Facts f = CollectFacts(root_, {});
  EXPECT_THAT(Identify(f).found, ElementsAre("OpenStack"));
  // In a container DMI does not count, pid 1's product_name does.
  f = CollectFacts(root_, {{"container", "lxc"}});
  EXPECT_TRUE(Identify(f).found.empty());
  f.pid1_product_name = "OpenStack Nova";
  EXPECT_THAT(Identify(f).found, ElementsAre("OpenStack"));
}

TEST_F(DsIdentifyTest, OpenStackIsMaybeOffX86) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack]\n");
  Decision d = Identify(CollectFacts(root_, {{"NUBO_DSID_MACHINE", "aarch64"}}));
  EXPECT_EQ(d.rc, 0);
  EXPECT_THAT(d.maybe, ElementsAre("OpenStack"));
  EXPECT_THAT(d.cloud_cfg, ElementsAre("datasource_list: [ OpenStack, None ]"));
}

TEST_F(DsIdentifyTest, KernelAndSmbiosDsNocloud) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [ConfigDrive, NoCloud, None]\n");
  Cmdline("root=/dev/vda1 ds=nocloud;s=http://10.0.2.2:8000/");
  EXPECT_THAT(Identify(CollectFacts(root_, {})).found, ElementsAre("NoCloud"));
  Cmdline("root=/dev/vda1");
  EXPECT_TRUE(Identify(CollectFacts(root_, {})).found.empty());
  Dmi("product_serial", "ds=nocloud-net;s=http://10.0.2.2/");
  EXPECT_THAT(Identify(CollectFacts(root_, {})).found, ElementsAre("NoCloud"));
}

TEST_F(DsIdentifyTest, SeedDirectoriesNeedMetaAndUserData) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [ConfigDrive, NoCloud, None]\n");
  sys_.AddFile("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-1\n");
  EXPECT_TRUE(Identify(CollectFacts(root_, {})).found.empty());
  sys_.AddFile("/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\n");
  EXPECT_THAT(Identify(CollectFacts(root_, {})).found, ElementsAre("NoCloud"));
  sys_.AddFile("/var/lib/cloud/seed/config_drive/openstack/2015-10-15/meta_data.json", "{}");
  EXPECT_THAT(Identify(CollectFacts(root_, {})).found, ElementsAre("ConfigDrive", "NoCloud"));
}

TEST_F(DsIdentifyTest, FoundFirstPolicyAndCiDs) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [ConfigDrive, NoCloud, None]\n");
  sys_.AddFile("/var/lib/cloud/seed/config_drive/openstack/latest/meta_data.json", "{}");
  Label("CIDATA", "vdb");
  Cmdline("root=/dev/vda1 ci.di.policy=search,found=first");
  Generate();
  EXPECT_EQ(RunCfg(), "datasource_list: [ ConfigDrive, None ]\n");
  // ci.ds= names the datasource; no check runs.
  sys_.AddFile("/proc/cmdline", "root=/dev/vda1 ci.ds=OpenStack\n");
  EXPECT_EQ(RunDsIdentify(root_, /*force=*/true, {}), 0);
  EXPECT_EQ(RunCfg(), "datasource_list: [ OpenStack, None ]\n");
}

TEST_F(DsIdentifyTest, CachedResultUnlessForced) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack, None]\n");
  EXPECT_EQ(RunDsIdentify(root_, false, {}), 1);
  Dmi("product_name", "OpenStack Nova");
  EXPECT_EQ(RunDsIdentify(root_, false, {}), 1);  // /run's result is reused
  EXPECT_EQ(RunDsIdentify(root_, true, {}), 0);
}

TEST_F(DsIdentifyTest, PolicyModesFromCmdlineAndDsIdentifyCfg) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack, None]\n");
  sys_.AddFile("/etc/cloud/ds-identify.cfg", "policy: search,found=all,maybe=all,notfound=enabled\n");
  Decision d = Identify(CollectFacts(root_, {}));
  EXPECT_EQ(d.rc, 0);
  EXPECT_THAT(d.reason, HasSubstr("Enabled cloud-init [0]"));
  // The command line overrides the file.
  Cmdline("root=/dev/vda1 ci.di.policy=disabled");
  d = Identify(CollectFacts(root_, {}));
  EXPECT_EQ(d.rc, 1);
  EXPECT_FALSE(d.write_cfg);
  Cmdline("root=/dev/vda1 ci.di.policy=enabled");
  d = Identify(CollectFacts(root_, {}));
  EXPECT_EQ(d.rc, 0);
  EXPECT_FALSE(d.write_cfg);
  Cmdline("root=/dev/vda1 ci.di.policy=report");
  d = Identify(CollectFacts(root_, {}));
  EXPECT_EQ(d.rc, 0);
  EXPECT_THAT(d.cloud_cfg, ElementsAre("di_report:", "  datasource_list: [  ]"));
}

TEST_F(DsIdentifyTest, ParsePolicyWarnsAndKeepsDefaults) {
  std::vector<std::string> warnings;
  Policy p = ParsePolicy("report,found=first,maybe=bogus", Policy{}, &warnings);
  EXPECT_EQ(p.mode, "report");
  EXPECT_EQ(p.found, "first");
  EXPECT_EQ(p.maybe, "all");
  EXPECT_EQ(p.notfound, "disabled");
  EXPECT_THAT(warnings,
              ElementsAre("WARN: invalid value 'bogus' for key 'maybe'. Using maybe=all."));
}

TEST_F(DsIdentifyTest, DatasourceListSources) {
  // Later files win; a single configured datasource (plus None) is used as is.
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack, None]\n");
  sys_.AddFile("/etc/cloud/cloud.cfg.d/90_dpkg.cfg",
               "# written by the image build\ndatasource_list: [ 'OpenStack', None ]  # x\n");
  Decision d = Identify(CollectFacts(root_, {}));
  EXPECT_THAT(d.cloud_cfg, ElementsAre("datasource_list: [ OpenStack, None ]"));
  // Block-style list.
  sys_.AddFile("/etc/cloud/cloud.cfg.d/90_dpkg.cfg", "datasource_list:\n  - ConfigDrive\n  - NoCloud\n");
  Facts f = CollectFacts(root_, {});
  EXPECT_THAT(f.dslist, ElementsAre("ConfigDrive", "NoCloud"));
  // cc: on the command line beats the files.
  Cmdline("root=/dev/vda1 cc:{'datasource_list': ['NoCloud']} end_cc");
  EXPECT_THAT(CollectFacts(root_, {}).dslist, ElementsAre("NoCloud"));
  // Nothing configured: ds-identify's default list.
  Cmdline("root=/dev/vda1");
  sys_.AddFile("/etc/cloud/cloud.cfg", "users: [default]\n");
  sys_.AddFile("/etc/cloud/cloud.cfg.d/90_dpkg.cfg", "\n");
  f = CollectFacts(root_, {});
  EXPECT_EQ(f.dslist_source, "default");
  EXPECT_EQ(f.dslist.front(), "MAAS");
  EXPECT_EQ(f.dslist.size(), 27u);
}

TEST_F(DsIdentifyTest, ManualCleanWritesNoList) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack, None]\n");
  sys_.AddFile("/var/lib/cloud/instance/manual-clean", "");
  EXPECT_EQ(Generate(), 0);
  EXPECT_TRUE(Enabled());
  EXPECT_EQ(RunCfg(), "# manual_cache_clean.\n");
}

TEST_F(DsIdentifyTest, CmdlineAndEtcFileSwitches) {
  Label("cidata", "vdb");
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, None]\n");
  Cmdline("root=/dev/vda1 cloud-init=disabled");
  Generate();
  EXPECT_FALSE(Enabled());
  EXPECT_FALSE(sys_.Has("/run/cloud-init/cloud.cfg"));  // ds-identify never ran
  EXPECT_TRUE(sys_.Has("/run/cloud-init/disabled"));

  Cmdline("root=/dev/vda1");
  sys_.AddFile("/etc/cloud/cloud-init.disabled", "");
  Generate();
  EXPECT_FALSE(Enabled());

  // cloud-init=enabled on the command line beats the file; the datasource
  // check still runs. A previous enable is removed when it now says no.
  Cmdline("root=/dev/vda1 cloud-init=enabled");
  Generate();
  EXPECT_TRUE(Enabled());
  ::unlink((root_ + "/run/cloud-init/.ds-identify.result").c_str());
  Cmdline("root=/dev/vda1 ci.di.policy=disabled");
  Generate();
  EXPECT_FALSE(Enabled());
  EXPECT_FALSE(sys_.Has("/run/cloud-init/enabled"));
}

TEST_F(DsIdentifyTest, KernelCmdlineFromEnvironment) {
  sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, OpenStack, None]\n");
  Facts f = CollectFacts(root_, {{"KERNEL_CMDLINE", "ds=nocloud"}});
  EXPECT_EQ(f.cmdline, "ds=nocloud");
  EXPECT_THAT(Identify(f).found, ElementsAre("NoCloud"));
}

// A superblock the generator reads itself when udev has not labelled the
// device yet (no /run/udev/data entry): iso9660, vfat and ext4 labels.
TEST_F(DsIdentifyTest, ProbesSuperblocksOfDevicesUdevHasNotSeen) {
  auto device = [&](const std::string& name, const std::string& devno, std::string image) {
    sys_.AddFile("/sys/class/block/" + name + "/size", std::to_string(image.size() / 512) + "\n");
    sys_.AddFile("/sys/class/block/" + name + "/dev", devno + "\n");
    sys_.AddFile("/dev/" + name, image);
  };
  std::string iso(0x8000 + 2048, '\0');
  iso[0x8000] = 1;
  iso.replace(0x8001, 5, "CD001");
  iso.replace(0x8000 + 40, 32, "cidata                          ");
  device("sr0", "11:0", iso);
  std::string ext(4096, '\0');
  ext[1024 + 0x38] = 0x53;
  ext[1024 + 0x39] = static_cast<char>(0xEF);
  ext.replace(1024 + 0x78, 8, "rootfs\0\0", 8);
  device("vda1", "254:1", ext);
  std::string fat(4096, '\0');
  fat.replace(0x36, 8, "FAT16   ");
  fat.replace(0x2B, 11, "CONFIG-2   ");
  fat[510] = 0x55;
  fat[511] = static_cast<char>(0xAA);
  device("vdb", "254:16", fat);
  device("loop0", "7:0", iso);  // never probed
  EXPECT_THAT(ReadFsLabels(root_), ElementsAre("cidata", "rootfs", "CONFIG-2"));
  // udev has seen sr0 (and found no label link): not probed again.
  sys_.AddFile("/run/udev/data/b11:0", "");
  EXPECT_THAT(ReadFsLabels(root_), ElementsAre("rootfs", "CONFIG-2"));
}

}  // namespace
}  // namespace nubo::dsid
