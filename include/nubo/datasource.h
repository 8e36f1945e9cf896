// datasource.h — how a datasource declares itself.
//
//   const DatasourceSpec kSpec{
//       .name = "NoCloud",
//       .needs_network = false,
//       .detect = &Detect,     // cheap, local evidence only
//       .crawl = &Crawl,       // Result<InstanceData>
//   };
//
// Datasources register in one table (datasources/registry.cc) and include
// only include/nubo/.
#pragma once

#include <string_view>
#include <vector>

#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/paths.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo {

struct DatasourceContext {
  System& sys;
  const Logger& log;
  const Value& config;  // merged system config (cloud.cfg + cloud.cfg.d)
  const Paths& paths;
  bool local_stage;     // true in init --local
};

struct DatasourceSpec {
  std::string_view name;  // datasource_list spelling
  bool needs_network = false;
  // No network here: DMI, kernel command line, seed directories, labels.
  bool (*detect)(DatasourceContext& ctx) = nullptr;
  // Returns an error when the datasource was detected but could not be read;
  // a "not here after all" answer is an Error with key "" and message
  // starting "not found".
  Result<InstanceData> (*crawl)(DatasourceContext& ctx) = nullptr;
};

const std::vector<const DatasourceSpec*>& AllDatasources();

}  // namespace nubo
