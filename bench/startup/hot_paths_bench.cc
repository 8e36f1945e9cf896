// hot_paths_bench: Google Benchmark entries for what every boot does in
// process — config load and merge, user-data parsing, instance-data
// writing. Run by bench/startup/run (or by hand:
// cmake --build B --target hot_paths_bench && B/hot_paths_bench).
//
// Inputs are the package's own cloud.cfg, a field cloud.cfg.d file
// (tests/fixtures/seeds-cloudcfg), and a typical user-data: a user with a
// key, write_files and runcmd, plain and as a MIME multipart with scripts.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/system/real_system.h"
#include "agent/userdata.h"
#include "nubo/instance.h"
#include "nubo/system.h"

namespace nubo::agent {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char kUserCloudConfig[] = R"(#cloud-config
users:
  - default
  - name: alice
    groups: [sudo, adm]
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqKx3rYq7Wc1oFQzV2bQ0n1nFJv1u5sQ9xD0bqY8m1a alice@laptop
ssh_authorized_keys:
  - ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 admin@bastion
hostname: bench-vm
fqdn: bench-vm.example.org
write_files:
  - path: /etc/motd
    content: |
      Welcome to the bench VM.
    permissions: '0644'
  - path: /etc/app/config.yaml
    owner: root:root
    permissions: '0600'
    content: |
      listen: 0.0.0.0:8080
      workers: 4
runcmd:
  - [systemctl, restart, app]
  - echo done > /var/tmp/done
package_update: false
)";

const char kVendorCloudConfig[] = R"(#cloud-config
ntp: {enabled: true}
runcmd: [[touch, /var/tmp/vendor]]
)";

std::string MimeUserData() {
  std::string b = "==NUBO==";
  std::string m = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\nMIME-Version: 1.0\n\n";
  auto part = [&](const std::string& type, const std::string& name, const std::string& body) {
    m += "--" + b + "\nContent-Type: " + type + "; charset=\"us-ascii\"\nMIME-Version: 1.0\n" +
         "Content-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"" + name + "\"\n\n" +
         body + "\n";
  };
  part("text/cloud-config", "cloud-config.txt", kUserCloudConfig);
  part("text/x-shellscript", "setup.sh", "#!/bin/sh\necho setup\n");
  part("text/x-shellscript-per-boot", "boot.sh", "#!/bin/sh\necho boot\n");
  part("text/cloud-boothook", "hook.sh", "#cloud-boothook\n#!/bin/sh\necho hook\n");
  m += "--" + b + "--\n";
  return m;
}

Result<std::string> NoFetch(const std::string& url) { return MakeError("no fetch in a benchmark: " + url); }

// A target root with /etc/cloud/cloud.cfg and cloud.cfg.d/50-field.cfg.
class Root {
 public:
  Root() {
    char tmpl[] = "/tmp/nubo-bench.XXXXXX";
    dir_ = mkdtemp(tmpl);
    sys_ = std::make_unique<RealSystem>(dir_);
    WriteOptions o;
    (void)sys_->WriteFile("/etc/cloud/cloud.cfg", Slurp(NUBO_SOURCE_DIR "/packaging/cloud.cfg"), o);
    (void)sys_->WriteFile("/etc/cloud/cloud.cfg.d/50-field.cfg",
                          Slurp(NUBO_SOURCE_DIR "/tests/fixtures/seeds-cloudcfg/centos7-cookbook.cfg"), o);
    (void)sys_->WriteFile("/etc/cloud/cloud.cfg.d/90-dpkg.cfg",
                          "datasource_list: [ NoCloud, ConfigDrive, OpenStack, None ]\n", o);
  }
  ~Root() {
    (void)sys_->RemoveTree("/etc");
    (void)sys_->RemoveTree("/run");
    sys_.reset();
    rmdir(dir_.c_str());
  }
  System& sys() { return *sys_; }

 private:
  std::string dir_;
  std::unique_ptr<RealSystem> sys_;
};

