// Tests for agent/userdata: user-data processing as cloud-init 22.4.2 does
// it (user_data.py, handlers/*.py). The merged configs and script sets of
// the fixtures under tests/fixtures/userdata/ were checked against cloud-init
// 22.4.2 itself; warnings are nubo's own wording.

#include "agent/userdata.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <sstream>

namespace nubo::agent {
namespace {

const std::string kFixtures = std::string(NUBO_SOURCE_DIR) + "/tests/fixtures/userdata/";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kFixtures + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Value J(const char* text) { return Value::parse(text); }

// Serves fixture files by the last path element of the URL, records URLs.
struct FixtureFetcher {
  std::vector<std::string> urls;
  std::map<std::string, std::string> inline_docs;
  IncludeFetcher Fn() {
    return [this](const std::string& url) -> Result<std::string> {
      urls.push_back(url);
      if (auto it = inline_docs.find(url); it != inline_docs.end()) return it->second;
      std::string name = url.substr(url.rfind('/') + 1);
      std::ifstream in(kFixtures + name, std::ios::binary);
      if (!in) return MakeError("404 Not Found");
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
  }
};

using Scripts = std::map<std::string, std::string>;

Scripts AsMap(const std::vector<ScriptPart>& parts) {
  Scripts m;
  for (const ScriptPart& p : parts) m[p.filename] = p.content;
  return m;
}

ProcessedUserData Process(std::string_view raw, FixtureFetcher* fetcher = nullptr) {
  FixtureFetcher local;
  if (fetcher == nullptr) fetcher = &local;
  auto ud = ProcessUserData(raw, "user-data", fetcher->Fn());
  EXPECT_TRUE(ud.ok()) << ud.error().ToString();
  return ud ? std::move(*ud) : ProcessedUserData{};
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A multipart/mixed message from (headers, body) pairs.
std::string Mime(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string out = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUND\"\n\n";
  for (const auto& [headers, body] : parts) out += "--BOUND\n" + headers + "\n\n" + body + "\n";
  return out + "--BOUND--\n";
}

// The warning for a YAML syntax error: ParseYaml's message (source, line,
// column, problem) and what we do about it.
std::string YamlWarning(std::string_view text, std::string_view source) {
  auto parsed = ParseYaml(text, source);
  EXPECT_FALSE(parsed.ok());
  return parsed ? std::string() : parsed.error().ToString() + ", skipping this cloud-config part";
}

// ------------------------------------------------------------ fixtures

struct FixtureCase {
  const char* file;
  const char* cloud_config;  // JSON
  Scripts scripts;
  Scripts boothooks;
  Scripts per_boot;
  std::vector<std::string> warnings;
};

class UserDataFixtureTest : public testing::TestWithParam<FixtureCase> {};

TEST_P(UserDataFixtureTest, MatchesCloudInit) {
  const FixtureCase& c = GetParam();
  ProcessedUserData ud = Process(ReadFixture(c.file));
  EXPECT_EQ(ud.cloud_config, J(c.cloud_config)) << ud.cloud_config.dump();
  EXPECT_EQ(AsMap(ud.scripts), c.scripts);
  EXPECT_EQ(AsMap(ud.boothooks), c.boothooks);
  EXPECT_EQ(AsMap(ud.per_boot), c.per_boot);
  std::vector<std::string> warnings = c.warnings;
  for (std::string& w : warnings) {
    // "@yaml": the YAML error of bad.yaml, in ParseYaml's words.
    if (w == "@yaml") w = YamlWarning("#cloud-config\nbad: [1\nnext: 2\n", "user-data part 'bad.yaml'");
  }
  EXPECT_EQ(ud.warnings, warnings);

  // user-data.txt.i holds every part; processing it again gives the same.
  ProcessedUserData again = Process(ud.processed_mime);
  EXPECT_EQ(again.cloud_config, ud.cloud_config);
  EXPECT_EQ(AsMap(again.scripts), AsMap(ud.scripts));
  EXPECT_EQ(AsMap(again.boothooks), AsMap(ud.boothooks));
  EXPECT_EQ(AsMap(again.per_boot), AsMap(ud.per_boot));
  EXPECT_EQ(again.processed_mime, ud.processed_mime);
}

const FixtureCase kFixtureCases[] = {
    {"mime-mixed.txt",
     // Second part's Merge-Type header appends runcmd; hostname keeps the
     // first (no_replace); text/plain "#cloud-config" is detected.
     R"j({"hostname":"first","packages":["vim"],"runcmd":["one","two","three"],"users":["default"]})j",
     {{"named.sh", "#!/bin/sh\necho named\n"}, {"part-004", "#!/bin/bash\necho unnamed\n"}},
     {{"part-006", "#!/bin/sh\necho hook\n"}},
     {{"every-boot.sh", "#!/bin/sh\necho boot\n"}},
     {"user-data part 'part-007': unhandled content type 'text/x-unknown', skipping"}},
    {"mime-encodings.txt",
     // base64 part; gzip part inside a nested multipart whose Merge-Type
     // header is lost in decompression (its merge_how applies); X-Merge-Type
     // headers; a quoted-printable script.
     R"j({"a":{"x":1,"y":[1,2],"z":3},"b":"onetwo"})j",
     {{"qp.sh", "#!/bin/sh\necho qp=\n"}},
     {},
     {},
     {}},
    {"mime-errors.txt", R"j({"ok":1})j", {}, {}, {},
     {"@yaml", "user-data part 'part-003': cloud-config must be a dict at the top level, got list, "
               "skipping",
      "user-data part 'part-004': empty cloud-config, skipping",
      "user-data part 'part-005': Merge-Type header: merge type 'dict' is not in the form "
      "name(option,...), skipping this cloud-config part",
      "user-data part 'part-006': '## template: jinja' user-data is not supported yet, skipping",
      "user-data part 'part-007': '#part-handler' (Python part handlers) is not supported, "
      "skipping"}},
    {"archive.txt", R"j({"a":1,"l":[1,2]})j",
     {{"arch.sh", "#!/bin/sh\necho archive\n"}, {"part-004", "#!/bin/sh\necho plain-string\n"}},
     {},
     {},
     {}},
    {"include.txt", R"j({"from_include":1,"l":["inc"]})j",
     {{"part-002", "#!/bin/sh\necho included\n"}},
     {},
     {},
     {}},
    {"jsonp.txt", R"j({"runcmd":["a","b"]})j", {}, {}, {},
     {"user-data part 'part-003': cannot apply cloud-config-jsonp patch: "
      "[json.exception.out_of_range.403] key 'nope' not found, skipping"}},
    {"gzipped.bin", R"j({"hostname":"zipped"})j", {}, {}, {}, {}},
    // doc/rtd/topics/merging.rst "Example cloud-config": both parts name
    // the mergers, the runcmd lists are joined.
    {"merging-doc-example.txt", R"j({"runcmd":["bash1","bash2","bash3","bash4"]})j", {}, {}, {},
     {}},
    // The docs say the first part's merge_how would also govern the next
    // one; 22.4.2 merges each part with its own mergers, so the second part
    // (default dict(replace)) replaces runcmd.
    {"merging-first-only.txt", R"j({"runcmd":["bash3","bash4"]})j", {}, {}, {}, {}},
};

INSTANTIATE_TEST_SUITE_P(UserData, UserDataFixtureTest, testing::ValuesIn(kFixtureCases),
                         [](const testing::TestParamInfo<FixtureCase>& info) {
                           std::string name;
                           for (const char* p = info.param.file; *p && *p != '.'; ++p) {
                             name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace nubo::agent
