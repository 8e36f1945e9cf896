// nocloud.h — the NoCloud datasources (cloud-init's DataSourceNoCloud and
// DataSourceNoCloudNet): a seed directory, a `cidata` filesystem, a
// `ds=nocloud` kernel or SMBIOS parameter, or a `seedfrom` location.
//
//   // registry.cc
//   &nubo::datasources::nocloud::kSpec,     // init --local
//   &nubo::datasources::nocloud::kNetSpec,  // init (http(s) seedfrom)
//
//   // tests: parse one seed without a System
//   auto data = ParseNoCloudSeed(HostDirReader(sys, fixture_dir),
//                                "/var/lib/cloud/seed/nocloud", log);
//
// Both specs are named "NoCloud": that is the datasource_list spelling that
// selects both classes in cloud-init (there is no "NoCloudNet" module), and
// both read `datasource: {NoCloud: ...}` config. They differ in
// needs_network and in the seedfrom schemes they accept (local: "/" and
// "file://"; network: "http://" and "https://").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/datasource.h"
#include "nubo/instance.h"
#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::datasources::nocloud {

extern const DatasourceSpec kSpec;     // DataSourceNoCloud, local stage
extern const DatasourceSpec kNetSpec;  // DataSourceNoCloudNet, network stage

// Reads one file of a seed by name ("meta-data"). Returns nullopt when the
// file does not exist; any other failure is an error.
using SeedReader = std::function<Result<std::optional<std::string>>(const std::string& name)>;

// Readers over a directory inside the target root (a seed directory), or of
// the host (a mounted seed, a fixture tree) through System::ReadHostFile.
SeedReader RootDirReader(System& sys, std::string dir);
SeedReader HostDirReader(System& sys, std::string dir);

// One seed after parsing: what cloud-init's pathprefix2dict reads and
// _merge_new_seed loads.
struct Seed {
  Value meta_data = Value::object();  // {} when meta-data is empty
  std::string user_data;              // raw bytes, never parsed here
  std::optional<std::string> vendor_data;
  // Raw text; set only when the file is non-empty. A file that does not
  // load as a YAML dict is dropped with a warning (cloud-init sets None).
  std::optional<std::string> network_config;
  bool network_config_seen = false;  // the file existed and was non-empty
};

// Reads meta-data and user-data (required) and vendor-data and
// network-config (optional) through `read`. nullopt when a required file is
// missing (not a seed). `where` prefixes file names in messages, e.g.
// "/var/lib/cloud/seed/nocloud/" or "/dev/sr0:".
Result<std::optional<Seed>> ReadSeed(const SeedReader& read, std::string_view where,
                                     const Logger& log);

// Parses meta-data text: empty or null is {}, a dict is returned, anything
// else is an error naming `file`.
Result<Value> ParseMetaData(std::string_view text, std::string_view file);

// What the datasource uses: ParseMetaData, but meta-data that does not parse
// or is not a dict is logged as a warning (file, line, column) and read as
// {}, as cloud-init's util.load_yaml does: the instance still boots (as
// instance-id "nocloud") and its user-data still applies.
Value LoadMetaData(std::string_view text, std::string_view file, const Logger& log);

// One seed on its own, as if it were the only evidence (a seed directory
// with nothing on the command line): ReadSeed, then the merge with
// cloud-init's defaults. `where` is also the "seed=" of the description
// (without a trailing '/' or ':').
Result<InstanceData> ParseNoCloudSeed(const SeedReader& read, std::string_view where,
                                      const Logger& log);

// cloud-init's load_cmdline_data: looks for ds=nocloud or ds=nocloud-net in
// a kernel command line (or an SMBIOS serial) and fills `fill` with its
// key=value pairs, short keys h/i/s expanded; "dsmode" is set to "local"
// (nocloud) or "net" (nocloud-net) unless given explicitly.
bool LoadCmdlineData(std::string_view cmdline, Value* fill);


}  // namespace nubo::datasources::nocloud
