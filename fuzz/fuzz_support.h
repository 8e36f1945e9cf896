// fuzz_support.h — what the libFuzzer targets in fuzz/ share.
//
//   NUBO_FUZZ_TARGET(yaml) {            // (const uint8_t* data, size_t size)
//     std::string_view in = nubo::fuzz::AsText(data, size);
//     ...
//   }
//
// With NUBO_FUZZ_LIBFUZZER defined (scripts/fuzz: clang,
// -fsanitize=fuzzer,address,undefined) a target is libFuzzer's
// LLVMFuzzerTestOneInput; otherwise it is nubo::fuzz::Target_<name>, which
// tests/fuzz_regression_test.cc runs over the seed corpus and every input
// in fuzz/regressions/<name>/ in the ordinary (and sanitizer) test build.
// See RELIABILITY.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/log.h"

#ifdef NUBO_FUZZ_LIBFUZZER
#define NUBO_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define NUBO_FUZZ_TARGET(name) int nubo::fuzz::Target_##name(const uint8_t* data, size_t size)
#endif

namespace nubo::fuzz {

int Target_yaml(const uint8_t* data, size_t size);
int Target_userdata(const uint8_t* data, size_t size);
int Target_nocloud(const uint8_t* data, size_t size);
int Target_cmdline(const uint8_t* data, size_t size);
int Target_openstack(const uint8_t* data, size_t size);
int Target_netcfg(const uint8_t* data, size_t size);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// A sink that drops every line (logging is exercised, nothing printed).
class NullSink : public LogSink {
 public:
  void Write(LogLevel, std::string_view, std::string_view) override {}
};

// Splits one input into up to `n` documents at "\n--8<--\n" lines, so one
// target can fuzz a set of files (meta-data, user-data, ...).
inline std::vector<std::string> Split(std::string_view in, size_t n) {
  static constexpr std::string_view kCut = "\n--8<--\n";
  std::vector<std::string> out;
  while (out.size() + 1 < n) {
    size_t at = in.find(kCut);
    if (at == std::string_view::npos) break;
    out.emplace_back(in.substr(0, at));
    in.remove_prefix(at + kCut.size());
  }
  out.emplace_back(in);
  out.resize(n);
  return out;
}

}  // namespace nubo::fuzz
