// Fuzz target: a NoCloud seed (datasources/nocloud.cc): meta-data,
// user-data, vendor-data and network-config, cut from one input at
// "\n--8<--\n" lines, read and merged as the datasource does.
#include "datasources/nocloud.h"
#include "nubo/sources.h"
#include "fuzz/fuzz_support.h"

NUBO_FUZZ_TARGET(nocloud) {
  namespace nc = nubo::datasources::nocloud;
  auto docs = nubo::fuzz::Split(nubo::fuzz::AsText(data, size), 4);
  static const char* const kNames[] = {"meta-data", "user-data", "vendor-data", "network-config"};
  nc::SeedReader read = [&](const std::string& name) -> nubo::Result<std::optional<std::string>> {
    for (int i = 0; i < 4; ++i) {
      if (name == kNames[i]) {
        if (i >= 2 && docs[i].empty()) return std::optional<std::string>();
        return std::optional<std::string>(docs[i]);
      }
    }
    return std::optional<std::string>();
  };
  nubo::fuzz::NullSink sink;
  nubo::Logger log(&sink, "fuzz");
  auto seed = nc::ParseNoCloudSeed(read, "/var/lib/cloud/seed/nocloud", log);
  (void)nc::ParseMetaData(docs[0], "meta-data");
  if (seed.ok()) (void)nubo::NormalizePubkeyData(nubo::Get(seed->meta_data, "public-keys"));
  return 0;
}
