// userdata.cc — user-data processing as cloud-init 22.4.2 does it, in two
// steps like user_data.UserDataProcessor and handlers.walk:
//
//  1. Process: un-gzip the blob, parse it as MIME if it says "MIME-Version:"
//     in its first 4 KiB (otherwise it is one text/x-not-multipart part),
//     walk the leaf parts, decompress gzip parts, detect the type of
//     text/plain, text/x-not-multipart and text/x-shellscript parts from
//     their first line, expand #include and cloud-config-archive parts, and
//     name every part without a filename "part-NNN" (counting from 001 over
//     all attached parts).
//  2. Handle: go through the attached parts in order and hand each to its
//     handler (cloud-config merge, scripts, boothooks, ...).
//
// The MIME parser follows what Python's email.feedparser accepts with the
// compat32 policy; it is deliberately small.

#include "agent/userdata.h"

#include "agent/jinja.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>

#include "agent/merge.h"
#include "nubo/limits.h"

namespace nubo::agent {
namespace {

constexpr int kMaxIncludeDepth = 10;
constexpr int kMaxMimeDepth = 20;

// ---------------------------------------------------------------- strings

char AsciiLower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Python's str.isspace() for ASCII.
bool IsPySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

std::string_view LStrip(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsPySpace(s[i])) ++i;
  return s.substr(i);
}

std::string_view Strip(std::string_view s) {
  s = LStrip(s);
  size_t e = s.size();
  while (e > 0 && IsPySpace(s[e - 1])) --e;
  return s.substr(0, e);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Splits keeping line endings (\r\n, \r or \n), as the feed parser does.
std::vector<std::string_view> SplitLinesKeepEnds(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      lines.push_back(text.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::string_view WithoutEol(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Python's str.splitlines() for the ASCII separators.
std::vector<std::string_view> PySplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= '\x1c' && c <= '\x1e')) {
      lines.push_back(text.substr(start, i - start));
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::string PartName(size_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "part-%03zu", number);
  return buf;
}

// util.dos2unix: converts only when the first line ends in \r\n.
std::string Dos2Unix(std::string_view s) {
  size_t pos = s.find('\n');
  if (pos == std::string_view::npos || pos == 0 || s[pos - 1] != '\r') return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

// util.clean_filename: '/' becomes '_', anything outside [A-Za-z0-9_.()-] goes.
std::string CleanFilename(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '/') c = '_';
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
        c == '(' || c == ')') {
      out += c;
    }
  }
  return out;
}

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    if (n == 2 && c < 0xC2) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// ---------------------------------------------------------------- gzip

bool HasGzipMagic(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

// Decompresses one or more concatenated gzip members, as Python's
// gzip.GzipFile reads them: data after a member must be another member.
Result<std::string> Gunzip(std::string_view in) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    if (!HasGzipMagic(in.substr(pos))) return MakeError("not a gzipped file");
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return MakeError("cannot initialise zlib");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    zs.avail_in = static_cast<uInt>(in.size() - pos);
    std::array<char, 65536> buf;
    int ret = Z_OK;
    while (ret != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      ret = inflate(&zs, Z_NO_FLUSH);
      if (ret != Z_OK && ret != Z_STREAM_END) {
        std::string why = ret == Z_BUF_ERROR
                              ? "compressed data ended before the end-of-stream marker"
                          : zs.msg != nullptr ? zs.msg
                                              : "invalid compressed data";
        inflateEnd(&zs);
        return MakeError(why);
      }
      out.append(buf.data(), buf.size() - zs.avail_out);
      if (out.size() > kMaxGunzipBytes.value) {
        inflateEnd(&zs);
        return LimitError(kMaxGunzipBytes, "decompressed data");
      }
    }
    pos = in.size() - zs.avail_in;
    inflateEnd(&zs);
  }
  return out;
}

// ---------------------------------------------------------------- MIME

struct Header {
  std::string name;   // as written
  std::string value;  // after "name:", leading blanks dropped, folds kept
};
using Headers = std::vector<Header>;

