// Fuzz target: the kernel command line / SMBIOS serial "ds=nocloud;..."
// parser (LoadCmdlineData) and the kernel "cc: ... end_cc" config.
#include "agent/config.h"
#include "datasources/nocloud.h"
#include "fuzz/fuzz_support.h"

NUBO_FUZZ_TARGET(cmdline) {
  std::string_view in = nubo::fuzz::AsText(data, size);
  nubo::Value fill = nubo::Value::object();
  (void)nubo::datasources::nocloud::LoadCmdlineData(in, &fill);
  (void)fill.dump(-1, ' ', false, nubo::Value::error_handler_t::replace);
  std::string cc = nubo::agent::KernelConfigText(std::string(in));
  if (!cc.empty()) (void)nubo::ParseYaml(cc, "kernel command line (cc:)");
  return 0;
}
