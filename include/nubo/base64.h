// base64.h — base64 as Python's base64.b64encode / b64decode read it.
//
//   std::string b = Base64Encode("\x01\x02");            // "AQI="
//   auto raw = Base64Decode("AQI=");                      // Result<std::string>
//   if (!raw) log.Warning("random_seed: " + raw.error().ToString());
#pragma once

#include <string>
#include <string_view>

#include "nubo/result.h"

namespace nubo {

std::string Base64Encode(std::string_view bytes);

// b64decode(validate=False): characters outside the alphabet are skipped;
// what is left must be padded to a multiple of four ("Incorrect padding").
Result<std::string> Base64Decode(std::string_view text);

}  // namespace nubo
