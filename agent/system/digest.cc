#include "nubo/digest.h"

#include <openssl/evp.h>

#include "nubo/dlopen.h"

namespace nubo {
namespace {

struct CryptoApi {
  NUBO_DLFN(EVP_get_digestbyname);
  NUBO_DLFN(EVP_Digest);
};

Result<const CryptoApi*> Crypto() {
  static CryptoApi api;
  static const Status loaded =
      DlopenSymbols("libcrypto.so.3", "digests (key fingerprints, NetworkManager connection ids) need the libssl3 package",
                    {NUBO_DLSYM(api, EVP_get_digestbyname), NUBO_DLSYM(api, EVP_Digest)});
  if (!loaded) return loaded.error();
  return &api;
}

}  // namespace

Result<std::string> Digest(const std::string& name, std::string_view data) {
  auto api = Crypto();
  if (!api) return api.error();
  const EVP_MD* md = (*api)->EVP_get_digestbyname(name.c_str());
  if (md == nullptr) return MakeError("unknown digest '" + name + "'");
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if ((*api)->EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1) {
    return MakeError("digest '" + name + "' failed");
  }
  return std::string(reinterpret_cast<const char*>(buf), len);
}

}  // namespace nubo
