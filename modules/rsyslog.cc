// rsyslog: writes rsyslog config snippets and remote forwarding lines
// (cloud-init's cc_rsyslog).
//
//   rsyslog:
//     config_dir: /etc/rsyslog.d              # default
//     config_filename: 20-cloud-config.conf   # default
//     configs:
//       - "*.* @@logs.example:514"            # to config_filename
//       - {filename: 01-x.conf, content: "..."}
//     remotes: {central: "@@10.0.0.1:514", backup: "*.err [fd00::1]"}
//     service_reload_command: auto            # or an argv list
//
// The legacy list form (rsyslog: [...], rsyslog_filename, rsyslog_dir) is
// accepted with a deprecation warning. Each file is written (0644) at its
// first entry and appended to for later ones; a line gets a trailing
// newline. Then rsyslog is reloaded: "auto" is the distro's try-reload of
// system_info.rsyslog_svcname (default rsyslog); a failed reload is a
// warning, as in 22.4.

#include <algorithm>
#include <regex>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::rsyslog {

namespace {

// parse_remotes_line + SyslogRemotesLine.__str__.
Result<std::string> RemoteLine(const std::string& line, std::string name) {
  static const std::regex kComment("[ ]*[#]+[ ]*");
  static const std::regex kHostPort(
      "^([@]{0,2})(([\\[]([^\\]]*)[\\]])|([^:]*))([:]([0-9]+))?$");
  std::string data = line;
  std::string comment;
  std::smatch m;
  if (std::regex_search(line, m, kComment)) {
    // COMMENT_RE.split must give exactly two parts.
    std::string rest = m.suffix();
    if (!std::regex_search(rest, kComment)) {
      data = m.prefix();
      comment = PyStrip(rest);
    }
  }
  auto toks = SplitWhitespace(PyStrip(data));
  std::string match, host_port;
  if (toks.size() == 1) {
    host_port = data;
  } else if (toks.size() == 2) {
    match = toks[0];
    host_port = toks[1];
  } else {
    return MakeError("line had multiple spaces: " + data);
  }
  std::smatch hp;
  if (!std::regex_match(host_port, hp, kHostPort)) {
    return MakeError("Invalid host specification '" + host_port + "'");
  }
  std::string proto = hp[1];
  std::string addr = hp[5].matched && !hp[5].str().empty() ? hp[5].str() : hp[4].str();
  std::string port = hp[7];
  if (addr.empty()) return MakeError("address is required");
  if (!comment.empty() && name.empty()) name = comment;
  std::string out = (match.empty() ? "*.*" : match) + " ";
  out += proto == "@@" ? "@@" : "@";
  out += addr.find(':') != std::string::npos ? "[" + addr + "]" : addr;
  if (!port.empty() && std::stoll(port) != 0) out += ":" + std::to_string(std::stoll(port));
  if (!name.empty()) out += " # " + name;
  return out;
}

struct Config {
  Value configs = Value::array();
  std::string dir = "/etc/rsyslog.d";
  std::string filename = "20-cloud-config.conf";
  Value reload = "auto";
  Value remotes = Value::object();
};

Result<Config> LoadConfig(ModuleContext& ctx) {
  const Value& r = ctx.config["rsyslog"];
  Value my = r.is_object() ? r : Value::object();
  if (r.is_array()) {
    ctx.log.Warning(
        "DEPRECATION: This rsyslog list format is deprecated and will be removed in a future "
        "version of cloud-init. Use documented keys.");
    my = Value{{"configs", r}};
    if (ctx.config.contains("rsyslog_filename")) {
      my["config_filename"] = ctx.config["rsyslog_filename"];
    }
    if (ctx.config.contains("rsyslog_dir")) my["config_dir"] = ctx.config["rsyslog_dir"];
  } else if (!r.is_object()) {
    return MakeError("expected a dict, got " + TypeName(r), "rsyslog");
  }
  Config c;
  auto type_error = [](const std::string& key, const std::string& want, const Value& v) {
    return MakeError("Invalid type for key `" + key.substr(8) + "`. Expected type(s): " + want +
                         ", got " + TypeName(v),
                     key);
  };
  if (my.contains("configs")) {
    if (!my["configs"].is_array()) return type_error("rsyslog.configs", "list", my["configs"]);
    c.configs = my["configs"];
  }
  if (my.contains("config_dir")) {
    if (!my["config_dir"].is_string()) return type_error("rsyslog.config_dir", "str", my["config_dir"]);
    c.dir = my["config_dir"].get<std::string>();
  }
  if (my.contains("config_filename")) {
    if (!my["config_filename"].is_string()) {
      return type_error("rsyslog.config_filename", "str", my["config_filename"]);
    }
    c.filename = my["config_filename"].get<std::string>();
  }
  if (my.contains("service_reload_command")) {
    const Value& v = my["service_reload_command"];
    if (!v.is_string() && !v.is_array()) {
      return type_error("rsyslog.service_reload_command", "str or list", v);
    }
    c.reload = v;
  }
  if (my.contains("remotes")) {
    if (!my["remotes"].is_object()) return type_error("rsyslog.remotes", "dict", my["remotes"]);
    c.remotes = my["remotes"];
  }
  return c;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (name.starts_with("/")) return name;
  return dir + (dir.ends_with("/") ? "" : "/") + name;
}

Status Run(ModuleContext& ctx) {
  if (!ctx.config.contains("rsyslog")) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'rsyslog' key in configuration");
    return Status::Ok();
  }
  auto cfg = LoadConfig(ctx);
  if (!cfg) return cfg.error();
  Value configs = cfg->configs;
  if (!cfg->remotes.empty()) {
    std::string lines = "# begin remotes\n";
    for (auto it = cfg->remotes.begin(); it != cfg->remotes.end(); ++it) {
      const Value& v = it.value();
      if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) continue;
      if (!v.is_string()) {
        return MakeError("expected a string, got " + TypeName(v), "rsyslog.remotes." + it.key());
      }
      auto line = RemoteLine(v.get<std::string>(), it.key());
      if (!line) {
        ctx.log.Warning("failed loading remote " + it.key() + ": " + v.get<std::string>() + " [" +
                        line.error().message + "]");
        continue;
      }
      lines += *line + "\n";
    }
    lines += "# end remotes\n";
    configs.push_back(lines);
  }
  if (configs.empty()) {
    ctx.log.Debug("Empty config rsyslog['configs'], nothing to do");
    return Status::Ok();
  }
  std::vector<std::string> files;
  for (size_t i = 0; i < configs.size(); ++i) {
    const Value& ent = configs[i];
    std::string key = "rsyslog.configs[" + std::to_string(i) + "]";
    std::string content, filename = cfg->filename;
    if (ent.is_object()) {
      if (!ent.contains("content")) {
        ctx.log.Warning("No 'content' entry in config entry " + std::to_string(i + 1));
        continue;
      }
      if (!ent["content"].is_string()) {
        return MakeError("expected a string, got " + TypeName(ent["content"]), key + ".content");
      }
      content = ent["content"].get<std::string>();
      if (ent.contains("filename")) {
        if (!ent["filename"].is_string()) {
          return MakeError("expected a string, got " + TypeName(ent["filename"]),
                           key + ".filename");
        }
        filename = ent["filename"].get<std::string>();
      }
    } else if (ent.is_string()) {
      content = ent.get<std::string>();
    } else {
      return MakeError("expected a string or a dict, got " + TypeName(ent), key);
    }
    filename = PyStrip(filename);
    if (filename.empty()) {
      ctx.log.Warning("Entry " + std::to_string(i + 1) + " has an empty filename");
      continue;
    }
    std::string path = JoinPath(cfg->dir, filename);
    if (!content.ends_with("\n")) content += "\n";
    WriteOptions o;
    o.mode = 0644;
    Status s;
    if (std::find(files.begin(), files.end(), path) == files.end()) {
      files.push_back(path);
      s = ctx.sys.WriteFile(path, content, o);
    } else {
      s = ctx.sys.AppendFile(path, content, o);
    }
    if (!s.ok()) ctx.log.Warning("Failed to write to " + path + ": " + s.error().ToString());
  }
  if (files.empty()) {
    ctx.log.Debug("restart of syslog not necessary, no changes made");
    return Status::Ok();
  }
  for (const auto& f : files) ctx.log.Info("wrote " + Quote(f));
  Command reload;
  if (cfg->reload.is_string() && cfg->reload.get<std::string>() == "auto") {
    const Value& svc = Get(Get(ctx.config, "system_info"), "rsyslog_svcname");
    auto c = distro::ServiceCommand(ctx.sys, "try-reload",
                                    svc.is_string() ? svc.get<std::string>() : "rsyslog");
    if (!c) return c.error();
    reload = *c;
  } else if (cfg->reload.is_string()) {
    reload.argv = {cfg->reload.get<std::string>()};
  } else {
    for (const auto& a : cfg->reload) reload.argv.push_back(a.is_string() ? a.get<std::string>() : PyStr(a));
  }
  if (reload.argv.empty()) return Status::Ok();
  auto r = ctx.sys.Run(reload);
  if (!r || r->exit_code != 0) {
    ctx.log.Warning("Failed to reload syslog");
    return Status::Ok();
  }
  ctx.log.Debug(ctx.name + " configured " + std::to_string(files.size()) + " files");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "rsyslog",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"rsyslog"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("rsyslog",
                        {spec::Str("config_dir"), spec::Str("config_filename"),
                         spec::List("configs", spec::OneOf({spec::Str(), spec::Map({spec::Str("filename"), spec::Str("content")})
                                                                             .Closed()
                                                                             .Required({"content"})})),
                         {"remotes", KeyType::kMap},
                         spec::OneOf("service_reload_command", {spec::Str().Enum({"auto"}), spec::List(spec::Str())})})
                  .Closed(),
              {"rsyslog_filename", KeyType::kString},
              {"rsyslog_dir", KeyType::kString}}; },
    .run = &Run,
};

}  // namespace nubo::modules::rsyslog
