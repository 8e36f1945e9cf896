#include "agent/system/http.h"

#include "nubo/system.h"

// Calls go through CurlApi's pointers; curl's type-checking macros would
// rewrite them into direct calls.
#define CURL_DISABLE_TYPECHECK
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include "nubo/dlopen.h"
#include "nubo/limits.h"

namespace nubo::agent {
namespace {

using Clock = std::chrono::steady_clock;

// libcurl is opened on the first request (nubo/dlopen.h): a stage that
// fetches nothing does not map it and its 30-library closure.
struct CurlApi {
  NUBO_DLFN(curl_global_init);
  NUBO_DLFN(curl_easy_init);
  NUBO_DLFN(curl_easy_reset);
  NUBO_DLFN(curl_easy_setopt);
  NUBO_DLFN(curl_easy_getinfo);
  NUBO_DLFN(curl_easy_cleanup);
  NUBO_DLFN(curl_easy_strerror);
  NUBO_DLFN(curl_multi_init);
  NUBO_DLFN(curl_multi_setopt);
  NUBO_DLFN(curl_multi_add_handle);
  NUBO_DLFN(curl_multi_remove_handle);
  NUBO_DLFN(curl_multi_perform);
  NUBO_DLFN(curl_multi_poll);
  NUBO_DLFN(curl_multi_info_read);
  NUBO_DLFN(curl_multi_cleanup);
};

Result<const CurlApi*> Curl() {
  static CurlApi api;
  static const Status loaded = [] {
    Status s = DlopenSymbols(
        "libcurl.so.4", "http(s) requests (metadata services, seedfrom, #include URLs) need the libcurl4 package",
        {NUBO_DLSYM(api, curl_global_init), NUBO_DLSYM(api, curl_easy_init),
         NUBO_DLSYM(api, curl_easy_reset), NUBO_DLSYM(api, curl_easy_setopt),
         NUBO_DLSYM(api, curl_easy_getinfo), NUBO_DLSYM(api, curl_easy_cleanup),
         NUBO_DLSYM(api, curl_easy_strerror), NUBO_DLSYM(api, curl_multi_init),
         NUBO_DLSYM(api, curl_multi_setopt), NUBO_DLSYM(api, curl_multi_add_handle),
         NUBO_DLSYM(api, curl_multi_remove_handle), NUBO_DLSYM(api, curl_multi_perform),
         NUBO_DLSYM(api, curl_multi_poll), NUBO_DLSYM(api, curl_multi_info_read),
         NUBO_DLSYM(api, curl_multi_cleanup)});
    if (s) api.curl_global_init(CURL_GLOBAL_DEFAULT);
    return s;
  }();
  if (!loaded) return loaded.error();
  return &api;
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Transfer {
  HttpGetSpec spec;
  HttpSession::Done done;
  int attempt = 0;
  Clock::time_point not_before{};  // for a retry
  std::string body;
  bool oversize = false;
  char err[CURL_ERROR_SIZE] = {0};
  CURL* easy = nullptr;
};

size_t Append(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  size_t len = size * n;
  if (t->body.size() + len > t->spec.max_bytes) {
    t->oversize = true;
    return 0;  // aborts the transfer: CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

class CurlHttpSession final : public HttpSession {
 public:
  CurlHttpSession(const CurlApi& api, const HttpSessionOptions& options) : api_(api), options_(options) {
    multi_ = api_.curl_multi_init();
    api_.curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(options_.max_connections));
    api_.curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
    start_ = Clock::now();
  }

  ~CurlHttpSession() override {
    for (auto& t : running_) {
      api_.curl_multi_remove_handle(multi_, t->easy);
      api_.curl_easy_cleanup(t->easy);
    }
    api_.curl_multi_cleanup(multi_);
  }

  void Get(HttpGetSpec spec, Done done) override {
    auto t = std::make_unique<Transfer>();
    t->spec = std::move(spec);
    t->spec.max_bytes = std::min<size_t>(t->spec.max_bytes, kMaxHttpBodyBytes.value);
    t->done = std::move(done);
    waiting_.push_back(std::move(t));
  }

  void Run() override {
    while (!waiting_.empty() || !running_.empty()) {
      if (DeadlinePassed()) {
        FailAll("the " + Seconds(options_.deadline_seconds) + " deadline passed");
        return;
      }
      StartDue();
      int still = 0;
      api_.curl_multi_perform(multi_, &still);
      Reap();
      if (!running_.empty() || !waiting_.empty()) {
        api_.curl_multi_poll(multi_, nullptr, 0, PollMillis(), nullptr);
      }
    }
  }

 private:
  static std::string Seconds(double s) {
    char buf[32];
    snprintf(buf, sizeof buf, "%gs", s);
    return buf;
  }

  bool DeadlinePassed() const {
    return options_.deadline_seconds > 0 && SecondsSince(start_) >= options_.deadline_seconds;
  }

  int PollMillis() const {
    double wait = 0.1;
    if (running_.empty() && !waiting_.empty()) {
      auto next = std::min_element(waiting_.begin(), waiting_.end(), [](const auto& a, const auto& b) {
                    return a->not_before < b->not_before;
                  })->get()->not_before;
      wait = std::max(0.0, std::chrono::duration<double>(next - Clock::now()).count());
    }
    if (options_.deadline_seconds > 0) {
      wait = std::min(wait, std::max(0.0, options_.deadline_seconds - SecondsSince(start_)));
    }
    return std::max(1, static_cast<int>(wait * 1000));
  }

  void StartDue() {
    auto now = Clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->not_before > now) {
        ++it;
        continue;
      }
      Start(**it);
      running_.push_back(std::move(*it));
      it = waiting_.erase(it);
    }
  }

  void Start(Transfer& t) {
    ++t.attempt;
    t.body.clear();
    t.oversize = false;
    t.err[0] = 0;
    if (t.easy == nullptr) t.easy = api_.curl_easy_init();
    CURL* c = t.easy;
    api_.curl_easy_reset(c);
    double timeout = options_.timeout_seconds;
    if (options_.deadline_seconds > 0) {
      timeout = std::min(timeout, options_.deadline_seconds - SecondsSince(start_));
    }
    long timeout_ms = std::max(1L, static_cast<long>(timeout * 1000));
    api_.curl_easy_setopt(c, CURLOPT_URL, t.spec.url.c_str());
    api_.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
    api_.curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    api_.curl_easy_setopt(c, CURLOPT_PRIVATE, &t);
    api_.curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    api_.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    api_.curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    api_.curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    api_.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    api_.curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api_.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    api_.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.err);
    api_.curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.spec.max_bytes));
    api_.curl_easy_setopt(c, CURLOPT_USERAGENT, "Cloud-Init/22.4.2 (nubo " NUBO_VERSION ")");
    if (t.spec.post_form) {
      // POST, Content-Type application/x-www-form-urlencoded (curl's default
      // for POSTFIELDS); the body lives in t.spec for the whole transfer.
      api_.curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                            static_cast<curl_off_t>(t.spec.post_form->size()));
      api_.curl_easy_setopt(c, CURLOPT_POSTFIELDS, t.spec.post_form->data());
    }
    api_.curl_multi_add_handle(multi_, c);
  }

  void Reap() {
    int left = 0;
    while (CURLMsg* m = api_.curl_multi_info_read(multi_, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* tp = nullptr;
      api_.curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&tp));
      api_.curl_multi_remove_handle(multi_, m->easy_handle);
      auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& p) { return p.get() == tp; });
      std::unique_ptr<Transfer> t = std::move(*it);
      running_.erase(it);
      Finish(std::move(t), m->data.result);
    }
  }

  void Finish(std::unique_ptr<Transfer> t, CURLcode rc) {
    const std::string& url = t->spec.url;
    long status = 0;
    if (rc == CURLE_OK) api_.curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    bool oversize = t->oversize || rc == CURLE_FILESIZE_EXCEEDED;
    bool retry = t->attempt < t->spec.tries && !oversize && rc != CURLE_TOO_MANY_REDIRECTS &&
                 (rc != CURLE_OK || (status >= 500 && t->spec.retry_server_errors));
    if (retry) {
      t->not_before = Clock::now() + std::chrono::milliseconds(
                                         static_cast<long>(options_.retry_delay_seconds * 1000));
      waiting_.push_back(std::move(t));
      return;
    }
    Done done = std::move(t->done);
    std::string attempts = t->attempt > 1 ? " after " + std::to_string(t->attempt) + " attempts" : "";
    if (oversize) {
      // Named as every bound is (nubo/limits.h), with this request's value.
      done(LimitError({kMaxHttpBodyBytes.name, t->spec.max_bytes, "bytes"}, "GET '" + url + "'"));
    } else if (rc != CURLE_OK) {
      done(MakeError("GET '" + url + "' failed" + attempts + ": " +
                     (t->err[0] ? std::string(t->err) : api_.curl_easy_strerror(rc))));
    } else {
      done(HttpResponse{status, std::move(t->body)});
    }
    api_.curl_easy_cleanup(t->easy);
  }

  void FailAll(const std::string& why) {
    std::vector<std::unique_ptr<Transfer>> all;
    for (auto& t : running_) {
      api_.curl_multi_remove_handle(multi_, t->easy);
      all.push_back(std::move(t));
    }
    running_.clear();
    for (auto& t : waiting_) all.push_back(std::move(t));
    waiting_.clear();
    for (auto& t : all) {
      t->done(MakeError("GET '" + t->spec.url + "' did not finish: " + why));
      if (t->easy) api_.curl_easy_cleanup(t->easy);
      // Callbacks may have queued more: they are past the deadline too.
    }
    if (!waiting_.empty()) FailAll(why);
  }

  const CurlApi& api_;
  HttpSessionOptions options_;
  CURLM* multi_ = nullptr;
  Clock::time_point start_;
  std::deque<std::unique_ptr<Transfer>> waiting_;
  std::vector<std::unique_ptr<Transfer>> running_;
};

