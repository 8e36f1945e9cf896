// Fuzz target: the YAML / cloud-config loader (agent/yaml.cc, libyaml
// events into values with PyYAML's rules, anchors, merge keys, the bounds
// of nubo/limits.h), then the cloud-config merge of the result.
#include "agent/config.h"
#include "fuzz/fuzz_support.h"
#include "nubo/value.h"

NUBO_FUZZ_TARGET(yaml) {
  auto v = nubo::ParseYaml(nubo::fuzz::AsText(data, size), "fuzz.yaml");
  if (!v.ok() || !v->is_object()) return 0;
  (void)v->dump(-1, ' ', false, nubo::Value::error_handler_t::replace);
  nubo::Value merged = nubo::agent::MergeConfig(nubo::agent::BuiltinConfig(), *v, nubo::Value::object(), *v, {});
  (void)nubo::IsTrue(nubo::Get(merged, "ssh_pwauth"));
  return 0;
}