void BM_ConfigLoad(benchmark::State& state) {
  Root root;
  for (auto _ : state) {
    std::vector<std::string> problems;
    Value base = LoadBaseConfig(root.sys(), problems);
    benchmark::DoNotOptimize(base);
  }
}
BENCHMARK(BM_ConfigLoad)->Unit(benchmark::kMicrosecond);

// cloud.cfg + cloud.cfg.d, then vendor and user cloud-config parsed and
// merged: what every stage does before its modules.
void BM_ConfigLoadAndMerge(benchmark::State& state) {
  Root root;
  for (auto _ : state) {
    std::vector<std::string> problems;
    Value base = LoadBaseConfig(root.sys(), problems);
    auto vendor = ProcessUserData(kVendorCloudConfig, "vendor-data", NoFetch);
    auto user = ProcessUserData(kUserCloudConfig, "user-data", NoFetch);
    if (!vendor || !user) state.SkipWithError("user-data did not parse");
    Value merged = MergeConfig(base, Value::object(), vendor->cloud_config, user->cloud_config, {});
    benchmark::DoNotOptimize(merged);
  }
}
BENCHMARK(BM_ConfigLoadAndMerge)->Unit(benchmark::kMicrosecond);

void BM_UserDataCloudConfig(benchmark::State& state) {
  for (auto _ : state) {
    auto ud = ProcessUserData(kUserCloudConfig, "user-data", NoFetch);
    if (!ud) state.SkipWithError(ud.error().message.c_str());
    benchmark::DoNotOptimize(ud);
  }
}
BENCHMARK(BM_UserDataCloudConfig)->Unit(benchmark::kMicrosecond);

void BM_UserDataMimeMultipart(benchmark::State& state) {
  std::string mime = MimeUserData();
  for (auto _ : state) {
    auto ud = ProcessUserData(mime, "user-data", NoFetch);
    if (!ud || ud->scripts.size() != 1 || ud->per_boot.size() != 1 || ud->boothooks.size() != 1) {
      state.SkipWithError("the MIME parts were not all found");
    }
    benchmark::DoNotOptimize(ud);
  }
}
BENCHMARK(BM_UserDataMimeMultipart)->Unit(benchmark::kMicrosecond);

InstanceData TypicalInstance() {
  InstanceData d;
  d.datasource = "NoCloud";
  d.description = "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]";
  d.subplatform = "seed-dir (/var/lib/cloud/seed/nocloud)";
  d.instance_id = "iid-bench-0001";
  d.local_hostname = "bench-vm";
  d.meta_data = {{"instance-id", d.instance_id}, {"local-hostname", "bench-vm"},
                 {"public-keys", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqKx3rY alice@laptop"}}};
  d.user_data = kUserCloudConfig;
  d.vendor_data = kVendorCloudConfig;
  d.public_keys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqKx3rY alice@laptop"};
  return d;
}

// The instance cache as init writes it (InstanceDataToJson, dumped) and as
// every later stage reads it back.
void BM_InstanceDataSerialize(benchmark::State& state) {
  InstanceData d = TypicalInstance();
  for (auto _ : state) {
    std::string text = InstanceDataToJson(d).dump(1) + "\n";
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_InstanceDataSerialize)->Unit(benchmark::kMicrosecond);

void BM_InstanceDataReadBack(benchmark::State& state) {
  std::string text = InstanceDataToJson(TypicalInstance()).dump(1);
  for (auto _ : state) {
    auto d = InstanceDataFromJson(Value::parse(text));
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_InstanceDataReadBack)->Unit(benchmark::kMicrosecond);

// The atomic write (temp file, fsync, rename) of that JSON, mode 0600, in
// a real directory: the part of instance-data writing the disk pays.
void BM_InstanceDataWriteFile(benchmark::State& state) {
  Root root;
  std::string text = InstanceDataToJson(TypicalInstance()).dump(2) + "\n";
  WriteOptions o;
  o.mode = 0600;
  for (auto _ : state) {
    Status s = root.sys().WriteFile("/run/cloud-init/instance-data-sensitive.json", text, o);
    if (!s) state.SkipWithError(s.error().message.c_str());
  }
}
BENCHMARK(BM_InstanceDataWriteFile)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace nubo::agent

BENCHMARK_MAIN();
