// timezone: sets the system timezone (cloud-init's cc_timezone).
//
//   timezone: Asia/Shanghai
//
// Debian writes /etc/timezone ("Asia/Shanghai\n", 0644) and points
// /etc/localtime at /usr/share/zoneinfo/Asia/Shanghai (a symlink, or a copy
// when /etc/localtime is a regular file); RHEL links /etc/localtime under
// systemd, else writes ZONE= to /etc/sysconfig/clock and copies the zone
// file. A zone without a file under /usr/share/zoneinfo is an error.

#include "modules/modules.h"
#include "nubo/distro.h"

namespace nubo::modules::timezone {

namespace {

Status Run(ModuleContext& ctx) {
  // util.get_cfg_option_str(cfg, "timezone", False): str() of a non-string.
  const Value& v = Get(ctx.config, "timezone");
  if (v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
      (v.is_string() && v.get<std::string>().empty())) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'timezone' specified");
    return Status::Ok();
  }
  if (!v.is_string() && !v.is_number() && !v.is_boolean()) {
    return MakeError("expected a string, got " + TypeName(v), "timezone");
  }
  std::string tz = PyStr(v);
  distro::Distro d = distro::DistroFor(ctx.config);
  if (Status s = distro::SetTimezone(ctx.sys, d, tz); !s.ok()) return s;
  ctx.log.Info("set the timezone to " + Quote(tz));
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "timezone",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"timezone", KeyType::kString}}; },
    .run = &Run,
};

}  // namespace nubo::modules::timezone
