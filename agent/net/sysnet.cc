#include "agent/net/sysnet.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "nubo/text.h"

namespace nubo::net {
namespace {

// natural_sort_key: digit runs compare as numbers, the rest lower-cased.
using SortPart = std::variant<long, std::string>;
std::vector<SortPart> NaturalKey(const std::string& s) {
  // re.split("([0-9]+)") yields text, number, text, ...: always text first.
  std::vector<SortPart> out;
  std::string text;
  size_t i = 0;
  while (i < s.size()) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      out.emplace_back(text);
      text.clear();
      size_t j = i;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      out.emplace_back(std::stol(s.substr(i, j - i)));
      i = j;
    } else {
      text += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      ++i;
    }
  }
  out.emplace_back(text);
  return out;
}

void NaturalSort(std::vector<std::string>& v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const std::string& a, const std::string& b) { return NaturalKey(a) < NaturalKey(b); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<std::string> SysNet::Devices() {
  auto names = sys_.ListHostDir(base_);
  if (!names) return {};
  return *names;
}

std::optional<std::string> SysNet::Read(const std::string& dev, const std::string& field) {
  auto text = sys_.ReadHostFile(base_ + "/" + dev + "/" + field);
  if (!text) return std::nullopt;
  return PyStrip(*text);
}

std::optional<long> SysNet::ReadInt(const std::string& dev, const std::string& field) {
  auto v = Read(dev, field);
  if (!v || v->empty()) return std::nullopt;
  try {
    size_t used = 0;
    long n = std::stol(*v, &used);
    if (used != v->size()) return std::nullopt;
    return n;
  } catch (...) {
    return std::nullopt;
  }
}

bool SysNet::Has(const std::string& dev, const std::string& sub) {
  return sys_.StatHostPath(base_ + "/" + dev + "/" + sub).ok();
}

std::string SysNet::Driver(const std::string& dev) {
  auto info = sys_.StatHostPath(base_ + "/" + dev + "/device/driver");
  if (!info) return "";
  const std::string& p = info->real_path;
  return p.substr(p.rfind('/') + 1);
}

std::map<std::string, std::string> SysNet::InterfacesByMac() {
  std::map<std::string, std::string> out;
  const std::string zero_mac = "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
  for (const std::string& name : Devices()) {
    // interface_has_own_mac: addr_assign_type 2 is a stolen address.
    auto assign = ReadInt(name, "addr_assign_type");
    if (assign && *assign == 2) continue;
    if (Has(name, "bridge") || Has(name, "bonding")) continue;
    auto uevent = Read(name, "uevent");
    if (uevent && ("\n" + *uevent + "\n").find("\nDEVTYPE=vlan\n") != std::string::npos) continue;
    if (Has(name, "master")) {
      auto master = sys_.StatHostPath(base_ + "/" + name + "/master");
      bool bond_or_bridge = false;
      if (master) {
        bond_or_bridge = sys_.StatHostPath(master->real_path + "/bonding").ok() ||
                         sys_.StatHostPath(master->real_path + "/bridge").ok() ||
                         Has(name, "upper_ovs-system");
      }
      if (!bond_or_bridge) continue;
    }
    auto mac = Read(name, Has(name, "bonding_slave") ? "bonding_slave/perm_hwaddr" : "address");
    if (!mac || mac->empty()) continue;
    if (name != "lo" && *mac == zero_mac.substr(0, mac->size())) continue;
    std::string key = Lower(*mac);
    if (out.count(key) == 0) out[key] = name;
  }
  return out;
}

std::optional<std::string> SysNet::FallbackNic(const std::string& cmdline) {
  (void)cmdline;  // net.ifnames=0 only changes whether cloud-init waits for udev
  std::vector<std::string> connected, possibly;
  for (const std::string& dev : Devices()) {
    if (dev == "lo") continue;
    auto mac = Read(dev, "address");
    if (!mac || mac->empty()) continue;
    if (dev.rfind("veth", 0) == 0) continue;
    if (Has(dev, "bridge") || Has(dev, "bonding")) continue;
    auto carrier = ReadInt(dev, "carrier");
    if (carrier && *carrier != 0) {
      connected.push_back(dev);
      continue;
    }
    auto dormant = ReadInt(dev, "dormant");
    if (dormant && *dormant != 0) {
      possibly.push_back(dev);
      continue;
    }
    auto operstate = Read(dev, "operstate");
    if (operstate && (*operstate == "dormant" || *operstate == "down" || *operstate == "lowerlayerdown" ||
                      *operstate == "unknown")) {
      possibly.push_back(dev);
    }
  }
  for (auto* list : {&connected, &possibly}) {
    NaturalSort(*list);
    auto it = std::find(list->begin(), list->end(), "eth0");
    if (it != list->end()) {
      list->erase(it);
      list->insert(list->begin(), "eth0");
    }
  }
  if (!connected.empty()) return connected.front();
  if (!possibly.empty()) return possibly.front();
  return std::nullopt;
}

Value SysNet::FallbackConfig(const std::string& cmdline) {
  auto nic = FallbackNic(cmdline);
  if (!nic) return nullptr;
  auto mac = Read(*nic, "address");
  Value cfg = {{"dhcp4", true}, {"set-name", *nic}, {"match", {{"macaddress", Lower(mac.value_or(""))}}}};
  return Value{{"ethernets", {{*nic, cfg}}}, {"version", 2}};
}

}  // namespace nubo::net
