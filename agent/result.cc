#include "nubo/result.h"

#include <cstring>

namespace nubo {

std::string Error::ToString() const {
  std::string s;
  if (!key.empty()) s = key + ": ";
  s += message;
  if (errno_value != 0) {
    s += ": ";
    s += std::strerror(errno_value);
  }
  return s;
}

Error MakeError(std::string message, std::string key) {
  return Error{std::move(message), std::move(key), 0};
}

Error ErrnoError(std::string what, int errno_value) {
  return Error{std::move(what), {}, errno_value};
}

}  // namespace nubo
