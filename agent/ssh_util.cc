// authorized_keys and sshd_config, as cloud-init's ssh_util. See
// include/nubo/ssh_util.h.

#include "nubo/ssh_util.h"

#include <algorithm>
#include <set>

#include "nubo/base64.h"
#include "nubo/digest.h"
#include "nubo/distro_users.h"
#include "nubo/text.h"

namespace nubo::ssh_util {

namespace {

// An SSH wire-format string (uint32 length, bytes) from `blob` at `*pos`.
std::optional<std::string_view> WireString(std::string_view blob, size_t* pos) {
  if (blob.size() - *pos < 4) return std::nullopt;
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(blob[*pos + i])); };
  uint32_t n = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  *pos += 4;
  if (blob.size() - *pos < n) return std::nullopt;
  std::string_view s = blob.substr(*pos, n);
  *pos += n;
  return s;
}

// BN_num_bits of an mpint (big-endian, positive).
size_t MpintBits(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && m[i] == 0) ++i;
  if (i == m.size()) return 0;
  size_t bits = (m.size() - i) * 8;
  for (unsigned char top = static_cast<unsigned char>(m[i]); !(top & 0x80); top <<= 1) --bits;
  return bits;
}

}  // namespace

std::optional<std::string> KeygenFingerprint(std::string_view text) {
  // One key line: ssh-keygen prints a line for each, and skips comments.
  std::string_view line;
  size_t lines = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string_view l = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    size_t first = l.find_first_not_of(" \t");
    if (first == std::string_view::npos || l[first] == '#') continue;
    line = l.substr(first);
    ++lines;
  }
  if (lines != 1) return std::nullopt;
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
    if (static_cast<unsigned char>(c) >= 0x7f) return std::nullopt;
  }
  size_t sp = line.find_first_of(" \t");
  size_t blob_at = sp == std::string_view::npos ? sp : line.find_first_not_of(" \t", sp);
  if (blob_at == std::string_view::npos) return std::nullopt;  // no key blob
  std::string_view type = line.substr(0, sp);
  std::string_view rest = line.substr(blob_at);
  size_t bend = rest.find_first_of(" \t");
  std::string_view b64 = rest.substr(0, bend);
  std::string_view comment;
  if (bend != std::string_view::npos) {
    size_t c = rest.find_first_not_of(" \t", bend);
    if (c != std::string_view::npos) comment = rest.substr(c);
  }
  if (comment.find('\t') != std::string_view::npos) return std::nullopt;  // ssh-keygen escapes it
  auto blob = Base64Decode(b64);
  if (!blob || Base64Encode(*blob) != b64) return std::nullopt;
  size_t pos = 0;
  auto inner = WireString(*blob, &pos);
  if (!inner || *inner != type) return std::nullopt;
  size_t bits = 0;
  std::string kind;
  if (type == "ssh-rsa") {
    auto e = WireString(*blob, &pos);
    auto n = e ? WireString(*blob, &pos) : std::nullopt;
    if (!n) return std::nullopt;
    bits = MpintBits(*n), kind = "RSA";
  } else if (type == "ssh-dss") {
    auto p = WireString(*blob, &pos);  // then q, g, y
    for (int i = 0; p && i < 3; ++i) {
      if (!WireString(*blob, &pos)) return std::nullopt;
    }
    if (!p) return std::nullopt;
    bits = MpintBits(*p), kind = "DSA";
  } else if (type == "ssh-ed25519") {
    auto k = WireString(*blob, &pos);
    if (!k || k->size() != 32) return std::nullopt;
    bits = 256, kind = "ED25519";
  } else if (type.starts_with("ecdsa-sha2-nistp")) {
    auto curve = WireString(*blob, &pos);
    auto point = curve ? WireString(*blob, &pos) : std::nullopt;
    if (!point || "ecdsa-sha2-" + std::string(*curve) != type) return std::nullopt;
    if (*curve == "nistp256") bits = 256;
    else if (*curve == "nistp384") bits = 384;
    else if (*curve == "nistp521") bits = 521;
    else return std::nullopt;
    kind = "ECDSA";
  } else {
    return std::nullopt;
  }
  if (pos != blob->size() || bits == 0) return std::nullopt;
  auto md = Digest("sha256", *blob);
  if (!md) return std::nullopt;
  std::string fp = Base64Encode(*md);
  while (!fp.empty() && fp.back() == '=') fp.pop_back();
  return std::to_string(bits) + " SHA256:" + fp + " " +
         (comment.empty() ? std::string("no comment") : std::string(comment)) + " (" + kind + ")";
}

using distro::FindUser;
using distro::PasswdEntry;

// --- authorized_keys ----------------------------------------------------

