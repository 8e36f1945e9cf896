// cloud_init_generator.cc — main of the systemd generator
// (/lib/systemd/system-generators/cloud-init-generator) and, through an
// argv[0] symlink, of /usr/lib/cloud-init/ds-identify [--force].
//
//   cloud-init-generator NORMAL_DIR EARLY_DIR LATE_DIR   # run by systemd
//   ds-identify [--force]                               # by hand, as cloud-init's
//
// Logic and tests: units/ds_identify.{h,cc}, tests/units/ds_identify_test.cc.
#include <cstring>
#include <map>
#include <string>

#include "units/ds_identify.h"

extern char** environ;

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const char* eq = strchr(*e, '=');
    if (!eq) continue;
    std::string key(*e, static_cast<size_t>(eq - *e));
    if (key == "KERNEL_CMDLINE" || key == "SYSTEMD_VIRTUALIZATION" || key == "container")
      env[key] = eq + 1;
  }
  std::string self = argv[0];
  self = self.substr(self.rfind('/') + 1);
  if (self == "ds-identify") {
    bool force = argc > 1 && strcmp(argv[1], "--force") == 0;
    return nubo::dsid::RunDsIdentify("/", force, env);
  }
  // systemd passes normal, early and late dirs; cloud-init links into early.
  std::string early = argc > 2 ? argv[2] : "/run/systemd/generator.early";
  return nubo::dsid::RunGenerator("/", early, env);
}
