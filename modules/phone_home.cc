// phone_home: posts instance facts to a URL (cloud-init's cc_phone_home).
//
//   phone_home:
//     url: http://example.com/$INSTANCE_ID/   # $INSTANCE_ID / ${INSTANCE_ID}
//     post: all        # or a list of: pub_key_dsa, pub_key_rsa,
//                      # pub_key_ecdsa, pub_key_ed25519, instance_id,
//                      # hostname, fqdn
//     tries: 10
//
// The listed keys are POSTed form-encoded (application/x-www-form-urlencoded,
// in the order listed), a key without a value as "N/A"; the host keys come
// from /etc/ssh/ssh_host_*_key.pub. As 22.4: `tries` that is not an
// integer (also when absent) is 10 with a warning, each unreadable host key
// is a warning, and a post that fails after all tries is a warning, not a
// module failure. Unlike 22.4 (no timeout, every error retried 3 s apart)
// an attempt is bounded by 30 s, and 5xx answers and transport errors are
// retried while a 4xx answer is final.

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "modules/modules.h"
#include "nubo/hostname.h"
#include "nubo/http.h"
#include "nubo/templater.h"

namespace nubo::modules::phone_home {

namespace {

constexpr const char* kPostAll[] = {"pub_key_dsa", "pub_key_rsa", "pub_key_ecdsa", "pub_key_ed25519",
                                    "instance_id", "hostname",    "fqdn"};

constexpr std::pair<const char*, const char*> kPubKeys[] = {
    {"pub_key_dsa", "/etc/ssh/ssh_host_dsa_key.pub"},
    {"pub_key_rsa", "/etc/ssh/ssh_host_rsa_key.pub"},
    {"pub_key_ecdsa", "/etc/ssh/ssh_host_ecdsa_key.pub"},
    {"pub_key_ed25519", "/etc/ssh/ssh_host_ed25519_key.pub"},
};

// urllib.parse.quote_plus, as requests form-encodes a dict.
std::string QuotePlus(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// int(tries): ints, bools, floats (truncated) and strings of an int.
std::optional<long long> PyInt(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) return static_cast<long long>(v.get<double>());
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    size_t b = s.find_first_not_of(" \t\n\r\v\f");
    size_t e = s.find_last_not_of(" \t\n\r\v\f");
    if (b == std::string::npos) return std::nullopt;
    s = s.substr(b, e - b + 1);
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    for (size_t j = i; j < s.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '_') return std::nullopt;
    }
    std::string digits;
    for (char c : s) {
      if (c != '_') digits += c;
    }
    try {
      return std::stoll(digits);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Status Run(ModuleContext& ctx) {
  if (!ctx.config.contains("phone_home")) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", no 'phone_home' configuration found");
    return Status::Ok();
  }
  const Value& ph = ctx.config["phone_home"];
  if (!ph.is_object()) return MakeError("expected a mapping, got " + TypeName(ph), "phone_home");
  if (!ph.contains("url")) {
    ctx.log.Warning("Skipping module named " + ctx.name +
                    ", no 'url' found in 'phone_home' configuration");
    return Status::Ok();
  }
  if (!ph["url"].is_string()) {
    return MakeError("expected a string, got " + TypeName(ph["url"]), "phone_home.url");
  }
  std::vector<std::string> post;
  const Value& pv = ph.contains("post") ? ph["post"] : Value("all");
  if (pv.is_string() && pv.get<std::string>() == "all") {
    post.assign(std::begin(kPostAll), std::end(kPostAll));
  } else if (pv.is_array()) {
    for (size_t i = 0; i < pv.size(); ++i) {
      if (!pv[i].is_string()) {
        return MakeError("expected a string, got " + TypeName(pv[i]),
                         "phone_home.post[" + std::to_string(i) + "]");
      }
      post.push_back(pv[i].get<std::string>());
    }
  } else {
    return MakeError("expected 'all' or a list of keys, got " + PyRepr(pv), "phone_home.post");
  }
  long long tries = 10;
  if (auto t = PyInt(Get(ph, "tries"))) {
    tries = *t;
  } else {
    ctx.log.Warning("Configuration entry 'tries' is not an integer, using 10 instead");
  }

  std::vector<std::pair<std::string, std::string>> all = {{"instance_id", ctx.paths.instance_id}};
  // cloud.get_hostname(): the datasource's names, not the config's.
  auto names = ResolveHostnameFqdn(Value::object(), ctx.instance, ctx.sys);
  if (names) {
    all.push_back({"hostname", names->hostname});
    all.push_back({"fqdn", names->fqdn});
  }
  for (const auto& [key, path] : kPubKeys) {
    auto text = ctx.sys.ReadFile(path);
    if (text) {
      all.push_back({key, *text});
    } else {
      ctx.log.Warning(std::string(path) + ": failed to open, can not phone home that data!");
    }
  }
  std::string form;
  std::set<std::string> seen;
  for (const std::string& k : post) {
    std::string value = "N/A";
    bool found = false;
    for (const auto& [name, v] : all) {
      if (name == k) {
        value = v;
        found = true;
      }
    }
    if (!found) {
      ctx.log.Warning("Requested key " + k + " from 'post' configuration list not available");
    }
    // A key listed twice is sent once, where it was first listed (a dict).
    if (!seen.insert(k).second) continue;
    form += (form.empty() ? "" : "&") + QuotePlus(k) + "=" + QuotePlus(value);
  }

  auto url = templater::Render(ph["url"].get<std::string>(),
                               Value{{"INSTANCE_ID", ctx.paths.instance_id}});
  if (!url) return MakeError(url.error().message, "phone_home.url");

  HttpSessionOptions opts;
  opts.timeout_seconds = 30;
  opts.retry_delay_seconds = 3;
  auto session = ctx.sys.OpenHttpSession(opts);
  HttpGetSpec spec;
  spec.url = *url;
  spec.tries = static_cast<int>(std::max(1LL, std::min(tries, 1000LL)));
  spec.post_form = form;
  spec.max_bytes = 1 << 20;
  std::string failure;
  ctx.log.Debug("posting phone home data to " + *url);
  session->Get(spec, [&](Result<HttpResponse> r) {
    if (!r) {
      failure = r.error().message;
    } else if (r->status >= 400) {
      failure = "HTTP " + std::to_string(r->status);
    }
  });
  session->Run();
  if (!failure.empty()) {
    ctx.log.Warning("Failed to post phone home data to " + *url + " in " + std::to_string(tries) +
                    " tries: " + failure);
    return Status::Ok();
  }
  ctx.log.Info("posted phone home data to " + *url);
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "phone_home",
    .aliases = {},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"phone_home"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("phone_home",
                        {spec::Str("url"),
                         spec::OneOf("post", {spec::Str().Enum({"all"}),
                                              spec::List(spec::Str().Enum({"pub_key_dsa", "pub_key_rsa", "pub_key_ecdsa",
                                                                           "pub_key_ed25519", "instance_id", "hostname",
                                                                           "fqdn"}))}),
                         spec::Int("tries")})
                  .Closed()
                  .Required({"url"})}; },
    .run = &Run,
};

}  // namespace nubo::modules::phone_home
