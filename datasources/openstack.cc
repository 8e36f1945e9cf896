// The OpenStack metadata service. What is read, and how each answer is
// taken, follows cloud-init 22.4.2 (DataSourceOpenStack.py,
// helpers/openstack.py read_v2, helpers/ec2.py); how it is fetched does not:
// cloud-init makes its GETs one after another on new connections, nubo
// sends them together on one kept-alive pool and bounds the whole crawl.

#include "datasources/openstack.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>

#include "nubo/dhcp.h"
#include "nubo/sources.h"
#include "nubo/text.h"

namespace nubo::datasources::openstack {
namespace {

constexpr char kDefaultUrl[] = "http://169.254.169.254";
// The version Nova's listing most likely ends with among those nubo knows:
// its documents are asked for with the listing, speculatively.
constexpr char kLikelyVersion[] = "2018-08-27";
constexpr size_t kJsonMax = 1 << 20;      // 1 MiB
constexpr size_t kUserDataMax = 16 << 20;  // 16 MiB
constexpr size_t kListingMax = 64 << 10;

// The EC2-compatible paths Nova serves (nova/api/metadata/base.py), asked
// for in the first round so the tree needs no second one in the usual case.
const char* const kLikelyEc2Paths[] = {
    "ami-id", "ami-launch-index", "ami-manifest-path", "block-device-mapping/", "hostname",
    "instance-action", "instance-id", "instance-type", "local-hostname", "local-ipv4", "placement/",
    "public-hostname", "public-ipv4", "public-keys/", "reservation-id", "security-groups",
    "placement/availability-zone", "public-keys/0/openssh-key", "block-device-mapping/ami",
    "block-device-mapping/root",
};

const char* const kProductNames[] = {"OpenStack Nova", "OpenStack Compute"};
const char* const kAssetTags[] = {"OpenStack Nova", "OpenStack Compute", "HUAWEICLOUD", "OpenTelekomCloud",
                                  "SAP CCloud VM"};

// url_helper.combine_url: one '/' between the parts, the added part quoted
// (safe "/:").
std::string CombineUrl(std::string base, std::string_view add) {
  if (base.empty() || base.back() != '/') base += '/';
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : add) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
      base += static_cast<char>(c);
    } else {
      base += '%';
      base += kHex[c >> 4];
      base += kHex[c & 15];
    }
  }
  return base;
}

using Response = Result<HttpResponse>;
using Callback = std::function<void(const Response&)>;

// Deduplicating front of an HttpSession: a URL is fetched once, whoever
// asks for it (a speculative request and a later real one share it).
class Fetcher {
 public:
  Fetcher(HttpSession& http, int tries) : http_(http), tries_(tries) {}

  void Want(const std::string& url, size_t max_bytes, Callback cb) {
    auto& e = entries_[url];
    if (e.done) {
      cb(*e.result);
      return;
    }
    e.waiters.push_back(std::move(cb));
    if (e.started) return;
    e.started = true;
    http_.Get({.url = url, .max_bytes = max_bytes, .tries = tries_}, [this, url](Response r) {
      auto& entry = entries_[url];
      entry.done = true;
      entry.result = std::make_unique<Response>(std::move(r));
      auto waiters = std::move(entry.waiters);
      for (auto& w : waiters) w(*entries_[url].result);
    });
  }

  // Asks for it now; nobody waits yet.
  void Prefetch(const std::string& url, size_t max_bytes) {
    Want(url, max_bytes, [](const Response&) {});
  }

  int tries() const { return tries_; }

 private:
  struct Entry {
    bool started = false;
    bool done = false;
    std::unique_ptr<Response> result;
    std::vector<Callback> waiters;
  };
  HttpSession& http_;
  int tries_;
  std::map<std::string, Entry> entries_;
};

std::string Describe(const Response& r) {
  if (!r) return r.error().message;
  return "HTTP " + std::to_string(r->status);
}

