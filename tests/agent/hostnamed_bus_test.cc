// RealSystem::SetHostnameViaHostnamed and the set_hostname module against a
// private dbus-daemon on which this test serves a tiny
// org.freedesktop.hostname1 object (sd-bus), recording the calls.

#include <gmock/gmock.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

#include "agent/system/real_system.h"
#include "modules/modules.h"
#include "support/test_system.h"

extern char** environ;

namespace nubo {
namespace {

using ::testing::ElementsAre;

class FakeHostnamed {
 public:
  explicit FakeHostnamed(const std::string& address) {
    if (sd_bus_new(&bus_) < 0 || sd_bus_set_address(bus_, address.c_str()) < 0 ||
        sd_bus_set_bus_client(bus_, 1) < 0 || sd_bus_start(bus_) < 0) {
      return;
    }
    if (sd_bus_add_object_vtable(bus_, nullptr, "/org/freedesktop/hostname1",
                                 "org.freedesktop.hostname1", kVtable, this) < 0) {
      return;
    }
    if (sd_bus_request_name(bus_, "org.freedesktop.hostname1", 0) < 0) return;
    ok_ = true;
    thread_ = std::thread([this] {
      while (!stop_) {
        int r = sd_bus_process(bus_, nullptr);
        if (r < 0) break;
        if (r == 0) sd_bus_wait(bus_, 50 * 1000);
      }
    });
  }
  ~FakeHostnamed() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (bus_ != nullptr) sd_bus_flush_close_unref(bus_);
  }
  bool ok() const { return ok_; }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  static int Handle(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
    auto* self = static_cast<FakeHostnamed*>(userdata);
    const char* name = nullptr;
    int interactive = 0;
    int r = sd_bus_message_read(m, "sb", &name, &interactive);
    if (r < 0) return r;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->calls_.push_back(std::string(sd_bus_message_get_member(m)) + ":" + name);
    }
    return sd_bus_reply_method_return(m, "");
  }
  static const sd_bus_vtable kVtable[];

