// http.h — libcurl behind nubo's HttpSession (include/nubo/http.h), and
// bounded single GETs for #include user-data.
//
//   auto session = NewCurlHttpSession({.timeout_seconds = 5, .deadline_seconds = 20});
//   session->Get({.url = url, .tries = 3}, [](Result<HttpResponse> r) { ... });
//   session->Run();
//
//   auto body = HttpGet("http://10.0.0.1/ud", {.timeout_seconds = 5, .tries = 3});
//
// One curl multi handle per session: requests run concurrently, connections
// are reused, no request outlives the session's deadline.
#pragma once

#include <memory>
#include <string>

#include "nubo/http.h"
#include "nubo/result.h"

namespace nubo::agent {

std::unique_ptr<HttpSession> NewCurlHttpSession(const HttpSessionOptions& options);

struct HttpOptions {
  long timeout_seconds = 5;  // per try, connect + transfer
  int tries = 3;
  long retry_delay_ms = 500;
  size_t max_bytes = 16 << 20;  // 16 MiB: user-data
};

// 2xx: the body. 4xx: an error at once (no retry). 5xx and transport
// errors: retried up to options.tries.
Result<std::string> HttpGet(const std::string& url, const HttpOptions& options);

}  // namespace nubo::agent
