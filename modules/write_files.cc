// write_files and write_files_deferred: write the files listed in
// `write_files` (cloud-init's cc_write_files and cc_write_files_deferred).
// Entries with `defer: true` are left to write_files_deferred, which runs in
// the final stage, after users and packages exist. Both modules live here:
// they share every line but the filter.
//
//   write_files:
//     - path: /etc/motd
//       content: H4sIA...            # encoding: gz+b64, b64, gz, text/plain
//                                    # (or bytes: content: !!binary H4sIA...)
//       encoding: gz+b64
//       owner: root:adm             # default root:root
//       permissions: '0640'         # or 0640 (YAML 1.1 octal int); default 0644
//       append: false
//       defer: false
//
// Every entry is parsed and decoded before anything is written, so a bad
// entry fails the module without leaving a half-applied list.

#include <algorithm>
#include <optional>
#include <vector>

#include "modules/modules.h"
#include "nubo/encoding.h"
#include "nubo/text.h"

namespace nubo::modules::write_files {

namespace {

constexpr mode_t kDefaultPerms = 0644;

struct FileEntry {
  std::string key;  // "write_files[2]"
  std::string path;
  std::string content;  // decoded bytes
  mode_t mode = kDefaultPerms;
  std::optional<std::string> owner;  // unset: keep the writer's (root)
  std::optional<std::string> group;
  bool append = false;
};

struct Plan {
  std::vector<FileEntry> files;
  std::vector<std::string> warnings;
  std::optional<Error> stop;  // the bad entry that ends the list
};

// os.path.abspath with "/" as the working directory (cloud-init runs there).
std::string AbsPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// cc_write_files.decode_perms: an int is the mode; anything else is read
// as Python's int(str(x), 8). Unlike cloud-init (which warns and falls back
// to 0644, which could expose a secret), an undecodable value is an error.
Result<mode_t> DecodePerms(const Value& perm, const std::string& key) {
  if (perm.is_null()) return kDefaultPerms;
  std::optional<long long> value;
  if (perm.is_number_integer() || perm.is_number_unsigned()) {
    value = perm.get<long long>();
  } else if (perm.is_number_float()) {
    value = static_cast<long long>(perm.get<double>());
  } else if (perm.is_string()) {
    std::string s = PyStrip(perm.get<std::string>());
    if (!s.empty() && s[0] == '+') s.erase(0, 1);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.erase(0, 2);
    bool ok = !s.empty() && s.front() != '_' && s.back() != '_' && s.size() <= 12;
    long long v = 0;
    for (size_t i = 0; ok && i < s.size(); ++i) {
      if (s[i] == '_') {
        ok = s[i + 1] != '_';
      } else if (s[i] >= '0' && s[i] <= '7') {
        v = v * 8 + (s[i] - '0');
      } else {
        ok = false;
      }
    }
    if (ok) value = v;
  }
  if (!value || *value < 0 || *value > 07777) {
    std::string shown = perm.is_string() ? Quote(perm.get<std::string>()) : PyStr(perm);
    return MakeError("undecodable permissions " + shown +
                         " (expected an octal string such as '0644' or an integer)",
                     key);
  }
  return static_cast<mode_t>(*value);
}

// util.extract_usergroup: "user:group"; "", "-1" and "none" mean unset.
void ExtractUserGroup(const std::string& pair, FileEntry& entry) {
  auto clean = [](const std::string& raw) -> std::optional<std::string> {
    std::string s = PyStrip(raw);
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s.empty() || s == "-1" || lower == "none") return std::nullopt;
    return s;
  };
  size_t colon = pair.find(':');
  entry.owner = clean(pair.substr(0, colon));
  entry.group = colon == std::string::npos ? std::nullopt : clean(pair.substr(colon + 1));
}

Result<FileEntry> ParseEntry(const Value& f, const std::string& key, Plan& plan) {
  FileEntry entry;
  entry.key = key;
  const Value& path = Get(f, "path");
  if (!path.is_string()) {
    return MakeError("expected str, got " + TypeName(path), key + ".path");
  }
  entry.path = AbsPath(path.get<std::string>());
  if (f.contains("source")) {
    plan.warnings.push_back(key + ".source: not supported (cloud-init 22.4 has no 'source'), " +
                            "ignoring it");
  }

  // canonicalize_extraction
  bool b64 = false, gz = false;
  const Value& enc = Get(f, "encoding");
  if (!enc.is_null() && !enc.is_string()) {
    return MakeError("expected str, got " + TypeName(enc), key + ".encoding");
  }
  std::string encoding = enc.is_string() ? enc.get<std::string>() : "";
  std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  encoding = PyStrip(encoding);
  if (encoding == "gz" || encoding == "gzip") {
    gz = true;
  } else if (encoding == "gz+base64" || encoding == "gzip+base64" || encoding == "gz+b64" ||
             encoding == "gzip+b64") {
    gz = b64 = true;
  } else if (encoding == "b64" || encoding == "base64") {
    b64 = true;
  } else if (!encoding.empty() && encoding != "text/plain") {
    plan.warnings.push_back(key + ".encoding: Unknown encoding type " + Quote(encoding) +
                            ", assuming text/plain");
  }

  // cloud-init accepts str or bytes (a YAML !!binary) and decodes either.
  const Value& content = Get(f, "content");
  if (!content.is_null() && !content.is_string() && !content.is_binary()) {
    return MakeError("expected str, got " + TypeName(content), key + ".content");
  }
  entry.content = content.is_string() ? content.get<std::string>() : content.is_binary() ? BytesOf(content) : "";
  if (b64) {
    auto decoded = DecodeBase64(entry.content);
    if (!decoded)
      return MakeError("cannot decode base64: " + decoded.error().message, key + ".content");
    entry.content = std::move(*decoded);
  }
  if (gz) {
    auto inflated = DecompressGzip(entry.content);
    if (!inflated) {
      return MakeError("cannot decompress gzip: " + inflated.error().message, key + ".content");
    }
    entry.content = std::move(*inflated);
  }

  if (f.contains("owner")) {
    const Value& owner = f["owner"];
    if (!owner.is_null() && !owner.is_string()) {
      return MakeError("expected str, got " + TypeName(owner), key + ".owner");
    }
    if (owner.is_string()) ExtractUserGroup(owner.get<std::string>(), entry);
  }
  auto mode = DecodePerms(Get(f, "permissions"), key + ".permissions");
  if (!mode) return mode.error();
  entry.mode = *mode;
  entry.append = f.contains("append") && TranslateBool(f["append"]);
  return entry;
}

// Parses and decodes the entries whose `defer` equals `deferred`. Pure.
Result<Plan> ParseWriteFiles(const Value& config, bool deferred) {
  Plan plan;
  const Value& list = Get(config, "write_files");
  if (list.is_null()) return plan;
  if (!list.is_array()) return MakeError("expected list, got " + TypeName(list), "write_files");
  for (size_t i = 0; i < list.size(); ++i) {
    const Value& f = list[i];
    std::string key = "write_files[" + std::to_string(i) + "]";
    if (!f.is_object()) {
      plan.stop = MakeError("expected dict, got " + TypeName(f), key);
      break;
    }
    bool defer = f.contains("defer") && TranslateBool(f["defer"]);
    if (defer != deferred) continue;
    const Value& path = Get(f, "path");
    if (path.is_null() || (path.is_string() && path.get<std::string>().empty())) {
      plan.warnings.push_back(key +
                              ".path: missing, skipping (No path provided to write for entry " +
                              std::to_string(i + 1) + ")");
      continue;
    }
    auto entry = ParseEntry(f, key, plan);
    if (!entry) {
      // As cloud-init: the entries before a bad one are written, the bad
      // one and the rest are not, and the module fails.
      plan.stop = entry.error();
      break;
    }
    plan.files.push_back(std::move(*entry));
  }
  return plan;
}

std::string OwnerText(const FileEntry& f) {
  if (!f.owner && !f.group) return "root:root";
  std::string s = f.owner.value_or("-");
  if (f.group) s += ":" + *f.group;
  return s;
}

Status Apply(ModuleContext& ctx, bool deferred) {
  auto plan = ParseWriteFiles(ctx.config, deferred);
  if (!plan) return plan.error();
  for (const auto& w : plan->warnings) ctx.log.Warning(w);
  if (plan->files.empty() && !plan->stop) {
    ctx.log.Debug(deferred ? "Skipping module named " + ctx.name +
                                 ", no deferred file defined in configuration"
                           : "Skipping module named " + ctx.name +
                                 ", no/empty 'write_files' key in configuration");
    return Status::Ok();
  }
  for (const FileEntry& f : plan->files) {
    WriteOptions options;
    options.mode = f.mode;
    options.owner = f.owner;
    options.group = f.group;
    Status s = f.append ? ctx.sys.AppendFile(f.path, f.content, options)
                        : ctx.sys.WriteFile(f.path, f.content, options);
    if (!s.ok()) {
      Error e = s.error();
      if (e.key.empty()) e.key = f.key;
      return e;
    }
    char mode[16];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(f.mode));
    ctx.log.Info(std::string(f.append ? "appended to " : "wrote ") + Quote(f.path) + " (" + mode +
                 ", " + OwnerText(f) + ")");
  }
  if (plan->stop) return *plan->stop;
  return Status::Ok();
}

