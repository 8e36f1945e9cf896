#include "agent/system/http.h"

#include "nubo/system.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

namespace nubo::agent {
namespace {

using Clock = std::chrono::steady_clock;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
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
  explicit CurlHttpSession(const HttpSessionOptions& options) : options_(options) {
    GlobalInit();
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(options_.max_connections));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
    start_ = Clock::now();
  }

  ~CurlHttpSession() override {
    for (auto& t : running_) {
      curl_multi_remove_handle(multi_, t->easy);
      curl_easy_cleanup(t->easy);
    }
    curl_multi_cleanup(multi_);
  }

  void Get(HttpGetSpec spec, Done done) override {
    auto t = std::make_unique<Transfer>();
    t->spec = std::move(spec);
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
      curl_multi_perform(multi_, &still);
      Reap();
      if (!running_.empty() || !waiting_.empty()) {
        curl_multi_poll(multi_, nullptr, 0, PollMillis(), nullptr);
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
    if (t.easy == nullptr) t.easy = curl_easy_init();
    CURL* c = t.easy;
    curl_easy_reset(c);
    double timeout = options_.timeout_seconds;
    if (options_.deadline_seconds > 0) {
      timeout = std::min(timeout, options_.deadline_seconds - SecondsSince(start_));
    }
    long timeout_ms = std::max(1L, static_cast<long>(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_URL, t.spec.url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.err);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.spec.max_bytes));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Cloud-Init/22.4.2 (nubo " NUBO_VERSION ")");
    curl_multi_add_handle(multi_, c);
  }

  void Reap() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* tp = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&tp));
      curl_multi_remove_handle(multi_, m->easy_handle);
      auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& p) { return p.get() == tp; });
      std::unique_ptr<Transfer> t = std::move(*it);
      running_.erase(it);
      Finish(std::move(t), m->data.result);
    }
  }

  void Finish(std::unique_ptr<Transfer> t, CURLcode rc) {
    const std::string& url = t->spec.url;
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
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
      done(MakeError("GET '" + url + "': the body is larger than " + std::to_string(t->spec.max_bytes) +
                     " bytes, refused"));
    } else if (rc != CURLE_OK) {
      done(MakeError("GET '" + url + "' failed" + attempts + ": " +
                     (t->err[0] ? std::string(t->err) : curl_easy_strerror(rc))));
    } else {
      done(HttpResponse{status, std::move(t->body)});
    }
    curl_easy_cleanup(t->easy);
  }

  void FailAll(const std::string& why) {
    std::vector<std::unique_ptr<Transfer>> all;
    for (auto& t : running_) {
      curl_multi_remove_handle(multi_, t->easy);
      all.push_back(std::move(t));
    }
    running_.clear();
    for (auto& t : waiting_) all.push_back(std::move(t));
    waiting_.clear();
    for (auto& t : all) {
      t->done(MakeError("GET '" + t->spec.url + "' did not finish: " + why));
      if (t->easy) curl_easy_cleanup(t->easy);
      // Callbacks may have queued more: they are past the deadline too.
    }
    if (!waiting_.empty()) FailAll(why);
  }

  HttpSessionOptions options_;
  CURLM* multi_ = nullptr;
  Clock::time_point start_;
  std::deque<std::unique_ptr<Transfer>> waiting_;
  std::vector<std::unique_ptr<Transfer>> running_;
};

}  // namespace

std::unique_ptr<HttpSession> NewCurlHttpSession(const HttpSessionOptions& options) {
  return std::make_unique<CurlHttpSession>(options);
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

std::unique_ptr<HttpSession> System::OpenHttpSession(const HttpSessionOptions& options) {
  return agent::NewCurlHttpSession(options);
}

}  // namespace nubo
