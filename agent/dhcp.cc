#include "nubo/dhcp.h"

#include <algorithm>
#include <cctype>

#include "agent/net/sysnet.h"
#include "nubo/text.h"

namespace nubo {
namespace {

constexpr char kLeaseFile[] = "/run/dhclient.lease";
constexpr char kPidFile[] = "/run/dhclient.pid";

std::string MaskToPrefix(const std::string& mask) {
  auto parts = PySplit(mask, '.');
  if (parts.size() != 4) return mask;  // already a prefix length
  int bits = 0;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) return mask;
    unsigned v = static_cast<unsigned>(std::stoul(p));
    for (int b = 7; b >= 0; --b) bits += (v >> b) & 1;
  }
  return std::to_string(bits);
}

std::string Broadcast(const std::string& ip, const std::string& prefix) {
  auto parts = PySplit(ip, '.');
  if (parts.size() != 4 || prefix.empty() || !std::all_of(prefix.begin(), prefix.end(), ::isdigit)) return "";
  uint32_t addr = 0;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) return "";
    addr = (addr << 8) | (std::stoul(p) & 0xff);
  }
  int n = std::min(32, std::stoi(prefix));
  uint32_t host = n == 32 ? 0 : (0xffffffffu >> n);
  uint32_t b = addr | host;
  return std::to_string(b >> 24) + "." + std::to_string((b >> 16) & 255) + "." + std::to_string((b >> 8) & 255) +
         "." + std::to_string(b & 255);
}

std::string Lookup(const std::vector<std::pair<std::string, std::string>>& lease, const std::string& key) {
  for (auto it = lease.rbegin(); it != lease.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return "";
}

}  // namespace

std::optional<std::string> FindFallbackNic(System& sys) {
  return net::SysNet(sys).FallbackNic(sys.KernelCmdline());
}

std::vector<std::vector<std::pair<std::string, std::string>>> ParseDhclientLeases(const std::string& text) {
  std::vector<std::vector<std::pair<std::string, std::string>>> leases;
  size_t pos = 0;
  while ((pos = text.find("lease {", pos)) != std::string::npos) {
    size_t end = text.find("}\n", pos);
    if (end == std::string::npos) break;
    std::string body = text.substr(pos + 7, end - pos - 7);
    std::vector<std::pair<std::string, std::string>> lease;
    for (const std::string& raw : PySplit(body, ';')) {
      std::string line = PyStrip(raw);
      line.erase(std::remove(line.begin(), line.end(), '"'), line.end());
      for (size_t at; (at = line.find("option ")) != std::string::npos;) line.erase(at, 7);
      if (line.empty()) continue;
      size_t sp = line.find(' ');
      lease.emplace_back(line.substr(0, sp), sp == std::string::npos ? "" : line.substr(sp + 1));
    }
    leases.push_back(std::move(lease));
    pos = end + 2;
  }
  return leases;
}

std::vector<std::pair<std::string, std::string>> ParseStaticRoutes(const std::string& routes) {
  std::vector<int> t;
  for (const std::string& tok : PySplit(PyStrip(routes), ',')) {
    std::string s = PyStrip(tok);
    if (s.empty() || s.size() > 3 || !std::all_of(s.begin(), s.end(), ::isdigit)) return {};
    t.push_back(std::stoi(s));
  }
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < t.size()) {
    int width = t[i];
    if (width > 32) return {};
    size_t octets = static_cast<size_t>((width + 7) / 8);
    if (i + 1 + octets + 4 > t.size()) return {};
    std::string dest;
    for (size_t k = 0; k < 4; ++k) {
      dest += (k ? "." : "") + std::to_string(k < octets ? t[i + 1 + k] : 0);
    }
    std::string gw;
    for (size_t k = 0; k < 4; ++k) gw += (k ? "." : "") + std::to_string(t[i + 1 + octets + k]);
    out.emplace_back(dest + "/" + std::to_string(width), gw);
    i += 1 + octets + 4;
  }
  return out;
}

