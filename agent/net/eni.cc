#include "agent/net/eni.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "nubo/text.h"

namespace nubo::net {
namespace {

// eni.py's option sets: what _parse_deb_config_data stores as a value,
// a command list, or a bridge option.
const std::set<std::string> kNetConfigOptions = {
    "address", "netmask",   "broadcast", "network", "metric", "gateway",  "pointtopoint", "media",
    "mtu",     "hostname",  "leasehours", "leasetime", "vendor", "client", "bootfile",    "server",
    "hwaddr",  "provider",  "frame",     "netnum",  "endpoint", "local",  "ttl"};
const std::set<std::string> kNetConfigCommands = {"pre-up", "up", "post-up", "down", "pre-down", "post-down"};
const std::set<std::string> kBridgeOptions = {"bridge_ageing", "bridge_bridgeprio", "bridge_fd",     "bridge_gcinit",
                                              "bridge_hello",  "bridge_maxage",     "bridge_maxwait", "bridge_stp"};

// str.splitlines() for the ASCII line boundaries.
std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\x1c' || c == '\x1d' || c == '\x1e') {
      out.push_back(std::move(cur));
      cur.clear();
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// One iface's parsed data, as 22.4's dict of it: keys in insertion order
// do not matter (the conversion reads named keys).
struct Stanza {
  std::string name;
  bool is_auto = false;
  bool defined = false;  // has an "iface" line ("family" in the dict)
  std::string family, method;
  std::optional<std::string> hwaddress;
  Value options = Value::object();  // NET_CONFIG_OPTIONS, commands, bond, bridge
  std::optional<std::vector<std::string>> nameservers, search;
};

class Parser {
 public:
  Parser(const std::string& source, const Logger& log) : source_(source), log_(log) {}

  Status Parse(std::string_view text) {
    int lineno = 0;
    for (const std::string& raw : SplitLines(text)) {
      ++lineno;
      std::string line = PyStrip(raw);
      if (line.rfind("#", 0) == 0) continue;
      std::vector<std::string> split = PySplit(line, ' ');
      const std::string& option = split[0];
      where_ = source_ + " line " + std::to_string(lineno);
      auto need = [&](size_t n) -> Status {
        if (split.size() > n) return Status::Ok();
        return MakeError(Quote(line) + ": expected " + std::to_string(n) + " value" + (n > 1 ? "s" : ""), where_);
      };
      if (option == "source" || option == "source-directory") {
        log_.Debug(where_ + ": " + Quote(line) + " not followed (no directory to read it from)");
        continue;
      }
      if (option == "auto") {
        for (size_t i = 1; i < split.size(); ++i) Upsert(split[i]).is_auto = true;
        continue;
      }
      if (option == "iface") {
        if (Status s = need(3); !s.ok()) return s;
        Stanza& st = Upsert(split[1]);
        if (st.defined) {
          return MakeError("Interface " + split[1] + " can only be defined once. Re-defined in " + Quote(source_) + ".",
                           where_);
        }
        st.defined = true;
        st.family = split[2];
        st.method = split[3];
        current_ = split[1];
        continue;
      }
      bool known = option == "hwaddress" || kNetConfigOptions.count(option) || kNetConfigCommands.count(option) ||
                   option.rfind("dns-", 0) == 0 || option.rfind("bridge_", 0) == 0 || option.rfind("bond-", 0) == 0;
      if (!known) continue;  // 22.4 ignores what it does not know
      if (current_.empty()) return MakeError(Quote(line) + " before any 'iface' line", where_);
      Stanza& st = *Find(current_);
      if (option == "hwaddress") {
        if (Status s = need(1); !s.ok()) return s;
        if (split[1] == "ether") {
          if (Status s = need(2); !s.ok()) return s;
          st.hwaddress = split[2];
        } else {
          st.hwaddress = split[1];
        }
      } else if (kNetConfigOptions.count(option)) {
        if (Status s = need(1); !s.ok()) return s;
        st.options[option] = split[1];
      } else if (kNetConfigCommands.count(option)) {
        std::string cmd;
        for (size_t i = 1; i < split.size(); ++i) cmd += (i > 1 ? " " : "") + split[i];
        st.options[option].push_back(cmd);
      } else if (option.rfind("dns-", 0) == 0) {
        std::vector<std::string> vals(split.begin() + 1, split.end());
        if (option == "dns-search") st.search = vals;
        else if (option == "dns-nameservers") st.nameservers = vals;
      } else if (option.rfind("bridge_", 0) == 0) {
        Value& bridge = st.options["bridge"];
        if (bridge.is_null()) bridge = Value::object();
        if (kBridgeOptions.count(option)) {
          if (Status s = need(1); !s.ok()) return s;
          bridge[option.substr(7)] = split[1];
        } else if (option == "bridge_ports") {
          bridge["ports"] = Value(std::vector<std::string>(split.begin() + 1, split.end()));
        } else if (option == "bridge_hw") {
          if (Status s = need(1); !s.ok()) return s;
          if (AsciiLower(split[1]) == "mac") {
            if (Status s = need(2); !s.ok()) return s;
            bridge["mac"] = split[2];
          } else {
            bridge["mac"] = split[1];
          }
        } else if (option == "bridge_pathcost" || option == "bridge_portprio") {
          if (Status s = need(2); !s.ok()) return s;
          bridge[option.substr(7)][split[1]] = split[2];
        }
      } else {  // bond-
        if (Status s = need(1); !s.ok()) return s;
        st.options["bond"][option.substr(5)] = split[1];
      }
    }
    return Status::Ok();
  }

