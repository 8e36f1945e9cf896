// apt_configure: apt's sources, keys, proxies and options (cloud-init
// 22.4.2's cc_apt_configure), on Debian and Ubuntu.
//
//   apt:
//     preserve_sources_list: false      # default: sources.list is rendered
//     primary: [{arches: [default], uri: http://deb.debian.org/debian, key: ...}]
//     security: [{arches: [default], uri: http://deb.debian.org/debian-security}]
//     sources_list: |                   # default: templates_dir/sources.list.<distro>.tmpl
//       deb $MIRROR $RELEASE main
//     disable_suites: [backports]       # updates/backports/security/proposed/release
//     sources:
//       local: {source: 'deb [trusted=yes] file:///srv/repo ./', key: ..., append: true}
//     conf: 'APT::Get::Assume-Yes "true";'
//     proxy: http://proxy:3128          # also http_proxy, https_proxy, ftp_proxy
//     debconf_selections: {set1: 'pkg pkg/q boolean true'}
//
// The deprecated top-level keys (apt_sources, apt_mirror, apt_proxy, ...)
// are converted to this dict first (ConvertToV3).
//
// Effects, as 22.4: debconf-set-selections (stdin); /etc/apt/sources.list
// (0644) unless preserve_sources_list; /etc/apt/apt.conf.d/90cloud-init-
// aptproxy and 94cloud-init-config (written, or removed when not
// configured); a `key` through `gpg --dearmor` into /etc/apt/trusted.gpg.d/
// <name>.gpg (/etc/apt/cloud-init.gpg.d/ when the source uses $KEY_FILE);
// sources.list.d/<name>.list appended to (append: false replaces it), or
// add-apt-repository for "ppa:x"-style sources; then apt-get update, once
// per instance. Mirrors: `uri`, else system_info.package_mirrors'
// failsafe entries, else Ubuntu's archive by dpkg architecture; the
// release is lsb_release's codename.
//
// Mirrors in `search` and `search_dns` are probed as 22.4 does, by name
// resolution (getaddrinfo, System::ResolveHost).
//
// Differences from 22.4: a `keyid` not in the local keyring is fetched
// once from the keyserver (22.4 tries 3 times; both fail the module when it
// cannot be had); apt lists named after Ubuntu's default
// mirror are not renamed; an `apt_sources` list entry without a filename is keyed
// "sourceNN_cloud_config_sources.list" (NN its index) where 22.4 picks 8
// random characters; sources are processed in sorted name order; with
// preserve_sources_list and no sources, lsb_release and dpkg are not run
// (nothing uses the release or the mirrors).

#include <algorithm>
#include <regex>
#include <set>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/hostname.h"
#include "nubo/templater.h"
#include "nubo/text.h"

namespace nubo::modules::apt_configure {

namespace {

constexpr char kSourcesList[] = "/etc/apt/sources.list";
constexpr char kSourcesListD[] = "/etc/apt/sources.list.d/";
constexpr char kProxyFile[] = "/etc/apt/apt.conf.d/90cloud-init-aptproxy";
constexpr char kConfigFile[] = "/etc/apt/apt.conf.d/94cloud-init-config";
constexpr char kTrustedGpgDir[] = "/etc/apt/trusted.gpg.d/";
constexpr char kCloudInitGpgDir[] = "/etc/apt/cloud-init.gpg.d/";
constexpr char kDefaultKeyserver[] = "keyserver.ubuntu.com";
constexpr char kAddAptRepoMatch[] = R"(^[\w-]+:\w)";

const Value kNull;

}  // namespace

namespace {

// --- validation: every key 22.4's schema types, checked before any effect.

Status ExpectString(const Value& parent, std::string_view name, const std::string& key) {
  const Value& v = Get(parent, name);
  if (!v.is_null() && !v.is_string()) {
    return MakeError("expected a string, got " + TypeName(v), key + "." + std::string(name));
  }
  return Status::Ok();
}

Status ExpectStringList(const Value& v, const std::string& key) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_array()) return MakeError("expected a list of strings, got " + TypeName(v), key);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return MakeError("expected a string, got " + TypeName(v[i]),
                       key + "[" + std::to_string(i) + "]");
    }
  }
  return Status::Ok();
}

