// ca_certs: adds trusted CA certificates and optionally removes the
// distro's defaults (cloud-init's cc_ca_certs).
//
//   ca_certs:                      # "ca-certs" is the deprecated spelling
//     remove_defaults: true        # "remove-defaults" deprecated
//     trusted:
//       - |
//         -----BEGIN CERTIFICATE-----
//         ...
//
// Debian: the certificates go, joined by newlines, to
// /usr/share/ca-certificates/cloud-init-ca-certs.crt (0644), whose name is
// appended to /etc/ca-certificates.conf; RHEL ("rhel" only, as 22.4):
// /usr/share/pki/ca-trust-source/anchors/. remove_defaults empties the
// certificate directories and the config (and tells debconf not to trust
// new ones). update-ca-certificates / update-ca-trust then runs.

#include <cctype>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::ca_certs {

namespace {

Status DeleteDirContents(System& sys, const std::string& dir) {
  auto names = sys.ListDir(dir);
  if (!names) return names.error();
  for (const auto& n : *names) {
    std::string p = dir + (dir.ends_with("/") ? "" : "/") + n;
    auto st = sys.Stat(p);
    Status s = st && st->is_dir ? sys.RemoveTree(p) : sys.Remove(p);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status RunChecked(ModuleContext& ctx, Command c) {
  std::string shown;
  for (const auto& a : c.argv) shown += (shown.empty() ? "" : " ") + a;
  ctx.log.Debug("running " + shown);
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'" + shown + "' exited with " + std::to_string(r->exit_code));
  }
  return Status::Ok();
}

Status RemoveDefaults(ModuleContext& ctx, const distro::CaCertsPaths& p) {
  ctx.log.Debug("Removing default certificates");
  if (Status s = DeleteDirContents(ctx.sys, p.cert_dir); !s.ok()) return s;
  if (Status s = DeleteDirContents(ctx.sys, p.system_dir); !s.ok()) return s;
  if (!p.config.empty()) {
    WriteOptions o;
    o.mode = 0644;
    if (Status s = ctx.sys.WriteFile(p.config, "", o); !s.ok()) return s;
  }
  if (p.debconf) {
    Command c{.argv = {"debconf-set-selections", "-"},
              .stdin_data = "ca-certificates ca-certificates/trust_new_crts select no"};
    if (Status s = RunChecked(ctx, c); !s.ok()) return s;
  }
  return Status::Ok();
}

Status AddCerts(ModuleContext& ctx, const distro::CaCertsPaths& p,
                const std::vector<std::string>& certs) {
  std::string content;
  for (size_t i = 0; i < certs.size(); ++i) content += (i ? "\n" : "") + certs[i];
  WriteOptions o;
  o.mode = 0644;
  std::string full = p.cert_dir + p.cert_filename;
  if (Status s = ctx.sys.WriteFile(full, content, o); !s.ok()) return s;
  ctx.log.Info("wrote " + std::to_string(certs.size()) + " certificate(s) to " + Quote(full));
  if (p.config.empty()) return Status::Ok();
  // update_cert_config: the file's name is listed once, last.
  auto orig = ctx.sys.ReadFile(p.config);
  if (!orig) return orig.error();
  std::string out;
  if (orig->empty()) {
    out = p.cert_filename + "\n";
  } else {
    std::string kept;
    std::string t = *orig;
    if (t.ends_with("\n")) t.pop_back();
    bool first = true;
    for (const auto& line : PySplit(t, '\n')) {
      if (line == p.cert_filename) continue;
      kept += (first ? "" : "\n") + line;
      first = false;
    }
    while (!kept.empty() && std::isspace(static_cast<unsigned char>(kept.back()))) kept.pop_back();
    out = kept + "\n" + p.cert_filename + "\n";
  }
  auto st = ctx.sys.Stat(p.config);
  WriteOptions co;
  co.mode = st ? st->mode : 0644;
  return ctx.sys.WriteFile(p.config, out, co);
}

Status Run(ModuleContext& ctx) {
  const Value& cfg = ctx.config;
  if (cfg.contains("ca-certs")) {
    ctx.log.Warning("DEPRECATION: key 'ca-certs' is now deprecated. Use 'ca_certs' instead.");
  } else if (!cfg.contains("ca_certs")) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'ca_certs' key in configuration");
    return Status::Ok();
  }
  if (cfg.contains("ca-certs") && cfg.contains("ca_certs")) {
    ctx.log.Warning("Found both ca-certs (deprecated) and ca_certs config keys. Ignoring ca-certs.");
  }
  std::string key = cfg.contains("ca_certs") ? "ca_certs" : "ca-certs";
  const Value& cc = cfg[key];
  if (!cc.is_object()) return MakeError("expected a dict, got " + TypeName(cc), key);
  distro::CaCertsPaths paths = distro::CaCerts(distro::DistroFor(cfg));

  bool remove = false;
  if (cc.contains("remove-defaults")) {
    ctx.log.Warning(
        "DEPRECATION: key 'ca-certs.remove-defaults' is now deprecated. Use "
        "'ca_certs.remove_defaults' instead.");
    remove = TranslateBool(cc["remove-defaults"]);
  } else if (cc.contains("remove_defaults")) {
    remove = TranslateBool(cc["remove_defaults"]);
  }
  std::vector<std::string> certs;
  if (cc.contains("trusted")) {
    const Value& t = cc["trusted"];
    if (t.is_string()) {
      certs.push_back(t.get<std::string>());
    } else if (t.is_array()) {
      for (size_t i = 0; i < t.size(); ++i) {
        if (!t[i].is_string()) {
          return MakeError("expected a string, got " + TypeName(t[i]),
                           key + ".trusted[" + std::to_string(i) + "]");
        }
        certs.push_back(t[i].get<std::string>());
      }
    } else if (!t.is_null()) {
      return MakeError("expected a list of certificates, got " + TypeName(t), key + ".trusted");
    }
  }
  if (remove) {
    if (Status s = RemoveDefaults(ctx, paths); !s.ok()) return s;
  }
  if (!certs.empty()) {
    if (Status s = AddCerts(ctx, paths, certs); !s.ok()) return s;
  }
  ctx.log.Debug("Updating certificates");
  Command update{.argv = paths.update_command};
  update.to_output_log = true;
  return RunChecked(ctx, update);
}

}  // namespace

// ca_certs and its deprecated spelling ca-certs (cloud-init's ca_certs.properties).
KeySpec CertsKey(std::string_view name) {
  return spec::Map(name, {spec::Bool("remove-defaults").Deprecated("use 'remove_defaults' instead"),
                          spec::Bool("remove_defaults"), spec::List("trusted", spec::Str()).MinItems(1)})
      .Closed()
      .MinKeys(1);
}

const ModuleSpec kSpec{
    .name = "ca_certs",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"ca_certs", "ca-certs"},
    .distros = {"alpine", "debian", "ubuntu", "rhel"},
    .reads = [] { return std::vector<KeySpec>{CertsKey("ca_certs"), CertsKey("ca-certs").Deprecated("use 'ca_certs' instead")}; },
    .run = &Run,
};

}  // namespace nubo::modules::ca_certs
