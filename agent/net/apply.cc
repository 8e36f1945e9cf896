#include "agent/net/apply.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "agent/net/eni.h"
#include "agent/net/network_state.h"
#include "agent/net/openstack.h"
#include "agent/net/renderer.h"
#include "agent/net/sysnet.h"
#include "nubo/text.h"

namespace nubo::net {
namespace {

std::optional<std::string> Base64Decode(const std::string& in) {
  static const std::string kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  size_t n = 0, pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    auto p = kAlpha.find(c);
    if (p == std::string::npos) continue;  // b64decode discards other bytes
    ++n;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xff));
      bits -= 8;
    }
  }
  if ((n + pad) % 4 != 0 || n % 4 == 1) return std::nullopt;  // incorrect padding
  return out;
}

std::string MaybeGunzip(const std::string& blob) {
  if (blob.size() < 2 || static_cast<unsigned char>(blob[0]) != 0x1f || static_cast<unsigned char>(blob[1]) != 0x8b) {
    return blob;
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return blob;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(blob.data()));
  zs.avail_in = static_cast<uInt>(blob.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : blob;
}

bool Truthy(const Value& v) {
  return !(v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
           ((v.is_string() || v.is_array() || v.is_object()) && v.empty()));
}

Value StripNetworkKey(const Value& v) {
  if (v.is_object() && v.contains("network")) return v["network"];
  return v;
}

bool IsDisabled(const Value& v) { return v.is_object() && Get(v, "config") == "disabled"; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// extract_physdevs: [mac, name] of the NICs the config names by MAC.
std::vector<std::pair<std::string, std::string>> PhysDevs(const Value& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  if (Get(cfg, "version") == 1) {
    for (const auto& e : Get(cfg, "config")) {
      if (ValueStr(Get(e, "type")) != "physical" || !Truthy(Get(e, "mac_address"))) continue;
      out.emplace_back(Lower(ValueStr(e["mac_address"])), ValueStr(Get(e, "name")));
    }
  } else if (Get(cfg, "version") == 2) {
    const Value& eths = Get(cfg, "ethernets");
    if (eths.is_object()) {
      for (const auto& [k, e] : eths.items()) {
        if (!Truthy(Get(e, "set-name")) || !Truthy(Get(Get(e, "match"), "macaddress"))) continue;
        out.emplace_back(Lower(ValueStr(e["match"]["macaddress"])), ValueStr(e["set-name"]));
      }
    }
  }
  return out;
}

std::string PySetRepr(const std::set<std::string>& s) {
  std::string out = "{";
  for (const auto& e : s) out += (out.size() > 1 ? ", " : "") + PyStrRepr(e);
  return out + "}";
}

// Debian's _maybe_remove_legacy_eth0: an old image's eth0.cfg with only
// "auto eth0 / iface eth0 inet dhcp" is removed, else kept with a warning.
void MaybeRemoveLegacyEth0(System& sys, const Logger& log) {
  const std::string path = "/etc/network/interfaces.d/eth0.cfg";
  if (!sys.Exists(path)) return;
  auto text = sys.ReadFile(path);
  std::string bmsg = "Dynamic networking config may not apply.";
  if (!text) {
    log.Warning(bmsg + " " + path + " exists, but could not be read.");
    return;
  }
  std::vector<std::string> lines;
  for (const auto& l : PySplit(*text, '\n')) {
    if (l.rfind("#", 0) == 0) continue;
    if (!PyStrip(l).empty() || &l != &lines.back()) lines.push_back(PyStrip(l));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines == std::vector<std::string>{"auto eth0", "iface eth0 inet dhcp"}) {
    (void)sys.Remove(path);
    log.Warning("removed " + path + " with known contents");
  } else {
    log.Warning(bmsg + " '" + path + "' exists with user configured content.");
  }
}

// _rename_interfaces, for the simple case: a NIC found by MAC under
// another name, and the wanted name free.
void RenameInterfaces(System& sys, SysNet& sysnet, const std::vector<std::pair<std::string, std::string>>& devs,
                      const Logger& log) {
  if (!sys.IsHostRoot()) return;
  auto by_mac = sysnet.InterfacesByMac();
  std::set<std::string> names;
  for (const auto& [mac, name] : by_mac) names.insert(name);
  for (const auto& [mac, want] : devs) {
    auto it = by_mac.find(mac);
    if (it == by_mac.end() || it->second == want || want.empty()) continue;
    if (names.count(want)) {
      log.Warning("cannot rename " + Quote(it->second) + " to " + Quote(want) + ": the name is taken, skipping");
      continue;
    }
    bool up = sysnet.Read(it->second, "operstate").value_or("down") == "up";
    std::vector<std::vector<std::string>> cmds;
    if (up) cmds.push_back({"ip", "link", "set", "dev", it->second, "down"});
    cmds.push_back({"ip", "link", "set", "dev", it->second, "name", want});
    if (up) cmds.push_back({"ip", "link", "set", "dev", want, "up"});
    for (const auto& argv : cmds) {
      log.Debug("running " + argv[0] + " link set ...");
      auto r = sys.Run({.argv = argv});
      if (!r || r->exit_code != 0) {
        log.Warning("renaming " + Quote(it->second) + " to " + Quote(want) + " failed, skipping");
        break;
      }
    }
    log.Info("renamed " + Quote(it->second) + " to " + Quote(want) + " (" + mac + ")");
    names.erase(it->second);
    names.insert(want);
  }
}

Status WriteFiles(System& sys, const std::vector<RenderedFile>& files, const Logger& log) {
  for (const RenderedFile& f : files) {
    WriteOptions o;
    o.mode = f.mode;
    if (!f.owner.empty()) {
      o.owner = f.owner;
      o.group = f.owner;
    }
    Status s = sys.WriteFile(f.path, f.content, o);
    if (!s.ok() && !f.owner.empty()) {
      log.Warning("cannot give " + Quote(f.path) + " to " + Quote(f.owner) + " (" + s.error().ToString() +
                  "), writing it owned by root");
      o.owner.reset();
      o.group.reset();
      s = sys.WriteFile(f.path, f.content, o);
    }
    if (!s.ok()) return s;
    log.Info("wrote " + Quote(f.path));
  }
  return Status::Ok();
}

// In init-local a NIC's driver may not be loaded yet (loaded from the root
// filesystem by udevd, which may not even have started): NICs that
// network_data.json names by MAC and that are not there get up to 5 rounds
// of `udevadm settle`, as wait_for_physdevs gives a v1 config's. (22.4
// converts at once and fails with "Unable to find a system nic"; the
// physical links only: a bond's or VLAN's MAC is not a NIC's.)
void WaitForLinkNics(System& sys, SysNet& sysnet, const Value& network_data, const Logger& log) {
  if (!sys.IsHostRoot()) return;
  const Value& links = Get(network_data, "links");
  if (!links.is_array()) return;
  auto missing = [&] {
    auto present = sysnet.InterfacesByMac();
    std::set<std::string> out;
    for (const Value& l : links) {
      std::string type = ValueStr(Get(l, "type"));
      if (type == "bond" || type == "vlan" || !Get(l, "ethernet_mac_address").is_string()) continue;
      std::string mac = Lower(l["ethernet_mac_address"].get<std::string>());
      if (!present.count(mac)) out.insert(mac);
    }
    return out;
  };
  auto absent = missing();
  if (absent.empty()) return;
  log.Info("waiting for udev: network_data.json names NICs not present yet: " + PySetRepr(absent));
  for (int attempt = 0; attempt < 5 && !absent.empty(); ++attempt) {
    (void)sys.Run({.argv = {"udevadm", "settle", "--timeout=120"}, .timeout = std::chrono::seconds(130)});
    absent = missing();
  }
}

}  // namespace

Value KernelCmdlineNetworkConfig(const std::string& cmdline, const Logger& log) {
  if (cmdline.find("network-config=") == std::string::npos) return nullptr;
  std::string data64;
  for (const std::string& tok : PySplit(cmdline, ' ')) {
    std::string t = PyStrip(tok);
    if (t.rfind("network-config=", 0) == 0) data64 = t.substr(15);
  }
  if (data64.empty()) return nullptr;
  if (data64 == "disabled") return Value{{"config", "disabled"}};
  auto blob = Base64Decode(data64);
  if (!blob) {
    log.Error("Expected base64 encoded kernel commandline parameter network-config. Ignoring network-config=" +
              data64 + ".");
    return nullptr;
  }
  auto v = ParseYaml(MaybeGunzip(*blob), "kernel command line network-config=");
  if (!v) {
    log.Error(v.error().ToString() + ", ignoring it");
    return nullptr;
  }
  return *v;
}

void ApplyNetworkConfig(System& sys, const Logger& log, const Value& base, const InstanceData* data,
                        const Paths& paths, const ApplyOptions& options, std::vector<std::string>& errors) {
  if (sys.Exists(paths.DataPath("upgraded-network"))) {
    log.Info("network config is disabled by " + paths.DataPath("upgraded-network"));
    return;
  }
  SysNet sysnet(sys, options.sys_class_net);
  std::string cmdline = sys.KernelCmdline();
  // _find_networking_config, in DataSource.network_config_sources order.
  Value netcfg;
  std::string src;
  KeyOrder order;
  std::string source_name;
  bool broken = false;
  auto consider = [&](const std::string& name, const Value& cfg) -> int {  // 0 go on, 1 use, -1 disabled
    Value c = StripNetworkKey(cfg);
    if (IsDisabled(c)) {
      log.Info("network config is disabled by " + name);
      return -1;
    }
    if (Truthy(c)) {
      netcfg = c;
      src = name;
      return 1;
    }
    return 0;
  };
  int r = consider("cmdline", KernelCmdlineNetworkConfig(cmdline, log));
  if (r == 0) r = consider("system_cfg", Get(base, "network"));
  if (r == 0 && data != nullptr) {
    Value ds;
    if (data->network_config) {
      source_name = "network-config";
      auto v = ParseYaml(*data->network_config, "network-config");
      if (!v) {
        std::string msg = "network config from the datasource is unusable: " + v.error().ToString() +
                          "; applying the fallback config";
        log.Error(msg);
        errors.push_back(msg);
        broken = true;
      } else {
        ds = *v;
        order = YamlKeyOrder(*data->network_config);
      }
    } else if (data->network_data_json) {
      source_name = "network_data.json";
      Value j = Value::parse(*data->network_data_json, nullptr, false);
      if (!j.is_discarded()) WaitForLinkNics(sys, sysnet, j, log);
      Result<Value> v = j.is_discarded() ? Result<Value>(MakeError("not valid JSON"))
                                         : ConvertNetworkDataJson(j, std::nullopt, &sysnet, log);
      if (!v) {
        Error e = v.error();
        std::string msg = "network_data.json: " + e.ToString() + "; applying the fallback config";
        log.Error(msg);
        errors.push_back(msg);
        broken = true;
      } else {
        ds = *v;
      }
    } else if (data->datasource == "NoCloud" && data->meta_data.is_object() &&
               data->meta_data.contains("network-interfaces") && !data->meta_data["network-interfaces"].is_null()) {
      // NoCloud's meta-data `network-interfaces` (ENI), when there is no
      // network-config: eni.convert_eni_data.
      source_name = "meta-data network-interfaces";
      const Value& eni = data->meta_data["network-interfaces"];
      Result<Value> v = eni.is_string() ? ConvertEniData(eni.get<std::string>(), "meta-data network-interfaces", log)
                                        : Result<Value>(MakeError("expected a string, got " + TypeName(eni),
                                                                  "meta-data network-interfaces"));
      if (!v) {
        std::string msg = v.error().ToString() + "; applying the fallback config";
        log.Error(msg);
        errors.push_back(msg);
        broken = true;
      } else {
        ds = *v;
      }
    }
    if (!broken) r = consider("ds", ds);
  }
  if (r < 0) return;
  if (r == 0) {
    netcfg = sysnet.FallbackConfig(cmdline);
    src = "fallback";
    order.clear();
    if (netcfg.is_null()) {
      log.Info("network config is disabled by fallback");
      return;
    }
  }
  // update_events: boot-new-instance by default; `updates: network: when:`
  // may add boot (and boot-legacy).
  if (data != nullptr) {
    std::string prev;
    if (auto t = sys.ReadFile(paths.DataPath("previous-instance-id"))) prev = PyStrip(*t);
    bool new_instance = prev.empty() || prev != data->instance_id;
    bool on_boot = false;
    const Value& when = Get(Get(Get(base, "updates"), "network"), "when");
    if (when.is_array()) {
      for (const auto& w : when) on_boot |= w == "boot" || w == "boot-legacy";
    }
    if (!new_instance && !on_boot) {
      log.Debug("No network config applied. Neither a new instance nor datasource network update allowed");
      RenameInterfaces(sys, sysnet, PhysDevs(netcfg), log);
      return;
    }
  }
  // wait_for_physdevs: every NIC named by MAC must exist.
  auto physdevs = PhysDevs(netcfg);
  std::set<std::string> missing;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto present = sysnet.InterfacesByMac();
    missing.clear();
    for (const auto& [mac, name] : physdevs) {
      if (!present.count(mac)) missing.insert(mac);
    }
    if (missing.empty() || !sys.IsHostRoot()) break;
    for (const auto& [mac, name] : physdevs) {
      if (!missing.count(mac)) continue;
      auto r2 = sys.Run({.argv = {"udevadm", "settle", "--exit-if-exists=/sys/class/net/" + name},
                         .timeout = std::chrono::seconds(120)});
      (void)r2;
    }
  }
  if (!missing.empty()) {
    std::string msg = "Not all expected physical devices present: " + PySetRepr(missing);
    log.Warning(msg);
    errors.push_back(msg);
    return;
  }
  RenameInterfaces(sys, sysnet, physdevs, log);
  log.Info("Applying network configuration from " + src + " bringup=False: " + netcfg.dump());
  std::string distro = options.distro.empty() ? ValueStr(Get(Get(base, "system_info"), "distro")) : options.distro;
  auto renderer = SelectRenderer(sys, Get(Get(Get(base, "system_info"), "network"), "renderers"),
                                 options.default_renderers);
  if (!renderer) {
    log.Error("Unable to render networking. Network config is likely broken: " + renderer.error().ToString());
    return;
  }
  RenderOptions ropts = RenderOptionsForDistro(distro);
  if ((*renderer)->render == &RenderSysconfig) {
    if (auto t = sys.ReadFile(ropts.sysconfig_dns_path)) ropts.existing_resolv_conf = *t;
  }
  NetworkState state;
  bool netplan = std::string((*renderer)->name) == "netplan";
  if (netplan && Get(netcfg, "version") == 2) {
    state.version = 2;  // passed through unparsed, as 22.4 does for netplan
    state.config = netcfg;
  } else {
    auto parsed = ParseNetworkConfig(netcfg, source_name.empty() || src != "ds" ? src : source_name, &sysnet, log, order);
    if (!parsed) {
      std::string msg = parsed.error().ToString();
      log.Error(msg + "; applying the fallback config");
      errors.push_back(msg);
      Value fb = sysnet.FallbackConfig(cmdline);
      if (fb.is_null() || src == "fallback") return;
      auto fbs = ParseNetworkConfig(fb, "fallback", &sysnet, log);
      if (!fbs) return;
      state = std::move(*fbs);
    } else {
      state = std::move(*parsed);
    }
  }
  auto files = (*renderer)->render(state, ropts);
  if (!files) {
    std::string msg = "rendering " + std::string((*renderer)->name) + " failed: " + files.error().ToString();
    log.Error(msg);
    errors.push_back(msg);
    return;
  }
  if (std::string((*renderer)->name) == "eni") MaybeRemoveLegacyEth0(sys, log);
  if (Status s = WriteFiles(sys, *files, log); !s.ok()) {
    log.Error("cannot write network config: " + s.error().ToString());
    errors.push_back(s.error().ToString());
    return;
  }
  if (netplan && ValueStr(Get(Get(base, "system_info"), "distro")) != "" &&
      (distro == "debian" || distro == "ubuntu")) {
    // renderer_configs postcmds: netplan generate.
    auto g = sys.Run({.argv = {"netplan", "generate"}});
    if (!g || g->exit_code != 0) log.Warning("'netplan generate' failed");
  }
}

}  // namespace nubo::net