  sd_bus* bus_ = nullptr;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

const sd_bus_vtable FakeHostnamed::kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("SetStaticHostname", "sb", "", &FakeHostnamed::Handle,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("SetHostname", "sb", "", &FakeHostnamed::Handle, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

class PrivateBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/dbus-daemon", X_OK) != 0) {
      GTEST_SKIP() << "needs dbus-daemon (Debian package dbus; see scripts/deps)";
    }
    address_ = "unix:path=" + dir_.path() + "/bus";
    std::string listen = "--address=" + address_;
    const char* argv[] = {"dbus-daemon", "--session", listen.c_str(), "--nofork", "--nopidfile",
                          nullptr};
    // Its stderr (a warning when it may not raise its fd limit) is noise.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&daemon_, "/usr/bin/dbus-daemon", &actions, nullptr,
                         const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) GTEST_SKIP() << "cannot start dbus-daemon";
    for (int i = 0; i < 200 && access((dir_.path() + "/bus").c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(access((dir_.path() + "/bus").c_str(), F_OK), 0) << "dbus-daemon did not listen";
  }
  void TearDown() override {
    if (daemon_ > 0) {
      kill(daemon_, SIGTERM);
      waitpid(daemon_, nullptr, 0);
    }
  }

  nubo::testing::TempDir dir_;
  std::string address_;
  pid_t daemon_ = 0;
};

TEST_F(PrivateBusTest, SetsStaticAndTransientHostname) {
  FakeHostnamed hostnamed(address_);
  ASSERT_TRUE(hostnamed.ok());
  nubo::testing::TempDir root;
  agent::RealSystem sys(root.path());
  sys.set_hostname_bus(address_);
  Status s = sys.SetHostnameViaHostnamed("web1.example.com", "web1");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(hostnamed.calls(),
              ElementsAre("SetStaticHostname:web1.example.com", "SetHostname:web1"));
}

TEST_F(PrivateBusTest, NoHostnamedOnTheBusIsUnreachable) {
  nubo::testing::TempDir root;
  agent::RealSystem sys(root.path());
  sys.set_hostname_bus(address_);
  Status s = sys.SetHostnameViaHostnamed("web1", "web1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().errno_value, ENOTCONN) << s.error().ToString();
}

TEST_F(PrivateBusTest, NoBusAtAllIsUnreachable) {
  nubo::testing::TempDir root;
  agent::RealSystem sys(root.path());
  sys.set_hostname_bus("unix:path=" + root.path() + "/no-such-bus");
  Status s = sys.SetHostnameViaHostnamed("web1", "web1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().errno_value, ENOTCONN) << s.error().ToString();
}

// No system bus socket (a container, an image without D-Bus): unreachable,
// told before libsystemd is loaded (sd_bus_open_system's error would be
// "No such file or directory"). The host root, with the socket looked for
// elsewhere, so the host's own bus is never asked.
TEST(HostnamedRefusal, NoSystemBusSocketIsUnreachableBeforeLibsystemd) {
  if (getenv("DBUS_SYSTEM_BUS_ADDRESS") != nullptr) GTEST_SKIP() << "DBUS_SYSTEM_BUS_ADDRESS is set";
  nubo::testing::TempDir dir;
  agent::RealSystem sys("/");
  sys.set_system_bus_socket(dir.path() + "/system_bus_socket");
  Status s = sys.SetHostnameViaHostnamed("web1", "web1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().errno_value, ENOTCONN) << s.error().ToString();
  EXPECT_EQ(s.error().message, "connect to the system bus: no " + dir.path() + "/system_bus_socket");
}

TEST(HostnamedRefusal, TargetRootNeverTalksToTheHostsBus) {
  nubo::testing::TempDir root;
  agent::RealSystem sys(root.path());
  Status s = sys.SetHostnameViaHostnamed("web1", "web1");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().ToString(),
              ::testing::HasSubstr("not talking to the host's systemd-hostnamed"));
  Status t = sys.SetTransientHostname("web1");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.error().ToString(), ::testing::HasSubstr("not setting the running hostname"));
}

// The module end to end: a RealSystem that counts as the running system
// (but records sethostname) and talks to the private bus.
class RunningSystem : public agent::RealSystem {
 public:
  using RealSystem::RealSystem;
  bool IsHostRoot() const override { return true; }
  Status SetTransientHostname(const std::string& name) override {
    sethostname_calls.push_back(name);
    return Status::Ok();
  }
  Result<std::string> RunningHostname() override { return std::string("localhost"); }
  std::vector<std::string> sethostname_calls;
};

TEST_F(PrivateBusTest, SetHostnameModuleGoesThroughHostnamed) {
  FakeHostnamed hostnamed(address_);
  ASSERT_TRUE(hostnamed.ok());
  nubo::testing::TempDir root;
  RunningSystem sys(root.path());
  sys.set_hostname_bus(address_);
  Value config = {{"hostname", "web1"}, {"fqdn", "web1.example.com"},
                  {"prefer_fqdn_over_hostname", true}};
  InstanceData instance;
  Paths paths;
  paths.instance_id = "iid-1";
  CapturingSink sink;
  Logger log(&sink, "init/set_hostname");
  ModuleContext ctx{.name = "set_hostname",
                    .config = config,
                    .instance = instance,
                    .sys = sys,
                    .log = log,
                    .paths = paths,
                    .frequency = Frequency::kPerInstance};
  Status s = modules::set_hostname::kSpec.run(ctx);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(hostnamed.calls(), ElementsAre("SetStaticHostname:web1.example.com",
                                             "SetHostname:web1.example.com"));
  EXPECT_TRUE(sys.sethostname_calls.empty());
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "set hostname 'web1.example.com' through "
                                             "systemd-hostnamed (static and transient)"))
      << sink.Dump();
}

}  // namespace
}  // namespace nubo