Status ValidateKeyFields(const Value& ent, const std::string& key) {
  for (const char* f : {"key", "keyid", "keyserver", "filename"}) {
    if (Status s = ExpectString(ent, f, key); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Validate(const Value& apt) {
  for (const char* mtype : {"primary", "security"}) {
    const Value& list = Get(apt, mtype);
    std::string key = std::string("apt.") + mtype;
    if (list.is_null()) continue;
    if (!list.is_array()) return MakeError("expected a list of dicts, got " + TypeName(list), key);
    for (size_t i = 0; i < list.size(); ++i) {
      std::string k = key + "[" + std::to_string(i) + "]";
      if (!list[i].is_object()) return MakeError("expected a dict, got " + TypeName(list[i]), k);
      if (Status s = ExpectStringList(Get(list[i], "arches"), k + ".arches"); !s.ok()) return s;
      if (Status s = ExpectStringList(Get(list[i], "search"), k + ".search"); !s.ok()) return s;
      if (Status s = ExpectString(list[i], "uri", k); !s.ok()) return s;
      if (Status s = ValidateKeyFields(list[i], k); !s.ok()) return s;
    }
  }
  for (const char* f : {"sources_list", "conf", "proxy", "http_proxy", "https_proxy", "ftp_proxy",
                        "add_apt_repo_match"}) {
    if (Status s = ExpectString(apt, f, "apt"); !s.ok()) return s;
  }
  if (Status s = ExpectStringList(Get(apt, "disable_suites"), "apt.disable_suites"); !s.ok()) {
    return s;
  }
  const Value& sel = Get(apt, "debconf_selections");
  if (!sel.is_null()) {
    if (!sel.is_object()) {
      return MakeError("expected a dict, got " + TypeName(sel), "apt.debconf_selections");
    }
    for (auto it = sel.begin(); it != sel.end(); ++it) {
      if (Status s = ExpectString(sel, it.key(), "apt.debconf_selections"); !s.ok()) return s;
    }
  }
  const Value& sources = Get(apt, "sources");
  if (apt.contains("sources")) {
    if (!sources.is_object()) {
      return MakeError("expected a dict, got " + TypeName(sources), "apt.sources");
    }
    for (auto it = sources.begin(); it != sources.end(); ++it) {
      std::string k = "apt.sources." + it.key();
      if (!it.value().is_object()) {
        return MakeError("expected a dict, got " + TypeName(it.value()), k);
      }
      if (Status s = ExpectString(it.value(), "source", k); !s.ok()) return s;
      if (Status s = ValidateKeyFields(it.value(), k); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

// --- facts of the target

// util.lsb_release()["codename"]; "UNAVAILABLE" when lsb_release cannot run.
std::string Release(ModuleContext& ctx) {
  auto r = ctx.sys.Run(Command{.argv = {"lsb_release", "--all"}});
  if (!r || r->exit_code != 0) {
    ctx.log.Warning("Unable to get lsb_release --all: " +
                    (r ? "exit code " + std::to_string(r->exit_code) : r.error().ToString()));
    return "UNAVAILABLE";
  }
  for (const std::string& line : PySplit(r->out, '\n')) {
    size_t colon = line.find(':');
    if (colon != std::string::npos && line.substr(0, colon) == "Codename") {
      return PyStrip(line.substr(colon + 1));
    }
  }
  ctx.log.Warning("Missing fields in lsb_release --all output: codename");
  return "";
}

// util.get_dpkg_architecture.
Result<std::string> DpkgArchitecture(ModuleContext& ctx) {
  auto r = ctx.sys.Run(Command{.argv = {"dpkg", "--print-architecture"}});
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'dpkg --print-architecture' exited with " + std::to_string(r->exit_code));
  }
  return PyStrip(r->out);
}

// --- mirrors

// get_arch_mirrorconfig / _get_arch_package_mirror_info: the entry whose
// arches name `arch`, else the last one naming "default".
const Value& ArchEntry(const Value& list, const std::string& arch) {
  const Value* def = &kNull;
  if (!list.is_array()) return kNull;
  for (const Value& e : list) {
    const Value& arches = Get(e, "arches");
    if (!arches.is_array()) continue;
    for (const Value& a : arches) {
      if (a.is_string() && a.get<std::string>() == arch) return e;
    }
    for (const Value& a : arches) {
      if (a.is_string() && a.get<std::string>() == "default") def = &e;
    }
  }
  return *def;
}

// urlparse(url).hostname: the host of "scheme://[user@]host[:port]/...",
// lower case; "" when there is none.
std::string UrlHostname(const std::string& url) {
  size_t start = url.find("//");
  if (start == std::string::npos) return "";
  start += 2;
  std::string netloc = url.substr(start, url.find_first_of("/?#", start) - start);
  netloc = netloc.substr(netloc.rfind('@') == std::string::npos ? 0 : netloc.rfind('@') + 1);
  std::string host;
  if (!netloc.empty() && netloc[0] == '[') {
    size_t close = netloc.find(']');
    host = close == std::string::npos ? "" : netloc.substr(1, close - 1);
  } else {
    host = netloc.substr(0, netloc.find(':'));
  }
  return AsciiLower(host);
}

// util.search_for_mirror + is_resolvable_url: the first candidate whose
// host resolves, and not to an address the resolver also gives for names
// that cannot exist (a redirecting resolver; 22.4 asks those once).
std::optional<std::string> SearchForMirror(ModuleContext& ctx, const Value& candidates) {
  if (!candidates.is_array()) return std::nullopt;
  ctx.log.Debug("search for mirror in candidates: " + PyRepr(candidates));
  std::optional<std::set<std::string>> redirect_ips;
  for (const Value& c : candidates) {
    if (!c.is_string()) continue;
    std::string host = UrlHostname(c.get<std::string>());
    if (host.empty()) continue;
    if (!redirect_ips) {
      redirect_ips.emplace();
      for (const char* bad : {"does-not-exist.example.com.", "example.invalid.",
                              "__cloud_init_expected_not_found__"}) {
        if (auto ip = ctx.sys.ResolveHost(bad)) redirect_ips->insert(*ip);
      }
    }
    auto ip = ctx.sys.ResolveHost(host);
    if (ip && !redirect_ips->count(*ip)) {
      ctx.log.Debug("found working mirror: '" + c.get<std::string>() + "'");
      return c.get<std::string>();
    }
  }
  return std::nullopt;
}

// search_for_mirror_dns: http://<distro>-mirror<.domain>/<distro> for the
// fqdn's domain, .localdomain and no domain ("security-mirror" for security).
std::optional<std::string> SearchForMirrorDns(ModuleContext& ctx, const distro::Distro& d,
                                              const char* mtype) {
  std::string dns = std::string(mtype) == "primary" ? "mirror" : "security-mirror";
  std::vector<std::string> doms;
  if (auto names = ResolveHostnameFqdn(ctx.config, ctx.instance, ctx.sys); names.ok()) {
    size_t dot = names->fqdn.find('.');
    if (dot != std::string::npos && dot + 1 < names->fqdn.size()) doms.push_back("." + names->fqdn.substr(dot + 1));
  }
  doms.push_back(".localdomain");
  doms.push_back("");
  Value list = Value::array();
  for (const std::string& post : doms) list.push_back("http://" + d.name + "-" + dns + post + "/" + d.name);
  return SearchForMirror(ctx, list);
}

// get_mirror: `uri`, else the first of `search` that resolves, else the
// first search_dns name that does.
std::optional<std::string> ConfiguredMirror(ModuleContext& ctx, const distro::Distro& d, const Value& apt,
                                            const char* mtype, const std::string& arch) {
  const Value& m = ArchEntry(Get(apt, mtype), arch);
  if (m.is_null()) return std::nullopt;
  if (m.contains("uri") && m["uri"].is_string()) return m["uri"].get<std::string>();
  if (auto found = SearchForMirror(ctx, Get(m, "search"))) return found;
  if (IsTrue(Get(m, "search_dns"))) return SearchForMirrorDns(ctx, d, mtype);
  return std::nullopt;
}

// find_apt_mirror_info + update_mirror_info: {PRIMARY, SECURITY, MIRROR,
// and the package_mirrors names}.
Result<Value> MirrorInfo(ModuleContext& ctx, const distro::Distro& d, const Value& apt,
                         const std::string& arch) {
  Value info = Value::object();
  auto primary = ConfiguredMirror(ctx, d, apt, "primary", arch);
  auto security = ConfiguredMirror(ctx, d, apt, "security", arch);
  if (primary) {
    info["PRIMARY"] = *primary;
    info["SECURITY"] = security ? *security : *primary;
  } else {
    // The datasource's get_package_mirror_info: system_info.package_mirrors.
    const Value& pm = d.system_info ? Get(*d.system_info, "package_mirrors") : kNull;
    const Value& entry = ArchEntry(pm, arch);
    const Value& failsafe = Get(entry, "failsafe");
    if (failsafe.is_object()) {
      for (auto it = failsafe.begin(); it != failsafe.end(); ++it) info[it.key()] = it.value();
    }
    if (!info.empty()) {
      if (!info.contains("primary") || !info.contains("security")) {
        return MakeError("expected 'primary' and 'security' mirrors",
                         "system_info.package_mirrors");
      }
      info["PRIMARY"] = info["primary"];
      info["SECURITY"] = info["security"];
    } else if (arch == "amd64" || arch == "i386") {
      info = {{"PRIMARY", "http://archive.ubuntu.com/ubuntu/"},
              {"SECURITY", "http://security.ubuntu.com/ubuntu/"}};
    } else if (arch == "s390x" || arch == "arm64" || arch == "armhf" || arch == "powerpc" ||
               arch == "ppc64el" || arch == "riscv64") {
      info = {{"PRIMARY", "http://ports.ubuntu.com/ubuntu-ports"},
              {"SECURITY", "http://ports.ubuntu.com/ubuntu-ports"}};
    } else {
      return MakeError("No default mirror known for arch " + arch);
    }
  }
  info["MIRROR"] = info["PRIMARY"];
  return info;
}

// --- keys

// pathlib.Path(name).stem
std::string Stem(const std::string& name) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot != 0) base.resize(dot);
  return base;
}

// gpg.getkeybyid: the local keyring's armoured export, else one try at the
// keyserver; an error when neither has it, which fails the module there, as
// 22.4's ValueError does: no source after it is added, and none without its
// key (a list whose signed-by file is missing would fail every apt-get update).
Result<std::string> KeyById(ModuleContext& ctx, const std::string& keyid, const std::string& keyserver,
                            const std::string& key) {
  auto export_armour = [&]() -> std::string {
    auto r = ctx.sys.Run(Command{.argv = {"gpg", "--export", "--armour", keyid}});
    return r && r->exit_code == 0 ? r->out : "";
  };
  std::string armour = export_armour();
  if (!armour.empty()) return armour;
  ctx.log.Debug("Importing key '" + keyid + "' from keyserver '" + keyserver + "'");
  auto r = ctx.sys.Run(Command{
      .argv = {"gpg", "--no-tty", "--keyserver=" + keyserver, "--recv-keys", keyid}});
  if (r && r->exit_code == 0) armour = export_armour();
  (void)ctx.sys.Run(Command{.argv = {"gpg", "--batch", "--yes", "--delete-keys", keyid}});
  if (armour.empty()) {
    return MakeError("could not get key " + Quote(keyid) + " from keyserver " + Quote(keyserver) + " (no network?)",
                     key + ".keyid");
  }
  return armour;
}

// add_apt_key: `key`, or `keyid` fetched; dearmored into DIR/<stem>.gpg.
// Returns the key file ("/dev/null" when gpg failed), nullopt without a key;
// an error when a keyid cannot be fetched.
Result<std::optional<std::string>> AddAptKey(ModuleContext& ctx, const Value& ent, const std::string& file_name,
                                             bool hardened, const std::string& key) {
  std::string data;
  if (ent.contains("key") && ent["key"].is_string()) {
    data = ent["key"].get<std::string>();
  } else if (ent.contains("keyid") && ent["keyid"].is_string()) {
    const Value& ks = Get(ent, "keyserver");
    auto fetched = KeyById(ctx, ent["keyid"].get<std::string>(),
                           ks.is_string() ? ks.get<std::string>() : kDefaultKeyserver, key);
    if (!fetched) return fetched.error();
    data = *fetched;
  } else {
    return std::optional<std::string>();
  }
  std::string name = Stem(file_name);
  if (name.empty()) {
    ctx.log.Warning(key + ": unknown filename, failed to add key");
    return std::optional<std::string>("/dev/null");
  }
  auto r = ctx.sys.Run(Command{.argv = {"gpg", "--dearmor"}, .stdin_data = data});
  if (!r || r->exit_code != 0) {
    ctx.log.Warning(key + ": gpg error, failed to add key (" +
                    (r ? "gpg --dearmor exited with " + std::to_string(r->exit_code)
                       : r.error().ToString()) +
                    ")");
    return std::optional<std::string>("/dev/null");
  }
  std::string path = std::string(hardened ? kCloudInitGpgDir : kTrustedGpgDir) + name + ".gpg";
  WriteOptions o;
  o.mode = 0644;
  if (Status s = ctx.sys.WriteFile(path, r->out, o); !s.ok()) {
    ctx.log.Warning(key + ": failed to add key: " + s.error().ToString());
    return std::optional<std::string>("/dev/null");
  }
  ctx.log.Info("wrote apt key " + Quote(path));
  return std::optional<std::string>(path);
}

// --- sources.list

std::string MapKnownSuite(const std::string& suite) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"updates", "$RELEASE-updates"},   {"backports", "$RELEASE-backports"},
      {"security", "$RELEASE-security"}, {"proposed", "$RELEASE-proposed"},
      {"release", "$RELEASE"}};
  for (const auto& [k, v] : kMap) {
    if (suite == k) return v;
  }
  return suite;
}

// disable_suites: comments out "deb URI SUITE ..." lines (options in [ ]
// skipped) whose suite is one of `disabled`.
Result<std::string> DisableSuites(const Value& disabled, const std::string& src,
                                  const std::string& release) {
  if (!disabled.is_array() || disabled.empty()) return src;
  std::string ret = src;
  for (const Value& s : disabled) {
    auto suite = templater::Render(MapKnownSuite(s.get<std::string>()), {{"RELEASE", release}});
    if (!suite) return MakeError(suite.error().message, "apt.disable_suites");
    std::string out;
    size_t pos = 0;
    while (pos < ret.size()) {
      size_t nl = ret.find('\n', pos);
      std::string line = ret.substr(pos, nl == std::string::npos ? std::string::npos : nl + 1 - pos);
      pos = nl == std::string::npos ? ret.size() : nl + 1;
      if (!line.starts_with("#")) {
        std::vector<std::string> cols = SplitWhitespace(line);
        if (cols.size() > 1) {
          size_t pcol = 2;
          if (cols[1].starts_with("[")) {
            for (size_t i = 1; i < cols.size(); ++i) {
              ++pcol;
              if (cols[i].ends_with("]")) break;
            }
          }
          if (pcol < cols.size() && cols[pcol] == *suite) {
            line = "# suite disabled by cloud-init: " + line;
          }
        }
      }
      out += line;
    }
    ret = out;
  }
  return ret;
}

Status GenerateSourcesList(ModuleContext& ctx, const distro::Distro& d, const Value& apt,
                           const std::string& release, const Value& mirrors) {
  Value params = {{"RELEASE", release}, {"codename", release}};
  for (auto it = mirrors.begin(); it != mirrors.end(); ++it) {
    params[it.key()] = it.value();
    params[AsciiLower(it.key())] = it.value();
  }
  std::string tmpl;
  if (apt.contains("sources_list") && apt["sources_list"].is_string()) {
    tmpl = apt["sources_list"].get<std::string>();
  } else {
    ctx.log.Info("No custom template provided, fall back to builtin");
    std::string dir = TemplatesDir(ctx.config);
    auto text = ctx.sys.ReadFile(dir + "/sources.list." + d.name + ".tmpl");
    if (!text) text = ctx.sys.ReadFile(dir + "/sources.list.tmpl");
    if (text) {
      tmpl = *text;
    } else if (d->os_family == "debian") {
      ctx.log.Info("No template in " + Quote(dir) + ", using nubo's built-in Debian one");
      tmpl = templater::Builtin("sources.list.debian");
    } else {
      ctx.log.Warning("No template found, not rendering /etc/apt/sources.list");
      return Status::Ok();
    }
  }
  auto rendered = templater::Render(tmpl, params);
  if (!rendered) return MakeError(rendered.error().message, "apt.sources_list");
  auto out = DisableSuites(Get(apt, "disable_suites"), *rendered, release);
  if (!out) return out.error();
  WriteOptions o;
  o.mode = 0644;
  if (Status s = ctx.sys.WriteFile(kSourcesList, *out, o); !s.ok()) return s;
  ctx.log.Info("wrote " + Quote(kSourcesList));
  return Status::Ok();
}

// apply_apt_config: the proxy and conf files, or their removal.
Status ApplyAptConfig(ModuleContext& ctx, const Value& apt) {
  static const std::pair<const char*, const char*> kProxies[] = {
      {"proxy", "http"}, {"http_proxy", "http"}, {"ftp_proxy", "ftp"}, {"https_proxy", "https"}};
  std::string proxies;
  for (const auto& [name, scheme] : kProxies) {
    const Value& v = Get(apt, name);
    if (v.is_string() && !v.get<std::string>().empty()) {
      proxies += std::string("Acquire::") + scheme + "::Proxy \"" + v.get<std::string>() + "\";\n";
    }
  }
  WriteOptions o;
  o.mode = 0644;
  auto write_or_remove = [&](const char* path, const std::string& content) -> Status {
    if (!content.empty()) {
      if (Status s = ctx.sys.WriteFile(path, content, o); !s.ok()) return s;
      ctx.log.Info("wrote " + Quote(path));
    } else if (auto st = ctx.sys.Stat(path); st && st->is_regular) {
      if (Status s = ctx.sys.Remove(path); !s.ok()) return s;
      ctx.log.Info("removed " + Quote(path) + ", not configured");
    }
    return Status::Ok();
  };
  if (Status s = write_or_remove(kProxyFile, proxies); !s.ok()) return s;
  const Value& conf = Get(apt, "conf");
  return write_or_remove(kConfigFile, conf.is_string() ? conf.get<std::string>() : "");
}

// 22.4 logs a failure to write (or remove) these files and goes on.
void ApplyAptConfigOrWarn(ModuleContext& ctx, const Value& apt) {
  if (Status s = ApplyAptConfig(ctx, apt); !s.ok()) {
    ctx.log.Warning("Failed to apply proxy or apt config info: " + s.error().ToString());
  }
}

// add_apt_sources, then update_package_sources.
Status AddAptSources(ModuleContext& ctx, const distro::Distro& d, const Value& apt,
                     Value params) {
  const Value& sources = apt["sources"];
  const Value& matchv = Get(apt, "add_apt_repo_match");
  std::string match = matchv.is_string() ? matchv.get<std::string>() : kAddAptRepoMatch;
  std::optional<std::regex> matcher;
  if (!match.empty()) {
    try {
      matcher.emplace(match, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return MakeError("not a valid regular expression: " + Quote(match), "apt.add_apt_repo_match");
    }
  }
  for (auto it = sources.begin(); it != sources.end(); ++it) {
    const Value& ent = it.value();
    std::string key = "apt.sources." + it.key();
    std::string filename = ent.contains("filename") && ent["filename"].is_string()
                               ? ent["filename"].get<std::string>()
                               : it.key();
    const Value& src = Get(ent, "source");
    bool has_source = src.is_string();
    if (has_source && src.get<std::string>().find("$KEY_FILE") != std::string::npos) {
      auto key_file = AddAptKey(ctx, ent, filename, /*hardened=*/true, key);
      if (!key_file) return key_file.error();
      params["KEY_FILE"] = *key_file ? Value(**key_file) : Value();
    } else if (auto added = AddAptKey(ctx, ent, filename, /*hardened=*/false, key); !added) {
      return added.error();
    }
    if (!has_source) continue;
    auto source = templater::Render(src.get<std::string>(), params);
    if (!source) return MakeError(source.error().message, key + ".source");
    if (!filename.starts_with("/")) filename = kSourcesListD + filename;
    if (!filename.ends_with(".list")) filename += ".list";
    if (matcher && std::regex_search(*source, *matcher)) {
      auto r = ctx.sys.Run(Command{.argv = {"add-apt-repository", "--no-update", *source}});
      if (!r) return MakeError("add-apt-repository failed: " + r.error().ToString(), key);
      if (r->exit_code != 0) {
        return MakeError("add-apt-repository failed with exit code " +
                             std::to_string(r->exit_code),
                         key);
      }
      continue;
    }
    WriteOptions o;
    o.mode = 0644;
    std::string contents = *source + "\n";
    bool append = !(ent.contains("append") && !TranslateBool(ent["append"]));
    Status s = append ? ctx.sys.AppendFile(filename, contents, o)
                      : ctx.sys.WriteFile(filename, contents, o);
    if (!s.ok()) return MakeError(s.error().ToString(), key);
    ctx.log.Info((append ? "appended to " : "wrote ") + Quote(filename));
  }
  return distro::UpdatePackageSources(ctx, d);
}

// apply_debconf_selections: debconf-set-selections, and a warning naming
// the installed packages it cannot reconfigure.
Status ApplyDebconfSelections(ModuleContext& ctx, const Value& apt) {
  const Value& sel = Get(apt, "debconf_selections");
  if (!sel.is_object() || sel.empty()) {
    ctx.log.Debug("debconf_selections was not set in config");
    return Status::Ok();
  }
  std::string data;
  std::set<std::string> pkgs;
  for (auto it = sel.begin(); it != sel.end(); ++it) {  // sorted keys, as 22.4
    std::string content = it.value().get<std::string>();
    if (it != sel.begin()) data += "\n";
    data += content;
    for (const std::string& line : PySplit(content, '\n')) {
      if (line.starts_with("#")) continue;
      pkgs.insert(line.substr(0, line.find_first_of(": \t\r\n\v\f")));
    }
  }
  if (!data.ends_with("\n")) data += "\n";
  auto r = ctx.sys.Run(Command{.argv = {"debconf-set-selections"}, .stdin_data = data});
  if (!r) return MakeError("debconf-set-selections: " + r.error().ToString(),
                           "apt.debconf_selections");
  if (r->exit_code != 0) {
    return MakeError("debconf-set-selections exited with " + std::to_string(r->exit_code),
                     "apt.debconf_selections");
  }
  // util.get_installed_packages: states ii/hi of dpkg-query --list.
  auto q = ctx.sys.Run(Command{.argv = {"dpkg-query", "--list"}});
  if (!q || q->exit_code != 0) return MakeError("dpkg-query --list failed", "apt.debconf_selections");
  std::vector<std::string> need;
  for (const std::string& line : PySplit(q->out, '\n')) {
    auto cols = SplitWhitespace(line, 2);
    if (cols.size() < 3 || !(cols[0].starts_with("ii") || cols[0].starts_with("hi"))) continue;
    std::string pkg = cols[1].substr(0, cols[1].find(':'));
    if (pkgs.count(pkg)) need.push_back(pkg);
  }
  if (need.empty()) {
    ctx.log.Debug("no need for reconfig");
    return Status::Ok();
  }
  std::sort(need.begin(), need.end());
  need.erase(std::unique(need.begin(), need.end()), need.end());
  std::string list;
  for (const auto& p : need) list += (list.empty() ? "" : ", ") + Quote(p);
  ctx.log.Warning("The following packages were installed and preseeded, but cannot be "
                  "unconfigured: [" + list + "]");
  return Status::Ok();
}

// convert_to_v3_apt_format: the deprecated top-level keys (V1: apt_sources
// as a list; V2: apt_sources as a dict, apt_mirror*, apt_*proxy, ...) as the
// `apt` dict 22.4 makes of them. With `apt` also given, the old keys are
// dropped (an old key whose new one holds another value is an error).
// Returns the `apt` value to apply (null when there is none).
Result<Value> ConvertToV3(ModuleContext& ctx, const Value& config) {
  // In 22.4's order; the two proxies crossed over as 22.4 (and cloud-init
  // since) has them.
  static const std::pair<const char*, const char*> kOldKeys[] = {
      {"apt_sources", "sources"},
      {"apt_mirror", nullptr},
      {"apt_mirror_search", nullptr},
      {"apt_mirror_search_dns", nullptr},
      {"apt_proxy", "proxy"},
      {"apt_http_proxy", "http_proxy"},
      {"apt_ftp_proxy", "https_proxy"},
      {"apt_https_proxy", "ftp_proxy"},
      {"apt_preserve_sources_list", "preserve_sources_list"},
      {"apt_custom_sources_list", "sources_list"},
      {"add_apt_repo_match", "add_apt_repo_match"},
  };
  Value old = Value::object();
  for (const auto& [key, unused] : kOldKeys) {
    const Value& v = Get(config, key);
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) continue;
    old[key] = v;
  }
  if (old.contains("apt_sources")) {
    // convert_v1_to_v2_apt_format
    ctx.log.Warning("DEPRECATION: 'apt_sources' deprecated config key found. Use 'apt' instead");
    const Value& list = old["apt_sources"];
    if (list.is_array()) {
      Value dict = Value::object();
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_object()) {
          return MakeError("expected a dict, got " + TypeName(list[i]),
                           "apt_sources[" + std::to_string(i) + "]");
        }
        Value ent = list[i];
        std::string name;
        if (ent.contains("filename")) {
          name = PyStr(ent["filename"]);
        } else {
          ent["filename"] = "cloud_config_sources.list";
          std::string idx = std::to_string(i);
          name = "source" + std::string(idx.size() < 2 ? "0" : "") + idx + "_cloud_config_sources.list";
        }
        dict[name] = ent;
      }
      old["apt_sources"] = dict;
    } else if (!list.is_object()) {
      return MakeError("unknown apt_sources format", "apt_sources");
    }
  }
  const Value& apt = Get(config, "apt");
  if (old.empty()) return apt;
  std::string names;
  for (const auto& [key, unused] : kOldKeys) {
    if (old.contains(key)) names += (names.empty() ? "" : ", ") + std::string(key);
  }
  ctx.log.Warning("DEPRECATION apt: converted deprecated config V2 to V3 format for keys '" +
                  names + "'. Use updated config keys.");
  if (!apt.is_null()) {
    ctx.log.Warning(
        "DEPRECATION: apt config: deprecated V1/2 and V3 format specified, preferring V3");
    for (const auto& [key, newkey] : kOldKeys) {
      if (!old.contains(key) || newkey == nullptr || !apt.is_object()) continue;
      const Value& now = Get(apt, newkey);
      if (!now.is_null() && now != old[key]) {
        return MakeError("Old and New apt format defined with unequal values " +
                         PyStr(old[key]) + " vs " + PyStr(now) + " @ " + key);
      }
    }
    return apt;
  }
  Value out = Value::object();
  for (const auto& [key, newkey] : kOldKeys) {
    if (newkey != nullptr && old.contains(key)) out[newkey] = old[key];
  }
  // convert_mirror
  Value mirror = {{"arches", Value::array({"default"})}};
  bool any = false;
  for (const auto& [key, newkey] : {std::pair{"apt_mirror", "uri"},
                                    std::pair{"apt_mirror_search", "search"},
                                    std::pair{"apt_mirror_search_dns", "search_dns"}}) {
    if (old.contains(key)) {
      mirror[newkey] = old[key];
      any = true;
    }
  }
  if (any) out["primary"] = Value::array({mirror});
  return out;
}

