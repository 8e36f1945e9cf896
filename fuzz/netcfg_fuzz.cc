// Fuzz target: network configuration as NoCloud's network-config, the
// kernel's network-config= and cloud.cfg's `network:` give it: YAML
// (v1 or v2, with or without a top `network` key) parsed into the network
// state (agent/net/network_state.cc, parse_v2.cc) and rendered by every
// renderer (ENI, sysconfig, netplan, NetworkManager, networkd); and the same
// text read as /etc/network/interfaces (NoCloud's `network-interfaces`,
// agent/net/eni.cc).
#include "agent/net/eni.h"
#include "agent/net/network_state.h"
#include "agent/net/renderer.h"
#include "fuzz/fuzz_support.h"
#include "nubo/value.h"

namespace {

void Render(const nubo::net::NetworkState& state) {
  namespace net = nubo::net;
  for (const char* distro : {"debian", "rhel"}) {
    net::RenderOptions o = net::RenderOptionsForDistro(distro);
    for (auto render : {&net::RenderEni, &net::RenderSysconfig, &net::RenderNetplan, &net::RenderNetworkManager,
                        &net::RenderNetworkd}) {
      (void)render(state, o);
    }
  }
}

}  // namespace

NUBO_FUZZ_TARGET(netcfg) {
  namespace net = nubo::net;
  std::string_view text = nubo::fuzz::AsText(data, size);
  nubo::fuzz::NullSink sink;
  nubo::Logger log(&sink, "fuzz");
  if (auto v = nubo::ParseYaml(text, "network-config"); v.ok()) {
    auto state = net::ParseNetworkConfig(*v, "network-config", nullptr, log, net::YamlKeyOrder(text));
    if (state.ok()) Render(*state);
  }
  if (auto eni = net::ConvertEniData(text, "network-interfaces", log); eni.ok()) {
    auto state = net::ParseNetworkConfig(*eni, "network-interfaces", nullptr, log);
    if (state.ok()) Render(*state);
  }
  return 0;
}
