// Fuzz target: the user-data processor (agent/userdata.cc): gzip, MIME
// multipart, base64 / quoted-printable parts, #include lists (fetched from
// a fake that answers with the second half of the input), cloud-config-
// archive, boothooks, scripts, merge_how / Merge-Type, jsonp patches.
#include "agent/userdata.h"
#include "fuzz/fuzz_support.h"

NUBO_FUZZ_TARGET(userdata) {
  auto docs = nubo::fuzz::Split(nubo::fuzz::AsText(data, size), 2);
  int fetches = 0;
  nubo::agent::IncludeFetcher fetch = [&](const std::string& url) -> nubo::Result<std::string> {
    if (++fetches > 3 || url.find("fail") != std::string::npos) return nubo::MakeError("fetch failed");
    return docs[1];
  };
  auto r = nubo::agent::ProcessUserData(docs[0], "user-data", fetch);
  if (r.ok()) (void)r->cloud_config.dump(-1, ' ', false, nubo::Value::error_handler_t::replace);
  return 0;
}
