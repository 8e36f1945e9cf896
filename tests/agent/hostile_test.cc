// Hostile input and a hostile environment (issue 12): each case ends within
// its bound, with one clear log line naming the problem (and the limit, for
// a bound), and the rest of the boot done: the default user exists and the
// SSH key from meta-data is installed.
//
// Runs the four stages in-process on a ShadowSystem (real useradd --root),
// so it needs root; skipped otherwise, saying why.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/cli.h"
#include "agent/system/http.h"
#include "modules/users_support.h"
#include "nubo/limits.h"
#include "support/loop_image.h"

namespace nubo::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::ShadowSystem;

constexpr char kKeyMeta[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 meta@example";

const char kCloudCfg[] = R"(datasource_list: [NoCloud, None]
users: [default]
disable_root: false
system_info:
  distro: debian
  default_user:
    name: debian
    lock_passwd: True
    groups: [adm, sudo]
    shell: /bin/bash
  ssh_svcname: ssh
cloud_init_modules: [write-files, users-groups, ssh]
cloud_config_modules: [runcmd]
cloud_final_modules: [scripts-user, final-message]
)";

// A ShadowSystem that, once `real_device` is set, finds that one host block
// device by its label with libblkid, as the agent does at boot (other
// devices of the host are not this test's), and mounts it with mount(2).
// A kernel without the filesystem (this CI's has no iso9660) gets the
// image's files extracted by bsdtar instead: all but the mount syscall is
// still real.
class HostileSystem : public ShadowSystem {
 public:
  std::string real_device;
  double extract_seconds = 0;  // the stand-in for mount(2), not the agent's time
  Result<std::vector<BlockDevice>> FindFilesystems(const std::vector<std::string>& labels) override {
    if (real_device.empty()) return ShadowSystem::FindFilesystems(labels);
    auto all = RealSystem::FindFilesystems(labels);
    if (!all) return all;
    std::vector<BlockDevice> mine;
    for (const auto& d : *all) {
      if (d.devname == real_device) mine.push_back(d);
    }
    return mine;
  }
  Result<std::string> MountReadOnly(const BlockDevice& d) override {
    if (real_device.empty()) return ShadowSystem::MountReadOnly(d);
    if (nubo::testing::KernelHasFilesystem(d.fstype)) return RealSystem::MountReadOnly(d);
    auto start = std::chrono::steady_clock::now();
    extracted_ = std::make_unique<nubo::testing::TempDir>();
    agent::RealSystem host("/");
    auto r = host.Run({.argv = {"bsdtar", "-xf", d.devname, "-C", extracted_->path()}, .in_root = false});
    extract_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r || r->exit_code != 0) return MakeError("bsdtar could not extract " + d.devname);
    return extracted_->path();
  }
  void Unmount(const std::string& dir) override {
    if (real_device.empty()) return ShadowSystem::Unmount(dir);
    if (extracted_ && dir == extracted_->path()) return extracted_.reset();
    RealSystem::Unmount(dir);
  }

 private:
  std::unique_ptr<nubo::testing::TempDir> extracted_;
};

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
    sys_.AddFile("/etc/cloud/cloud.cfg", kCloudCfg);
    sys_.AddFile("/etc/ssh/sshd_config", "UsePAM yes\n");
    sys_.runner().ExpectPrefix({"ssh-keygen"});
    sys_.runner().Expect({"/var/lib/cloud/instances/iid-one/scripts/runcmd"});
    MetaData("iid-one");
  }
  void MetaData(const std::string& iid_yaml) {
    sys_.AddFile(kSeed + std::string("meta-data"),
                 "instance-id: " + iid_yaml + "\npublic-keys:\n  - " + kKeyMeta + "\n");
  }
  void UserData(const std::string& text) { sys_.AddFile(kSeed + std::string("user-data"), text); }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "cloud-init");
    CliEnv env;
    env.system = &sys_;
    env.out = &out_;
    env.extra_sink = &log_;
    return RunCommandLine(args, env);
  }
  // The four stages, and how long they took.
  double Boot() {
    auto start = std::chrono::steady_clock::now();
    Run({"init", "--local"});
    Run({"init"});
    Run({"modules", "--mode", "config"});
    Run({"modules", "--mode", "final"});
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  // The rest of the boot was done: default user, its key from meta-data.
  void ExpectBootDone() {
    EXPECT_THAT(sys_.Read("/etc/passwd"), HasSubstr("\ndebian:")) << log_.Dump();
    EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKeyMeta) + "\n") << log_.Dump();
  }
  int Lines(LogLevel level, const std::string& needle) {
    int n = 0;
    for (const auto& l : log_.lines()) n += l.level == level && l.message.find(needle) != std::string::npos;
    return n;
  }

  static constexpr const char* kSeed = "/var/lib/cloud/seed/nocloud/";
  HostileSystem sys_;
  std::string out_;
  CapturingSink log_;
};

