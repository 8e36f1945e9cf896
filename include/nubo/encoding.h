// encoding.h — decoding config payloads as cloud-init does (write_files'
// `encoding`, seed_random's `random_seed.encoding`).
//
//   auto raw = DecodeBase64("aGk=");       // Result<std::string>: "hi"
//   auto text = DecompressGzip(*raw);      // an error: "Not a gzipped file"
#pragma once

#include <string>
#include <string_view>

#include "nubo/result.h"

namespace nubo {

// base64.b64decode without validate: characters outside the alphabet are
// skipped, a complete pad ends the data, and a short final group is an error.
Result<std::string> DecodeBase64(std::string_view text);

// gzip.GzipFile(...).read(): one or more gzip members; trailing zero bytes
// are padding.
Result<std::string> DecompressGzip(std::string_view data);

}  // namespace nubo
