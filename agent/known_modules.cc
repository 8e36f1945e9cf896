// The modules of cloud-init 22.4 and the config keys that activate them
// (their meta "activate_by_schema_keys"; empty: the module always runs).
// nubo uses this to tell a module it does not implement from a typo.

#include <map>

#include "agent/stages.h"

namespace nubo::agent {

const std::map<std::string, std::vector<std::string>>& KnownCloudInitModules() {
  static const std::map<std::string, std::vector<std::string>> kKnown = {
      {"ansible", {"ansible"}},
      {"apk_configure", {"apk_repos"}},
      {"apt_configure", {}},
      {"apt_pipelining", {"apt_pipelining"}},
      {"bootcmd", {"bootcmd"}},
      {"byobu", {}},
      {"ca_certs", {"ca_certs", "ca-certs"}},
      {"chef", {"chef"}},
      {"disable_ec2_metadata", {"disable_ec2_metadata"}},
      {"disk_setup", {"disk_setup", "fs_setup"}},
      {"fan", {"fan"}},
      {"final_message", {}},
      {"growpart", {}},
      {"grub_dpkg", {}},
      {"install_hotplug", {}},
      {"keyboard", {"keyboard"}},
      {"keys_to_console", {}},
      {"landscape", {"landscape"}},
      {"locale", {}},
      {"lxd", {"lxd"}},
      {"mcollective", {"mcollective"}},
      {"migrator", {}},
      {"mounts", {}},
      {"ntp", {"ntp"}},
      {"package_update_upgrade_install",
       {"apt_update", "package_update", "apt_upgrade", "package_upgrade", "packages"}},
      {"phone_home", {"phone_home"}},
      {"power_state_change", {"power_state"}},
      {"puppet", {"puppet"}},
      {"refresh_rmc_and_interface", {}},
      {"reset_rmc", {}},
      {"resizefs", {}},
      {"resolv_conf", {"manage_resolv_conf"}},
      {"rh_subscription", {"rh_subscription"}},
      {"rightscale_userdata", {}},
      {"rsyslog", {"rsyslog"}},
      {"runcmd", {"runcmd"}},
      {"salt_minion", {"salt_minion"}},
      {"scripts_per_boot", {}},
      {"scripts_per_instance", {}},
      {"scripts_per_once", {}},
      {"scripts_user", {}},
      {"scripts_vendor", {}},
      {"seed_random", {}},
      {"set_hostname", {}},
      {"set_passwords", {}},
      {"snap", {"snap"}},
      {"spacewalk", {"spacewalk"}},
      {"ssh", {}},
      {"ssh_authkey_fingerprints", {}},
      {"ssh_import_id", {}},
      {"timezone", {"timezone"}},
      {"ubuntu_advantage", {"ubuntu_advantage", "ubuntu-advantage"}},
      {"ubuntu_autoinstall", {"autoinstall"}},
      {"ubuntu_drivers", {"drivers"}},
      {"update_etc_hosts", {"manage_etc_hosts"}},
      {"update_hostname", {}},
      {"users_groups", {}},
      {"wireguard", {"wireguard"}},
      {"write_files", {"write_files"}},
      {"write_files_deferred", {"write_files"}},
      {"yum_add_repo", {"yum_repos"}},
      {"zypper_add_repo", {"zypper"}},
  };
  return kKnown;
}

const std::vector<std::string>* KnownCloudInitModuleKeys(const std::string& canonical_name) {
  const auto& known = KnownCloudInitModules();
  auto it = known.find(canonical_name);
  return it == known.end() ? nullptr : &it->second;
}

}  // namespace nubo::agent
