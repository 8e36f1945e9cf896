// ssh_authkey_fingerprints: print the fingerprints of each user's
// authorized keys to the console (cloud-init's cc_ssh_authkey_fingerprints).
//
//   no_ssh_fingerprints: false     # true: print nothing
//   authkey_hash: sha256           # or md5, sha1, sha224, sha384, sha512
//
// Output, as cloud-init formats it:
//   ci-info: ++++++++Authorized keys from /home/a/.ssh/authorized_keys for user a+++++++++
//   ci-info: +---------+-----------------+---------+---------+
//   ci-info: | Keytype | Fingerprint (sha256) | Options | Comment |
//   ...
// An unknown hash name gives '?' fingerprints, as hashlib's error does there.

#include <array>
#include <cstdint>
#include <cstring>

#include "modules/modules.h"
#include "nubo/users.h"

namespace nubo::modules::ssh_authkey_fingerprints {

namespace {

uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
uint64_t Rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

// Pads a message the MD/SHA way: 0x80, zeros, then the bit length in
// `len_bytes` bytes (big or little endian).
std::string Pad(std::string_view msg, size_t block, size_t len_bytes, bool big_endian) {
  std::string m(msg);
  uint64_t bits = static_cast<uint64_t>(msg.size()) * 8;
  m += static_cast<char>(0x80);
  while (m.size() % block != block - len_bytes) m += '\0';
  for (size_t i = 0; i < len_bytes; ++i) {
    size_t shift = big_endian ? (len_bytes - 1 - i) * 8 : i * 8;
    m += shift >= 64 ? '\0' : static_cast<char>((bits >> shift) & 0xff);
  }
  return m;
}

std::string Md5(std::string_view msg) {
  static const uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
      0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
      0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
      0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
      0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
      0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
      0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
      0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
      0xeb86d391};
  static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  std::string m = Pad(msg, 64, 8, false);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + i * 4);
      w[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; ++i) {
      uint32_t f;
      int g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      uint32_t tmp = d;
      d = c;
      c = b;
      b = b + Rotl(a + f + k[i] + w[g], r[i]);
      a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
  std::string out;
  for (uint32_t v : h) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  return out;
}

std::string Sha1(std::string_view msg) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m = Pad(msg, 64, 8, true);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + i * 4);
      w[i] = (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = Rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      uint32_t t = Rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = Rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::string out;
  for (uint32_t v : h) {
    for (int i = 3; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  return out;
}

// SHA-224 and SHA-256.
std::string Sha256(std::string_view msg, bool is224) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t h[8];
  if (is224) {
    const uint32_t init[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
                              0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
    std::memcpy(h, init, sizeof(h));
  } else {
    const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::memcpy(h, init, sizeof(h));
  }
  std::string m = Pad(msg, 64, 8, true);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + i * 4);
      w[i] = (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = hh + s1 + ch + k[i] + w[i];
      uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = s0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  std::string out;
  for (int j = 0; j < (is224 ? 7 : 8); ++j) {
    for (int i = 3; i >= 0; --i) out += static_cast<char>((h[j] >> (8 * i)) & 0xff);
  }
  return out;
}

// SHA-384 and SHA-512.
std::string Sha512(std::string_view msg, bool is384) {
  static const uint64_t k[80] = {
      0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
      0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
      0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
      0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
      0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
      0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
      0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
      0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
      0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
      0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
      0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
      0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
      0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
      0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
      0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
      0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
      0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
      0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
      0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
      0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};
  uint64_t h[8];
  if (is384) {
    const uint64_t init[8] = {0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17,
                              0x152fecd8f70e5939, 0x67332667ffc00b31, 0x8eb44a8768581511,
                              0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4};
    std::memcpy(h, init, sizeof(h));
  } else {
    const uint64_t init[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                              0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                              0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};
    std::memcpy(h, init, sizeof(h));
  }
  std::string m = Pad(msg, 128, 16, true);
  for (size_t off = 0; off < m.size(); off += 128) {
    uint64_t w[80];
    for (int i = 0; i < 16; ++i) {
      w[i] = 0;
      for (int j = 0; j < 8; ++j) {
        w[i] = (w[i] << 8) | static_cast<unsigned char>(m[off + i * 8 + j]);
      }
    }
    for (int i = 16; i < 80; ++i) {
      uint64_t s0 = Rotr64(w[i - 15], 1) ^ Rotr64(w[i - 15], 8) ^ (w[i - 15] >> 7);
      uint64_t s1 = Rotr64(w[i - 2], 19) ^ Rotr64(w[i - 2], 61) ^ (w[i - 2] >> 6);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 80; ++i) {
      uint64_t s1 = Rotr64(e, 14) ^ Rotr64(e, 18) ^ Rotr64(e, 41);
      uint64_t ch = (e & f) ^ (~e & g);
      uint64_t t1 = hh + s1 + ch + k[i] + w[i];
      uint64_t s0 = Rotr64(a, 28) ^ Rotr64(a, 34) ^ Rotr64(a, 39);
      uint64_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint64_t t2 = s0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  std::string out;
  for (int j = 0; j < (is384 ? 6 : 8); ++j) {
    for (int i = 7; i >= 0; --i) out += static_cast<char>((h[j] >> (8 * i)) & 0xff);
  }
  return out;
}

// base64.b64decode (not validating): other characters are dropped; a
// missing pad is an error.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  unsigned acc = 0;
  int bits = 0, count = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else continue;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    ++count;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  size_t pads = 0;
  for (char c : text) pads += c == '=';
  if (count % 4 == 1 || (count % 4 != 0 && count % 4 + pads < 4)) return std::nullopt;
  return out;
}

std::string Fingerprint(const std::string& b64, const std::string& hash) {
  if (b64.empty()) return "";
  auto data = DecodeBase64(b64);
  if (!data) return "?";
  std::string digest;
  if (hash == "md5") digest = Md5(*data);
  else if (hash == "sha1") digest = Sha1(*data);
  else if (hash == "sha224") digest = Sha256(*data, true);
  else if (hash == "sha256") digest = Sha256(*data, false);
  else if (hash == "sha384") digest = Sha512(*data, true);
  else if (hash == "sha512") digest = Sha512(*data, false);
  else return "?";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    if (!out.empty()) out += ':';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Python's str.center.
std::string PyCenter(const std::string& s, size_t width, char fill = ' ') {
  if (s.size() >= width) return s;
  size_t marg = width - s.size();
  size_t left = marg / 2 + (marg & width & 1);
  return std::string(left, fill) + s + std::string(marg - left, fill);
}

// format(s, fill + "^" + width): the extra fill goes right.
std::string FormatCenter(const std::string& s, size_t width, char fill) {
  if (s.size() >= width) return s;
  size_t marg = width - s.size();
  return std::string(marg / 2, fill) + s + std::string(marg - marg / 2, fill);
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string div = "+";
  for (size_t w : widths) div += std::string(w + 2, '-') + "+";
  auto row = [&](const std::vector<std::string>& r) {
    std::string out = "|";
    for (size_t i = 0; i < r.size(); ++i) out += PyCenter(r[i], widths[i] + 2) + "|";
    return out;
  };
  std::string out = div + "\n" + row(rows[0]) + "\n" + div + "\n";
  for (size_t i = 1; i < rows.size(); ++i) out += row(rows[i]) + "\n";
  return out + div;
}

void PrintKeys(ModuleContext& ctx, const std::string& user, const users::AuthorizedKeys& keys,
               const std::string& hash) {
  const std::string prefix = "ci-info: ";
  if (keys.entries.empty()) {
    ctx.console(prefix + "no authorized SSH keys fingerprints found for user " + user + ".\n");
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"Keytype", "Fingerprint (" + hash + ")", "Options", "Comment"}};
  for (const auto& e : keys.entries) {
    bool printable = !e.keytype.empty() || !e.base64.empty() || !e.comment.empty() ||
                     !e.options.empty();
    std::string type = e.keytype;
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!printable || e.keytype.empty() || !users::IsValidKeyType(type)) continue;
    std::string fp = Fingerprint(e.base64, hash);
    rows.push_back({e.keytype, fp.empty() ? "-" : fp, e.options.empty() ? "-" : e.options,
                    e.comment.empty() ? "-" : e.comment});
  }
  std::string table = Table(rows);
  size_t max_len = 0;
  for (size_t i = 0, j; i < table.size(); i = j + 1) {
    j = table.find('\n', i);
    if (j == std::string::npos) j = table.size();
    max_len = std::max(max_len, j - i);
  }
  std::string out = prefix +
                    FormatCenter("Authorized keys from " + keys.path + " for user " + user, max_len,
                                 '+') +
                    "\n";
  for (size_t i = 0, j; i < table.size(); i = j + 1) {
    j = table.find('\n', i);
    if (j == std::string::npos) j = table.size();
    out += prefix + table.substr(i, j - i) + "\n";
  }
  ctx.console(out);
}

Status Run(ModuleContext& ctx) {
  if (IsTrue(Get(ctx.config, "no_ssh_fingerprints"))) {
    ctx.log.Debug("Skipping module named " + ctx.name +
                  ", logging of SSH fingerprints disabled");
    return Status::Ok();
  }
  const Value& h = Get(ctx.config, "authkey_hash");
  std::string hash = h.is_string() ? h.get<std::string>() : h.is_null() ? "sha256" : PyStr(h);
  auto ug = users::NormalizeUsersGroups(ctx.config);
  if (!ug) return ug.error();
  for (const auto& u : ug->users) {
    auto truthy = [&](const char* k) {
      const Value& v = Get(u.config, k);
      return !v.is_null() && !(v.is_boolean() && !v.get<bool>()) && TranslateBool(v);
    };
    if (truthy("no_create_home") || truthy("system")) {
      ctx.log.Debug("Skipping printing of ssh fingerprints for user " + Quote(u.name) +
                    " because no home directory is created");
      continue;
    }
    if (ctx.dry_run && !users::FindUser(ctx.sys, u.name)) {
      ctx.log.Info("dry run: user " + Quote(u.name) + " was not created, skipping");
      continue;
    }
    // As 22.4 (extract_authorized_keys), a missing file is created empty.
    auto keys = users::ReadAuthorizedKeys(ctx.sys, u.name, /*create_empty=*/true);
    if (!keys) {
      Error e = keys.error();
      e.key = "users." + u.name;
      return e;
    }
    if (ctx.console) PrintKeys(ctx, u.name, *keys, hash);
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "ssh_authkey_fingerprints",
    .aliases = {"ssh-authkey-fingerprints"},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = {{"no_ssh_fingerprints", KeyType::kAny},
              {"authkey_hash", KeyType::kString},
              {"users", KeyType::kAny}},
    .run = &Run,
};

}  // namespace nubo::modules::ssh_authkey_fingerprints
