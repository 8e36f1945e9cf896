// seed_random: adds entropy from config and meta-data to the kernel's pool
// and runs an optional command (cloud-init's cc_seed_random).
//
//   random_seed:
//     file: /dev/urandom          # default
//     data: my random string
//     encoding: raw               # or base64/b64, gzip/gz
//     command: [pollinate, -q]
//     command_required: false
//
// The decoded data, then meta-data's random_seed (OpenStack's, which the
// OpenStack datasources deliver base64-decoded), are appended to `file`. A
// device (/dev/urandom) is written through dd with oflag=append, never
// replaced; a regular file is appended to atomically. The command runs with
// RANDOM_SEED_FILE set when it exists; a missing command is an error only
// with command_required.

#include <cctype>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/encoding.h"

namespace nubo::modules::seed_random {

namespace {

Result<std::string> Decode(const std::string& data, const std::string& encoding) {
  if (data.empty()) return std::string();
  std::string e;
  for (char c : encoding) e += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e.empty() || e == "raw") return data;
  if (e == "base64" || e == "b64") return DecodeBase64(data);
  if (e == "gzip" || e == "gz") return DecompressGzip(data);
  return MakeError("Unknown random_seed encoding: " + encoding, "random_seed.encoding");
}

Result<std::string> StringOpt(const Value& cfg, const char* key, std::string fallback) {
  const Value& v = Get(cfg, key);
  if (v.is_null()) return fallback;
  if (!v.is_string()) {
    return MakeError("expected a string, got " + TypeName(v), std::string("random_seed.") + key);
  }
  return v.get<std::string>();
}

Status Run(ModuleContext& ctx) {
  const Value& cfg = Get(ctx.config, "random_seed");
  if (!cfg.is_null() && !cfg.is_object()) {
    return MakeError("expected a dict, got " + TypeName(cfg), "random_seed");
  }
  auto file = StringOpt(cfg, "file", "/dev/urandom");
  if (!file) return file.error();
  auto data = StringOpt(cfg, "data", "");
  if (!data) return data.error();
  auto encoding = StringOpt(cfg, "encoding", "");
  if (!encoding) return encoding.error();

  auto seed = Decode(*data, *encoding);
  if (!seed) {
    Error e = seed.error();
    if (e.key.empty()) e.key = "random_seed.data";
    return e;
  }
  std::string buf = *seed;
  const Value& md = Get(ctx.instance.meta_data, "random_seed");
  if (md.is_string()) {
    bool openstack = ctx.instance.datasource.starts_with("OpenStack") ||
                     ctx.instance.datasource.starts_with("ConfigDrive");
    if (openstack) {
      auto raw = DecodeBase64(md.get<std::string>());
      if (raw) buf += *raw;
    } else {
      buf += md.get<std::string>();
    }
  }
  if (!buf.empty()) {
    ctx.log.Debug(ctx.name + ": adding " + std::to_string(buf.size()) +
                  " bytes of random seed entropy to " + *file);
    auto st = ctx.sys.Stat(*file);
    if (st && !st->is_regular && !st->is_dir) {
      // A device: appended to in place, never replaced by a regular file.
      auto r = ctx.sys.Run(Command{
          .argv = {"dd", "of=" + *file, "oflag=append", "conv=notrunc", "status=none"},
          .stdin_data = buf,
          .display = "dd of=" + *file + " oflag=append conv=notrunc status=none (seed data)"});
      if (!r) return r.error();
      if (r->exit_code != 0) {
        return MakeError("writing the seed to " + *file + " failed", "random_seed.file");
      }
    } else {
      WriteOptions o;
      o.mode = st && st->is_regular ? st->mode : 0644;
      if (Status s = ctx.sys.AppendFile(*file, buf, o); !s.ok()) return s;
    }
  }

  const Value& command = Get(cfg, "command");
  bool required = TranslateBool(Get(cfg, "command_required"));
  std::vector<std::string> argv;
  if (command.is_string()) {
    argv.push_back(command.get<std::string>());
  } else if (command.is_array()) {
    for (size_t i = 0; i < command.size(); ++i) {
      if (!command[i].is_string()) {
        return MakeError("expected a string, got " + TypeName(command[i]),
                         "random_seed.command[" + std::to_string(i) + "]");
      }
      argv.push_back(command[i].get<std::string>());
    }
  } else if (!command.is_null()) {
    return MakeError("expected a list, got " + TypeName(command), "random_seed.command");
  }
  if (argv.empty()) {
    if (required) {
      return MakeError("no command found but required=true", "random_seed.command");
    }
    ctx.log.Debug("no command provided");
    return Status::Ok();
  }
  if (!distro::Which(ctx.sys, argv[0]) && !(argv[0].starts_with("/") && ctx.sys.Exists(argv[0]))) {
    if (required) {
      return MakeError("command '" + argv[0] + "' not found but required=true",
                       "random_seed.command");
    }
    ctx.log.Debug("command '" + argv[0] + "' not found for seed_command");
    return Status::Ok();
  }
  Command c{.argv = argv, .env = {"RANDOM_SEED_FILE=" + *file}};
  c.to_output_log = true;
  auto r = ctx.sys.Run(c);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("'" + argv[0] + "' exited with " + std::to_string(r->exit_code),
                     "random_seed.command");
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "seed_random",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Map("random_seed", {spec::Str("file"), spec::Str("data"),
                                       spec::Str("encoding").Enum({"raw", "base64", "b64", "gzip", "gz"}),
                                       spec::List("command", spec::Str()), spec::Bool("command_required")})
                   .Closed()}; },
    .run = &Run,
};

}  // namespace nubo::modules::seed_random
