// keyboard: sets the keyboard layout (cloud-init's cc_keyboard), on the
// arch, debian, redhat and suse families.
//
//   keyboard:
//     layout: de            # required
//     model: pc105          # default pc105
//     variant: nodeadkeys   # default ""
//     options: compose:rwin # default ""
//
// Runs "localectl set-x11-keymap de pc105 nodeadkeys compose:rwin" (empty
// variant and options are passed as empty arguments, as 22.4 does); on
// Debian and Ubuntu then "systemctl restart console-setup". The distro
// layer holds both (distro::KeymapCommands).

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::keyboard {

namespace {

Result<std::string> StringKey(const Value& kb, const char* key, const char* fallback) {
  if (!kb.contains(key)) return std::string(fallback);
  const Value& v = kb[key];
  if (!v.is_string()) return MakeError("expected a string, got " + TypeName(v), std::string("keyboard.") + key);
  return v.get<std::string>();
}

Status Run(ModuleContext& ctx) {
  if (!ctx.config.contains("keyboard")) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'keyboard' section found");
    return Status::Ok();
  }
  const Value& kb = ctx.config["keyboard"];
  if (!kb.is_object()) return MakeError("expected a mapping, got " + TypeName(kb), "keyboard");
  if (!kb.contains("layout")) return MakeError("a layout is required", "keyboard.layout");
  auto layout = StringKey(kb, "layout", "");
  if (!layout) return layout.error();
  auto model = StringKey(kb, "model", "pc105");
  if (!model) return model.error();
  auto variant = StringKey(kb, "variant", "");
  if (!variant) return variant.error();
  auto options = StringKey(kb, "options", "");
  if (!options) return options.error();

  ctx.log.Debug("Setting keyboard layout to " + Quote(*layout));
  distro::Distro d = distro::DistroFor(ctx.config);
  auto cmds = distro::KeymapCommands(ctx.sys, d, *layout, *model, *variant, *options);
  if (!cmds) return cmds.error();
  for (const Command& c : *cmds) {
    std::string shown;
    for (const auto& a : c.argv) shown += (shown.empty() ? "" : " ") + a;
    ctx.log.Debug("running " + shown);
    auto r = ctx.sys.Run(c);
    if (!r) return r.error();
    if (r->exit_code != 0) {
      return MakeError("'" + shown + "' exited with " + std::to_string(r->exit_code) +
                       (r->err.empty() ? "" : ": " + PyStrip(r->err)));
    }
  }
  ctx.log.Info("set the keyboard layout to " + Quote(*layout));
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "keyboard",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"keyboard"},
    // expand_osfamily(["arch", "debian", "redhat", "suse"]).
    .distros = {"arch", "debian", "ubuntu", "almalinux", "amazon", "centos", "cloudlinux",
                "eurolinux", "fedora", "mariner", "miraclelinux", "openEuler", "openmandriva",
                "photon", "rhel", "rocky", "virtuozzo", "opensuse", "sles"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("keyboard", {spec::Str("layout"), spec::Str("model"), spec::Str("variant"), spec::Str("options")})
                   .Closed()
                   .Required({"layout"})}; },
    .run = &Run,
};

}  // namespace nubo::modules::keyboard
