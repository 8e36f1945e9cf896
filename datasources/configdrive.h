// configdrive.h — the OpenStack config drive (cloud-init's
// DataSourceConfigDrive): a `config-2`/`CONFIG-2` filesystem (iso9660 or
// vfat) mounted read-only in init --local, or the seed directory
// /var/lib/cloud/seed/config_drive; the same openstack/<version>/ tree as
// the metadata service plus ec2/latest/meta-data.json. Injected `files` are
// written on the instance's first boot, as cloud-init does.
//
//   // registry.cc
//   &nubo::datasources::configdrive::kSpec,
//
//   // tests: read one tree without mounting
//   auto tree = ReadConfigDriveTree(HostTreeReader(sys, fixture_dir), fixture_dir);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "datasources/openstack_tree.h"
#include "nubo/datasource.h"

namespace nubo::datasources::configdrive {

extern const DatasourceSpec kSpec;

// Reads a file of the tree by relative path (nullopt: absent) and lists a
// directory (empty: absent).
struct TreeReader {
  std::function<Result<std::optional<std::string>>(const std::string& rel)> read;
  std::function<std::vector<std::string>(const std::string& rel)> list;
};
TreeReader HostTreeReader(System& sys, std::string host_dir);  // a mounted drive
TreeReader RootTreeReader(System& sys, std::string dir);       // a seed dir in the root

// read_v2 of a drive: an error when it has no openstack/<version>/meta_data.json.
Result<openstack::RawTree> ReadConfigDriveTree(const TreeReader& reader, const std::string& source,
                                               const Logger& log);

}  // namespace nubo::datasources::configdrive
