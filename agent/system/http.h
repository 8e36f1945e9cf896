// http.h — bounded HTTP(S) GETs with libcurl, for #include user-data and
// later the metadata service.
//
//   auto body = HttpGet("http://169.254.169.254/openstack/latest/meta_data.json",
//                       {.timeout_seconds = 5, .tries = 3});
//   if (!body) log.Warning(body.error().ToString());
//
// A 2xx answer is the body; anything else after the last try is an error
// naming the URL and the status or curl's reason. Never unbounded: each try
// has a total timeout, and tries are few.
#pragma once

#include <string>

#include "nubo/result.h"

namespace nubo::agent {

struct HttpOptions {
  long timeout_seconds = 5;  // per try, connect + transfer
  int tries = 3;
  long retry_delay_ms = 500;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// One request per try; returns the last response whatever its status, or an
// error when no response came (refused, timeout, DNS).
Result<HttpResponse> HttpRequest(const std::string& url, const HttpOptions& options);

// 2xx: the body. 4xx: an error at once (no retry). 5xx and transport
// errors: retried up to options.tries.
Result<std::string> HttpGet(const std::string& url, const HttpOptions& options);

}  // namespace nubo::agent
