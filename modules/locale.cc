// locale: sets the system locale (cloud-init's cc_locale).
//
//   locale: en_US.UTF-8                 # default: the system's (or en_US.UTF-8)
//   locale_configfile: /etc/default/locale
//
// Debian: locale-gen LOCALE (not for C, C.UTF-8, POSIX) and update-locale
// --locale-file=FILE LANG=LOCALE, unless /etc/default/locale already says
// LOCALE and FILE exists. RHEL: LANG=LOCALE in /etc/locale.conf (systemd)
// or locale_configfile / /etc/sysconfig/i18n. `locale: false` skips.

#include "modules/modules.h"
#include "nubo/distro.h"

namespace nubo::modules::locale {

namespace {

Status Run(ModuleContext& ctx) {
  distro::Distro d = distro::DistroFor(ctx.config);
  const Value& v = Get(ctx.config, "locale");
  std::string locale;
  if (v.is_null() && !(ctx.config.is_object() && ctx.config.contains("locale"))) {
    locale = distro::SystemLocale(ctx.sys, d);
  } else if (v.is_string() || v.is_number() || v.is_boolean() || v.is_null()) {
    locale = PyStr(v);  // get_cfg_option_str: str(None) == "None"
  } else {
    return MakeError("expected a string, got " + TypeName(v), "locale");
  }
  if (IsFalse(Value(locale))) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", disabled by config: " + locale);
    return Status::Ok();
  }
  const Value& f = Get(ctx.config, "locale_configfile");
  std::string configfile;
  if (f.is_string()) {
    configfile = f.get<std::string>();
  } else if (!f.is_null()) {
    return MakeError("expected a string, got " + TypeName(f), "locale_configfile");
  }
  ctx.log.Debug("Setting locale to " + locale);
  return distro::ApplyLocale(ctx, d, locale, distro::LocaleFile(ctx.sys, d, configfile));
}

}  // namespace

const ModuleSpec kSpec{
    .name = "locale",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"locale", KeyType::kString}, {"locale_configfile", KeyType::kString}}; },
    .run = &Run,
};

}  // namespace nubo::modules::locale
