// disable_ec2_metadata: rejects the route to 169.254.169.254 (cloud-init's
// cc_disable_ec2_metadata), at every boot.
//
//   disable_ec2_metadata: true
//
// With ip: "ip route add prohibit 169.254.169.254"; else with ifconfig:
// "route add -host 169.254.169.254 reject"; with neither, one error line and
// the module does not fail, as 22.4.

#include "modules/modules.h"
#include "nubo/distro.h"

namespace nubo::modules::disable_ec2_metadata {

namespace {

Status Run(ModuleContext& ctx) {
  const Value& v = Get(ctx.config, "disable_ec2_metadata");
  if (!TranslateBool(v)) {
    ctx.log.Debug("Skipping module named " + ctx.name +
                  ", disabling the ec2 route not enabled");
    return Status::Ok();
  }
  std::vector<std::string> argv;
  if (distro::Which(ctx.sys, "ip")) {
    argv = {"ip", "route", "add", "prohibit", "169.254.169.254"};
  } else if (distro::Which(ctx.sys, "ifconfig")) {
    argv = {"route", "add", "-host", "169.254.169.254", "reject"};
  } else {
    ctx.log.Error("Neither \"route\" nor \"ip\" command found, unable to manipulate routing table");
    return Status::Ok();
  }
  Command c{.argv = argv};
  c.to_output_log = true;
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'" + argv[0] + " route add' exited with " + std::to_string(r->exit_code),
                     "disable_ec2_metadata");
  }
  ctx.log.Info("rejected the route to 169.254.169.254");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "disable_ec2_metadata",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kAlways,
    .activated_by = {"disable_ec2_metadata"},
    .reads = [] { return std::vector<KeySpec>{{"disable_ec2_metadata", KeyType::kBool}}; },
    .run = &Run,
};

}  // namespace nubo::modules::disable_ec2_metadata