std::string BillionLaughs() {
  std::string doc = "#cloud-config\nruncmd: [echo hi]\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) doc += (j ? ", " : "") + prev;
    doc += "]\n";
  }
  return doc;
}

TEST_F(HostileTest, BillionLaughsUserDataIsDroppedAndTheBootGoesOn) {
  UserData(BillionLaughs());
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "(limit max_yaml_nodes), skipping this cloud-config part"), 1)
      << log_.Dump();
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instance/scripts/runcmd"));
}

TEST_F(HostileTest, FlowSequence200000DeepIsDroppedAndTheBootGoesOn) {
  UserData("#cloud-config\nx: " + std::string(200000, '[') + std::string(200000, ']') + "\n");
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "deeper than 1000 levels (limit max_yaml_depth)"), 1) << log_.Dump();
}

TEST_F(HostileTest, DeepMetaDataIsReadAsEmptyWithAWarning) {
  sys_.AddFile(kSeed + std::string("meta-data"), "instance-id: " + std::string(5000, '[') + "\n");
  UserData("#cloud-config\n");
  Boot();
  EXPECT_EQ(Lines(LogLevel::kWarning, "(limit max_yaml_depth); using empty meta-data"), 1) << log_.Dump();
  EXPECT_THAT(sys_.Read("/etc/passwd"), HasSubstr("\ndebian:"));
}

std::string Gzip(const std::string& head, size_t zeros) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out, chunk(1 << 20, ' ');
  char buf[1 << 16];
  auto feed = [&](const std::string& in, int flush) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      deflate(&zs, flush);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0);
  };
  feed(head, Z_NO_FLUSH);
  for (size_t done = 0; done < zeros; done += chunk.size()) feed(chunk, Z_NO_FLUSH);
  feed("", Z_FINISH);
  deflateEnd(&zs);
  return out;
}

TEST_F(HostileTest, GzipBombUserDataIsDroppedNamingTheLimit) {
  // 100 MiB of blanks after a cloud-config line: about 100 KB compressed.
  std::string bomb = Gzip("#cloud-config\nruncmd: [echo hi]\n", 100u << 20);
  ASSERT_LT(bomb.size(), 1u << 20);
  UserData(bomb);
  EXPECT_LT(Boot(), 30.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "user-data: decompressed data: larger than 67108864 bytes "
                                      "(limit max_gunzip_bytes), skipping it"),
            1)
      << log_.Dump();
}

TEST_F(HostileTest, OneGigabyteUserDataIsNotReadAndTheBootGoesOn) {
  UserData("");
  ASSERT_EQ(truncate(sys_.HostPath(kSeed + std::string("user-data")).c_str(), 1L << 30), 0);  // sparse
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "larger than 67108864 bytes (limit max_file_bytes), ignoring "
                                      "/var/lib/cloud/seed/nocloud/user-data"),
            1)
      << log_.Dump();
}

TEST_F(HostileTest, OversizedCloudCfgDFileIsSkippedNamingTheLimit) {
  UserData("#cloud-config\n");
  sys_.AddFile("/etc/cloud/cloud.cfg.d/99-huge.cfg", "");
  ASSERT_EQ(truncate(sys_.HostPath("/etc/cloud/cloud.cfg.d/99-huge.cfg").c_str(), 100L << 20), 0);
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_GE(Lines(LogLevel::kWarning, "99-huge.cfg': larger than 67108864 bytes (limit max_file_bytes)"), 1)
      << log_.Dump();
}

TEST_F(HostileTest, TooManyMimePartsAreCutNamingTheLimit) {
  std::string mime = "Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0\n\n";
  for (int i = 0; i < 1500; ++i) {
    mime += "--b\nContent-Type: text/cloud-config\n\n#cloud-config\nfinal_message: part " + std::to_string(i) + "\n";
  }
  mime += "--b--\n";
  UserData(mime);
  EXPECT_LT(Boot(), 60.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "user-data: larger than 1000 parts (limit max_user_data_parts)"), 1)
      << log_.Dump();
}

TEST_F(HostileTest, FifoUserDataDoesNotHangTheBoot) {
  ASSERT_EQ(mkfifo(sys_.HostPath(kSeed + std::string("user-data")).c_str(), 0644), 0);
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_EQ(Lines(LogLevel::kWarning, "not a regular file"), 1) << log_.Dump();
}