Result<std::unique_ptr<EphemeralDhcp>> EphemeralDhcp::Start(System& sys, const Logger& log, const std::string& nic) {
  std::unique_ptr<EphemeralDhcp> e(new EphemeralDhcp(sys, log));
  e->nic_ = nic;
  (void)sys.Remove(kPidFile);
  (void)sys.Remove(kLeaseFile);
  auto run = [&](std::vector<std::string> argv) -> Result<CommandResult> {
    log.Debug("running: " + [&] {
      std::string s;
      for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
      return s;
    }());
    Command c;
    c.argv = std::move(argv);
    c.env = {"LANG=C"};
    c.timeout = std::chrono::seconds(60);
    return sys.Run(c);
  };
  auto up = run({"ip", "link", "set", "dev", nic, "up"});
  if (!up || up->exit_code != 0) {
    return MakeError("cannot bring up '" + nic + "' for DHCP" + (up ? ": " + PyStrip(up->err) : ": " + up.error().ToString()));
  }
  log.Debug("performing a dhcp discovery on '" + nic + "'");
  auto dh = run({"dhclient", "-1", "-v", "-lf", kLeaseFile, "-pf", kPidFile, nic, "-sf", "/bin/true"});
  if (!dh) return MakeError("no DHCP lease on '" + nic + "': " + dh.error().ToString());
  if (dh->exit_code != 0) {
    return MakeError("no DHCP lease on '" + nic + "': dhclient exited with " + std::to_string(dh->exit_code));
  }
  // From here on, stop the client whatever happens.
  e->cleanup_.push_back({"dhclient", "-x", "-lf", kLeaseFile, "-pf", kPidFile, nic, "-sf", "/bin/true"});
  auto text = sys.ReadFile(kLeaseFile);
  auto leases = text ? ParseDhclientLeases(*text) : decltype(ParseDhclientLeases("")){};
  if (leases.empty()) return MakeError("no DHCP lease on '" + nic + "': no lease in '" + std::string(kLeaseFile) + "'");
  const auto& lease = leases.back();
  std::string ip = Lookup(lease, "fixed-address");
  std::string prefix = MaskToPrefix(Lookup(lease, "subnet-mask"));
  std::string bcast = Lookup(lease, "broadcast-address");
  if (bcast.empty()) bcast = Broadcast(ip, prefix);
  std::string router = Lookup(lease, "routers");
  std::string routes_opt = Lookup(lease, "rfc3442-classless-static-routes");
  if (routes_opt.empty()) routes_opt = Lookup(lease, "classless-static-routes");
  if (ip.empty() || prefix.empty()) return MakeError("DHCP lease on '" + nic + "' has no address");
  log.Debug("received dhcp lease on '" + nic + "' for " + ip + "/" + prefix);
  e->address_ = ip;
  std::string cidr = ip + "/" + prefix;
  auto add = run({"ip", "-family", "inet", "addr", "add", cidr, "broadcast", bcast, "dev", nic});
  if (!add) return add.error();
  if (add->exit_code != 0) {
    if (add->err.find("File exists") == std::string::npos) {
      return MakeError("cannot set up '" + cidr + "' on '" + nic + "': " + PyStrip(add->err));
    }
    log.Debug("'" + nic + "' already has address " + ip);
  } else {
    (void)run({"ip", "-family", "inet", "link", "set", "dev", nic, "up"});
    e->cleanup_.insert(e->cleanup_.begin(), {"ip", "-family", "inet", "link", "set", "dev", nic, "down"});
    e->cleanup_.insert(e->cleanup_.begin() + 1, {"ip", "-family", "inet", "addr", "del", cidr, "dev", nic});
  }
  auto static_routes = ParseStaticRoutes(routes_opt);
  if (!static_routes.empty()) {
    for (const auto& [net, gw] : static_routes) {
      std::vector<std::string> via;
      if (gw != "0.0.0.0") via = {"via", gw};
      std::vector<std::string> argv = {"ip", "-4", "route", "append", net};
      argv.insert(argv.end(), via.begin(), via.end());
      argv.insert(argv.end(), {"dev", nic});
      (void)run(argv);
      std::vector<std::string> del = {"ip", "-4", "route", "del", net};
      del.insert(del.end(), via.begin(), via.end());
      del.insert(del.end(), {"dev", nic});
      e->cleanup_.insert(e->cleanup_.begin(), del);
    }
  } else if (!router.empty()) {
    auto show = run({"ip", "route", "show", "0.0.0.0/0"});
    if (show && show->out.find("default") != std::string::npos) {
      log.Debug("'" + nic + "' already has a default route");
    } else {
      (void)run({"ip", "-4", "route", "add", router, "dev", nic, "src", ip});
      e->cleanup_.insert(e->cleanup_.begin(), {"ip", "-4", "route", "del", router, "dev", nic, "src", ip});
      (void)run({"ip", "-4", "route", "add", "default", "via", router, "dev", nic});
      e->cleanup_.insert(e->cleanup_.begin(), {"ip", "-4", "route", "del", "default", "dev", nic});
    }
  }
  return e;
}

EphemeralDhcp::~EphemeralDhcp() {
  for (auto& argv : cleanup_) {
    Command c;
    c.argv = argv;
    c.timeout = std::chrono::seconds(30);
    auto r = sys_.Run(c);
    if (!r || r->exit_code != 0) log_.Debug("ephemeral network cleanup: '" + argv[0] + "' failed");
  }
  (void)sys_.Remove(kPidFile);
}

}  // namespace nubo