bool Ok(const Response& r) { return r && r->status >= 200 && r->status < 300; }

RawDoc ToDoc(const std::string& url, const Response& r) {
  if (Ok(r)) return RawDoc::Found(url, r->body);
  bool not_there = r && r->status == 404;
  return RawDoc::Absent(url, Describe(r), !not_there);
}

// helpers/ec2.py MetadataMaterializer over the fetcher: the tree under
// `url`, or an error when any part of it cannot be read (then cloud-init
// keeps no EC2 meta-data at all).
class Ec2Materializer {
 public:
  Ec2Materializer(Fetcher& f, const Logger& log) : f_(f), log_(log) {}

  void Materialize(const std::string& url, std::function<void(Result<Value>)> done) {
    f_.Want(url, kListingMax, [this, url, done](const Response& r) {
      if (!Ok(r)) {
        done(MakeError("GET '" + url + "': " + Describe(r)));
        return;
      }
      Ec2Listing listing = ParseEc2Listing(r->body);
      struct Join {
        Value children = Value::object();
        Value leaves = Value::object();
        size_t pending = 0;
        bool failed = false;
        std::function<void(Result<Value>)> done;
      };
      auto join = std::make_shared<Join>();
      join->pending = listing.children.size() + listing.leaves.size();
      join->done = done;
      auto finish = [this, join, url]() {
        if (--join->pending != 0 || join->failed) return;
        Value out = join->children;
        for (auto& [k, v] : join->leaves.items()) {
          if (out.contains(k)) log_.Warning("duplicate key found in results from '" + url + "'");
          else out[k] = v;
        }
        join->done(std::move(out));
      };
      auto fail = [join](const Error& e) {
        if (join->failed) return;
        join->failed = true;
        join->done(e);
      };
      if (join->pending == 0) {
        join->done(Value::object());
        return;
      }
      for (const std::string& c : listing.children) {
        std::string child = CombineUrl(url, c);
        if (child.back() != '/') child += '/';
        Materialize(child, [join, c, finish, fail](Result<Value> v) {
          if (!v) return fail(v.error());
          join->children[c] = std::move(*v);
          finish();
        });
      }
      for (const auto& [field, resource] : listing.leaves) {
        std::string leaf = CombineUrl(url, resource);
        f_.Want(leaf, kJsonMax, [this, join, field = field, leaf, finish, fail](const Response& lr) {
          if (!Ok(lr)) return fail(MakeError("GET '" + leaf + "': " + Describe(lr)));
          join->leaves[field] = DecodeEc2Leaf(field, lr->body, log_);
          finish();
        });
      }
    });
  }

 private:
  Fetcher& f_;
  const Logger& log_;
};

// The documents of openstack/<version>/ as read_v2 names them.
struct DocSlot {
  const char* name;
  RawDoc RawTree::*slot;
  size_t max_bytes;
};
const DocSlot kDocs[] = {
    {"meta_data.json", &RawTree::meta_data, kJsonMax},       {"user_data", &RawTree::user_data, kUserDataMax},
    {"vendor_data.json", &RawTree::vendor_data, kJsonMax},   {"vendor_data2.json", &RawTree::vendor_data2, kJsonMax},
    {"network_data.json", &RawTree::network_data, kJsonMax}, {"password", &RawTree::password, kJsonMax},
};

void PrefetchVersion(Fetcher& f, const std::string& base, const std::string& version) {
  for (const auto& d : kDocs) f.Prefetch(CombineUrl(base, "openstack/" + version + "/" + d.name), d.max_bytes);
}

double NumberOr(const Value& v, double fallback, bool* bad) {
  if (v.is_null()) return fallback;
  if (v.is_number()) return std::trunc(v.get<double>());  // int()
  if (v.is_string()) {
    std::string s = PyStrip(v.get<std::string>());
    char* end = nullptr;
    long n = std::strtol(s.c_str(), &end, 10);
    if (!s.empty() && end != nullptr && *end == '\0') return static_cast<double>(n);
  }
  *bad = true;
  return fallback;
}