Status Run(ModuleContext& ctx) {
  auto converted = ConvertToV3(ctx, ctx.config);
  if (!converted) return converted.error();
  const Value& apt = *converted;
  if (!apt.is_null() && !apt.is_object()) {
    return MakeError("expected a dict, got " + TypeName(apt), "apt");
  }
  if (Status s = Validate(apt); !s.ok()) return s;
  distro::Distro d = distro::DistroFor(ctx.config);
  if (Status s = ApplyDebconfSelections(ctx, apt); !s.ok()) return s;
  if (apt.is_null() || apt.empty()) {
    // _should_configure_on_empty_apt
    if (!distro::Which(ctx.sys, "apt-get") && !distro::Which(ctx.sys, "apt")) {
      ctx.log.Debug("Nothing to do: No apt config and no apt commands.");
      return Status::Ok();
    }
  }
  const Value& cfg = apt.is_null() ? Value::object() : apt;
  const Value& preserve = Get(cfg, "preserve_sources_list");
  bool render = !cfg.contains("preserve_sources_list") || IsFalse(preserve);
  if (!render && !cfg.contains("sources")) {
    // Nothing uses the release or the mirrors: 22.4 still runs lsb_release
    // and dpkg, and fails on an architecture it has no mirror for.
    ApplyAptConfigOrWarn(ctx, cfg);
    return Status::Ok();
  }
  std::string release = Release(ctx);
  auto arch = DpkgArchitecture(ctx);
  if (!arch) return arch.error();
  auto mirrors = MirrorInfo(ctx, d, cfg, *arch);
  if (!mirrors) return mirrors.error();
  ctx.log.Debug("Apt Mirror info: " + mirrors->dump());

  if (render) {
    for (const char* mtype : {"primary", "security"}) {
      const Value& list = Get(cfg, mtype);
      if (!list.is_array()) continue;
      for (size_t i = 0; i < list.size(); ++i) {
        auto added = AddAptKey(ctx, list[i], mtype, /*hardened=*/false,
                               std::string("apt.") + mtype + "[" + std::to_string(i) + "]");
        if (!added) return added.error();
      }
    }
    if (Status s = GenerateSourcesList(ctx, d, cfg, release, *mirrors); !s.ok()) return s;
  }
  ApplyAptConfigOrWarn(ctx, cfg);
  if (cfg.contains("sources")) {
    Value params = *mirrors;
    params["RELEASE"] = release;
    return AddAptSources(ctx, d, cfg, params);
  }
  return Status::Ok();
}

}  // namespace

