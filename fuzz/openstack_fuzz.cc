// Fuzz target: an OpenStack metadata tree (datasources/openstack_tree.cc,
// the same code for the metadata service and the config drive):
// meta_data.json, user_data, vendor_data.json, vendor_data2.json,
// network_data.json and password, cut from one input at "\n--8<--\n"
// lines, made into instance data as the datasources do; then
// network_data.json converted to network config v1 (agent/net/openstack.cc)
// and that parsed into the network state the renderers take.
#include "agent/net/network_state.h"
#include "agent/net/openstack.h"
#include "datasources/openstack_tree.h"
#include "fuzz/fuzz_support.h"

NUBO_FUZZ_TARGET(openstack) {
  namespace os = nubo::datasources::openstack;
  auto docs = nubo::fuzz::Split(nubo::fuzz::AsText(data, size), 6);
  os::RawTree tree;
  tree.source = "http://169.254.169.254";
  tree.version = "latest";
  os::RawDoc* slots[] = {&tree.meta_data,    &tree.user_data,    &tree.vendor_data,
                         &tree.vendor_data2, &tree.network_data, &tree.password};
  static const char* const kNames[] = {"meta_data.json",     "user_data",         "vendor_data.json",
                                       "vendor_data2.json", "network_data.json", "password"};
  for (int i = 0; i < 6; ++i) {
    std::string where = std::string("openstack/latest/") + kNames[i];
    // An empty optional document stands for an absent one (404).
    *slots[i] = (i == 0 || !docs[i].empty()) ? os::RawDoc::Found(where, docs[i]) : os::RawDoc::Absent(where, "HTTP 404");
  }
  nubo::fuzz::NullSink sink;
  nubo::Logger log(&sink, "fuzz");
  if (auto md = os::ParseMetaDataJson(docs[0], "meta_data.json"); md.ok()) {
    for (const std::string& p : os::ContentPaths(*md)) tree.content[p] = os::RawDoc::Found(p, docs[1]);
  }
  (void)os::BuildInstanceData(tree, "OpenStack", log);

  nubo::Value nd = nubo::Value::parse(docs[4], nullptr, false);
  if (nd.is_discarded()) return 0;
  // Known MACs from the input itself, so links named by MAC resolve.
  std::map<std::string, std::string> macs;
  if (nd.is_object() && nd.contains("links") && nd["links"].is_array()) {
    int n = 0;
    for (const auto& l : nd["links"]) {
      if (l.is_object() && l.contains("ethernet_mac_address") && l["ethernet_mac_address"].is_string()) {
        macs[l["ethernet_mac_address"].get<std::string>()] = "eth" + std::to_string(n++);
      }
    }
  }
  auto v1 = nubo::net::ConvertNetworkDataJson(nd, macs, nullptr, log);
  if (v1.ok()) (void)nubo::net::ParseNetworkConfig(*v1, "network_data.json", nullptr, log);
  return 0;
}
