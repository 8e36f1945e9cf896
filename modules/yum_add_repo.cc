// yum_add_repo: writes yum/dnf repository files (cloud-init's
// cc_yum_add_repo), on the RHEL family only, as 22.4's distros list.
//
//   yum_repo_dir: /etc/yum.repos.d/       # default
//   yum_repos:
//     epel testing:                       # id; spaces become '-': epel-testing.repo
//       baseurl: http://mirror/epel/$releasever/$basearch   # required
//       enabled: true                     # bools as 1/0, lists one per line
//       gpgcheck: false
//       name: EPEL testing
//
// An existing file is left alone; a repo without baseurl is skipped with a
// warning. Files are "[id]" then "key = value" lines as ConfigParser writes
// them, after a "# Created by ..." header (0644). Difference: the keys are
// written in sorted order (nubo's config keeps mappings sorted), cloud-init
// writes them in the order given.

#include <algorithm>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::yum_add_repo {

namespace {

const Value kEmpty = Value::object();

std::string FormatValue(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + FormatValue(v[i]);
    return out;
  }
  if (v.is_string()) return v.get<std::string>();
  return PyStr(v);
}

Status Run(ModuleContext& ctx) {
  const Value& repos = Get(ctx.config, "yum_repos");
  if (repos.is_null() || (repos.is_object() && repos.empty())) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'yum_repos' configuration found");
    return Status::Ok();
  }
  if (!repos.is_object()) return MakeError("expected a dict, got " + TypeName(repos), "yum_repos");
  const Value& dirv = Get(ctx.config, "yum_repo_dir");
  std::string dir = dirv.is_null() ? "/etc/yum.repos.d/" : PyStr(dirv);
  std::vector<std::pair<std::string, std::string>> files;  // path, content
  for (auto it = repos.begin(); it != repos.end(); ++it) {
    std::string id = it.key();
    std::string canon = id;
    for (char& c : canon) c = c == ' ' ? '-' : c;
    std::string path = dir + (dir.ends_with("/") ? "" : "/") + canon + ".repo";
    if (ctx.sys.Exists(path)) {
      ctx.log.Info("Skipping repo " + id + ", file " + path + " already exists!");
      continue;
    }
    bool pending = std::any_of(files.begin(), files.end(),
                               [&](const auto& f) { return f.first == path; });
    if (pending) {
      ctx.log.Info("Skipping repo " + id + ", file " + path + " already pending!");
      continue;
    }
    const Value& rc = it.value();
    if (!rc.is_null() && !rc.is_object()) {
      return MakeError("expected a dict, got " + TypeName(rc), "yum_repos." + id);
    }
    std::vector<std::pair<std::string, std::string>> kv;
    bool has_baseurl = false;
    const Value& fields = rc.is_object() ? rc : kEmpty;
    for (auto f = fields.begin(); f != fields.end(); ++f) {
      std::string k = AsciiLower(PyStrip(f.key()));
      for (char& c : k) c = c == '-' ? '_' : c;
      if (k.empty()) continue;
      if (f.value().is_object()) {
        return MakeError("expected a string, number, bool or list, got dict",
                         "yum_repos." + id + "." + f.key());
      }
      has_baseurl = has_baseurl || k == "baseurl";
      auto existing = std::find_if(kv.begin(), kv.end(), [&](const auto& p) { return p.first == k; });
      if (existing != kv.end()) {
        existing->second = FormatValue(f.value());
      } else {
        kv.emplace_back(k, FormatValue(f.value()));
      }
    }
    if (!has_baseurl) {
      ctx.log.Warning("Repository " + id +
                      " does not contain a baseurl configuration 'required' entry");
      ctx.log.Warning("Repository " + id + " is missing 1 required fields, skipping!");
      continue;
    }
    std::string content = "# " + distro::MakeHeader(ctx.sys) + "\n[" + canon + "]\n";
    for (const auto& [k, v] : kv) {
      std::string value = v;
      for (size_t p = value.find('\n'); p != std::string::npos; p = value.find('\n', p + 2)) {
        value.insert(p + 1, "\t");
      }
      content += k + " = " + value + "\n";
    }
    content += "\n";
    files.emplace_back(path, content);
  }
  for (const auto& [path, content] : files) {
    WriteOptions o;
    o.mode = 0644;
    if (Status s = ctx.sys.WriteFile(path, content, o); !s.ok()) return s;
    ctx.log.Info("wrote " + Quote(path));
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "yum_add_repo",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"yum_repos"},
    .distros = {"almalinux", "centos", "cloudlinux", "eurolinux", "fedora", "mariner",
                "openEuler", "openmandriva", "photon", "rhel", "rocky", "virtuozzo"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("yum_repos")
                  .MinKeys(1)
                  .Values(spec::Map({spec::Str("baseurl"), spec::Str("name"), spec::Bool("enabled")})
                              .Values(spec::OneOf({spec::Int(), spec::Bool(), spec::Str()}), "^[0-9a-zA-Z_]+$")
                              .Required({"baseurl"}),
                          "^[0-9a-zA-Z -_]+$"),
              spec::Str("yum_repo_dir")}; },
    .run = &Run,
};

}  // namespace nubo::modules::yum_add_repo