// Message.get(): case-insensitive, first occurrence.
const std::string* GetHeader(const Headers& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

// dict(part)[name]: exact case, last occurrence.
const std::string* GetHeaderExact(const Headers& headers, std::string_view name) {
  const std::string* found = nullptr;
  for (const Header& h : headers) {
    if (h.name == name) found = &h.value;
  }
  return found;
}

// email.message._parseparam + _unquotevalue: the parameters after the first
// ';' of a Content-Type or Content-Disposition value.
std::optional<std::string> GetParam(std::string_view value, std::string_view param) {
  size_t semi = value.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view rest = value.substr(semi);
  while (!rest.empty() && rest[0] == ';') {
    rest.remove_prefix(1);
    // The next ';' outside double quotes ends this parameter.
    size_t end = 0;
    bool quoted = false;
    for (; end < rest.size(); ++end) {
      if (rest[end] == '\\' && quoted && end + 1 < rest.size()) {
        ++end;
      } else if (rest[end] == '"') {
        quoted = !quoted;
      } else if (rest[end] == ';' && !quoted) {
        break;
      }
    }
    std::string_view item = rest.substr(0, end);
    rest = rest.substr(end);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Strip(item.substr(0, eq))) != param) continue;
    std::string v(Strip(item.substr(eq + 1)));
    if (v.size() > 1 && v.front() == '"' && v.back() == '"') {
      std::string unq;
      for (size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size() && (v[i + 1] == '\\' || v[i + 1] == '"')) ++i;
        unq += v[i];
      }
      v = unq;
    } else if (v.size() > 1 && v.front() == '<' && v.back() == '>') {
      v = v.substr(1, v.size() - 2);
    }
    return v;
  }
  return std::nullopt;
}

struct MimeNode {
  Headers headers;
  std::string body;  // still transfer-encoded
  std::vector<MimeNode> children;
  bool multipart = false;         // a multipart/* container
  std::string container_problem;  // why a container has no parts
};

// Message.get_content_type(): "text/plain" when missing or malformed.
std::string ContentType(const Headers& headers) {
  const std::string* v = GetHeader(headers, "Content-Type");
  if (v == nullptr) return "text/plain";
  std::string_view s = *v;
  std::string ctype = Lower(Strip(s.substr(0, s.find(';'))));
  if (std::count(ctype.begin(), ctype.end(), '/') != 1) return "text/plain";
  return ctype;
}

std::string MainType(std::string_view ctype) {
  return std::string(ctype.substr(0, ctype.find('/')));
}

// Message.get_filename(): Content-Disposition filename, else Content-Type name.
std::string Filename(const Headers& headers) {
  std::optional<std::string> name;
  if (const std::string* cd = GetHeader(headers, "Content-Disposition")) {
    name = GetParam(*cd, "filename");
  }
  if (!name) {
    if (const std::string* ct = GetHeader(headers, "Content-Type")) name = GetParam(*ct, "name");
  }
  return name ? std::string(Strip(*name)) : std::string();
}

// feedparser.headerRE: a header name of printable ASCII but ':', then ':'.
bool IsHeaderLine(std::string_view line) {
  for (char c : line) {
    if (c == ':') return true;
    if (c < '\041' || c > '\176') return false;
  }
  return false;
}

MimeNode ParseMessage(std::string_view text, int depth);

void SplitMultipart(MimeNode& node, std::string_view boundary, int depth) {
  const std::string sep = "--" + std::string(boundary);
  std::vector<std::string_view> lines = SplitLinesKeepEnds(node.body);
  auto boundary_kind = [&](std::string_view line) -> int {  // 0 none, 1 part, 2 close
    line = WithoutEol(line);
    if (!StartsWith(line, sep)) return 0;
    std::string_view rest = line.substr(sep.size());
    int kind = 1;
    if (StartsWith(rest, "--")) {
      kind = 2;
      rest.remove_prefix(2);
    }
    for (char c : rest) {
      if (c != ' ' && c != '\t') return 0;
    }
    return kind;
  };
  size_t i = 0;
  while (i < lines.size() && boundary_kind(lines[i]) == 0) ++i;  // preamble
  if (i == lines.size()) {
    node.container_problem = "its boundary '" + std::string(boundary) + "' never occurs";
    return;
  }
  while (i < lines.size() && boundary_kind(lines[i]) == 1) {
    size_t start = ++i;
    while (i < lines.size() && boundary_kind(lines[i]) == 0) ++i;
    std::string part;
    for (size_t k = start; k < i; ++k) part.append(lines[k]);
    if (i < lines.size() && !part.empty()) {
      // The line break before a boundary belongs to the boundary.
      if (part.back() == '\n') part.pop_back();
      if (!part.empty() && part.back() == '\r') part.pop_back();
    }
    node.children.push_back(ParseMessage(part, depth + 1));
  }
}