// cloud-init's schema of `apt` (its apt_configure.mirror for primary and security).
KeySpec AptKey() {
  using namespace spec;
  KeySpec mirror = List(Map({List("arches", Str()).MinItems(1), Str("uri"), List("search", Str()).MinItems(1),
                             Bool("search_dns"), Str("keyid"), Str("key"), Str("keyserver")})
                            .Closed()
                            .Required({"arches"}))
                       .MinItems(1);
  return Map("apt", {Bool("preserve_sources_list"), List("disable_suites", Str()).MinItems(1).Unique(),
                     mirror.Named("primary"), mirror.Named("security"), Str("add_apt_repo_match"),
                     Map("debconf_selections").MinKeys(1).Values(Str(), "^.+$"), Str("sources_list"), Str("conf"),
                     Str("https_proxy"), Str("http_proxy"), Str("proxy"), Str("ftp_proxy"),
                     Map("sources").Values(Map({Str("source"), Str("keyid"), Str("key"), Str("keyserver"),
                                                Str("filename"), Bool("append")})
                                               .Closed()
                                               .MinKeys(1),
                                           "^.+$")})
      .Closed()
      .MinKeys(1);
}

const ModuleSpec kSpec{
    .name = "apt_configure",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},  // 22.4: activate_by_schema_keys is empty
    .distros = {"ubuntu", "debian"},
    .reads = [] { return std::vector<KeySpec>{AptKey()}; },
    .run = &Run,
};

}  // namespace nubo::modules::apt_configure
