// paths.h — cloud-init's file layout, relative to the target root.
//
//   Paths p = Paths::FromConfig(cfg);        // honours system_info.paths
//   p.InstanceDir("iid-1") == "/var/lib/cloud/instances/iid-1"
#pragma once

#include <string>

#include "nubo/value.h"

namespace nubo {

struct Paths {
  std::string cloud_dir = "/var/lib/cloud";
  std::string run_dir = "/run/cloud-init";
  std::string instance_id;  // empty until a datasource is found

  static Paths FromConfig(const Value& merged_config);

  std::string InstanceLink() const { return cloud_dir + "/instance"; }
  // As cloud-init's Paths._get_ipath: "/" in the id becomes "_". An id
  // of ".." or with a NUL byte is refused when the path is used.
  std::string InstanceDir() const {
    std::string safe = instance_id;
    for (char& c : safe) c = c == '/' ? '_' : c;
    return cloud_dir + "/instances/" + safe;
  }
  std::string InstancePath(const std::string& name) const { return InstanceDir() + "/" + name; }
  std::string DataPath(const std::string& name) const { return cloud_dir + "/data/" + name; }
  std::string SeedDir() const { return cloud_dir + "/seed"; }
  std::string ScriptsDir(const std::string& kind) const { return cloud_dir + "/scripts/" + kind; }
  std::string CloudSemDir() const { return cloud_dir + "/sem"; }
  std::string RunPath(const std::string& name) const { return run_dir + "/" + name; }

  static constexpr const char* kLogFile = "/var/log/cloud-init.log";
  static constexpr const char* kOutputLogFile = "/var/log/cloud-init-output.log";
  static constexpr const char* kCloudCfg = "/etc/cloud/cloud.cfg";
};

// Path of `target` relative to directory `from_dir` (os.path.relpath), so a
// symlink stays right whatever root the tree is mounted at.
std::string RelativePath(const std::string& target, const std::string& from_dir);

}  // namespace nubo