MimeNode ParseMessage(std::string_view text, int depth) {
  MimeNode node;
  std::vector<std::string_view> lines = SplitLinesKeepEnds(text);
  size_t i = 0;
  if (!lines.empty() && StartsWith(lines[0], "From ")) ++i;  // mbox "From " line
  std::string current;  // the header being read, folds included
  auto flush = [&] {
    if (current.empty()) return;
    size_t colon = current.find(':');
    std::string value = current.substr(colon + 1);
    size_t b = value.find_first_not_of(" \t");
    value = b == std::string::npos ? std::string() : value.substr(b);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    node.headers.push_back(Header{current.substr(0, colon), value});
    current.clear();
  };
  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (WithoutEol(line).empty()) {
      ++i;
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (!current.empty()) current.append(line);
      continue;
    }
    if (!IsHeaderLine(line)) break;  // no blank line: the body starts here
    flush();
    current.assign(line);
  }
  flush();
  for (; i < lines.size(); ++i) node.body.append(lines[i]);

  const std::string ctype = ContentType(node.headers);
  if (MainType(ctype) == "multipart") {
    node.multipart = true;
    std::optional<std::string> boundary;
    if (const std::string* ct = GetHeader(node.headers, "Content-Type")) {
      boundary = GetParam(*ct, "boundary");
    }
    if (boundary) {
      while (!boundary->empty() && IsPySpace(boundary->back())) boundary->pop_back();
    }
    if (!boundary || boundary->empty()) {
      node.container_problem = "it has no boundary";
    } else if (depth >= kMaxMimeDepth) {
      node.container_problem = "it is nested too deep";
    } else {
      SplitMultipart(node, *boundary, depth);
    }
  }
  return node;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// email's base64 decoding: characters outside the alphabet are skipped,
