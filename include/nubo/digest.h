// digest.h — message digests (nettle's, opened on first use).
//
//   auto md = Digest("sha256", key_blob);      // raw bytes, 32 of them
//   if (!md) return md.error();                // unknown name, or no libnettle
//
// `name` is a digest's name ("md5", "sha1", "sha256", ...). libnettle
// is loaded the first time a digest is asked for (nubo/dlopen.h); without it
// the error says which package is missing.
#pragma once

#include <string>
#include <string_view>

#include "nubo/result.h"

namespace nubo {

Result<std::string> Digest(const std::string& name, std::string_view data);

}  // namespace nubo
