// http.h — concurrent, bounded HTTP GETs, as datasources use them (and a
// form POST, for phone_home).
//
//   auto http = sys.OpenHttpSession({.timeout_seconds = 10, .deadline_seconds = 30});
//   http->Get({.url = base + "/openstack", .max_bytes = 64 << 10},
//             [&](Result<HttpResponse> r) {
//               if (r && r->status == 200) http->Get({.url = base + "/openstack/latest/meta_data.json"}, ...);
//             });
//   http->Run();  // returns when every request, and what callbacks added, is done
//
// Requests are in flight together over kept-alive connections; callbacks run
// on the caller's thread, from Run(), and may add requests. Every attempt is
// bounded by timeout_seconds and the whole session by deadline_seconds; a body
// larger than max_bytes is an error naming the URL, never an allocation.
// A response of any status is a value (the caller decides that 404 means
// absent); 5xx answers and transport errors are retried up to `tries`
// attempts, retry_delay_seconds apart; what is left at the end is an Error
// naming the URL and the reason.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "nubo/result.h"

namespace nubo {

struct HttpResponse {
  long status = 0;
  std::string body;
};

struct HttpGetSpec {
  std::string url;
  size_t max_bytes = 1 << 20;  // 1 MiB: a JSON document
  int tries = 1;               // attempts, for 5xx and transport errors
  bool retry_server_errors = true;  // false: a 5xx answer is final
  // When set, the request is a POST of this body, form-encoded
  // (application/x-www-form-urlencoded), as phone_home sends.
  std::optional<std::string> post_form;
};

struct HttpSessionOptions {
  double timeout_seconds = 10;      // per attempt: connect + transfer
  double deadline_seconds = 0;      // the whole session; 0: no deadline
  double retry_delay_seconds = 1;
  int max_connections = 16;         // in flight at once
};

class HttpSession {
 public:
  using Done = std::function<void(Result<HttpResponse>)>;
  virtual ~HttpSession() = default;
  // Queues a request; `done` is called exactly once, from Run().
  virtual void Get(HttpGetSpec spec, Done done) = 0;
  // Runs until nothing is queued or in flight, or the deadline passed (what
  // is unfinished then completes with an error).
  virtual void Run() = 0;
};

}  // namespace nubo
