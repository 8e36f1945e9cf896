#include "nubo/runparts.h"

#include <vector>

namespace nubo {

namespace {

// Python's type(x).__name__ for messages (type_utils.obj_name).
std::string PyTypeName(const Value& v) {
  std::string name = TypeName(v);
  return name == "None" ? "NoneType" : name;
}

// What str(x) gives for an argv item; nested containers are rare enough to
// keep their JSON form.
std::string ArgText(const Value& v) { return PyStr(v); }

std::string SingleQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

// lstat, then follows up to 16 symlinks (os.path.isfile follows them).
Result<FileInfo> StatFollowing(System& sys, std::string path) {
  for (int hops = 0; hops < 16; ++hops) {
    auto info = sys.Stat(path);
    if (!info) return info.error();
    if (!info->is_symlink) return info;
    auto target = sys.ReadLink(path);
    if (!target) return target.error();
    path = (!target->empty() && (*target)[0] == '/') ? *target : DirName(path) + "/" + *target;
  }
  return MakeError("too many levels of symbolic links at '" + path + "'");
}

}  // namespace

Result<std::string> Shellify(const Value& commands, const std::string& key) {
  if (!commands.is_array()) {
    return MakeError(
        "Input to shellify was type '" + PyTypeName(commands) + "'. Expected list or tuple.", key);
  }
  std::string content = "#!/bin/sh\n";
  for (size_t i = 0; i < commands.size(); ++i) {
    const Value& item = commands[i];
    if (item.is_array()) {
      std::string line;
      for (const Value& arg : item) {
        if (!line.empty()) line += ' ';
        line += SingleQuote(ArgText(arg));
      }
      content += line + "\n";
    } else if (item.is_string()) {
      content += item.get<std::string>() + "\n";
    } else if (item.is_null()) {
      continue;  // a YAML comment-only item
    } else {
      return MakeError(
          "Unable to shellify type '" + PyTypeName(item) + "'. Expected list, string, tuple.",
          key + "[" + std::to_string(i) + "]");
    }
  }
  return content;
}

Status RunParts(System& sys, const Logger& log, const std::string& dir) {
  auto dir_info = StatFollowing(sys, dir);
  if (!dir_info || !dir_info->is_dir) {
    log.Debug("no scripts to run: '" + dir + "' is not a directory");
    return Status::Ok();
  }
  auto names = sys.ListDir(dir);
  if (!names) return names.error();
  std::vector<std::string> attempted;
  std::vector<std::string> failed;
  for (const std::string& name : *names) {  // ListDir sorts by name
    std::string path = dir + "/" + name;
    auto info = StatFollowing(sys, path);
    if (!info || !info->is_regular || (info->mode & 0111) == 0) continue;
    attempted.push_back(path);
    log.Debug("running '" + path + "'");
    auto result = sys.Run(Command{.argv = {path}, .to_output_log = true});
    if (!result) {
      log.Debug("'" + path + "' failed: " + result.error().ToString());
      failed.push_back(name);
    } else if (result->exit_code != 0) {
      log.Debug("'" + path + "' exited with code " + std::to_string(result->exit_code));
      failed.push_back(name);
    }
  }
  if (failed.empty()) return Status::Ok();
  std::string list;
  for (const auto& f : failed) list += (list.empty() ? "" : ",") + f;
  return MakeError("Runparts: " + std::to_string(failed.size()) + " failures (" + list + ") in " +
                   std::to_string(attempted.size()) + " attempted commands");
}

Status RunScriptsModule(ModuleContext& ctx, const std::string& label, const std::string& dir) {
  Status s = RunParts(ctx.sys, ctx.log, dir);
  if (!s.ok()) ctx.log.Warning("Failed to run module " + ctx.name + " (" + label + " in " + dir + ")");
  return s;
}

}  // namespace nubo