Value DsConfig(const Value& config) { return Get(Get(config, "datasource"), "OpenStack"); }

std::vector<std::string> MetadataUrls(const Value& ds_cfg, const Logger& log) {
  std::vector<std::string> urls;
  const Value& list = Get(ds_cfg, "metadata_urls");
  if (list.is_array()) {
    for (const Value& u : list) {
      if (u.is_string() && !u.get<std::string>().empty()) urls.push_back(u.get<std::string>());
    }
    if (urls.empty()) log.Warning("empty metadata url list! using default list");
  }
  if (urls.empty()) urls.push_back(kDefaultUrl);
  return urls;
}

}  // namespace

UrlParams ReadUrlParams(const Value& ds_cfg, const Logger& log) {
  UrlParams p;
  auto read = [&](const char* key, double fallback) {
    bool bad = false;
    double v = NumberOr(Get(ds_cfg, key), fallback, &bad);
    if (bad) {
      log.Warning("datasource.OpenStack." + std::string(key) + ": expected a number, got " +
                  Quote(PyStr(Get(ds_cfg, key))) + ", using " + PyStr(Value(fallback)));
    }
    return v;
  };
  p.max_wait = read("max_wait", p.max_wait);
  p.timeout = std::max(0.0, read("timeout", p.timeout));
  if (p.timeout == 0) p.timeout = 10;
  p.retries = std::max(0, static_cast<int>(read("retries", p.retries)));
  p.sec_between_retries = std::max(0.0, read("sec_between_retries", p.sec_between_retries));
  return p;
}

double CrawlDeadline(const UrlParams& p) {
  return std::max(0.0, p.max_wait) + (p.retries + 1) * p.timeout;
}

bool DetectFromDmi(System& sys) {
  std::string product = sys.DmiValue("system-product-name");
  for (const char* n : kProductNames) {
    if (product == n) return true;
  }
  std::string tag = sys.DmiValue("chassis-asset-tag");
  for (const char* t : kAssetTags) {
    if (tag == t) return true;
  }
  // util.get_proc_env(1).get("product_name"): set by some container runtimes.
  if (auto env = sys.ReadHostFile("/proc/1/environ")) {
    for (const std::string& kv : PySplit(*env, '\0')) {
      if (kv == "product_name=OpenStack Nova") return true;
    }
  }
  return false;
}

