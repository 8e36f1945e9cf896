// power_state_change: halts, powers off or reboots once the final stage is
// over (cloud-init's cc_power_state_change).
//
//   power_state:
//     mode: reboot            # halt, poweroff, reboot
//     delay: now              # or minutes: 5, "+5"
//     message: Rebooting
//     timeout: 30             # seconds to wait for this process to end
//     condition: true         # bool, a shell string, or an argv list
//
// A bad power_state is a warning and nothing happens, as in 22.4. A false
// condition does nothing at once. Otherwise a detached child waits for this
// process to end (tail --pid, at most `timeout` seconds), then checks the
// condition (exit 0: met, 1: not met, else a warning) and runs
// "shutdown -r|-P|-H DELAY [MESSAGE]".

#include <unistd.h>

#include "modules/modules.h"
#include "nubo/distro.h"

namespace nubo::modules::power_state_change {

namespace {

struct Plan {
  std::vector<std::string> shutdown;
  double timeout = 30.0;
  Value condition = true;
};

Result<std::optional<Plan>> Load(const Value& cfg) {
  const Value& p = Get(cfg, "power_state");
  if (p.is_null()) return std::optional<Plan>{};
  if (!p.is_object()) return MakeError("power_state is not a dict.", "power_state");
  const Value& mode = Get(p, "mode");
  Plan plan;
  auto argv = distro::ShutdownCommand(
      distro::DistroFor(cfg), mode.is_string() ? mode.get<std::string>() : PyStr(mode),
      p.contains("delay") ? p["delay"] : Value("now"),
      Get(p, "message").is_null() ? "" : PyStr(p["message"]));
  if (!argv) return argv.error();
  plan.shutdown = *argv;
  if (p.contains("timeout")) {
    const Value& t = p["timeout"];
    bool ok = t.is_number();
    if (t.is_string()) {
      char* end = nullptr;
      std::string s = t.get<std::string>();
      plan.timeout = std::strtod(s.c_str(), &end);
      ok = !s.empty() && *end == '\0';
    } else if (ok) {
      plan.timeout = t.get<double>();
    }
    if (!ok) {
      return MakeError("failed to convert timeout '" + PyStr(t) + "' to float.",
                       "power_state.timeout");
    }
  }
  if (p.contains("condition")) {
    plan.condition = p["condition"];
    if (!plan.condition.is_boolean() && !plan.condition.is_string() &&
        !plan.condition.is_array()) {
      return MakeError("condition type " + TypeName(plan.condition) +
                           " invalid. must be list, bool, str",
                       "power_state.condition");
    }
  }
  return std::optional<Plan>(plan);
}

// check_condition, in the detached child.
bool CheckCondition(System& sys, const Logger& log, const Value& cond) {
  if (cond.is_boolean()) return cond.get<bool>();
  Command c;
  if (cond.is_string()) {
    c.argv = {"/bin/sh", "-c", cond.get<std::string>()};
  } else {
    for (const auto& a : cond) c.argv.push_back(a.is_string() ? a.get<std::string>() : PyStr(a));
  }
  std::string pre = "check_condition command (" + cond.dump() + "): ";
  auto r = sys.Run(c);
  if (!r) {
    log.Warning(pre + "Unexpected error: " + r.error().ToString());
    return false;
  }
  if (r->exit_code == 0) {
    log.Debug(pre + "exited 0. condition met.");
    return true;
  }
  if (r->exit_code == 1) {
    log.Debug(pre + "exited 1. condition not met.");
    return false;
  }
  log.Warning(pre + "unexpected exit " + std::to_string(r->exit_code) + ". do not apply change.");
  return false;
}

Status Run(ModuleContext& ctx) {
  auto plan = Load(ctx.config);
  if (!plan) {
    ctx.log.Warning(plan.error().ToString() + " Not performing power state change!");
    return Status::Ok();
  }
  if (!*plan) {
    ctx.log.Debug("no power_state provided. doing nothing");
    return Status::Ok();
  }
  Plan p = **plan;
  if (p.condition.is_boolean() && !p.condition.get<bool>()) {
    ctx.log.Debug("Condition was false. Will not perform state change.");
    return Status::Ok();
  }
  std::string shown;
  for (const auto& a : p.shutdown) shown += (shown.empty() ? "" : " ") + a;
  std::string pid = std::to_string(getpid());
  ctx.log.Debug("After pid " + pid + " ends, will execute: " + shown);
  // tail exits when the pid is gone; the timeout bounds the wait.
  Command wait{.argv = {"tail", "--pid=" + pid, "-f", "/dev/null"}};
  wait.timeout = std::chrono::seconds(static_cast<long long>(p.timeout < 1 ? 1 : p.timeout));
  System& sys = ctx.sys;
  Logger log = ctx.log;
  return sys.RunDetached(wait, [&sys, log, p](const Result<CommandResult>&) {
    if (!CheckCondition(sys, log, p.condition)) return;
    auto r = sys.Run(Command{.argv = p.shutdown});
    if (!r || r->exit_code != 0) log.Warning("power_state: shutdown failed");
  });
}

}  // namespace

const ModuleSpec kSpec{
    .name = "power_state_change",
    .aliases = {},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"power_state"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("power_state",
                         {spec::OneOf("delay", {spec::Int().Min(0),
                                                spec::Str().Pattern("^\\+?[0-9]+$").Deprecated("use an integer"),
                                                spec::Str().Enum({"now"})}),
                          spec::Str("mode").Enum({"poweroff", "reboot", "halt"}), spec::Str("message"),
                          spec::Int("timeout"),
                          spec::OneOf("condition", {spec::Str(), spec::Bool(), spec::List(spec::Any())})})
                   .Closed()
                   .Required({"mode"})}; },
    .run = &Run,
};

}  // namespace nubo::modules::power_state_change