TEST_F(HostileTest, SshDirSymlinkToEtcIsRefused) {
  UserData("#cloud-config\n");
  sys_.AddDir("/home/debian", 0755);
  ASSERT_EQ(symlink("/etc", sys_.HostPath("/home/debian/.ssh").c_str()), 0);
  std::string shadow_before = sys_.Read("/etc/shadow");
  EXPECT_LT(Boot(), 20.0);
  EXPECT_FALSE(sys_.Has("/etc/authorized_keys"));
  EXPECT_EQ(Lines(LogLevel::kWarning, "refusing to write '/home/debian/.ssh/authorized_keys': "
                                      "'/home/debian/.ssh' is a symlink (inside '/home/debian')"),
            1)
      << log_.Dump();
  EXPECT_THAT(sys_.Read("/etc/passwd"), HasSubstr("\ndebian:"));
}

TEST_F(HostileTest, AuthorizedKeysHardLinkToShadowIsNotWrittenThrough) {
  UserData("#cloud-config\n");
  sys_.AddDir("/home/debian/.ssh", 0700);
  ASSERT_EQ(link(sys_.HostPath("/etc/shadow").c_str(), sys_.HostPath("/home/debian/.ssh/authorized_keys").c_str()), 0);
  std::string shadow_before = sys_.Read("/etc/shadow");
  Boot();
  // The atomic write replaces the link with a new file; /etc/shadow keeps
  // what useradd wrote and no key.
  EXPECT_THAT(sys_.Read("/etc/shadow"), Not(HasSubstr("ssh-ed25519")));
  EXPECT_THAT(sys_.Read("/home/debian/.ssh/authorized_keys"), HasSubstr(kKeyMeta));
}

TEST_F(HostileTest, AuthorizedKeysFifoDoesNotHangTheBoot) {
  UserData("#cloud-config\n");
  sys_.AddDir("/home/debian/.ssh", 0700);
  ASSERT_EQ(mkfifo(sys_.HostPath("/home/debian/.ssh/authorized_keys").c_str(), 0600), 0);
  EXPECT_LT(Boot(), 20.0);
  // Not read (it would block): the keys file is written anew, atomically,
  // over the FIFO.
  ExpectBootDone();
  auto st = sys_.Stat("/home/debian/.ssh/authorized_keys");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->is_regular);
  EXPECT_EQ(Lines(LogLevel::kInfo, "authorized keys for 'debian' in '/home/debian/.ssh/authorized_keys': 1 added"), 1)
      << log_.Dump();
}

TEST_F(HostileTest, AuthorizedKeysDirectoryIsOneErrorAndTheBootGoesOn) {
  UserData("#cloud-config\n");
  sys_.AddDir("/home/debian/.ssh/authorized_keys", 0700);
  EXPECT_LT(Boot(), 20.0);
  EXPECT_THAT(sys_.Read("/etc/passwd"), HasSubstr("\ndebian:"));
  EXPECT_GE(Lines(LogLevel::kError, "authorized_keys") + Lines(LogLevel::kWarning, "authorized_keys"), 1)
      << log_.Dump();
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instance/boot-finished"));
}

TEST_F(HostileTest, InstanceIdWithSlashes) {
  // "/" becomes "_" as in cloud-init's Paths._get_ipath.
  MetaData("'a/../../etc'");
  UserData("#cloud-config\n");
  Boot();
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/a_.._.._etc/user-data.txt")) << log_.Dump();
  ExpectBootDone();
}

TEST_F(HostileTest, InstanceIdDotDotOrNulIsRefusedWithOneError) {
  for (const char* iid : {"'..'", "\"iid\\0/../../etc\""}) {
    SCOPED_TRACE(iid);
    MetaData(iid);
    UserData("#cloud-config\n");
    log_ = CapturingSink();
    EXPECT_LT(Boot(), 20.0);
    EXPECT_FALSE(sys_.Has("/etc/user-data.txt"));
    EXPECT_FALSE(sys_.Has("/var/lib/user-data.txt"));
    EXPECT_GE(Lines(LogLevel::kError, "cannot record the instance"), 1) << log_.Dump();
  }
}

// Tests that mount: in a private mount namespace of the test process
// (each ctest test is its own process), entered before the target root is
// opened (a descriptor opened before stays in the old namespace), so
// nothing outlives the test.
class HostileMountTest : public HostileTest {
 protected:
  static void SetUpTestSuite() {
    private_ = unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  }
  static bool private_;
};
bool HostileMountTest::private_ = false;

TEST_F(HostileMountTest, FullDiskDuringAnAtomicWriteKeepsTheOldFile) {
  if (!private_) GTEST_SKIP() << "needs a private mount namespace (CAP_SYS_ADMIN)";
  sys_.AddDir("/srv/small");
  std::string dir = sys_.HostPath("/srv/small");
  ASSERT_EQ(mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=16k"), 0);
  sys_.AddFile("/srv/small/conf", "old\n");
  UserData("#cloud-config\nwrite_files:\n  - {path: /srv/small/conf, content: " + std::string(64 * 1024, 'x') +
           "}\n");
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
  EXPECT_EQ(sys_.Read("/srv/small/conf"), "old\n");
  auto names = sys_.ListDir("/srv/small");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"conf"}) << "the temporary file was not removed";
  EXPECT_EQ(Lines(LogLevel::kError, "No space left on device"), 1) << log_.Dump();
  umount2(dir.c_str(), MNT_DETACH);
}

