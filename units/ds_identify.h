// ds_identify.h — cloud-init's generator and ds-identify, compiled: decide
// from cheap local evidence whether a datasource is plausible, enable
// cloud-init.target only then, and write /run/cloud-init/cloud.cfg with the
// datasources found (cloud-init 22.4.2's systemd/cloud-init-generator.tmpl
// and tools/ds-identify, same inputs, outputs and policy strings).
//
//   nubo::dsid::Facts f = nubo::dsid::CollectFacts("/", env);
//   nubo::dsid::Decision d = nubo::dsid::Identify(f);
//   // d.rc: 0 enable, 1 disable; d.cloud_cfg: the lines of /run/cloud-init/cloud.cfg
//   int rc = nubo::dsid::RunGenerator("/", "/run/systemd/generator.early", env);
//
// This is a separate, small executable (cloud-init-generator, and
// ds-identify through an argv[0] symlink) that runs before every boot's
// units are loaded, so it does not link nubo_core: no libcurl, libfdisk,
// libcrypto or libyaml is mapped, and the whole run costs well under a
// millisecond of CPU. For the same reason it reads the root directly (with
// plain open/read under `root`) rather than through nubo::System, whose
// RealSystem carries HTTP and the bus; its tests point `root` at a temp dir.
// Evidence read: /proc/cmdline (/proc/1/cmdline in a container),
// /sys/class/dmi/id/*, /dev/disk/by-label plus a superblock probe of the
// block devices udev has not labelled yet (iso9660, vfat, ext2/3/4),
// /var/lib/cloud/seed/*, /etc/cloud/cloud.cfg{,.d/*.cfg}, ds-identify.cfg.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace nubo::dsid {

// How ds-identify behaves: "<mode>,found=...,maybe=...,notfound=...".
struct Policy {
  std::string mode = "search";      // enabled | disabled | search | report
  std::string found = "all";        // all | first
  std::string maybe = "all";        // all | none
  std::string notfound = "disabled";  // enabled | disabled
};

// Parses a policy string over `defaults`, as ds-identify's parse_policy:
// unknown values of found/maybe/notfound keep the default with a warning.
Policy ParsePolicy(const std::string& text, const Policy& defaults,
                   std::vector<std::string>* warnings);

// Everything the decision depends on, read once.
struct Facts {
  std::string root = "/";  // the tree seed dirs and configs are read from
  std::string machine = "x86_64";  // uname -m
  std::string virt;                // systemd's name: "kvm", "container:lxc" -> "lxc"
  bool container = false;
  std::string cmdline;             // kernel (or pid 1) command line
  std::string dmi_product_name, dmi_sys_vendor, dmi_product_serial,
      dmi_chassis_asset_tag, dmi_board_name;
  std::string pid1_product_name;   // product_name= in pid 1's environment
  std::vector<std::string> fs_labels;
  // From /etc/cloud/ds-identify.cfg, then overridden by ci.ds=/ci.datasource=/ci.di.policy=.
  std::string dsname;
  std::string policy_text;
  std::vector<std::string> dslist;  // datasource_list, or ds-identify's default
  std::string dslist_source;        // where dslist came from (for the log)
  bool manual_clean = false;        // /var/lib/cloud/instance/manual-clean
  std::vector<std::string> warnings;
};

// Reads the facts under `root` ("/" on a real boot). `env` supplies
// KERNEL_CMDLINE (used instead of /proc/cmdline when set, even empty),
// SYSTEMD_VIRTUALIZATION and `container`, as systemd passes them to generators.
Facts CollectFacts(const std::string& root, const std::map<std::string, std::string>& env);

struct Decision {
  int rc = 1;                          // 0: enable cloud-init, 1: disable
  bool write_cfg = false;              // write cloud_cfg to /run/cloud-init/cloud.cfg
  std::vector<std::string> cloud_cfg;  // its lines
  std::vector<std::string> found, maybe;
  std::string reason;                  // one line for the log
};

// ds-identify's _main: the policy's mode, ci.ds=, manual_clean, a single
// configured datasource, then each datasource's check in list order.
Decision Identify(const Facts& facts);

// The labels of filesystems on the block devices under `root`: the names in
// /dev/disk/by-label, and the superblock labels of the devices in
// /sys/class/block that no by-label link points to (before udev has run).
std::vector<std::string> ReadFsLabels(const std::string& root);

// The generator (cloud-init-generator): cloud-init=enabled|disabled on the
// command line, then /etc/cloud/cloud-init.{enabled,disabled}, else ask
// Identify. Links `early_dir`/multi-user.target.wants/cloud-init.target to
// /lib/systemd/system/cloud-init.target on enable (removes it on disable),
// writes /run/cloud-init/{enabled,disabled}, the ds-identify result and
// logs. Returns 0 unless something could not be written.
int RunGenerator(const std::string& root, const std::string& early_dir,
                 const std::map<std::string, std::string>& env);

// ds-identify [--force]: the cached result in /run/cloud-init/.ds-identify.result
// unless `force`, else Identify and write cloud.cfg. Returns Decision::rc.
int RunDsIdentify(const std::string& root, bool force,
                  const std::map<std::string, std::string>& env);

}  // namespace nubo::dsid