// What a session is when libcurl cannot be loaded: every request completes
// with that error, from Run(), as the interface promises.
class UnavailableHttpSession final : public HttpSession {
 public:
  explicit UnavailableHttpSession(Error why) : why_(std::move(why)) {}
  void Get(HttpGetSpec spec, Done done) override { queued_.emplace_back(std::move(spec), std::move(done)); }
  void Run() override {
    while (!queued_.empty()) {
      auto [spec, done] = std::move(queued_.front());
      queued_.pop_front();
      done(MakeError("GET '" + spec.url + "': " + why_.message));
    }
  }

 private:
  Error why_;
  std::deque<std::pair<HttpGetSpec, Done>> queued_;
};

}  // namespace

std::unique_ptr<HttpSession> NewCurlHttpSession(const HttpSessionOptions& options) {
  auto curl = Curl();
  if (!curl) return std::make_unique<UnavailableHttpSession>(curl.error());
  return std::make_unique<CurlHttpSession>(**curl, options);
}

Result<std::string> HttpGet(const std::string& url, const HttpOptions& options) {
  auto session = NewCurlHttpSession({.timeout_seconds = static_cast<double>(options.timeout_seconds),
                                     .retry_delay_seconds = options.retry_delay_ms / 1000.0,
                                     .max_connections = 1});
  Result<std::string> out = MakeError("GET '" + url + "' was not tried");
  session->Get({.url = url, .max_bytes = options.max_bytes, .tries = std::max(1, options.tries)},
               [&](Result<HttpResponse> r) {
                 if (!r) {
                   out = r.error();
                 } else if (r->status >= 200 && r->status < 300) {
                   out = std::move(r->body);
                 } else {
                   out = MakeError("GET '" + url + "' answered HTTP " + std::to_string(r->status));
                 }
               });
  session->Run();
  return out;
}

}  // namespace nubo::agent

namespace nubo {

std::optional<std::string> System::ResolveHost(const std::string& name) {
  struct addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, nullptr, &res) != 0 || res == nullptr) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = "";
  const void* addr = nullptr;
  if (res->ai_family == AF_INET) {
    addr = &reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr;
  } else if (res->ai_family == AF_INET6) {
    addr = &reinterpret_cast<const sockaddr_in6*>(res->ai_addr)->sin6_addr;
  }
  std::optional<std::string> out;
  if (addr && inet_ntop(res->ai_family, addr, buf, sizeof(buf))) out = buf;
  freeaddrinfo(res);
  return out;
}

std::unique_ptr<HttpSession> System::OpenHttpSession(const HttpSessionOptions& options) {
  return agent::NewCurlHttpSession(options);
}

}  // namespace nubo