Result<RawTree> CrawlMetadataService(System& sys, const std::vector<std::string>& metadata_urls,
                                     const UrlParams& params, const Logger& log) {
  HttpSessionOptions o;
  o.timeout_seconds = params.timeout;
  o.deadline_seconds = CrawlDeadline(params);
  o.retry_delay_seconds = params.sec_between_retries;
  auto http = sys.OpenHttpSession(o);
  Fetcher docs(*http, params.retries + 1);
  // The probe (wait_for_metadata_service): one try per URL, or as many as
  // fit in max_wait.
  int probe_tries = params.max_wait > 0
                        ? 1 + static_cast<int>(params.max_wait / std::max(0.1, params.sec_between_retries))
                        : 1;
  Fetcher probe(*http, probe_tries);
  Ec2Materializer ec2(docs, log);
  auto started = std::chrono::steady_clock::now();

  std::vector<std::optional<Response>> probes(metadata_urls.size());
  std::optional<size_t> chosen;
  bool all_failed = false;
  RawTree tree;

  auto fetch_content = [&](const std::string& base, const Value& md) {
    for (const std::string& path : ContentPaths(md)) {
      std::string url = CombineUrl(base, "openstack/" + path);
      docs.Want(url, kUserDataMax, [&, url, path](const Response& r) { tree.content[path] = ToDoc(url, r); });
    }
  };

  auto begin_docs = [&](const std::string& base, const std::string& listing) {
    tree.source = base;
    tree.version = SelectVersion(ListingLines(listing));
    log.Debug("selected version '" + tree.version + "' from " + Quote(listing));
    for (const auto& d : kDocs) {
      std::string url = CombineUrl(base, "openstack/" + tree.version + "/" + d.name);
      RawDoc RawTree::*slot = d.slot;
      bool is_meta = std::string(d.name) == "meta_data.json";
      docs.Want(url, d.max_bytes, [&, url, slot, is_meta, base](const Response& r) {
        tree.*slot = ToDoc(url, r);
        if (is_meta && (tree.*slot).body) {
          if (auto md = ParseMetaDataJson(*(tree.*slot).body, url)) fetch_content(base, *md);
        }
      });
    }
    ec2.Materialize(CombineUrl(base, "latest/meta-data"), [&](Result<Value> v) {
      if (v) {
        tree.ec2 = std::move(*v);
      } else {
        log.Warning("failed fetching meta-data from '" + CombineUrl(base, "latest/meta-data") +
                    "': " + v.error().message);
      }
    });
  };

  // The first URL, in list order, whose probe answered with content.
  auto decide = [&]() {
    if (chosen || all_failed) return;
    for (size_t i = 0; i < probes.size(); ++i) {
      if (!probes[i]) return;  // an earlier URL may still answer
      if (Ok(*probes[i]) && !(*probes[i])->body.empty()) {
        chosen = i;
        log.Debug("using metadata source: '" + metadata_urls[i] + "'");
        begin_docs(metadata_urls[i], (*probes[i])->body);
        return;
      }
    }
    all_failed = true;
  };

  for (size_t i = 0; i < metadata_urls.size(); ++i) {
    const std::string& base = metadata_urls[i];
    probe.Want(CombineUrl(base, "openstack"), kListingMax, [&, i](const Response& r) {
      probes[i] = r;
      if (!Ok(r) || r->body.empty()) {
        log.Debug("calling '" + CombineUrl(metadata_urls[i], "openstack") + "' failed: " +
                  (Ok(r) ? std::string("empty response") : Describe(r)));
      }
      decide();
    });
  }
  // Speculation: what the first URL will most likely be asked for next.
  PrefetchVersion(docs, metadata_urls.front(), kLikelyVersion);
  std::string ec2_base = CombineUrl(metadata_urls.front(), "latest/meta-data");
  docs.Prefetch(ec2_base, kListingMax);
  for (const char* p : kLikelyEc2Paths) {
    std::string u = CombineUrl(ec2_base, p);
    docs.Prefetch(u, std::string_view(p).back() == '/' ? kListingMax : kJsonMax);
  }
  http->Run();

  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!chosen) {
    std::string which;
    for (size_t i = 0; i < metadata_urls.size(); ++i) {
      which += (i ? ", " : "") + Quote(CombineUrl(metadata_urls[i], "openstack")) + " (" +
               (probes[i] ? Describe(*probes[i]) : "no answer") + ")";
    }
    return MakeError("no active metadata service found: " + which);
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.3f", took);
  log.Debug(std::string("crawl of openstack metadata service took ") + buf + " seconds");
  return tree;
}

