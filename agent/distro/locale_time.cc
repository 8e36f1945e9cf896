// Timezone and locale, as cloud-init 22.4's Distro.set_timezone and
// apply_locale (distros/debian.py, distros/rhel.py). See include/nubo/distro.h.

#include <cctype>

#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::distro {

namespace {

// os.path.isfile: a regular file, or a symlink to one.
bool IsFile(System& sys, const std::string& path) {
  auto st = sys.Stat(path);
  if (!st) return false;
  if (st->is_regular) return true;
  return st->is_symlink && sys.ReadFile(path).ok();
}

// util.copy (shutil.copy): content and permission bits.
Status CopyFile(System& sys, const std::string& from, const std::string& to) {
  auto content = sys.ReadFile(from);
  if (!content) return content.error();
  WriteOptions o;
  o.mode = 0644;
  if (auto st = sys.Stat(from); st && st->is_regular) o.mode = st->mode;
  return sys.WriteFile(to, *content, o);
}

Status LinkOrCopyLocaltime(System& sys, const std::string& tz_file, bool always_link) {
  const std::string local = "/etc/localtime";
  auto st = sys.Stat(local);
  if (always_link || !st || st->is_symlink) {
    if (Status s = sys.Remove(local); !s.ok()) return s;
    return sys.Symlink(tz_file, local);
  }
  return CopyFile(sys, tz_file, local);
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

Status RunChecked(ModuleContext& ctx, Command c) {
  c.to_output_log = true;  // capture=False
  ctx.log.Debug("running " + Joined(c.argv));
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'" + Joined(c.argv) + "' exited with " + std::to_string(r->exit_code));
  }
  return Status::Ok();
}

std::string ReadVar(System& sys, const std::string& path, const std::string& key) {
  auto text = sys.ReadFile(path);
  if (!text) return "";
  for (const auto& [k, v] : ReadShellVars(*text)) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace

Status SetTimezone(System& sys, const Distro& d, const std::string& tz) {
  std::string tz_file = "/usr/share/zoneinfo/" + tz;
  if (!IsFile(sys, tz_file)) {
    return MakeError("Invalid timezone " + tz + ", no file found at " + tz_file, "timezone");
  }
  if (!d->timezone_file.empty()) {
    // distros.set_etc_timezone.
    std::string value = tz;
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.pop_back();
    }
    WriteOptions o;
    o.mode = 0644;
    if (Status s = sys.WriteFile(std::string(d->timezone_file), value + "\n", o); !s.ok()) {
      return s;
    }
    return LinkOrCopyLocaltime(sys, tz_file, /*always_link=*/false);
  }
  if (UsesSystemd(sys)) return LinkOrCopyLocaltime(sys, tz_file, /*always_link=*/true);
  std::string clock(d->clock_file_no_systemd);
  auto old = sys.ReadFile(clock);
  std::string content = UpdateSysconfig(old ? *old : "", {{"ZONE", tz}});
  if (!old) content = "# " + MakeHeader(sys) + "\n" + content;
  WriteOptions o;
  o.mode = 0644;
  if (Status s = sys.WriteFile(clock, content, o); !s.ok()) return s;
  return CopyFile(sys, tz_file, "/etc/localtime");
}

std::string SystemLocale(System& sys, const Distro& d) {
  std::string file = d->package_manager == PackageManager::kDnfOrYum && !UsesSystemd(sys)
                         ? std::string(d->locale_file_no_systemd)
                         : std::string(d->locale_file);
  std::string v = ReadVar(sys, file, "LANG");
  return v.empty() ? std::string(d->default_locale) : v;
}

std::string LocaleFile(System& sys, const Distro& d, const std::string& configfile) {
  if (d->package_manager == PackageManager::kDnfOrYum) {
    // rhel.apply_locale: under systemd /etc/locale.conf whatever is asked.
    if (UsesSystemd(sys)) return std::string(d->locale_file);
    return configfile.empty() ? std::string(d->locale_file_no_systemd) : configfile;
  }
  return configfile.empty() ? std::string(d->locale_file) : configfile;
}

Status ApplyLocale(ModuleContext& ctx, const Distro& d, const std::string& locale,
                   const std::string& out_file) {
  if (locale.empty()) return MakeError("Failed to provide locale value.", "locale");
  if (d->package_manager == PackageManager::kDnfOrYum) {
    auto old = ctx.sys.ReadFile(out_file);
    std::string content = UpdateSysconfig(old ? *old : "", {{"LANG", locale}});
    if (!old) content = "# " + MakeHeader(ctx.sys) + "\n" + content;
    WriteOptions o;
    o.mode = 0644;
    if (Status s = ctx.sys.WriteFile(out_file, content, o); !s.ok()) return s;
    ctx.log.Info("set LANG=" + locale + " in " + Quote(out_file));
    return Status::Ok();
  }
  // Debian: the system locale is read from /etc/default/locale whatever
  // file is written, as debian.get_locale does.
  std::string system_locale = ReadVar(ctx.sys, std::string(d->locale_file), "LANG");
  std::string distro_locale = system_locale.empty() ? std::string(d->default_locale) : system_locale;
  bool exists = ctx.sys.Exists(out_file);
  bool unset = system_locale.empty();
  bool need_regen = AsciiLower(locale) != AsciiLower(distro_locale) || !exists || unset;
  bool need_conf = !exists || need_regen || unset;
  if (need_regen) {
    std::string l = AsciiLower(locale);
    if (l == "c" || l == "c.utf-8" || l == "posix") {
      ctx.log.Debug("LANG=" + locale + " does not require rengeneration");
    } else {
      if (Status s = RunChecked(ctx, Command{.argv = {"locale-gen", locale}}); !s.ok()) return s;
    }
  } else {
    ctx.log.Debug("System has 'LANG=" + system_locale + "' requested '" + locale +
                  "', skipping regeneration.");
  }
  if (need_conf) {
    Command c{.argv = {"update-locale", "--locale-file=" + out_file, "LANG=" + locale}};
    if (Status s = RunChecked(ctx, c); !s.ok()) return s;
    ctx.log.Info("set LANG=" + locale + " in " + Quote(out_file));
  }
  return Status::Ok();
}

Result<std::vector<Command>> KeymapCommands(System& sys, const Distro& d, const std::string& layout,
                                            const std::string& model, const std::string& variant,
                                            const std::string& options) {
  if (!UsesSystemd(sys)) {
    return MakeError("setting the keymap of distro " + Quote(d.name) +
                     " without systemd is not implemented (as in cloud-init 22.4)");
  }
  std::vector<Command> out;
  Command c;
  c.argv = {"localectl", "set-x11-keymap", layout, model, variant, options};
  out.push_back(c);
  if (d->os_family == "debian") {
    auto restart = ServiceCommand(sys, "restart", "console-setup");
    if (!restart) return restart.error();
    out.push_back(*restart);
  }
  return out;
}

}  // namespace nubo::distro
