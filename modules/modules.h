// modules.h — every module's spec, for the table in modules/registry.cc.
//
//   #include "modules/modules.h"
//   &modules::bootcmd::kSpec,
//
// One line per module; modules include this header (for their own kSpec
// declaration) but never use another module's.
#pragma once

#include "nubo/module.h"

namespace nubo::modules {

namespace bootcmd {
extern const ModuleSpec kSpec;
}
namespace final_message {
extern const ModuleSpec kSpec;
}
namespace migrator {
extern const ModuleSpec kSpec;
}
namespace runcmd {
extern const ModuleSpec kSpec;
}
namespace scripts_per_boot {
extern const ModuleSpec kSpec;
}
namespace scripts_per_instance {
extern const ModuleSpec kSpec;
}
namespace scripts_per_once {
extern const ModuleSpec kSpec;
}
namespace scripts_vendor {
extern const ModuleSpec kSpec;
}
namespace scripts_user {
extern const ModuleSpec kSpec;
}
namespace users_groups {
extern const ModuleSpec kSpec;
}
namespace ssh {
extern const ModuleSpec kSpec;
}
namespace set_passwords {
extern const ModuleSpec kSpec;
}
namespace ssh_authkey_fingerprints {
extern const ModuleSpec kSpec;
}
namespace keys_to_console {
extern const ModuleSpec kSpec;
}
namespace write_files {
extern const ModuleSpec kSpec;
}
namespace write_files_deferred {
extern const ModuleSpec kSpec;
}

namespace set_hostname {
extern const ModuleSpec kSpec;
}
namespace update_hostname {
extern const ModuleSpec kSpec;
}
namespace update_etc_hosts {
extern const ModuleSpec kSpec;
}
namespace growpart {
extern const ModuleSpec kSpec;
}
namespace resizefs {
extern const ModuleSpec kSpec;
}
namespace disk_setup {
extern const ModuleSpec kSpec;
}
namespace mounts {
extern const ModuleSpec kSpec;
}
namespace locale {
extern const ModuleSpec kSpec;
}
namespace timezone {
extern const ModuleSpec kSpec;
}
namespace package_update_upgrade_install {
extern const ModuleSpec kSpec;
}
namespace ca_certs {
extern const ModuleSpec kSpec;
}
namespace rsyslog {
extern const ModuleSpec kSpec;
}
namespace seed_random {
extern const ModuleSpec kSpec;
}
namespace disable_ec2_metadata {
extern const ModuleSpec kSpec;
}
namespace power_state_change {
extern const ModuleSpec kSpec;
}
namespace yum_add_repo {
extern const ModuleSpec kSpec;
}
namespace apt_pipelining {
extern const ModuleSpec kSpec;
}
namespace ntp {
extern const ModuleSpec kSpec;
}
namespace resolv_conf {
extern const ModuleSpec kSpec;
}
namespace keyboard {
extern const ModuleSpec kSpec;
}
namespace phone_home {
extern const ModuleSpec kSpec;
}
namespace ssh_import_id {
extern const ModuleSpec kSpec;
}
namespace grub_dpkg {
extern const ModuleSpec kSpec;
}
namespace apt_configure {
extern const ModuleSpec kSpec;
}

}  // namespace nubo::modules
