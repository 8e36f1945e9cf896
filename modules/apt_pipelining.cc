// apt_pipelining: sets apt's Acquire::http::Pipeline-Depth (cloud-init's
// cc_apt_pipelining), on Debian and Ubuntu.
//
//   apt_pipelining: false      # depth 0; os/none/unchanged: leave apt's default; 0-5
//
// Writes /etc/apt/apt.conf.d/90cloud-init-pipelining (0644); any other
// value is a warning.

#include "modules/modules.h"
#include "nubo/text.h"

namespace nubo::modules::apt_pipelining {

namespace {

constexpr char kFile[] = "/etc/apt/apt.conf.d/90cloud-init-pipelining";

Status Run(ModuleContext& ctx) {
  const Value& v = Get(ctx.config, "apt_pipelining");
  // str(value).lower().strip(); absent is "os".
  std::string s = ctx.config.contains("apt_pipelining") ? AsciiLower(PyStrip(PyStr(v))) : "os";
  std::string depth;
  if (s == "false") {
    depth = "0";
  } else if (s == "none" || s == "unchanged" || s == "os") {
    return Status::Ok();
  } else if (s.size() == 1 && s[0] >= '0' && s[0] <= '5') {
    depth = s;
  } else {
    ctx.log.Warning("Invalid option for apt_pipelining: " + PyStr(v));
    return Status::Ok();
  }
  WriteOptions o;
  o.mode = 0644;
  std::string content = "//Written by cloud-init per 'apt_pipelining'\nAcquire::http::Pipeline-Depth \"" +
                        depth + "\";\n";
  if (Status st = ctx.sys.WriteFile(kFile, content, o); !st.ok()) return st;
  ctx.log.Info("wrote '" + std::string(kFile) + "' with apt pipeline depth " + depth);
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "apt_pipelining",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"apt_pipelining"},
    .distros = {"ubuntu", "debian"},
    .reads = [] { return std::vector<KeySpec>{spec::OneOf("apt_pipelining",
                         {spec::Int(), spec::Bool(), spec::Str().Enum({"none", "unchanged", "os"})})}; },
    .run = &Run,
};

}  // namespace nubo::modules::apt_pipelining