// missing padding is forgiven; a dangling single character makes it give up
// and return the text undecoded.
std::string DecodeBase64(std::string_view body) {
  std::string joined;
  for (char c : body) {
    if (c != '\r' && c != '\n') joined += c;
  }
  std::string out;
  uint32_t acc = 0;
  int quad = 0;
  for (char c : joined) {
    if (c == '=') {
      if (quad >= 2) break;
      continue;
    }
    int v = Base64Value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++quad == 4) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
      out += static_cast<char>(acc & 0xFF);
      acc = 0;
      quad = 0;
    }
  }
  if (quad == 1) return joined;
  if (quad == 2) out += static_cast<char>((acc >> 4) & 0xFF);
  if (quad == 3) {
    out += static_cast<char>((acc >> 10) & 0xFF);
    out += static_cast<char>((acc >> 2) & 0xFF);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = AsciiLower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// binascii.a2b_qp: =XX is a byte, '=' before a line break joins the lines.
std::string DecodeQuotedPrintable(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (i + 1 < body.size() && body[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < body.size() && body[i + 1] == '\r' && body[i + 2] == '\n') {
      i += 2;
    } else if (i + 1 == body.size()) {
      // A trailing '=' is a soft break to nothing.
    } else if (i + 2 < body.size() && HexValue(body[i + 1]) >= 0 && HexValue(body[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(body[i + 1]) * 16 + HexValue(body[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Message.get_payload(decode=True) for a leaf.
std::string DecodeBody(const MimeNode& node) {
  const std::string* cte = GetHeader(node.headers, "Content-Transfer-Encoding");
  const std::string enc = cte != nullptr ? Lower(*cte) : std::string();
  if (enc == "base64") return DecodeBase64(node.body);
  if (enc == "quoted-printable") return DecodeQuotedPrintable(node.body);
  return node.body;
}

// ---------------------------------------------------------------- types

constexpr std::string_view kNotMultipart = "text/x-not-multipart";

struct Prefix {
  std::string_view start;
  std::string_view type;
};

// handlers.INCLUSION_TYPES_MAP, longest first (handlers.INCLUSION_SRCH).
constexpr std::array<Prefix, 12> kPrefixes = {{
    {"text/x-shellscript-per-instance", "text/x-shellscript-per-instance"},
    {"text/x-shellscript-per-boot", "text/x-shellscript-per-boot"},
    {"text/x-shellscript-per-once", "text/x-shellscript-per-once"},
    {"#cloud-config-archive", "text/cloud-config-archive"},
    {"#cloud-config-jsonp", "text/cloud-config-jsonp"},
    {"## template: jinja", "text/jinja2"},
    {"#cloud-boothook", "text/cloud-boothook"},
    {"#include-once", "text/x-include-once-url"},
    {"#part-handler", "text/part-handler"},
    {"#cloud-config", "text/cloud-config"},
    {"#include", "text/x-include-url"},
    {"#!", "text/x-shellscript"},
}};

// handlers.type_from_starts_with: case-insensitive, leading blanks skipped.
std::optional<std::string> TypeFromStartsWith(std::string_view payload) {
  std::string head = Lower(LStrip(payload).substr(0, 64));
  for (const Prefix& p : kPrefixes) {
    if (StartsWith(head, p.start)) return std::string(p.type);
  }
  return std::nullopt;
}

bool IsDecompressType(std::string_view ctype) {
  static constexpr std::array<std::string_view, 8> kTypes = {
      "application/gzip",       "application/gzip-compressed",   "application/gzipped",
      "application/x-compress", "application/x-compressed",      "application/x-gunzip",
      "application/x-gzip",     "application/x-gzip-compressed",
  };
  return std::find(kTypes.begin(), kTypes.end(), ctype) != kTypes.end();
}

// ---------------------------------------------------------------- processing

struct Part {
  std::string content_type;
  std::string filename;
  std::string payload;  // decoded
  Headers headers;      // the part's own headers (Merge-Type, Launch-Index, ...)
  bool whole_document;  // the user-data itself, not a MIME part or include
};

class Processor {
 public:
  Processor(std::string_view source, const IncludeFetcher& fetch, ProcessedUserData& out)
      : source_(source), fetch_(fetch), out_(out) {}

  // user_data.convert_string + UserDataProcessor._process_msg.
  void ProcessBlob(std::string_view raw, int include_depth, bool top) {
    std::string data(raw);
    if (HasGzipMagic(data)) {
      // util.decomp_gzip(quiet=True): undecompressable data is used as is;
      // a gzip bomb is dropped.
      auto plain = Gunzip(data);
      if (plain) {
        data = std::move(*plain);
      } else if (IsLimitError(plain.error())) {
        Warn(source_ + ": " + plain.error().message + ", skipping it");
        return;
      }
    }
    if (!WithinBudget(data.size())) return;
    if (Lower(std::string_view(data).substr(0, 4096)).find("mime-version:") == std::string::npos) {
      MimeNode node;
      node.headers.push_back(Header{"Content-Type", std::string(kNotMultipart)});
      node.body = std::move(data);
      ProcessLeaf(node, include_depth, top);
      return;
    }
    MimeNode root = ParseMessage(data, 0);
    Walk(root, include_depth);
  }

  const std::vector<Part>& parts() const { return parts_; }
  bool failed() const { return fatal_.has_value(); }
  const std::optional<Error>& fatal() const { return fatal_; }

 private:
  void Walk(const MimeNode& node, int include_depth) {
    if (node.multipart) {
      if (!node.container_problem.empty()) {
        Warn(source_ + ": a " + ContentType(node.headers) + " container is skipped because " +
             node.container_problem);
      }
      for (const MimeNode& child : node.children) {
        if (failed()) return;
        Walk(child, include_depth);
      }
      return;
    }
    ProcessLeaf(node, include_depth, false);
  }

  std::string Label(const std::string& filename, bool whole) const {
    if (whole) return source_;
    return source_ + " part '" + (filename.empty() ? PartName(parts_.size() + 1) : filename) + "'";
  }

  void ProcessLeaf(const MimeNode& node, int include_depth, bool whole) {
    std::string ctype = ContentType(node.headers);
    std::string payload = DecodeBody(node);
    std::string filename = Filename(node.headers);
    Headers headers = node.headers;
    if (IsDecompressType(ctype)) {
      auto plain = Gunzip(payload);
      if (plain && !IsValidUtf8(*plain)) plain = MakeError("decompressed data is not UTF-8 text");
      if (!plain) {
        // cloud-init 22.4.2 raises here (features.ERROR_ON_USER_DATA_FAILURE).
        Fail(Label(filename, whole) + ": cannot decompress its " + ctype + " payload of " +
             std::to_string(payload.size()) + " bytes: " + plain.error().ToString());
        return;
      }
      if (!WithinBudget(plain->size())) return;
      payload = std::move(*plain);
      ctype = "text/plain";
      // A new part: only the filename and Launch-Index survive.
      Headers kept;
      for (const Header& h : headers) {
        if (EqualsIgnoreCase(h.name, "Launch-Index")) kept.push_back(h);
      }
      headers = std::move(kept);
    }
    if (ctype == "text/plain" || ctype == kNotMultipart || ctype == "text/x-shellscript") {
      if (auto found = TypeFromStartsWith(payload)) ctype = *found;
    }
    if (ctype == "text/x-include-url" || ctype == "text/x-include-once-url") {
      DoInclude(payload, include_depth, Label(filename, whole));
      return;
    }
    if (ctype == "text/cloud-config-archive") {
      ExplodeArchive(payload, Label(filename, whole));
      return;
    }
    Attach(Part{ctype, filename, std::move(payload), std::move(headers), whole});
  }

  // UserDataProcessor._do_include: one URL per line, '#include' and
  // '#include-once' prefixes allowed, '#' lines are comments. Include-once
  // caching is left to the fetcher: every URL is fetched.
  void DoInclude(std::string_view content, int include_depth, const std::string& label) {
    for (std::string_view line : PySplitLines(content)) {
      std::string lc = Lower(line.substr(0, 16));
      if (StartsWith(lc, "#include-once")) {
        line = LStrip(line.substr(13));
      } else if (StartsWith(lc, "#include")) {
        line = LStrip(line.substr(8));
      }
      if (StartsWith(line, "#")) continue;
      std::string url(Strip(line));
      if (url.empty()) continue;
      // A failed fetch makes cloud-init 22.4.2 raise
      // (features.ERROR_ON_USER_DATA_FAILURE): all of the user-data fails.
      if (include_depth >= kMaxIncludeDepth) {
        Fail(label + ": #include '" + url + "': includes nested more than " +
             std::to_string(kMaxIncludeDepth) + " deep");
        return;
      }
      if (!fetch_) {
        Fail(label + ": #include '" + url + "': no way to fetch includes here");
        return;
      }
      auto fetched = fetch_(url);
      if (!fetched) {
        Fail(label + ": #include '" + url + "': " + fetched.error().ToString());
        return;
      }
      ProcessBlob(*fetched, include_depth + 1, false);
      if (failed()) return;
    }
  }

  // UserDataProcessor._explode_archive: a YAML list of parts, each a string
  // or {content, type, filename, launch-index, <header>: <value>}.
  void ExplodeArchive(std::string_view payload, const std::string& label) {
    auto parsed = ParseYaml(payload, label);
    if (!parsed) {
      Warn(parsed.error().ToString() + ", skipping this cloud-config-archive");
      return;
    }
    if (parsed->is_null()) return;
    if (!parsed->is_array()) {
      Warn(label + ": a cloud-config-archive must be a list, got " + TypeName(*parsed) +
           ", skipping");
      return;
    }
    for (size_t i = 0; i < parsed->size(); ++i) {
      Value entry = (*parsed)[i];
      const std::string where = label + " entry " + std::to_string(i);
      if (entry.is_string()) entry = Value{{"content", entry}};
      if (!entry.is_object()) continue;  // cloud-init ignores these silently
      Value content = entry.value("content", Value(""));
      if (!content.is_string()) {
        Warn(where + ": 'content' must be a string, got " + TypeName(content) + ", skipping");
        continue;
      }
      const std::string text = content.get<std::string>();
      Value type = Get(entry, "type");
      std::string ctype;
      if (type.is_null() || (type.is_string() && type.get<std::string>().empty()) ||
          (type.is_boolean() && !type.get<bool>())) {
        ctype = TypeFromStartsWith(text).value_or("text/cloud-config");
      } else if (type.is_string() && type.get<std::string>().find('/') != std::string::npos) {
        ctype = Lower(type.get<std::string>());
        if (std::count(ctype.begin(), ctype.end(), '/') != 1) ctype = "text/plain";
      } else {
        Warn(where + ": 'type' must be a MIME type like 'text/cloud-config', got '" + PyStr(type) +
             "', skipping");
        continue;
      }
      Part part{ctype, "", text, {}, false};
      for (auto it = entry.begin(); it != entry.end(); ++it) {
        const std::string key = Lower(it.key());
        const std::string value =
            it.value().is_string() ? it.value().get<std::string>()
            : it.value().is_primitive()
                ? PyStr(it.value())
                : it.value().dump(-1, ' ', false, Value::error_handler_t::replace);
        if (key == "filename") {
          part.filename = std::string(Strip(value));
        } else if (key == "launch-index") {
          part.headers.push_back(Header{"Launch-Index", value});
        } else if (key != "content" && key != "type" && key != "content-disposition" &&
                   key != "number-attachments" && key != "content-type") {
          part.headers.push_back(Header{it.key(), value});
        }
      }
      Attach(std::move(part));
    }
  }

  // Bounded work per user-data: the bytes decompressed or fetched, in all.
  bool WithinBudget(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ <= kMaxUserDataBytes.value) return true;
    if (!over_budget_) {
      Warn(LimitMessage(kMaxUserDataBytes, source_ + " with its parts decompressed and included") +
           ", skipping the parts after it");
    }
    over_budget_ = true;
    return false;
  }

  void Attach(Part part) {
    if (parts_.size() >= kMaxUserDataParts.value) {
      if (!too_many_parts_) Warn(LimitMessage(kMaxUserDataParts, source_) + ", skipping the parts after it");
      too_many_parts_ = true;
      return;
    }
    if (part.filename.empty()) part.filename = PartName(parts_.size() + 1);
    parts_.push_back(std::move(part));
  }

  void Warn(std::string message) { out_.warnings.push_back(std::move(message)); }
  void Fail(std::string message) {
    if (!fatal_) fatal_ = MakeError(std::move(message));
  }

  std::optional<Error> fatal_;
  std::string source_;
  const IncludeFetcher& fetch_;
  ProcessedUserData& out_;
  std::vector<Part> parts_;
  uint64_t bytes_ = 0;
  bool over_budget_ = false;
  bool too_many_parts_ = false;
};

// ---------------------------------------------------------------- handlers

class Handlers {
 public:
  Handlers(std::string_view source, ProcessedUserData& out, const Value* jinja_vars)
      : source_(source), out_(out), jinja_vars_(jinja_vars) {}

  void Handle(const Part& part) {
    const std::string label =
        part.whole_document ? source_ : source_ + " part '" + part.filename + "'";
    const std::string& t = part.content_type;
    if (t == "text/cloud-config") {
      CloudConfig(part, label);
    } else if (t == "text/cloud-config-jsonp") {
      JsonPatch(part, label);
    } else if (t == "text/x-shellscript") {
      AddScript(out_.scripts, CleanFilename(part.filename), Dos2Unix(part.payload), label);
    } else if (t == "text/x-shellscript-per-boot") {
      AddScript(out_.per_boot, CleanFilename(Basename(part.filename)), Dos2Unix(part.payload),
                label);
    } else if (t == "text/x-shellscript-per-instance") {
      AddScript(out_.per_instance, CleanFilename(Basename(part.filename)), Dos2Unix(part.payload),
                label);
    } else if (t == "text/x-shellscript-per-once") {
      AddScript(out_.per_once, CleanFilename(Basename(part.filename)), Dos2Unix(part.payload),
                label);
    } else if (t == "text/cloud-boothook") {
      std::string body = Dos2Unix(part.payload);
      if (StartsWith(body, "#cloud-boothook")) body.erase(0, 15);
      AddScript(out_.boothooks, CleanFilename(part.filename), std::string(LStrip(body)), label);
    } else if (t == "text/jinja2") {
      Jinja(part, label);
    } else if (t == "text/part-handler") {
      Warn(label + ": '#part-handler' (Python part handlers) is not supported, skipping");
    } else if (part.payload.empty()) {
      // cloud-init only notes empty parts at debug level.
    } else if (t == kNotMultipart) {
      Warn(label +
           ": not MIME and no known first line ('#cloud-config', '#!', '#include', "
           "'#cloud-boothook', ...), skipping");
    } else {
      Warn(label + ": unhandled content type '" + t + "', skipping");
    }
  }

 private:
  // handlers/jinja_template.py: render against the instance data, then
  // hand the result to the cloud-config or shell-script handler.
  void Jinja(const Part& part, const std::string& label) {
    std::string body;
    if (!jinja::IsJinjaTemplate(part.payload, &body)) {
      Warn(label + ": text/jinja2 part does not start with '## template: jinja', skipping");
      return;
    }
    if (!jinja_vars_) {
      Warn(label + ": Cannot render jinja template vars. Instance data not yet present, skipping");
      return;
    }
    auto rendered = jinja::Render(body, *jinja_vars_);
    if (!rendered) {
      Warn("Ignoring jinja template for " + label + ": " + rendered.error().message);
      return;
    }
    std::vector<std::string> missing = jinja::MissingVariables(*rendered);
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      Warn("Could not render jinja template variables in " + label + ": " + names);
    }
    if (rendered->empty()) return;
    std::string subtype = TypeFromStartsWith(*rendered).value_or("text/plain");
    if (subtype != "text/cloud-config" && subtype != "text/cloud-config-jsonp" && subtype != "text/x-shellscript") {
      Warn("Ignoring jinja template for " + label + ". Could not find supported sub-handler for type " +
           subtype);
      return;
    }
    Part sub = part;
    sub.content_type = subtype;
    sub.payload = std::move(*rendered);
    Handle(sub);
  }

  // handlers/cloud_config.py: CloudConfigPartHandler._merge_part.
  void CloudConfig(const Part& part, const std::string& label) {
    auto parsed = ParseYaml(part.payload, label);
    if (!parsed) {
      Warn(parsed.error().ToString() + ", skipping this cloud-config part");
      return;
    }
    if (parsed->is_null()) {
      Warn(label + ": empty cloud-config, skipping");
      return;
    }
    if (!parsed->is_object()) {
      Warn(label + ": cloud-config must be a dict at the top level, got " + TypeName(*parsed) +
           ", skipping");
      return;
    }
    Value doc = std::move(*parsed);
    auto how = ExtractMergeHow(doc);
    if (!how) {
      Warn(label + ": " + how.error().ToString() + ", skipping this cloud-config part");
      return;
    }
    for (const char* name : {"Merge-Type", "X-Merge-Type"}) {
      const std::string* value = GetHeaderExact(part.headers, name);
      if (value == nullptr || value->empty()) continue;
      auto from_header = ParseMergeHow(Value(*value));
      if (!from_header) {
        Warn(label + ": " + name + " header: " + from_header.error().ToString() +
             ", skipping this cloud-config part");
        return;
      }
      how->insert(how->end(), from_header->begin(), from_header->end());
      break;
    }
    auto merged = TryMergeWith(out_.cloud_config, doc, how->empty() ? DefaultMergeHow() : *how);
    if (!merged) {
      Warn(label + ": cannot merge: " + merged.error().ToString() +
           ", skipping this cloud-config part");
      return;
    }
    out_.cloud_config = std::move(*merged);
  }

  // CloudConfigPartHandler._merge_patch: an RFC 6902 patch on the config.
  void JsonPatch(const Part& part, const std::string& label) {
    std::string_view text = LStrip(part.payload);
    if (StartsWith(text, "#cloud-config-jsonp")) text.remove_prefix(19);
    Value patch = Value::parse(text, nullptr, /*allow_exceptions=*/false);
    if (patch.is_discarded()) {
      Warn(label + ": cloud-config-jsonp is not valid JSON, skipping");
      return;
    }
    try {
      out_.cloud_config = ApplyPatch(out_.cloud_config, patch);
    } catch (const nlohmann::json::exception& e) {
      Warn(label + ": cannot apply cloud-config-jsonp patch: " + e.what() + ", skipping");
    } catch (const std::invalid_argument& e) {
      Warn(label + ": cannot apply cloud-config-jsonp patch: " + e.what() + ", skipping");
    }
  }

  // Value::patch, one operation at a time (RFC 6902 applies them in
  // order): nlohmann asserts, an abort, on an "add" (or "copy", "move")
  // below a string or a number, where jsonpatch raises JsonPatchConflict;
  // that case is an error here. The document is changed only when every
  // operation applies.
  static Value ApplyPatch(const Value& doc, const Value& patch) {
    if (!patch.is_array()) return doc.patch(patch);  // throws its parse_error
    Value result = doc;
    for (const Value& op : patch) {
      if (op.is_object() && op.contains("op") && op["op"].is_string() && op.contains("path") &&
          op["path"].is_string()) {
        const std::string& name = op["op"].get_ref<const std::string&>();
        Value::json_pointer ptr(op["path"].get<std::string>());
        if ((name == "add" || name == "copy" || name == "move") && !ptr.empty()) {
          Value::json_pointer parent = ptr.parent_pointer();
          if (result.contains(parent)) {
            const Value& p = result.at(parent);
            if (!p.is_object() && !p.is_array()) {
              throw std::invalid_argument("cannot " + name + " at '" + ptr.to_string() + "': '" +
                                          parent.to_string() + "' is a " + p.type_name() +
                                          ", not an object or array");
            }
          }
        }
      }
      result = result.patch(Value::array({op}));
    }
    return result;
  }

  void AddScript(std::vector<ScriptPart>& list, std::string filename, std::string content,
                 const std::string& label) {
    if (filename.empty()) {
      Warn(label + ": no usable file name for the script, skipping");
      return;
    }
    for (ScriptPart& s : list) {
      if (s.filename == filename) {  // the later part overwrites the file
        s.content = std::move(content);
        return;
      }
    }
    list.push_back(ScriptPart{std::move(filename), std::move(content)});
  }

  void Warn(std::string message) { out_.warnings.push_back(std::move(message)); }

  std::string source_;
  ProcessedUserData& out_;
  const Value* jinja_vars_;
};

// ---------------------------------------------------------------- output

bool Fits7Bit(std::string_view s) {
  size_t line = 0;
  for (char c : s) {
    if (c == '\n') {
      line = 0;
      continue;
    }
    if (c != '\t' && (c < ' ' || c > '~')) return false;
    if (++line > 900) return false;
  }
  return true;
}

std::string EncodeBase64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
    if ((col += 4) >= 76 && i + 3 < in.size()) {
      out += '\n';
      col = 0;
    }
  }
  return out;
}

// Unfolded: line breaks dropped, the blanks after them kept.
std::string HeaderValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c < '\041' || c > '\176' || c == ':') return false;
  }
  return true;
}

std::string QuoteParam(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\r' || c == '\n') continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The processed parts as one multipart/mixed message, as cloud-init writes
// user-data.txt.i: every part with its content type, filename and its own
// other headers; bodies that are not plain 7-bit text are base64.
std::string BuildMime(const std::vector<Part>& parts) {
  std::hash<std::string> hasher;
  size_t seed = parts.size();
  for (const Part& p : parts) seed = seed * 31 + hasher(p.payload);
  std::string boundary;
  for (;; ++seed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "===============%019zu==", seed % 10000000000000000000u);
    boundary = buf;
    bool clash = false;
    for (const Part& p : parts) clash = clash || p.payload.find(boundary) != std::string::npos;
    if (!clash) break;
  }
  std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary +
                    "\"\nMIME-Version: 1.0\nNumber-Attachments: " + std::to_string(parts.size()) +
                    "\n\n";
  for (const Part& p : parts) {
    out += "--" + boundary + "\n";
    out += "Content-Type: " + p.content_type + "\n";
    out += "MIME-Version: 1.0\n";
    out += "Content-Disposition: attachment; filename=" + QuoteParam(p.filename) + "\n";
    for (const Header& h : p.headers) {
      if (EqualsIgnoreCase(h.name, "Content-Type") || EqualsIgnoreCase(h.name, "MIME-Version") ||
          EqualsIgnoreCase(h.name, "Content-Disposition") ||
          EqualsIgnoreCase(h.name, "Content-Transfer-Encoding") || !IsHeaderName(h.name)) {
        continue;
      }
      out += h.name + ": " + HeaderValue(h.value) + "\n";
    }
    if (Fits7Bit(p.payload)) {
      out += "\n" + p.payload + "\n";
    } else {
      out += "Content-Transfer-Encoding: base64\n\n" + EncodeBase64(p.payload) + "\n";
    }
  }
  out += "--" + boundary + "--\n";
  return out;
}

}  // namespace

Result<ProcessedUserData> ProcessUserData(std::string_view raw, std::string_view source_name,
                                          const IncludeFetcher& fetch, const Value* instance_data) {
  ProcessedUserData out;
  Processor processor(source_name, fetch, out);
  processor.ProcessBlob(raw, 0, true);
  if (processor.failed()) return *processor.fatal();
  Value jinja_vars;
  if (instance_data) jinja_vars = jinja::ConvertInstanceData(*instance_data);
  Handlers handlers(source_name, out, instance_data ? &jinja_vars : nullptr);
  for (const Part& part : processor.parts()) handlers.Handle(part);
  out.processed_mime = BuildMime(processor.parts());
  return out;
}

}  // namespace nubo::agent