  std::vector<Stanza>& stanzas() { return stanzas_; }

 private:
  Stanza* Find(const std::string& name) {
    for (Stanza& s : stanzas_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  Stanza& Upsert(const std::string& name) {
    if (Stanza* s = Find(name)) return *s;
    stanzas_.push_back({});
    stanzas_.back().name = name;
    return stanzas_.back();
  }

  const std::string& source_;
  const Logger& log_;
  std::vector<Stanza> stanzas_;  // in first-mention order, as the dict's keys
  std::string current_;
  std::string where_;
};

}  // namespace

Result<Value> ConvertEniData(std::string_view text, const std::string& source, const Logger& log) {
  Parser parser(source, log);
  if (Status s = parser.Parse(text); !s.ok()) return s.error();
  // _ifaces_to_net_config_data.
  std::vector<std::pair<std::string, Value>> devs;
  auto find_dev = [&](const std::string& name) -> Value* {
    for (auto& [n, d] : devs) {
      if (n == name) return &d;
    }
    return nullptr;
  };
  for (const Stanza& st : parser.stanzas()) {
    std::string devname = st.name.substr(0, st.name.find(':'));
    Value* dev = find_dev(devname);
    if (dev == nullptr) {
      Value d = {{"type", devname == "lo" ? "loopback" : "physical"}, {"name", devname}, {"subnets", Value::array()}};
      // Not strictly right (22.4 says so too), but some give hwaddress to match a NIC.
      if (st.hwaddress) d["mac_address"] = *st.hwaddress;
      devs.emplace_back(devname, std::move(d));
      dev = &devs.back().second;
    }
    std::string where = source + ": iface " + st.name;
    if (!st.defined) return MakeError("'auto " + st.name + "' without an 'iface " + st.name + "' line", where);
    Value subnet = {{"type", st.method}, {"control", st.is_auto ? "auto" : "manual"}};
    if (st.method == "static") {
      if (!st.options.contains("address")) return MakeError("a static stanza needs an 'address' line", where);
      subnet["address"] = st.options["address"];
    }
    for (const char* k : {"netmask", "gateway", "broadcast"}) {
      if (st.options.contains(k)) subnet[k] = st.options[k];
    }
    if (st.nameservers && !st.nameservers->empty()) subnet["dns_nameservers"] = *st.nameservers;
    if (st.search && !st.search->empty()) subnet["dns_search"] = *st.search;
    std::vector<std::string> dropped;
    for (auto it = st.options.begin(); it != st.options.end(); ++it) {
      if (it.key() != "address" && it.key() != "netmask" && it.key() != "gateway" && it.key() != "broadcast") {
        dropped.push_back(it.key());
      }
    }
    if (!dropped.empty()) {
      std::string list;
      for (const auto& k : dropped) list += (list.empty() ? "" : ", ") + k;
      log.Debug(where + ": not carried into the network config (as cloud-init 22.4): " + list);
    }
    (*dev)["subnets"].push_back(std::move(subnet));
  }
  std::sort(devs.begin(), devs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Value config = Value::array();
  for (auto& [n, d] : devs) config.push_back(std::move(d));
  return Value{{"version", 1}, {"config", std::move(config)}};
}

}  // namespace nubo::net
