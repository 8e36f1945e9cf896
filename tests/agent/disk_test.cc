// Mount lookup as cloud-init 22.4's util.parse_mount_info does it, and
// root= parsing as util.rootdev_from_cmdline.

#include "nubo/disk.h"

#include <gtest/gtest.h>

namespace nubo {
namespace {

const char kMountinfo[] =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "30 27 252:16 / /srv rw shared:2 - xfs /dev/vdb rw\n"
    "31 30 252:17 / /srv/data ro shared:3 - btrfs /dev/vdc1 ro\n"
    "32 27 0:40 / /mnt/with\\040space rw - ext4 /dev/vdd1 rw\n";

TEST(FindMount, DeepestPrefixWins) {
  auto root = FindMount(kMountinfo, "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->device, "/dev/vda1");
  EXPECT_EQ(root->fstype, "ext4");
  EXPECT_EQ(root->mount_point, "/");
  auto srv = FindMount(kMountinfo, "/srv/www/index.html");
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->device, "/dev/vdb");
  auto data = FindMount(kMountinfo, "/srv/data/");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->fstype, "btrfs");
  EXPECT_EQ(data->options, "ro");
  auto srvx = FindMount(kMountinfo, "/srvx");
  ASSERT_TRUE(srvx);
  EXPECT_EQ(srvx->mount_point, "/") << "path elements, not string prefixes";
  auto spaced = FindMount(kMountinfo, "/mnt/with space/f");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->device, "/dev/vdd1");
}

TEST(FindMount, LaterLineWinsAndBadLinesGiveNothing) {
  auto over = FindMount(std::string(kMountinfo) + "40 27 0:50 / / rw - overlay overlay rw\n", "/");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->fstype, "overlay");
  EXPECT_FALSE(FindMount("27 1 252:1 / / rw - ext4\n", "/")) << "too few columns";
  EXPECT_FALSE(FindMount("27 1 252:1 / / rw a b c d ext4 /dev/vda1\n", "/")) << "no '-'";
  EXPECT_FALSE(FindMount("", "/"));
}

TEST(RootDevFromCmdline, Forms) {
  EXPECT_EQ(RootDevFromCmdline("ro root=/dev/vda1 quiet"), "/dev/vda1");
  EXPECT_EQ(RootDevFromCmdline("root=LABEL=cloudimg-rootfs"), "/dev/disk/by-label/cloudimg-rootfs");
  EXPECT_EQ(RootDevFromCmdline("root=UUID=AB-CD"), "/dev/disk/by-uuid/ab-cd");
  EXPECT_EQ(RootDevFromCmdline("root=PARTUUID=1234-ABCD-01"),
            "/dev/disk/by-partuuid/1234-abcd-01");
  EXPECT_EQ(RootDevFromCmdline("root=sda2"), "/dev/sda2");
  EXPECT_FALSE(RootDevFromCmdline("quiet splash"));
}

}  // namespace
}  // namespace nubo
