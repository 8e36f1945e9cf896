#include "nubo/digest.h"

#include <nettle/nettle-meta.h>

#include <vector>

#include "nubo/dlopen.h"

namespace nubo {
namespace {

// Nettle, not libcrypto: the digests are all nubo hashes (key fingerprints,
// NetworkManager connection ids), and libcrypto mapped 3.4 MB into the stage
// that asked for one (modules:final's keys and fingerprints: 9.5 of its
// 10 MB peak RSS were mapped files, 3.4 MB of them libcrypto's); nettle is
// a fraction of that, and in every Debian image (apt's gnutls needs it).
struct NettleApi {
  NUBO_DLFN(nettle_lookup_hash);
};

Result<const NettleApi*> Nettle() {
  static NettleApi api;
  static const Status loaded =
      DlopenSymbols("libnettle.so.8", "digests (key fingerprints, NetworkManager connection ids) need the libnettle8 package",
                    {NUBO_DLSYM(api, nettle_lookup_hash)});
  if (!loaded) return loaded.error();
  return &api;
}

}  // namespace

Result<std::string> Digest(const std::string& name, std::string_view data) {
  auto api = Nettle();
  if (!api) return api.error();
  const nettle_hash* h = (*api)->nettle_lookup_hash(name.c_str());
  if (h == nullptr) return MakeError("unknown digest '" + name + "'");
  std::vector<unsigned char> ctx(h->context_size);
  h->init(ctx.data());
  h->update(ctx.data(), data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  std::string out(h->digest_size, '\0');
  h->digest(ctx.data(), out.size(), reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

}  // namespace nubo
