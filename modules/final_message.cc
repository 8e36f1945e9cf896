// final_message: prints the closing line of a boot and writes
// <instance dir>/boot-finished (cloud-init's cc_final_message). The message
// is a template: "## template: jinja" with {{ name }}, or the basic form
// with $name / ${name}; the names are uptime, timestamp, version and
// datasource, in lower or upper case.

#include <ctime>
#include <map>
#include <optional>

#include "modules/modules.h"
#include "nubo/text.h"

namespace nubo::modules::final_message {

namespace {

constexpr const char* kDefaultMessage =
    "## template: jinja\n"
    "Cloud-init v. {{version}} finished at {{timestamp}}."
    " Datasource {{datasource}}.  Up {{uptime}} seconds";

using Params = std::map<std::string, std::string>;

bool IsNameChar(char c, bool allow_dot) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         (allow_dot && c == '.');
}

// templater.basic_render: $name or ${name}; a missing name, or a dotted
// one (the values are not dicts), is an error.
Result<std::string> BasicRender(const std::string& text, const Params& params) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    std::string name;
    size_t end = i + 1;
    if (end < text.size() && text[end] == '{') {
      size_t j = end + 1;
      while (j < text.size() && IsNameChar(text[j], true)) ++j;
      if (j > end + 1 && j < text.size() && text[j] == '}') {
        name = text.substr(end + 1, j - end - 1);
        end = j + 1;
      }
    }
    if (name.empty()) {
      size_t j = i + 1;
      while (j < text.size() && IsNameChar(text[j], true)) ++j;
      name = text.substr(i + 1, j - i - 1);
      end = j;
    }
    if (name.empty()) {
      out += text[i++];
      continue;
    }
    size_t dot = name.find('.');
    std::string head = name.substr(0, dot);
    auto it = params.find(head);
    if (it == params.end()) return MakeError("no template variable " + Quote(head));
    if (dot != std::string::npos) {
      return MakeError("Can not traverse into non-dictionary " + Quote(it->second) +
                       " of type str while looking for '" + name + "'");
    }
    out += it->second;
    i = end;
  }
  return out;
}

// The part of jinja the final message needs: {{ name }}. An unknown name
// renders as cloud-init's CI_MISSING_JINJA_VAR/<name>; other constructs are
// left as they are.
std::string JinjaRender(const std::string& text, const Params& params) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string inner = PyStrip(text.substr(open + 2, close - open - 2));
    bool simple = !inner.empty() && !(inner[0] >= '0' && inner[0] <= '9');
    for (char c : inner) simple = simple && IsNameChar(c, false);
    out += text.substr(i, open - i);
    if (simple) {
      auto it = params.find(inner);
      out += it != params.end() ? it->second : "CI_MISSING_JINJA_VAR/" + inner;
    } else {
      out += text.substr(open, close + 2 - open);
    }
    i = close + 2;
  }
  out += text.substr(i);
  return out;
}

// templater.render_string: a first line "## template: jinja|basic" picks
// the renderer; without one the text is basic.
Result<std::string> Render(const std::string& text, const Params& params) {
  size_t nl = text.find('\n');
  std::string ident = text.substr(0, nl);
  std::string rest = nl == std::string::npos ? "" : text.substr(nl + 1);
  size_t p = 0;
  if (ident.compare(0, 2, "##") != 0) return BasicRender(text, params);
  p = ident.find_first_not_of(" \t\r\n\v\f", 2);
  std::string lowered;
  for (char c : ident.substr(p == std::string::npos ? ident.size() : p)) {
    lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lowered.compare(0, 9, "template:") != 0) return BasicRender(text, params);
  std::string type = PyStrip(lowered.substr(9));
  if (type == "jinja") return JinjaRender(rest, params);
  if (type == "basic") return BasicRender(rest, params);
  return MakeError("Unknown template rendering type '" + type + "' requested");
}

// util.time_rfc2822 in UTC: "Tue, 14 Nov 2023 22:13:20 +0000".
std::string TimeRfc2822(double now) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "??";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// /proc/uptime's first field, as util.uptime returns it.
std::string UptimeString(double uptime) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", uptime);
  return buf;
}

Status Run(ModuleContext& ctx) {
  // util.get_cfg_option_str: str() of whatever is there, then strip.
  std::string message;
  if (ctx.config.is_object() && ctx.config.contains("final_message")) {
    message = PyStrip(PyStr(ctx.config["final_message"]));
  }
  if (message.empty()) message = kDefaultMessage;

  std::string uptime = UptimeString(ctx.sys.Uptime());
  std::string timestamp = TimeRfc2822(ctx.sys.Now());
  std::string datasource = !ctx.instance.description.empty()
                               ? ctx.instance.description
                               : "DataSource" + ctx.instance.datasource;
  Params params = {{"uptime", uptime},
                   {"timestamp", timestamp},
                   {"version", ctx.version},
                   {"datasource", datasource}};
  Params upper;
  for (const auto& [k, v] : params) {
    std::string name;
    for (char c : k) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    upper[name] = v;
  }
  params.insert(upper.begin(), upper.end());

  auto rendered = Render(message, params);
  if (rendered) {
    if (ctx.console) ctx.console(*rendered + "\n");
    ctx.log.Debug(*rendered);
  } else {
    ctx.log.Warning("Failed to render final message template: " + rendered.error().ToString());
  }

  std::string dir =
      ctx.paths.instance_id.empty() ? ctx.paths.InstanceLink() : ctx.paths.InstanceDir();
  std::string path = dir + "/boot-finished";
  // cloud-init writes it without creating the instance directory.
  Status written =
      ctx.sys.Exists(dir)
          ? ctx.sys.WriteFile(path, uptime + " - " + timestamp + " - v. " + ctx.version + "\n",
                              WriteOptions{})
          : Status(MakeError("'" + dir + "' does not exist"));
  if (written.ok()) {
    ctx.log.Info("wrote '" + path + "' (0644, root:root)");
  } else {
    ctx.log.Warning("Failed to write boot finished file " + path + ": " +
                    written.error().ToString());
  }
  if (ctx.instance.datasource == "None") ctx.log.Warning("Used fallback datasource");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "final_message",
    .aliases = {"final-message"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"final_message", KeyType::kString}}; },
    .run = &Run,
};

}  // namespace nubo::modules::final_message
