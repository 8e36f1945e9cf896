// The one table of modules nubo implements. Adding a module: its file in
// modules/, its test in tests/modules/, and one line here.

#include "modules/modules.h"
#include "nubo/module.h"

namespace nubo {

const std::vector<const ModuleSpec*>& AllModules() {
  static const std::vector<const ModuleSpec*> kModules = {
      &modules::migrator::kSpec,
      &modules::seed_random::kSpec,
      &modules::bootcmd::kSpec,
      &modules::write_files::kSpec,
      &modules::growpart::kSpec,
      &modules::resizefs::kSpec,
      &modules::disk_setup::kSpec,
      &modules::mounts::kSpec,
      &modules::set_hostname::kSpec,
      &modules::update_hostname::kSpec,
      &modules::update_etc_hosts::kSpec,
      &modules::resolv_conf::kSpec,
      &modules::ca_certs::kSpec,
      &modules::rsyslog::kSpec,
      &modules::users_groups::kSpec,
      &modules::ssh::kSpec,
      &modules::ssh_import_id::kSpec,
      &modules::keyboard::kSpec,
      &modules::locale::kSpec,
      &modules::set_passwords::kSpec,
      &modules::yum_add_repo::kSpec,
      &modules::grub_dpkg::kSpec,
      &modules::apt_pipelining::kSpec,
      &modules::apt_configure::kSpec,
      &modules::ntp::kSpec,
      &modules::timezone::kSpec,
      &modules::disable_ec2_metadata::kSpec,
      &modules::runcmd::kSpec,
      &modules::package_update_upgrade_install::kSpec,
      &modules::write_files_deferred::kSpec,
      &modules::scripts_vendor::kSpec,
      &modules::scripts_per_once::kSpec,
      &modules::scripts_per_boot::kSpec,
      &modules::scripts_per_instance::kSpec,
      &modules::scripts_user::kSpec,
      &modules::ssh_authkey_fingerprints::kSpec,
      &modules::keys_to_console::kSpec,
      &modules::phone_home::kSpec,
      &modules::final_message::kSpec,
      &modules::power_state_change::kSpec,
  };
  return kModules;
}

}  // namespace nubo