TEST_F(HostileMountTest, ReadOnlyEtcEndsTheBootWithErrorsNotAHang) {
  if (!private_) GTEST_SKIP() << "needs a private mount namespace (CAP_SYS_ADMIN)";
  UserData("#cloud-config\nruncmd: [echo hi]\n");
  std::string etc = sys_.HostPath("/etc");
  ASSERT_EQ(mount(etc.c_str(), etc.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(mount(nullptr, etc.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
  EXPECT_LT(Boot(), 20.0);
  // users_groups fails (useradd cannot write /etc/passwd), one error for
  // it; the stages still finish and record it.
  EXPECT_GE(Lines(LogLevel::kError, "module failed"), 1) << log_.Dump();
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instance/boot-finished")) << log_.Dump();
  EXPECT_THAT(sys_.Read("/var/lib/cloud/data/result.json"), HasSubstr("users_groups"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instance/scripts/runcmd"));
  umount2(etc.c_str(), MNT_DETACH);
}

TEST_F(HostileTest, SeedDirectoryWith10000FilesIsReadInBound) {
  // A seed directory with 10,000 extra files: only the four NoCloud names
  // are looked up.
  UserData("#cloud-config\n");
  for (int i = 0; i < 10000; ++i) {
    std::ofstream(sys_.HostPath(kSeed + std::string("junk-") + std::to_string(i))) << "x";
  }
  EXPECT_LT(Boot(), 20.0);
  ExpectBootDone();
}

TEST_F(HostileTest, CidataVolumeWith10000FilesIsReadInBound) {
  // The seed on a real `cidata` filesystem (an ISO 9660 image made by
  // genisoimage, on a read-only loop device) with 10,000 extra files beside
  // meta-data and user-data: found by libblkid, mounted, read, unmounted,
  // in bound.
  if (auto why = nubo::testing::LoopImage::WhyUnavailable({"genisoimage", "bsdtar"})) GTEST_SKIP() << *why;
  nubo::testing::TempDir work;
  std::string img = work.path() + "/cidata.iso", src = work.path() + "/src";
  std::filesystem::create_directory(src);
  std::filesystem::copy_file(sys_.HostPath(kSeed + std::string("meta-data")), src + "/meta-data");
  std::filesystem::remove(sys_.HostPath(kSeed + std::string("meta-data")));
  std::ofstream(src + "/user-data") << "#cloud-config\nruncmd: [echo hi]\n";
  for (int i = 0; i < 10000; ++i) std::ofstream(src + "/junk-" + std::to_string(i)) << "x";
  agent::RealSystem host("/");
  auto sh = [&](std::vector<std::string> argv) {
    auto r = host.Run({.argv = argv, .in_root = false});
    std::string what = argv[0] + ": " + (r ? r->err : r.error().ToString());
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << what;
    return r.ok() && r->exit_code == 0 ? r->out.substr(0, r->out.find('\n')) : std::string();
  };
  sh({"genisoimage", "-quiet", "-o", img, "-V", "cidata", "-r", src});
  std::string loop = sh({"losetup", "-f", "--show", "-r", img});
  ASSERT_FALSE(loop.empty());
  (void)host.Run({.argv = {"udevadm", "settle", "--timeout=5"}, .in_root = false});
  sys_.real_device = loop;
  double took = Boot() - sys_.extract_seconds;
  (void)host.Run({.argv = {"losetup", "-d", loop}, .in_root = false});
  EXPECT_LT(took, 20.0) << "bsdtar took " << sys_.extract_seconds << " s more";
  ExpectBootDone();
  EXPECT_THAT(sys_.Read("/run/cloud-init/status.json"), HasSubstr("[seed=" + loop + "]")) << log_.Dump();
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instance/scripts/runcmd"));
}

// A server that sends its headers and then one byte a second, forever.
class DripServer {
 public:
  DripServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string head = "HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        send(c, head.data(), head.size(), MSG_NOSIGNAL);
        while (!stop_ && send(c, "x", 1, MSG_NOSIGNAL) == 1) {
          for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        close(c);
      }
    });
  }
  ~DripServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ud"; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(HostileHttpTest, DrippingServerEndsAtTheTimeout) {
  DripServer server;
  auto start = std::chrono::steady_clock::now();
  auto r = HttpGet(server.Url(), {.timeout_seconds = 2, .tries = 2, .retry_delay_ms = 10});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("Operation timed out"));
  EXPECT_LT(s, 6.0);
}

}  // namespace
}  // namespace nubo::agent
