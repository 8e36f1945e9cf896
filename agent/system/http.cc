#include "agent/system/http.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "nubo/limits.h"

namespace nubo::agent {
namespace {

// A body over kMaxHttpBodyBytes stops the transfer (curl sees a short
// write and fails it); HttpRequest names the limit.
size_t Append(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * n > kMaxHttpBodyBytes.value) return 0;
  body->append(data, size * n);
  return size * n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Result<HttpResponse> HttpRequest(const std::string& url, const HttpOptions& options) {
  GlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return MakeError("cannot start a request to '" + url + "'");
  HttpResponse response;
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "Cloud-Init/22.4.2 (nubo " NUBO_VERSION ")");
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_cleanup(curl);
  if (rc == CURLE_WRITE_ERROR) return LimitError(kMaxHttpBodyBytes, "GET '" + url + "'");
  if (rc != CURLE_OK) {
    return MakeError("GET '" + url + "' failed: " + (err[0] ? std::string(err) : curl_easy_strerror(rc)));
  }
  return response;
}

Result<std::string> HttpGet(const std::string& url, const HttpOptions& options) {
  Error last = MakeError("GET '" + url + "' was not tried");
  for (int attempt = 1; attempt <= std::max(1, options.tries); ++attempt) {
    if (attempt > 1) usleep(static_cast<useconds_t>(options.retry_delay_ms * 1000));
    auto r = HttpRequest(url, options);
    if (!r) {
      last = r.error();
      continue;
    }
    if (r->status >= 200 && r->status < 300) return std::move(r->body);
    last = MakeError("GET '" + url + "' answered HTTP " + std::to_string(r->status));
    if (r->status >= 400 && r->status < 500) break;  // the answer will not change
  }
  return last;
}

}  // namespace nubo::agent
