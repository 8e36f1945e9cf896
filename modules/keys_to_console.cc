// keys_to_console: print the SSH host key fingerprints and public keys to
// the console (cloud-init's cc_keys_to_console and its helper
// /usr/lib/cloud-init/write-ssh-key-fingerprints, done here without a shell).
//
//   ssh:
//     emit_keys_to_console: true        # false: print nothing
//   ssh_fp_console_blacklist: []        # key types whose fingerprint is not printed
//   ssh_key_console_blacklist: [ssh-dss]  # key types whose key is not printed
//
// Fingerprint lines are `ssh-keygen -l -f` output (computed in-process,
// ssh_util::KeygenFingerprint, for the four key types sshd generates), formatted as the helper's
// `logger -s` shows them: "<14>Nov 22 01:50:00 cloud-init: 256 SHA256:... (ED25519)".

#include <algorithm>
#include <ctime>
#include <sstream>

#include "modules/modules.h"
#include "nubo/ssh_util.h"

namespace nubo::modules::keys_to_console {

namespace {

std::vector<std::string> OptionList(const Value& obj, const std::string& key,
                                    std::vector<std::string> fallback) {
  if (!obj.is_object() || !obj.contains(key)) return fallback;
  const Value& v = obj[key];
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_array()) {
    for (const auto& e : v) out.push_back(e.is_string() ? e.get<std::string>() : PyStr(e));
    return out;
  }
  out.push_back(v.is_string() ? v.get<std::string>() : PyStr(v));
  return out;
}

bool Listed(const std::vector<std::string>& list, const std::string& type) {
  return std::find(list.begin(), list.end(), type) != list.end();
}

Status Run(ModuleContext& ctx) {
  if (IsFalse(Get(Get(ctx.config, "ssh"), "emit_keys_to_console"))) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", logging of SSH host keys disabled");
    return Status::Ok();
  }
  auto fp_blacklist = OptionList(ctx.config, "ssh_fp_console_blacklist", {});
  auto key_blacklist = OptionList(ctx.config, "ssh_key_console_blacklist", {"ssh-dss"});

  struct HostKey {
    std::string path, type, text;
  };
  std::vector<HostKey> keys;
  if (auto names = ctx.sys.ListDir("/etc/ssh"); names) {
    for (const auto& name : *names) {
      if (!name.starts_with("ssh_host_") || !name.ends_with("key.pub")) continue;
      std::string path = "/etc/ssh/" + name;
      auto st = ctx.sys.Stat(path);
      if (!st || !st->is_regular) continue;
      auto text = ctx.sys.ReadFile(path);
      if (!text) continue;
      std::istringstream in(*text);
      std::string type;
      in >> type;
      keys.push_back({path, type, *text});
    }
  }

  std::time_t t = static_cast<std::time_t>(ctx.sys.Now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
  auto syslog_line = [&](const std::string& msg) {
    return std::string("<14>") + stamp + " cloud-init: " + msg + "\n";
  };

  std::string out;
  bool header = false;
  int fingerprints = 0;
  for (const auto& k : keys) {
    if (Listed(fp_blacklist, k.type)) continue;
    if (!header) {
      out += syslog_line("#############################################################");
      out += syslog_line("-----BEGIN SSH HOST KEY FINGERPRINTS-----");
      header = true;
    }
    // ssh-keygen -l's line, computed here (a process per key under TCG was
    // half a second of final); ssh-keygen itself for what it would print
    // otherwise.
    std::string line;
    if (auto fp = ssh_util::KeygenFingerprint(k.text)) {
      line = *fp;
    } else {
      Command c;
      c.argv = {"ssh-keygen", "-l", "-f", k.path};
      auto r = ctx.sys.Run(c);
      if (r) {
        line = r->out + r->err;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      }
    }
    out += syslog_line(line);
    ++fingerprints;
  }
  if (header) {
    out += syslog_line("-----END SSH HOST KEY FINGERPRINTS-----");
    out += syslog_line("#############################################################");
  }
  bool key_header = false;
  for (const auto& k : keys) {
    if (Listed(key_blacklist, k.type)) continue;
    if (!key_header) {
      out += "-----BEGIN SSH HOST KEY KEYS-----\n";
      key_header = true;
    }
    out += k.text;
    if (!k.text.empty() && k.text.back() != '\n') out += "\n";
  }
  if (key_header) out += "-----END SSH HOST KEY KEYS-----\n";
  // multi_log("%s\n" % stdout.strip()).
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (ctx.console) ctx.console(out + "\n");
  ctx.log.Debug("printed " + std::to_string(fingerprints) + " host key fingerprints");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "keys_to_console",
    .aliases = {"keys-to-console"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Map("ssh", {spec::Bool("emit_keys_to_console")}).Closed().Required({"emit_keys_to_console"}),
              spec::List("ssh_fp_console_blacklist", spec::Str()).Unique(),
              spec::List("ssh_key_console_blacklist", spec::Str()).Unique()}; },
    .run = &Run,
};

}  // namespace nubo::modules::keys_to_console
