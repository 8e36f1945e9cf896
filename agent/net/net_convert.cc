#include "agent/net/net_convert.h"

#include <map>
#include <optional>

#include "agent/net/eni.h"
#include "agent/net/network_state.h"
#include "agent/net/openstack.h"
#include "agent/net/renderer.h"
#include "agent/net/sysnet.h"
#include "agent/system/real_system.h"

namespace nubo::net {
namespace {

const char kUsage[] =
    "usage: net-convert [-h] -p PATH -k {eni,network_data.json,yaml,azure-imds,vmware-imc} -d PATH -D DISTRO\n"
    "                   [-m name,mac] [--debug] -O {eni,netplan,networkd,sysconfig,network-manager}\n";

class StringSink : public LogSink {
 public:
  StringSink(std::string& out, bool debug) : out_(out), debug_(debug) {}
  void Write(LogLevel level, std::string_view, std::string_view message) override {
    if (level < (debug_ ? LogLevel::kDebug : LogLevel::kWarning)) return;
    out_ += std::string(LogLevelName(level)) + ": " + std::string(message) + "\n";
  }

 private:
  std::string& out_;
  bool debug_;
};

}  // namespace

int NetConvertMain(const std::vector<std::string>& args, System& host, std::string& err,
                   const std::string& sys_class_net) {
  std::string path, kind, dir, distro, output;
  std::vector<std::string> macs;
  bool debug = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "-p" || a == "--network-data") ok = value(path);
    else if (a == "-k" || a == "--kind") ok = value(kind);
    else if (a == "-d" || a == "--directory") ok = value(dir);
    else if (a == "-D" || a == "--distro") ok = value(distro);
    else if (a == "-O" || a == "--output-kind") ok = value(output);
    else if (a == "-m" || a == "--mac") {
      std::string m;
      ok = value(m);
      macs.push_back(m);
    } else if (a == "--debug") debug = true;
    else if (a == "-h" || a == "--help") {
      err += kUsage;
      return 0;
    } else {
      err += kUsage + std::string("net-convert: error: unrecognized argument ") + Quote(a) + "\n";
      return 2;
    }
    if (!ok) {
      err += kUsage + std::string("net-convert: error: argument ") + a + ": expected one argument\n";
      return 2;
    }
  }
  if (path.empty() || kind.empty() || dir.empty() || distro.empty() || output.empty()) {
    err += kUsage + std::string("net-convert: error: the following arguments are required: -p, -k, -d, -D, -O\n");
    return 2;
  }
  if (kind != "yaml" && kind != "network_data.json" && kind != "eni" && kind != "azure-imds" && kind != "vmware-imc") {
    err += kUsage + std::string("net-convert: error: argument -k/--kind: invalid choice: ") + Quote(kind) + "\n";
    return 2;
  }
  const RendererSpec* renderer = FindRenderer(output);
  if (renderer == nullptr) {
    err += kUsage + std::string("net-convert: error: argument -O/--output-kind: invalid choice: ") + Quote(output) + "\n";
    return 2;
  }
  if (kind != "yaml" && kind != "network_data.json" && kind != "eni") {
    err += "net-convert: input kind " + Quote(kind) + " is not supported by nubo\n";
    return 2;
  }
  std::optional<std::map<std::string, std::string>> known_macs;
  for (const auto& m : macs) {
    auto comma = m.find(',');
    if (comma == std::string::npos) {
      err += "net-convert: -m expects name,mac, got " + Quote(m) + "\n";
      return 2;
    }
    if (!known_macs) known_macs.emplace();
    (*known_macs)[m.substr(comma + 1)] = m.substr(0, comma);
  }
  StringSink sink(err, debug);
  Logger log(&sink, "net-convert");
  auto text = host.ReadHostFile(path);
  if (!text) {
    err += "net-convert: cannot read " + Quote(path) + ": " + text.error().ToString() + "\n";
    return 1;
  }
  SysNet sysnet(host, sys_class_net);
  Value pre;
  KeyOrder order;
  if (kind == "yaml") {
    auto v = ParseYaml(*text, path);
    if (!v) {
      err += "net-convert: " + v.error().ToString() + "\n";
      return 1;
    }
    pre = *v;
    order = YamlKeyOrder(*text);
  } else if (kind == "eni") {
    auto v = ConvertEniData(*text, path, log);
    if (!v) {
      err += "net-convert: " + v.error().ToString() + "\n";
      return 1;
    }
    pre = *v;
  } else {
    Value j = Value::parse(*text, nullptr, false);
    if (j.is_discarded()) {
      err += "net-convert: " + path + ": not valid JSON\n";
      return 1;
    }
    auto v = ConvertNetworkDataJson(j, known_macs, &sysnet, log);
    if (!v) {
      err += "net-convert: " + path + ": " + v.error().ToString() + "\n";
      return 1;
    }
    pre = *v;
  }
  RenderOptions opts = RenderOptionsForDistro(distro);
  if (output == "netplan") opts.netplan_features = {"dhcp-use-domains", "ipv6-mtu"};
  NetworkState state;
  Value cfg = pre.is_object() && pre.contains("network") ? pre["network"] : pre;
  if (output == "netplan" && Get(cfg, "version") == 2) {
    state.version = 2;
    state.config = cfg;
  } else {
    auto parsed = ParseNetworkConfig(pre, path, &sysnet, log, order);
    if (!parsed) {
      err += "net-convert: " + parsed.error().ToString() + "\n";
      return 1;
    }
    state = std::move(*parsed);
  }
  if (dir.back() != '/') dir += "/";
  if (Status s = host.MakeDirs(dir, 0755); !s.ok()) {
    err += "net-convert: " + s.error().ToString() + "\n";
    return 1;
  }
  agent::RealSystem out(host.HostPath(dir));
  if (output == "sysconfig") {
    if (auto t = out.ReadFile(opts.sysconfig_dns_path)) opts.existing_resolv_conf = *t;
  }
  err += "Read input format '" + kind + "' from '" + path + "'.\nWrote output format '" + output + "' to '" + dir +
         "'\n\n";
  auto files = renderer->render(state, opts);
  if (!files) {
    err += "net-convert: " + files.error().ToString() + "\n";
    return 1;
  }
  for (const RenderedFile& f : *files) {
    WriteOptions o;
    o.mode = f.mode;  // owners are the target's business: offline output stays the caller's
    if (Status s = out.WriteFile(f.path, f.content, o); !s.ok()) {
      err += "net-convert: " + s.error().ToString() + "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace nubo::net
