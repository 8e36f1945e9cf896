// result.h — a value-or-error type that cannot be ignored.
//
//   Result<int> ParsePort(const std::string& s);
//   auto port = ParsePort("80");
//   if (!port) return port.error();          // propagate
//   Use(*port);
//
// An Error carries a message, the config key path at fault (e.g.
// "users[2].groups") and the errno when a system call failed.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace nubo {

struct Error {
  std::string message;
  std::string key;  // config key path at fault, empty when none
  int errno_value = 0;

  // "users[2].groups: expected list, got 7" or "write /etc/x: Permission denied"
  std::string ToString() const;
};

Error MakeError(std::string message, std::string key = {});
Error ErrnoError(std::string what, int errno_value);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(runtime/explicit)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(runtime/explicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace nubo
