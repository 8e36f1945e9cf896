// config.h — reading and merging configuration as cloud-init does.
//
//   std::vector<std::string> problems;
//   Value base = LoadBaseConfig(sys, extra_files, problems);
//   Value cfg = MergeConfig(base, ds_config, vendor_cc, user_cc, extra);
//
// Base config: built-in defaults < /etc/cloud/cloud.cfg < cloud.cfg.d/*.cfg
// (lexical) < /run/cloud-init/cloud.cfg < kernel "cc:" config. A file that is
// not valid YAML, or not a mapping, is skipped with a problem naming the file,
// line and column, as cloud-init's load_yaml does.
#pragma once

#include <string>
#include <vector>

#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::agent {

// cloud-init's CFG_BUILTIN.
Value BuiltinConfig();

// One YAML config file as a mapping; absent: {}. Problems are appended.
Value ReadConfigFile(System& sys, const std::string& path, std::vector<std::string>& problems);

Value LoadBaseConfig(System& sys, std::vector<std::string>& problems);

// The config modules see. Earlier arguments win (util.mergemanydict):
// --file configs, user cloud-config, vendor cloud-config, datasource config,
// base config.
Value MergeConfig(const Value& base, const Value& datasource_cfg, const Value& vendor_cc,
                  const Value& user_cc, const std::vector<Value>& extra);

// "cc: <yaml> end_cc" fragments from a kernel command line, joined.
std::string KernelConfigText(const std::string& cmdline);

}  // namespace nubo::agent
