// Optional libraries (nubo/dlopen.h): the error names the library, the
// symbol and the package; a failed load changes nothing; and the nubo
// binary does not map libcurl, libfdisk, libblkid, libnettle or libsystemd
// at start.

#include "nubo/dlopen.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "agent/system/real_system.h"
#include "nubo/digest.h"

namespace nubo {
namespace {

struct ZlibApi {
  NUBO_DLFN(zlibVersion);
  NUBO_DLFN(crc32);
};

TEST(DlopenTest, MissingLibraryNamesItAndThePurpose) {
  ZlibApi api;
  Status s = DlopenSymbols("libnubo-absent.so.7", "testing needs the nubo-absent package",
                           {NUBO_DLSYM(api, zlibVersion)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "libnubo-absent.so.7 not found: testing needs the nubo-absent package");
  EXPECT_EQ(api.zlibVersion, nullptr);
}

TEST(DlopenTest, MissingSymbolNamesItAndFillsNothing) {
  struct {
    NUBO_DLFN(zlibVersion);
    void (*nubo_no_such_function)() = nullptr;
  } api;
  Status s = DlopenSymbols("libz.so.1", "compression needs zlib1g",
                           {NUBO_DLSYM(api, zlibVersion), NUBO_DLSYM(api, nubo_no_such_function)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "libz.so.1 has no symbol 'nubo_no_such_function' (an older version?): compression needs zlib1g");
  // All or nothing: the symbol that exists was not written either.
  EXPECT_EQ(api.zlibVersion, nullptr);
}

TEST(DlopenTest, ResolvedSymbolsAreTheLibrarysOwn) {
  ZlibApi api;
  Status s = DlopenSymbols("libz.so.1", "compression needs zlib1g",
                           {NUBO_DLSYM(api, zlibVersion), NUBO_DLSYM(api, crc32)});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(std::string(api.zlibVersion()), std::string(zlibVersion()));
  const unsigned char abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(api.crc32(0, abc, 3), 0x352441c2u);  // CRC-32 of "abc"
}

// Every digest a caller names (ssh_authkey_fingerprints' authkey_hash,
// NetworkManager's uuid, ssh-keygen -l's), against Python's hashlib.
TEST(DlopenTest, DigestLoadsLibnettleOnFirstUse) {
  const std::pair<const char*, const char*> known[] = {
      {"md5", "900150983cd24fb0d6963f7d28e17f72"},
      {"sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
      {"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"sha384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
      {"sha512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
  };
  for (const auto& [name, want] : known) {
    auto md = Digest(name, "abc");
    ASSERT_TRUE(md.ok()) << md.error().message;
    std::string hex;
    for (unsigned char c : *md) {
      static const char* kHex = "0123456789abcdef";
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    EXPECT_EQ(hex, want) << name;
  }
  auto bad = Digest("nubo-hash", "abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unknown digest 'nubo-hash'");
}

// What the dynamic loader maps for `nubo --version` (ldd's own mechanism).
TEST(DlopenTest, NuboMapsNoOptionalLibraryAtStart) {
  agent::RealSystem host("/");
  auto r = host.Run({.argv = {NUBO_BINARY, "--version"}, .env = {"LD_TRACE_LOADED_OBJECTS=1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("libc.so.6"), std::string::npos) << r->out;
  for (const char* lib : {"libcurl", "libfdisk", "libblkid", "libnettle", "libcrypto", "libssl", "libsystemd"}) {
    EXPECT_EQ(r->out.find(lib), std::string::npos) << lib << " in:\n" << r->out;
  }
}

}  // namespace
}  // namespace nubo
