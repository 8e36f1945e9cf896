// dlopen.h — optional shared libraries, loaded on first use.
//
// nubo links only what every stage needs (libc, libyaml, zlib). libcurl,
// libfdisk, libblkid, libcrypto and libsystemd are opened by SONAME the first
// time a feature needs them, so a stage that does not fetch, partition, probe,
// hash or talk to D-Bus never maps them (nor their closure: libcurl alone
// brings 30 libraries). The code that uses a library keeps the library's own
// header for its types and calls through a table of function pointers:
//
//   struct CurlApi {
//     NUBO_DLFN(curl_easy_init);
//     NUBO_DLFN(curl_easy_cleanup);
//   };
//   Result<const CurlApi*> Curl() {
//     static CurlApi api;
//     static const Status loaded = DlopenSymbols(
//         "libcurl.so.4", "fetching http(s) URLs needs the libcurl4 package",
//         {NUBO_DLSYM(api, curl_easy_init), NUBO_DLSYM(api, curl_easy_cleanup)});
//     if (!loaded) return loaded.error();
//     return &api;
//   }
//   auto curl = Curl();
//   if (!curl) return curl.error();  // "libcurl.so.4 not found: fetching ..."
//   CURL* c = (*curl)->curl_easy_init();
//
// The function-local statics make the load happen once, thread-safely; a
// failed load is remembered too (the error is returned again, the library is
// not retried). Either every symbol is resolved or none is: a library that
// lacks one is closed again and the error names it. This is the pattern of
// systemd's dlopen_many_sym_or_warn() (src/shared/dlfcn-util.c).
// packaging/deb.cmake and packaging/rpm/nubo.spec list these libraries'
// packages as dependencies, since the package tools no longer see them.
#pragma once

#include <initializer_list>

#include "nubo/result.h"

// A table field named after the function, with the function's own type.
#define NUBO_DLFN(fn) decltype(&::fn) fn = nullptr
// The DlSymbol that fills table.fn with the address of `fn`.
#define NUBO_DLSYM(table, fn) ::nubo::DlSymbol{#fn, reinterpret_cast<void**>(&(table).fn)}

namespace nubo {

struct DlSymbol {
  const char* name;
  void** slot;
};

// Opens `soname` (RTLD_NOW | RTLD_LOCAL; never closed once loaded) and fills
// every slot. On failure no slot is written, and the error reads
// "<soname> not found: <purpose>" or "<soname> has no symbol 'x' (...):
// <purpose>", where `purpose` says which feature needs which package.
Status DlopenSymbols(const char* soname, const char* purpose, std::initializer_list<DlSymbol> symbols);

}  // namespace nubo