const char kDisableUserOpts[] =
    "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,"
    "command=\"echo 'Please login as the user \\\"$USER\\\" rather than the user "
    "\\\"$DISABLE_USER\\\".';echo;sleep 10;exit 142\"";

bool IsValidKeyType(std::string_view type) {
  static const char* const kTypes[] = {
      "dsa",
      "rsa",
      "ecdsa",
      "ed25519",
      "ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384-cert-v01@openssh.com",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521-cert-v01@openssh.com",
      "ecdsa-sha2-nistp521",
      "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
      "sk-ecdsa-sha2-nistp256@openssh.com",
      "sk-ssh-ed25519-cert-v01@openssh.com",
      "sk-ssh-ed25519@openssh.com",
      "ssh-dss-cert-v01@openssh.com",
      "ssh-dss",
      "ssh-ed25519-cert-v01@openssh.com",
      "ssh-ed25519",
      "ssh-rsa-cert-v01@openssh.com",
      "ssh-rsa",
      "ssh-xmss-cert-v01@openssh.com",
      "ssh-xmss@openssh.com",
  };
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

std::string AuthKeyLine::ToString() const {
  std::string out;
  for (const std::string* t : {&options, &keytype, &base64, &comment}) {
    if (t->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *t;
  }
  return out.empty() ? source : out;
}

namespace {

// "type base64 [comment]"; false when the type is not a key type.
bool SplitKey(std::string_view ent, AuthKeyLine& line) {
  auto toks = SplitWhitespace(ent, 2);
  if (toks.size() < 2 || !IsValidKeyType(toks[0])) return false;
  line.keytype = toks[0];
  line.base64 = toks[1];
  line.comment = toks.size() > 2 ? toks[2] : "";
  return true;
}

}  // namespace

AuthKeyLine ParseAuthKeyLine(std::string_view src, const std::optional<std::string>& options) {
  AuthKeyLine line;
  line.source = std::string(src);
  std::string_view l = src;
  while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
  std::string ent = PyStrip(l);
  if (!l.empty() && l[0] == '#') return line;
  if (ent.empty()) return line;
  if (SplitKey(ent, line)) {
    if (options) line.options = *options;
    return line;
  }
  // Options first: comma-separated, spaces only inside double quotes.
  bool quoted = false;
  size_t i = 0;
  while (i < ent.size() && (quoted || (ent[i] != ' ' && ent[i] != '\t'))) {
    if (i + 1 >= ent.size()) {
      ++i;
      break;
    }
    if (ent[i] == '\\' && ent[i + 1] == '"') {
      ++i;
    } else if (ent[i] == '"') {
      quoted = !quoted;
    }
    ++i;
  }
  std::string own_options = ent.substr(0, i);
  std::string remain = PyStrip(std::string_view(ent).substr(i));
  AuthKeyLine keyed;
  keyed.source = line.source;
  if (!SplitKey(remain, keyed)) return line;
  keyed.options = options ? *options : own_options;
  return keyed;
}

std::vector<std::string> RenderAuthorizedKeysPaths(const std::string& value,
                                                   const std::string& home,
                                                   const std::string& user) {
  std::string v = value.empty() ? "%h/.ssh/authorized_keys" : value;
  std::vector<std::string> out;
  for (auto path : SplitWhitespace(v)) {
    // Left to right, one pass per macro, as ssh_util does.
    for (auto [macro, field] : {std::pair<std::string, std::string>{"%h", home},
                                {"%u", user},
                                {"%%", "%"}}) {
      std::string r;
      size_t i = 0;
      while (true) {
        size_t j = path.find(macro, i);
        if (j == std::string::npos) break;
        r += path.substr(i, j - i) + field;
        i = j + macro.size();
      }
      path = r + path.substr(i);
    }
    if (path.empty() || path[0] != '/') path = home + (home.ends_with("/") ? "" : "/") + path;
    out.push_back(path);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadSshdConfig(System& sys,
                                                                const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto text = sys.ReadFile(path);
  if (!text) return out;
  for (const auto& raw : PySplit(*text, '\n')) {
    std::string line = PyStrip(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string key, value;
    size_t sp = line.find_first_of(" \t");
    size_t eq = line.find('=');
    if (eq != std::string::npos && (sp == std::string::npos || eq < sp)) {
      key = PyStrip(line.substr(0, eq));
      value = PyStrip(line.substr(eq + 1));
    } else if (sp != std::string::npos) {
      key = line.substr(0, sp);
      value = PyStrip(line.substr(sp));
      if (!value.empty() && value[0] == '=') value = PyStrip(value.substr(1));
    } else {
      continue;
    }
    key = AsciiLower(key);
    bool seen = std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
    if (!seen) out.emplace_back(key, value);
  }
  return out;
}

namespace {

std::string ConfigValue(const std::vector<std::pair<std::string, std::string>>& cfg,
                        const std::string& key, const std::string& fallback) {
  for (const auto& [k, v] : cfg) {
    if (k == key) return v;
  }
  return fallback;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

bool Under(const std::string& path, const std::string& dir) {
  std::string d = dir.ends_with("/") ? dir : dir + "/";
  return path.starts_with(d);
}

// The authorized_keys file to use for `user`.
std::string ChooseKeysFile(System& sys, const PasswdEntry& pw) {
  std::string home = pw.home.empty() ? "/" : pw.home;
  std::string fallback = (home == "/" ? "" : home) + "/.ssh/authorized_keys";
  auto cfg = ReadSshdConfig(sys);
  std::string value = ConfigValue(cfg, "authorizedkeysfile", "%h/.ssh/authorized_keys");
  auto templates = SplitWhitespace(value);
  auto rendered = RenderAuthorizedKeysPaths(value, home, pw.name);
  for (size_t i = 0; i < templates.size() && i < rendered.size(); ++i) {
    const std::string& t = templates[i];
    const std::string& p = rendered[i];
    if (t.find("%u") == std::string::npos && t.find("%h") == std::string::npos &&
        !Under(p, home)) {
      continue;  // a file shared by every user (e.g. /etc/ssh/authorized_keys)
    }
    // ssh_util.check_create_path: a symlink or a non-directory on the way,
    // or a directory in place of the file, rules the entry out.
    bool usable = true;
    std::string dir;
    for (const auto& part : PySplit(Dirname(p), '/')) {
      if (part.empty()) continue;
      dir += "/" + part;
      auto st = sys.Stat(dir);
      if (!st) break;  // missing from here on: will be created
      if (st->is_symlink && Under(dir + "/", home)) {
        usable = false;
        break;
      }
      if (!st->is_dir && !st->is_symlink) {
        usable = false;
        break;
      }
    }
    if (auto st = sys.Stat(p); st && (st->is_symlink || st->is_dir)) usable = false;
    if (usable) return p;
  }
  return fallback;
}

}  // namespace

namespace {

// Writes `content` to the user's keys file: directories on the way made
// 0700 and owned by the user inside the home (0755 root outside it), the
// file 0600 owned by the user (an existing file keeps its mode), and no
// symlink followed inside the home.
Status WriteKeysFile(System& sys, const PasswdEntry& pw, const std::string& path,
                     const std::string& content) {
  const std::string& user = pw.name;
  std::string home = pw.home;
  bool in_home = Under(path, home);
  std::string guard = in_home ? home : Dirname(path);
  std::string group = std::to_string(pw.gid);
  std::string owner = std::to_string(pw.uid);
  // The home itself must not be a symlink either.
  if (auto st = sys.Stat(home); st && st->is_symlink) {
    return MakeError("refusing to write keys for " + Quote(user) + ": home directory " +
                     Quote(home) + " is a symlink");
  }
  // Directories between the home (or /) and the file: made 0700 and owned
  // by the user inside the home, 0755 root outside it.
  std::string dir;
  for (const auto& part : PySplit(Dirname(path), '/')) {
    if (part.empty()) continue;
    dir += "/" + part;
    auto st = sys.Stat(dir);
    if (st) {
      if (st->is_symlink && (Under(dir, home) || dir == home)) {
        return MakeError("refusing to write " + Quote(path) + ": " + Quote(dir) +
                         " is a symlink (inside " + Quote(home) + ")");
      }
      continue;
    }
    bool inside = Under(dir, home);
    if (Status s = sys.MakeDirs(dir, inside ? 0700 : 0755); !s.ok()) return s;
    if (inside) {
      if (Status s = sys.Chown(dir, owner, group); !s.ok()) return s;
    }
  }
  WriteOptions o;
  o.mode = 0600;
  o.owner = owner;
  o.group = group;
  o.no_symlinks_below = guard;
  o.parent_mode = 0700;
  // preserve_mode: an existing file keeps its mode.
  if (auto st = sys.Stat(path); st && st->is_regular) o.mode = st->mode;
  return sys.WriteFile(path, content, o);
}

}  // namespace

Result<AuthorizedKeys> ReadAuthorizedKeys(System& sys, const std::string& user,
                                          bool create_empty) {
  auto pw = FindUser(sys, user);
  if (!pw || pw->home.empty()) {
    return MakeError("Unable to get SSH info for user " + Quote(user));
  }
  AuthorizedKeys out;
  out.path = ChooseKeysFile(sys, *pw);
  auto st = sys.Stat(out.path);
  if (!st && create_empty) {
    // ssh_util.check_create_path creates the directories and an empty file.
    if (Status s = WriteKeysFile(sys, *pw, out.path, ""); !s.ok()) return s.error();
    return out;
  }
  if (st && st->is_regular) {
    auto text = sys.ReadFile(out.path);
    if (text) {
      std::string_view t = *text;
      while (!t.empty()) {
        size_t nl = t.find('\n');
        std::string_view line = t.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.entries.push_back(ParseAuthKeyLine(line));
        if (nl == std::string_view::npos) break;
        t.remove_prefix(nl + 1);
      }
    }
  }
  return out;
}

Status SetupUserKeys(System& sys, const Logger& log, const std::vector<std::string>& keys,
                     const std::string& user, const std::string& options) {
  auto pw = FindUser(sys, user);
  if (!pw || pw->home.empty()) {
    return MakeError("Unable to get SSH info for user " + Quote(user));
  }
  std::vector<AuthKeyLine> wanted;
  std::set<std::string> seen;
  for (const auto& k : keys) {
    if (!seen.insert(k).second) continue;  // cloud-init passes a set
    AuthKeyLine line = options.empty() ? ParseAuthKeyLine(k) : ParseAuthKeyLine(k, options);
    if (line.valid()) wanted.push_back(std::move(line));
  }
  auto current = ReadAuthorizedKeys(sys, user);
  if (!current) return current.error();

  // ssh_util.update_authorized_keys: a line with the same key is replaced,
  // the others kept; new keys are appended.
  std::vector<AuthKeyLine> entries = current->entries;
  std::vector<bool> placed(wanted.size(), false);
  for (auto& ent : entries) {
    if (!ent.valid()) continue;
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i].base64 == ent.base64) {
        ent = wanted[i];
        placed[i] = true;
      }
    }
  }
  // The same key given twice (with different comments) is added once.
  std::set<std::string> added;
  int n_added = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (placed[i] || !added.insert(wanted[i].base64).second) continue;
    entries.push_back(wanted[i]);
    ++n_added;
  }
  std::string content;
  for (const auto& e : entries) content += e.ToString() + "\n";

  if (Status s = WriteKeysFile(sys, *pw, current->path, content); !s.ok()) return s;
  const std::string& path = current->path;
  log.Info("authorized keys for " + Quote(user) + " in " + Quote(path) + ": " +
           std::to_string(n_added) + " added, " + std::to_string(entries.size()) + " lines");
  return Status::Ok();
}

// --- sshd_config --------------------------------------------------------

Result<bool> UpdateSshdConfig(System& sys,
                              const std::vector<std::pair<std::string, std::string>>& updates,
                              std::string* written, const std::string& path) {
  std::string fname = path;
  bool dropin = false;
  if (auto main = sys.ReadFile(path); main) {
    for (const auto& line : PySplit(*main, '\n')) {
      if (line.starts_with("Include " + path + ".d/*.conf")) dropin = true;
    }
  }
  if (dropin) {
    if (!sys.Exists(path + ".d")) {
      if (Status s = sys.MakeDirs(path + ".d", 0755); !s.ok()) return s.error();
    }
    fname = path + ".d/50-cloud-init.conf";
  }
  std::string text;
  mode_t mode = 0600;
  if (auto st = sys.Stat(fname); st && st->is_regular) {
    mode = st->mode;
    auto t = sys.ReadFile(fname);
    if (!t) return t.error();
    text = *t;
  } else if (!dropin) {
    mode = 0644;
  }
  // Keep every line; set the value of the first line naming each option.
  std::vector<std::string> lines;
  if (!text.empty()) {
    lines = PySplit(text, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
  }
  bool changed = false;
  for (const auto& [key, value] : updates) {
    bool found = false;
    for (auto& raw : lines) {
      std::string line = PyStrip(raw);
      if (line.empty() || line[0] == '#') continue;
      size_t sp = line.find_first_of(" \t=");
      std::string k = line.substr(0, sp);
      if (AsciiLower(k) != AsciiLower(key)) continue;
      std::string v = sp == std::string::npos ? "" : PyStrip(line.substr(sp + 1));
      if (!v.empty() && v[0] == '=') v = PyStrip(v.substr(1));
      found = true;
      if (v != value) {
        raw = k + " " + value;
        changed = true;
      }
    }
    if (!found) {
      lines.push_back(key + " " + value);
      changed = true;
    }
  }
  if (written) *written = fname;
  if (!changed && sys.Exists(fname)) return false;
  std::string content;
  for (const auto& l : lines) content += l + "\n";
  WriteOptions o;
  o.mode = mode;
  if (Status s = sys.WriteFile(fname, content, o); !s.ok()) return s.error();
  return changed;
}

}  // namespace nubo::ssh_util
