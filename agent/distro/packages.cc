// Package and service commands, as cloud-init 22.4's Distro.package_command,
// update_package_sources, install_packages and manage_service. See
// include/nubo/distro.h.

#include <span>

#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::distro {

namespace {

const char* const kAptGetCommand[] = {
    "apt-get", "--option=Dpkg::Options::=--force-confold",
    "--option=Dpkg::options::=--force-unsafe-io", "--assume-yes", "--quiet"};

const Value& Option(const Distro& d, std::string_view key) {
  static const Value kNull;
  if (!d.system_info) return kNull;
  return Get(*d.system_info, key);
}

// A string or a list of strings from system_info; nullopt when absent or
// of another type (cloud-init would then fail on it; nubo keeps the default).
std::optional<std::vector<std::string>> StringsOption(const Value& v) {
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

Result<std::vector<std::string>> ExpandPackageList(const Distro& d, const Value& pkgs,
                                                  const std::string& key) {
  const char sep = d->package_manager == PackageManager::kApt ? '=' : '-';
  std::vector<std::string> out;
  if (pkgs.is_null()) return out;
  if (pkgs.is_string()) return std::vector<std::string>{pkgs.get<std::string>()};
  if (!pkgs.is_array()) {
    return MakeError("expected a list of packages, got " + TypeName(pkgs), key);
  }
  for (size_t i = 0; i < pkgs.size(); ++i) {
    const Value& p = pkgs[i];
    std::string k = key + "[" + std::to_string(i) + "]";
    if (p.is_string()) {
      out.push_back(p.get<std::string>());
    } else if (p.is_array()) {
      if (p.empty() || p.size() > 2) {
        return MakeError("expected [name] or [name, version], got " + std::to_string(p.size()) +
                             " items",
                         k);
      }
      if (!p[0].is_string()) return MakeError("expected a string, got " + TypeName(p[0]), k + "[0]");
      std::string name = p[0].get<std::string>();
      // "%s=%s" % tuple(pkg): the version as Python prints it.
      if (p.size() == 2 && !(p[1].is_null() || (p[1].is_string() && p[1].get<std::string>().empty()))) {
        if (!p[1].is_string() && !p[1].is_number()) {
          return MakeError("expected a string, got " + TypeName(p[1]), k + "[1]");
        }
        name += sep + PyStr(p[1]);
      }
      out.push_back(name);
    } else {
      return MakeError("expected a string or a list, got " + TypeName(p), k);
    }
  }
  return out;
}

Result<Command> PackageCommand(System& sys, const Distro& d, std::string_view command,
                               const std::vector<std::string>& args,
                               const std::vector<std::string>& pkgs) {
  Command c;
  switch (d->package_manager) {
    case PackageManager::kApt: {
      c.env.push_back("DEBIAN_FRONTEND=noninteractive");
      // apt_get_wrapper: {command: eatmydata, enabled: auto}.
      std::vector<std::string> wrapper = {"eatmydata"};
      Value enabled = "auto";
      const Value& w = Option(d, "apt_get_wrapper");
      if (w.is_object()) {
        if (auto cmd = StringsOption(Get(w, "command"))) wrapper = *cmd;
        if (w.contains("enabled")) enabled = w["enabled"];
      }
      bool use = IsTrue(enabled) ||
                 (AsciiLower(PyStr(enabled)) == "auto" && !wrapper.empty() && !wrapper[0].empty() &&
                  Which(sys, wrapper[0]));
      if (use) c.argv = wrapper;
      if (auto cmd = StringsOption(Option(d, "apt_get_command"))) {
        c.argv.insert(c.argv.end(), cmd->begin(), cmd->end());
      } else {
        c.argv.insert(c.argv.end(), std::begin(kAptGetCommand), std::end(kAptGetCommand));
      }
      c.argv.insert(c.argv.end(), args.begin(), args.end());
      std::string sub(command);
      if (command == "upgrade") {
        const Value& u = Option(d, "apt_get_upgrade_subcommand");
        sub = u.is_string() ? u.get<std::string>() : "dist-upgrade";
      }
      c.argv.push_back(sub);
      break;
    }
    case PackageManager::kDnfOrYum:
      if (Which(sys, "dnf")) {
        c.argv = {"dnf"};
      } else {
        c.argv = {"yum", "-t"};
      }
      c.argv.push_back("-y");
      c.argv.insert(c.argv.end(), args.begin(), args.end());
      c.argv.emplace_back(command);
      break;
    case PackageManager::kNone:
      return MakeError("nubo has no package manager for distro " + Quote(d.name));
  }
  c.argv.insert(c.argv.end(), pkgs.begin(), pkgs.end());
  // capture=False: the output goes where the stage's output goes.
  c.to_output_log = true;
  return c;
}

Status RunPackageCommand(ModuleContext& ctx, const Distro& d, std::string_view command,
                         const std::vector<std::string>& args,
                         const std::vector<std::string>& pkgs) {
  auto c = PackageCommand(ctx.sys, d, command, args, pkgs);
  if (!c) return c.error();
  ctx.log.Debug("running " + Joined(c->argv));
  auto r = ctx.sys.Run(*c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'" + Joined(c->argv) + "' exited with " + std::to_string(r->exit_code));
  }
  return Status::Ok();
}

Status UpdatePackageSources(ModuleContext& ctx, const Distro& d) {
  // helpers.Runners.run("update-sources", ..., PER_INSTANCE): the semaphore
  // is sem/update_sources in the instance directory.
  std::string sem = ctx.paths.InstancePath("sem") + "/update_sources";
  if (!ctx.paths.instance_id.empty() && ctx.sys.Exists(sem)) {
    ctx.log.Debug("update-sources already ran for this instance, skipping");
    return Status::Ok();
  }
  const char* sub = d->package_manager == PackageManager::kApt ? "update" : "makecache";
  if (!ctx.paths.instance_id.empty()) {
    WriteOptions o;
    o.mode = 0644;
    std::string content = std::to_string(static_cast<long long>(ctx.sys.Now())) + "\n";
    if (Status s = ctx.sys.WriteFile(sem, content, o); !s.ok()) return s;
  }
  return RunPackageCommand(ctx, d, sub);
}

Status InstallPackages(ModuleContext& ctx, const Distro& d, const Value& pkgs,
                       const std::string& key) {
  auto list = ExpandPackageList(d, pkgs, key);
  if (!list) return list.error();
  if (d->package_manager == PackageManager::kApt) {
    if (Status s = UpdatePackageSources(ctx, d); !s.ok()) return s;
  }
  return RunPackageCommand(ctx, d, "install", {}, *list);
}

Result<Command> ServiceCommand(System& sys, std::string_view action, const std::string& service) {
  static const std::pair<std::string_view, std::string_view> kSystemctl[] = {
      {"stop", "stop"},       {"start", "start"},   {"enable", "enable"},
      {"disable", "disable"}, {"restart", "restart"}, {"reload", "reload-or-restart"},
      {"try-reload", "reload-or-try-restart"},      {"status", "status"}};
  static const std::pair<std::string_view, std::string_view> kService[] = {
      {"stop", "stop"},       {"start", "start"},     {"enable", "start"},
      {"disable", "stop"},    {"restart", "restart"}, {"reload", "restart"},
      {"try-reload", "restart"}, {"status", "status"}};
  bool systemd = UsesSystemd(sys);
  std::span<const std::pair<std::string_view, std::string_view>> table =
      systemd ? std::span(kSystemctl) : std::span(kService);
  for (const auto& [a, verb] : table) {
    if (a != action) continue;
    Command c;
    if (systemd) {
      c.argv = {"systemctl", std::string(verb), service};
    } else {
      c.argv = {"service", service, std::string(verb)};
    }
    return c;
  }
  return MakeError("unknown service action " + Quote(action));
}

Result<std::vector<std::string>> ShutdownCommand(const Distro&, const std::string& mode,
                                                 const Value& delay, const std::string& message) {
  static const std::pair<std::string_view, std::string_view> kOptions[] = {
      {"halt", "-H"}, {"poweroff", "-P"}, {"reboot", "-r"}};
  std::vector<std::string> argv = {"shutdown"};
  for (const auto& [m, opt] : kOptions) {
    if (m == mode) argv.emplace_back(opt);
  }
  if (argv.size() == 1) {
    return MakeError("power_state[mode] required, must be one of: halt,poweroff,reboot. found: '" +
                         mode + "'.",
                     "power_state.mode");
  }
  std::string d = delay.is_null() ? "now" : PyStr(delay);
  if (d != "now") {
    // "+%d" % int(delay): an int, or a string of one (a leading + is fine).
    std::string digits = PyStrip(d);
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits = digits.substr(1);
    bool ok = !digits.empty() && !delay.is_boolean() && !delay.is_number_float();
    for (char c : digits) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (!ok) {
      return MakeError("power_state[delay] must be 'now' or '+m' (minutes). found '" + d + "'.",
                       "power_state.delay");
    }
    long long minutes = std::stoll(PyStrip(d));
    d = "+" + std::to_string(minutes);
  }
  argv.push_back(d);
  if (!message.empty()) argv.push_back(message);
  return argv;
}

}  // namespace nubo::distro
