// base64 and gzip decoding as Python's base64.b64decode and gzip do it.
// See include/nubo/encoding.h.

#include "nubo/encoding.h"

#include <zlib.h>

namespace nubo {

// base64.b64decode without validate: characters outside the alphabet are
// skipped, a complete pad ends the data, and a short final group is an error.
Result<std::string> DecodeBase64(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int quad_pos = 0, pads = 0, data_chars = 0;
  unsigned int acc = 0;
  for (char c : text) {
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) {
        quad_pos = 0;
        break;
      }
      continue;
    }
    int v = value_of(c);
    if (v < 0) continue;
    pads = 0;
    ++data_chars;
    acc = (acc << 6) | static_cast<unsigned int>(v);
    ++quad_pos;
    if (quad_pos == 2) out += static_cast<char>((acc >> 4) & 0xff);
    if (quad_pos == 3) out += static_cast<char>((acc >> 2) & 0xff);
    if (quad_pos == 4) {
      out += static_cast<char>(acc & 0xff);
      quad_pos = 0;
      acc = 0;
    }
  }
  if (quad_pos == 1) {
    return MakeError("Invalid base64-encoded string: number of data characters (" +
                     std::to_string(data_chars) + ") cannot be 1 more than a multiple of 4");
  }
  if (quad_pos != 0) return MakeError("Incorrect padding");
  return out;
}

// gzip.GzipFile(...).read(): one or more gzip members; trailing zero bytes
// are padding.
Result<std::string> DecompressGzip(std::string_view data) {
  std::string out;
  size_t offset = 0;
  bool first = true;
  while (offset < data.size()) {
    if (!first && data.find_first_not_of('\0', offset) == std::string_view::npos) break;
    if (data.size() - offset < 2 || static_cast<unsigned char>(data[offset]) != 0x1f ||
        static_cast<unsigned char>(data[offset + 1]) != 0x8b) {
      return MakeError("Not a gzipped file");
    }
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return MakeError("zlib initialisation failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    zs.avail_in = static_cast<uInt>(data.size() - offset);
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.append(buf, sizeof(buf) - zs.avail_out);
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    std::string msg = zs.msg != nullptr ? zs.msg : "";
    size_t consumed = data.size() - offset - zs.avail_in;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
      if (rc == Z_OK || rc == Z_BUF_ERROR) {
        return MakeError("Compressed file ended before the end-of-stream marker was reached");
      }
      return MakeError(msg.empty() ? "invalid gzip data" : msg);
    }
    offset += consumed;
    first = false;
  }
  return out;
}

}  // namespace nubo
