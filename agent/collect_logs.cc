// `cloud-init collect-logs`: files copied through System into a temporary
// directory under /tmp, then one `tar czf` (an argv) and the directory
// removed.

#include "agent/collect_logs.h"

#include <unistd.h>

#include <ctime>

#include "nubo/paths.h"

namespace nubo::agent {
namespace {

void CopyTree(System& sys, const std::string& from, const std::string& to, bool include_sensitive) {
  auto names = sys.ListDir(from);
  if (!names) return;
  (void)sys.MakeDirs(to, 0700);
  for (const auto& n : *names) {
    if (n == "hook-hotplug-cmd" || (!include_sensitive && n == "instance-data-sensitive.json")) continue;
    std::string src = from + "/" + n;
    auto info = sys.Stat(src);
    if (!info) continue;
    if (info->is_dir) {
      CopyTree(sys, src, to + "/" + n, include_sensitive);
    } else if (auto text = sys.ReadFile(src)) {
      (void)sys.WriteFile(to + "/" + n, *text, WriteOptions{.mode = 0600});
    }
  }
}

void CommandToFile(System& sys, std::vector<std::string> argv, const std::string& path) {
  Command c;
  c.argv = std::move(argv);
  c.timeout = std::chrono::seconds(60);
  auto r = sys.Run(c);
  std::string out = r ? r->out : "Unable to run " + c.argv[0] + ": " + r.error().ToString() + "\n";
  (void)sys.WriteFile(path, out, WriteOptions{.mode = 0600});
}

}  // namespace

int CollectLogs(System& sys, const std::string& tarball, bool include_userdata, std::ostream& err) {
  if (include_userdata && geteuid() != 0) {
    err << "To include userdata, root user is required. Try sudo cloud-init collect-logs\n";
    return 1;
  }
  char day[32];
  std::time_t now = static_cast<std::time_t>(sys.Now());
  std::strftime(day, sizeof(day), "cloud-init-logs-%Y-%m-%d", std::gmtime(&now));
  std::string tmp = "/tmp/nubo-collect-logs." + std::to_string(getpid());
  std::string dir = tmp + "/" + day;
  if (Status s = sys.MakeDirs(dir, 0700); !s.ok()) {
    err << "Error: " << s.error().ToString() << "\n";
    return 1;
  }
  (void)sys.WriteFile(dir + "/version", std::string("nubo " NUBO_VERSION " (cloud-init 22.4.2 compatible)\n"),
                      WriteOptions{.mode = 0600});
  CommandToFile(sys, {"dmesg"}, dir + "/dmesg.txt");
  CommandToFile(sys, {"journalctl", "--boot=0", "-o", "short-precise"}, dir + "/journal.txt");
  for (const char* log : {Paths::kLogFile, Paths::kOutputLogFile}) {
    if (auto text = sys.ReadFile(log)) {
      std::string name = std::string(log).substr(std::string(log).rfind('/') + 1);
      (void)sys.WriteFile(dir + "/" + name, *text, WriteOptions{.mode = 0600});
    }
  }
  if (include_userdata) {
    if (auto ud = sys.ReadFile("/var/lib/cloud/instance/user-data.txt")) {
      (void)sys.WriteFile(dir + "/user-data.txt", *ud, WriteOptions{.mode = 0600});
    }
  }
  CopyTree(sys, "/run/cloud-init", dir + "/run/cloud-init", include_userdata);
  Command tar;
  tar.argv = {"tar", "czf", tarball, "-C", tmp, day};
  auto r = sys.Run(tar);
  (void)sys.RemoveTree(tmp);
  if (!r || r->exit_code != 0) {
    err << "Error: tar failed: " << (r ? r->err : r.error().ToString()) << "\n";
    return 1;
  }
  err << "Wrote " << tarball << "\n";
  return 0;
}

}  // namespace nubo::agent
