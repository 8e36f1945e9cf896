// The target root's passwd and group, and shadow-utils commands given the
// root. See include/nubo/distro_users.h.

#include "nubo/distro_users.h"

#include <cstdlib>

#include "nubo/text.h"

namespace nubo::distro {

std::optional<PasswdEntry> FindUser(System& sys, const std::string& name) {
  auto text = sys.ReadFile("/etc/passwd");
  if (!text) return std::nullopt;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (f.size() < 7 || f[0] != name) continue;
    PasswdEntry e;
    e.name = f[0];
    e.uid = static_cast<uid_t>(std::strtoul(f[2].c_str(), nullptr, 10));
    e.gid = static_cast<gid_t>(std::strtoul(f[3].c_str(), nullptr, 10));
    e.gecos = f[4];
    e.home = f[5];
    e.shell = f[6];
    return e;
  }
  return std::nullopt;
}

bool GroupExists(System& sys, const std::string& name) {
  auto text = sys.ReadFile("/etc/group");
  if (!text) return false;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (!f.empty() && f[0] == name) return true;
  }
  return false;
}

std::vector<std::string> UserGroups(System& sys, const PasswdEntry& user) {
  std::vector<std::string> out;
  auto text = sys.ReadFile("/etc/group");
  if (!text) return out;
  for (const auto& line : PySplit(*text, '\n')) {
    auto f = PySplit(line, ':');
    if (f.size() < 4) continue;
    bool member = std::strtoul(f[2].c_str(), nullptr, 10) == user.gid;
    for (const auto& m : PySplit(f[3], ',')) member = member || m == user.name;
    if (member) out.push_back(f[0]);
  }
  return out;
}

Command ShadowCommand(const System& sys, std::vector<std::string> argv) {
  Command c;
  if (sys.root() != "/") {
    argv.insert(argv.begin() + 1, {"--root", sys.root()});
    c.in_root = false;
  }
  c.argv = std::move(argv);
  return c;
}

Command ChpasswdCommand(System& sys, bool hashed) {
  std::vector<std::string> argv = {"chpasswd"};
  if (hashed) {
    argv.push_back("-e");
  } else if (sys.root() != "/") {
    std::string method = "SHA512";
    if (auto defs = sys.ReadFile("/etc/login.defs"); defs) {
      for (const auto& line : PySplit(*defs, '\n')) {
        auto toks = SplitWhitespace(line);
        if (toks.size() >= 2 && toks[0] == "ENCRYPT_METHOD") method = toks[1];
      }
    }
    argv.insert(argv.end(), {"-c", method});
  }
  return ShadowCommand(sys, argv);
}

}  // namespace nubo::distro
