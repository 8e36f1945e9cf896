// ssh_authkey_fingerprints: print the fingerprints of each user's
// authorized keys to the console (cloud-init's cc_ssh_authkey_fingerprints).
//
//   no_ssh_fingerprints: false     # true: print nothing
//   authkey_hash: sha256           # or md5, sha1, sha224, sha384, sha512
//
// Output, as cloud-init formats it:
//   ci-info: ++++++++Authorized keys from /home/a/.ssh/authorized_keys for user a+++++++++
//   ci-info: +---------+-----------------+---------+---------+
//   ci-info: | Keytype | Fingerprint (sha256) | Options | Comment |
//   ...
// An unknown hash name gives '?' fingerprints, as hashlib's error does there.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "modules/modules.h"
#include "nubo/digest.h"
#include "nubo/distro_users.h"
#include "nubo/ssh_util.h"
#include "nubo/users_config.h"

namespace nubo::modules::ssh_authkey_fingerprints {

namespace {

// base64.b64decode (not validating): other characters are dropped; a
// missing pad is an error.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  unsigned acc = 0;
  int bits = 0, count = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else continue;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    ++count;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  size_t pads = 0;
  for (char c : text) pads += c == '=';
  if (count % 4 == 1 || (count % 4 != 0 && count % 4 + pads < 4)) return std::nullopt;
  return out;
}

std::string Fingerprint(const std::string& b64, const std::string& hash) {
  if (b64.empty()) return "";
  auto data = DecodeBase64(b64);
  if (!data) return "?";
  // The digests hashlib.new() offers for key fingerprints; others print "?".
  static const char* const kDigests[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};
  if (std::find(std::begin(kDigests), std::end(kDigests), hash) == std::end(kDigests)) return "?";
  auto md = Digest(hash, *data);
  if (!md) return "?";
  const std::string& digest = *md;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    if (!out.empty()) out += ':';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Python's str.center.
std::string PyCenter(const std::string& s, size_t width, char fill = ' ') {
  if (s.size() >= width) return s;
  size_t marg = width - s.size();
  size_t left = marg / 2 + (marg & width & 1);
  return std::string(left, fill) + s + std::string(marg - left, fill);
}

// format(s, fill + "^" + width): the extra fill goes right.
std::string FormatCenter(const std::string& s, size_t width, char fill) {
  if (s.size() >= width) return s;
  size_t marg = width - s.size();
  return std::string(marg / 2, fill) + s + std::string(marg - marg / 2, fill);
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string div = "+";
  for (size_t w : widths) div += std::string(w + 2, '-') + "+";
  auto row = [&](const std::vector<std::string>& r) {
    std::string out = "|";
    for (size_t i = 0; i < r.size(); ++i) out += PyCenter(r[i], widths[i] + 2) + "|";
    return out;
  };
  std::string out = div + "\n" + row(rows[0]) + "\n" + div + "\n";
  for (size_t i = 1; i < rows.size(); ++i) out += row(rows[i]) + "\n";
  return out + div;
}

void PrintKeys(ModuleContext& ctx, const std::string& user, const ssh_util::AuthorizedKeys& keys,
               const std::string& hash) {
  const std::string prefix = "ci-info: ";
  if (keys.entries.empty()) {
    ctx.console(prefix + "no authorized SSH keys fingerprints found for user " + user + ".\n");
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"Keytype", "Fingerprint (" + hash + ")", "Options", "Comment"}};
  for (const auto& e : keys.entries) {
    bool printable = !e.keytype.empty() || !e.base64.empty() || !e.comment.empty() ||
                     !e.options.empty();
    std::string type = e.keytype;
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!printable || e.keytype.empty() || !ssh_util::IsValidKeyType(type)) continue;
    std::string fp = Fingerprint(e.base64, hash);
    rows.push_back({e.keytype, fp.empty() ? "-" : fp, e.options.empty() ? "-" : e.options,
                    e.comment.empty() ? "-" : e.comment});
  }
  std::string table = Table(rows);
  size_t max_len = 0;
  for (size_t i = 0, j; i < table.size(); i = j + 1) {
    j = table.find('\n', i);
    if (j == std::string::npos) j = table.size();
    max_len = std::max(max_len, j - i);
  }
  std::string out = prefix +
                    FormatCenter("Authorized keys from " + keys.path + " for user " + user, max_len,
                                 '+') +
                    "\n";
  for (size_t i = 0, j; i < table.size(); i = j + 1) {
    j = table.find('\n', i);
    if (j == std::string::npos) j = table.size();
    out += prefix + table.substr(i, j - i) + "\n";
  }
  ctx.console(out);
}

Status Run(ModuleContext& ctx) {
  if (IsTrue(Get(ctx.config, "no_ssh_fingerprints"))) {
    ctx.log.Debug("Skipping module named " + ctx.name +
                  ", logging of SSH fingerprints disabled");
    return Status::Ok();
  }
  const Value& h = Get(ctx.config, "authkey_hash");
  std::string hash = h.is_string() ? h.get<std::string>() : h.is_null() ? "sha256" : PyStr(h);
  auto ug = users::NormalizeUsersGroups(ctx.config);
  if (!ug) return ug.error();
  for (const auto& u : ug->users) {
    auto truthy = [&](const char* k) {
      const Value& v = Get(u.config, k);
      return !v.is_null() && !(v.is_boolean() && !v.get<bool>()) && TranslateBool(v);
    };
    if (truthy("no_create_home") || truthy("system")) {
      ctx.log.Debug("Skipping printing of ssh fingerprints for user " + Quote(u.name) +
                    " because no home directory is created");
      continue;
    }
    if (ctx.dry_run && !distro::FindUser(ctx.sys, u.name)) {
      ctx.log.Info("dry run: user " + Quote(u.name) + " was not created, skipping");
      continue;
    }
    // As 22.4 (extract_authorized_keys), a missing file is created empty.
    auto keys = ssh_util::ReadAuthorizedKeys(ctx.sys, u.name, /*create_empty=*/true);
    if (!keys) {
      Error e = keys.error();
      e.key = "users." + u.name;
      return e;
    }
    if (ctx.console) PrintKeys(ctx, u.name, *keys, hash);
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "ssh_authkey_fingerprints",
    .aliases = {"ssh-authkey-fingerprints"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Bool("no_ssh_fingerprints"),
              {"authkey_hash", KeyType::kString},
              {"users", KeyType::kAny}}; },
    .run = &Run,
};

}  // namespace nubo::modules::ssh_authkey_fingerprints
