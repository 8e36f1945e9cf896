#include "nubo/dlopen.h"

#include <dlfcn.h>

#include <cstring>
#include <string>
#include <vector>

namespace nubo {

Status DlopenSymbols(const char* soname, const char* purpose, std::initializer_list<DlSymbol> symbols) {
  dlerror();  // clear a stale message
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    std::string detail = why != nullptr ? why : "";
    // "cannot open shared object file: No such file or directory" is the
    // common case; anything else (wrong class, a missing dependency of the
    // library) is worth showing.
    if (detail.find("No such file") != std::string::npos) {
      return MakeError(std::string(soname) + " not found: " + purpose);
    }
    return MakeError(std::string(soname) + " cannot be loaded (" + detail + "): " + purpose);
  }
  std::vector<void*> addresses;
  addresses.reserve(symbols.size());
  for (const DlSymbol& s : symbols) {
    dlerror();
    void* address = dlsym(handle, s.name);
    if (address == nullptr) {
      dlclose(handle);
      return MakeError(std::string(soname) + " has no symbol '" + s.name +
                       "' (an older version?): " + purpose);
    }
    addresses.push_back(address);
  }
  size_t i = 0;
  for (const DlSymbol& s : symbols) *s.slot = addresses[i++];
  return Status::Ok();  // the handle stays open for the process's life
}

}  // namespace nubo