Status Run(ModuleContext& ctx) { return Apply(ctx, /*deferred=*/false); }

}  // namespace

// The key both write_files modules read (cloud-init's schema of it).
KeySpec FilesKey() {
  return spec::List("write_files",
                    spec::Map({spec::Str("path"), spec::Str("content"), spec::Str("owner"), spec::Str("permissions"),
                               spec::Str("encoding").Enum({"gz", "gzip", "gz+base64", "gzip+base64", "gz+b64",
                                                           "gzip+b64", "b64", "base64", "text/plain"}),
                               spec::Bool("append"), spec::Bool("defer")})
                        .Closed()
                        .Required({"path"}))
      .MinItems(1);
}

const ModuleSpec kSpec{
    .name = "write_files",
    .aliases = {"write-files"},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"write_files"},
    .reads = [] { return std::vector<KeySpec>{FilesKey()}; },
    .run = &Run,
};

}  // namespace nubo::modules::write_files

namespace nubo::modules::write_files_deferred {

namespace {
Status Run(ModuleContext& ctx) { return write_files::Apply(ctx, /*deferred=*/true); }
}  // namespace

const ModuleSpec kSpec{
    .name = "write_files_deferred",
    .aliases = {"write-files-deferred"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"write_files"},
    .reads = [] { return std::vector<KeySpec>{write_files::FilesKey()}; },
    .run = &Run,
};

}  // namespace nubo::modules::write_files_deferred