namespace {

bool ExplicitlyChosen(DatasourceContext& ctx) {
  // `ci.ds=OpenStack` on the kernel command line, or OpenStack as the only
  // real entry of datasource_list (a builder saying "this image runs there").
  for (const std::string& tok : PySplit(ctx.sys.KernelCmdline(), ' ')) {
    if (tok == "ci.ds=OpenStack" || tok == "ci.datasource=OpenStack") return true;
  }
  const Value& list = Get(ctx.config, "datasource_list");
  if (!list.is_array()) return false;
  std::vector<std::string> names;
  for (const Value& n : list) {
    if (n.is_string() && n.get<std::string>() != "None") names.push_back(n.get<std::string>());
  }
  return names.size() == 1 && names[0] == "OpenStack";
}

bool Detect(DatasourceContext& ctx) { return DetectFromDmi(ctx.sys) || ExplicitlyChosen(ctx); }

// cloud-init's check_instance_id for a reboot: the cached instance is still
// this one when its id is the machine's DMI system-uuid; then nothing is
// crawled again.
std::optional<InstanceData> CachedSameInstance(DatasourceContext& ctx) {
  auto text = ctx.sys.ReadFile(ctx.paths.InstanceLink() + "/nubo-instance.json");
  if (!text) return std::nullopt;
  auto data = InstanceDataFromJson(Value::parse(*text, nullptr, false));
  if (!data || data->datasource != "OpenStack") return std::nullopt;
  std::string uuid = ctx.sys.DmiValue("system-uuid");
  std::transform(uuid.begin(), uuid.end(), uuid.begin(), ::tolower);
  std::string iid = data->instance_id;
  std::transform(iid.begin(), iid.end(), iid.begin(), ::tolower);
  if (uuid.empty() || uuid != iid) return std::nullopt;
  return std::move(*data);
}

Result<InstanceData> CrawlAndBuild(DatasourceContext& ctx, const Logger& log) {
  Value ds_cfg = DsConfig(ctx.config);
  UrlParams params = ReadUrlParams(ds_cfg, log);
  auto urls = MetadataUrls(ds_cfg, log);
  auto tree = CrawlMetadataService(ctx.sys, urls, params, log);
  if (!tree) {
    log.Warning(tree.error().message);
    return MakeError("not found: " + tree.error().message);
  }
  for (const RawDoc* d : {&tree->user_data, &tree->vendor_data, &tree->vendor_data2, &tree->network_data}) {
    if (!d->body && d->unreadable) log.Warning("failed reading optional path '" + d->where + "': " + d->problem);
  }
  auto built = BuildInstanceData(*tree, "OpenStack", log);
  if (!built) {
    std::string msg = "broken metadata address '" + tree->source + "': " + built.error().message;
    log.Warning(msg);
    return MakeError("not found: " + msg);
  }
  InstanceData d = std::move(built->data);
  d.description = "DataSourceOpenStack" + std::string(ctx.local_stage ? "Local" : "") + " [" + d.dsmode + ",ver=2]";
  d.subplatform = "metadata (" + tree->source + ")";
  return d;
}

Result<InstanceData> CrawlLocal(DatasourceContext& ctx) {
  Logger log = ctx.log.Child("OpenStackLocal");
  if (auto cached = CachedSameInstance(ctx)) {
    log.Debug("instance-id matches the system uuid: using the cached metadata");
    return std::move(*cached);
  }
  auto nic = FindFallbackNic(ctx.sys);
  if (!nic) {
    log.Debug("no network interface for an ephemeral DHCP lease; the network stage will crawl");
    return MakeError("not found: no interface for DHCP");
  }
  auto lease = EphemeralDhcp::Start(ctx.sys, log, *nic);
  if (!lease) {
    log.Debug(lease.error().message + "; the network stage will crawl");
    return MakeError("not found: " + lease.error().message);
  }
  return CrawlAndBuild(ctx, log);  // the lease is released when it goes out of scope
}

Result<InstanceData> CrawlNet(DatasourceContext& ctx) {
  return CrawlAndBuild(ctx, ctx.log.Child("OpenStack"));
}

}  // namespace

const DatasourceSpec kLocalSpec{
    .name = "OpenStack",
    .needs_network = false,
    .detect = &Detect,
    .crawl = &CrawlLocal,
};

const DatasourceSpec kNetSpec{
    .name = "OpenStack",
    .needs_network = true,
    .detect = &Detect,
    .crawl = &CrawlNet,
};

}  // namespace nubo::datasources::openstack
