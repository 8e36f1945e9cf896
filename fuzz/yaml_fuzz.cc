// Fuzz target: the YAML / cloud-config loader (agent/yaml.cc, libyaml
// events into values with PyYAML's rules, anchors, merge keys, the bounds
// of nubo/limits.h), then the cloud-config merge of the result over the
// built-in config, as the datasource's config (inputs of odd size) or as
// user-data (even size): one layer a run, as a boot merges it, so a
// document at max_yaml_nodes stays under libFuzzer's 1 s with the
// sanitizers (two layers of it took 0.73-0.9 s alone, and timed out in a
// 30-minute run).
#include "agent/config.h"
#include "fuzz/fuzz_support.h"
#include "nubo/value.h"

NUBO_FUZZ_TARGET(yaml) {
  auto v = nubo::ParseYaml(nubo::fuzz::AsText(data, size), "fuzz.yaml");
  if (!v.ok() || !v->is_object()) return 0;
  (void)v->dump(-1, ' ', false, nubo::Value::error_handler_t::replace);
  const nubo::Value empty = nubo::Value::object();
  bool as_datasource_cfg = size % 2 == 1;
  nubo::Value merged = nubo::agent::MergeConfig(nubo::agent::BuiltinConfig(), as_datasource_cfg ? *v : empty, empty,
                                                as_datasource_cfg ? empty : *v, {});
  (void)nubo::IsTrue(nubo::Get(merged, "ssh_pwauth"));
  return 0;
}
