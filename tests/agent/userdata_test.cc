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
  EXPECT_EQ(
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
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
    if (w == "@yaml")
      w = YamlWarning("#cloud-config\nbad: [1\nnext: 2\n", "user-data part 'bad.yaml'");
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
    {"mime-errors.txt",
     R"j({"ok":1})j",
     {},
     {},
     {},
     {"@yaml",
      "user-data part 'part-003': cloud-config must be a dict at the top level, got list, "
      "skipping",
      "user-data part 'part-004': empty cloud-config, skipping",
      "user-data part 'part-005': Merge-Type header: merge type 'dict' is not in the form "
      "name(option,...), skipping this cloud-config part",
      "user-data part 'part-006': Cannot render jinja template vars. Instance data not yet present, skipping",
      "user-data part 'part-007': '#part-handler' (Python part handlers) is not supported, "
      "skipping"}},
    {"archive.txt",
     R"j({"a":1,"l":[1,2]})j",
     {{"arch.sh", "#!/bin/sh\necho archive\n"}, {"part-004", "#!/bin/sh\necho plain-string\n"}},
     {},
     {},
     {}},
    {"include.txt",
     R"j({"from_include":1,"l":["inc"]})j",
     {{"part-002", "#!/bin/sh\necho included\n"}},
     {},
     {},
     {}},
    {"jsonp.txt",
     R"j({"runcmd":["a","b"]})j",
     {},
     {},
     {},
     {"user-data part 'part-003': cannot apply cloud-config-jsonp patch: "
      "[json.exception.out_of_range.403] key 'nope' not found, skipping"}},
    {"gzipped.bin", R"j({"hostname":"zipped"})j", {}, {}, {}, {}},
    // doc/rtd/topics/merging.rst "Example cloud-config": both parts name
    // the mergers, the runcmd lists are joined.
    {"merging-doc-example.txt",
     R"j({"runcmd":["bash1","bash2","bash3","bash4"]})j",
     {},
     {},
     {},
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

// ------------------------------------------------------------ inline cases

struct InlineCase {
  const char* name;
  std::string raw;
  const char* cloud_config;  // JSON
  Scripts scripts;
  std::vector<std::string> warnings;
};

class UserDataInlineTest : public testing::TestWithParam<InlineCase> {};

TEST_P(UserDataInlineTest, Processes) {
  const InlineCase& c = GetParam();
  ProcessedUserData ud = Process(c.raw);
  EXPECT_EQ(ud.cloud_config, J(c.cloud_config)) << ud.cloud_config.dump();
  EXPECT_EQ(AsMap(ud.scripts), c.scripts);
  EXPECT_EQ(ud.warnings, c.warnings);
}

const std::string kNotMime =
    "user-data: not MIME and no known first line ('#cloud-config', '#!', '#include', "
    "'#cloud-boothook', ...), skipping";

const InlineCase kInlineCases[] = {
    {"CloudConfig",
     "#cloud-config\nhostname: h\nssh_pwauth: yes\n",
     R"j({"hostname":"h","ssh_pwauth":true})j",
     {},
     {}},
    // An empty user-data is one empty part: nothing to do, nothing to say.
    {"Empty", "", "{}", {}, {}},
    // Plain text with no known header: cloud-init warns "Unhandled
    // non-multipart (text/x-not-multipart) userdata" and ignores it.
    {"PlainText", "hello world\n", "{}", {}, {kNotMime}},
    // #upstart-job is not a known header in 22.4.2.
    {"UpstartJob", "#upstart-job\ndescription \"x\"\n", "{}", {}, {kNotMime}},
    // Without a MIME-Version header a MIME message is just text.
    {"MimeWithoutMimeVersion",
     "Content-Type: text/cloud-config\n\n#cloud-config\na: 1\n",
     "{}",
     {},
     {kNotMime}},
    // Header detection ignores case and leading blank lines.
    {"HeaderCaseAndBlanks", "\n  #Cloud-Config\na: 1\n", R"j({"a":1})j", {}, {}},
    {"CloudConfigNotADict",
     "#cloud-config\n- a\n- b\n",
     "{}",
     {},
     {"user-data: cloud-config must be a dict at the top level, got list, skipping"}},
    {"CloudConfigScalar",
     "#cloud-config\njust text\n",
     "{}",
     {},
     {"user-data: cloud-config must be a dict at the top level, got str, skipping"}},
    {"CloudConfigOnlyComments",
     "#cloud-config\n# nothing here\n",
     "{}",
     {},
     {"user-data: empty cloud-config, skipping"}},
    // merge_how is taken out of the merged config.
    {"MergeHowRemoved",
     "#cloud-config\nmerge_how: 'dict(replace)+list(append)'\na: 1\n",
     R"j({"a":1})j",
     {},
     {}},
    {"BadMergeHow",
     "#cloud-config\nmerge_how: 'dict(replace'\na: 1\n",
     "{}",
     {},
     {"user-data: merge type 'dict(replace' is not in the form name(option,...), skipping this "
      "cloud-config part"}},
    {"UnknownMerger",
     "#cloud-config\nmerge_how: 'set()'\na: 1\n",
     "{}",
     {},
     {"user-data: unknown merger 'set' (known: dict, list, str), skipping this cloud-config part"}},
    // A '#!' script without a MIME filename is "part-001".
    {"Script", "#!/bin/sh\necho hi\n", "{}", {{"part-001", "#!/bin/sh\necho hi\n"}}, {}},
    // dos2unix applies only when the first line ends in CRLF.
    {"ScriptCrlf", "#!/bin/sh\r\necho hi\r\n", "{}", {{"part-001", "#!/bin/sh\necho hi\n"}}, {}},
    {"ScriptLaterCrlfKept",
     "#!/bin/sh\necho hi\r\n",
     "{}",
     {{"part-001", "#!/bin/sh\necho hi\r\n"}},
     {}},
    {"Jinja",
     "## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n",
     "{}",
     {},
     {"user-data: Cannot render jinja template vars. Instance data not yet present, skipping"}},
    {"PartHandler",
     "#part-handler\ndef list_types():\n  return []\n",
     "{}",
     {},
     {"user-data: '#part-handler' (Python part handlers) is not supported, skipping"}},
    {"GzipWhole", Gzip("#cloud-config\nhostname: z\n"), R"j({"hostname":"z"})j", {}, {}},
    {"GzipOfMime",
     Gzip(Mime({{"Content-Type: text/cloud-config", "#cloud-config\na: 1"},
                {"Content-Type: text/x-shellscript", "#!/bin/sh\necho m"}})),
     R"j({"a":1})j",
     {{"part-002", "#!/bin/sh\necho m"}},
     {}},
    // Not gzip after all: used as is (util.decomp_gzip(quiet=True)).
    {"BrokenGzipWhole", std::string("\x1f\x8b", 2) + "#cloud-config\n", "{}", {}, {kNotMime}},
    {"CloudConfigJsonp",
     "#cloud-config-jsonp\n[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]\n",
     R"j({"a":1})j",
     {},
     {}},
    // Found by fuzz/userdata: nlohmann's patch aborts on an add below a
    // string; jsonpatch raises a conflict, the part is skipped.
    {"CloudConfigJsonpAddBelowAString",
     Mime({{"Content-Type: text/cloud-config", "#cloud-config\nruncmd: x\n"},
           {"Content-Type: text/cloud-config-jsonp",
            "#cloud-config-jsonp\n[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1},"
            " {\"op\": \"add\", \"path\": \"/runcmd/-\", \"value\": \"b\"}]\n"}}),
     R"j({"runcmd":"x"})j",
     {},
     {"user-data part 'part-002': cannot apply cloud-config-jsonp patch: cannot add at "
      "'/runcmd/-': '/runcmd' is a string, not an object or array, skipping"}},
    {"CloudConfigJsonpBad",
     "#cloud-config-jsonp\n{not json\n",
     "{}",
     {},
     {"user-data: cloud-config-jsonp is not valid JSON, skipping"}},
};

INSTANTIATE_TEST_SUITE_P(UserData, UserDataInlineTest, testing::ValuesIn(kInlineCases),
                         [](const testing::TestParamInfo<InlineCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(UserDataTest, YamlErrorNamesSourceLineAndColumn) {
  const std::string text = "#cloud-config\nhostname: h\nbad: [1\nnext: 2\n";
  ProcessedUserData ud = Process(text);
  EXPECT_EQ(ud.cloud_config, J("{}"));
  ASSERT_EQ(ud.warnings.size(), 1u);
  EXPECT_EQ(ud.warnings[0], YamlWarning(text, "user-data"));
  EXPECT_EQ(ud.warnings[0].rfind("user-data: line ", 0), 0u) << ud.warnings[0];
  EXPECT_NE(ud.warnings[0].find(", column "), std::string::npos) << ud.warnings[0];
}

TEST(UserDataTest, YamlErrorInMimePartNamesPartAndOtherPartsStillMerge) {
  const std::string bad = "#cloud-config\na: [1\nb: 2";
  ProcessedUserData ud = Process(Mime(
      {{"Content-Type: text/cloud-config", "#cloud-config\nfirst: 1"},
       {"Content-Type: text/cloud-config\nContent-Disposition: attachment; filename=\"my.yaml\"",
        bad},
       {"Content-Type: text/cloud-config", "#cloud-config\nthird: 3"}}));
  EXPECT_EQ(ud.cloud_config, J(R"j({"first":1,"third":3})j"));
  ASSERT_EQ(ud.warnings.size(), 1u);
  EXPECT_EQ(ud.warnings[0], YamlWarning(bad, "user-data part 'my.yaml'"));
  EXPECT_EQ(ud.warnings[0].rfind("user-data part 'my.yaml': line ", 0), 0u) << ud.warnings[0];
}

TEST(UserDataTest, VendorDataWarningsNameVendorData) {
  auto ud = ProcessUserData("plain\n", "vendor-data", nullptr);
  ASSERT_TRUE(ud.ok());
  ASSERT_EQ(ud->warnings.size(), 1u);
  EXPECT_EQ(ud->warnings[0].rfind("vendor-data: not MIME", 0), 0u) << ud->warnings[0];
}

TEST(UserDataTest, MergeHowInYamlAndHeaders) {
  // Part 2: the YAML's merge_type comes before the Merge-Type header, so
  // dict(replace) wins over the header's dict(no_replace,...); part 3 asks
  // for prepend. The lower-case "merge-type" header of part 4 is not seen
  // (cloud-init looks the header up in a case-sensitive dict), so part 4
  // merges with the default dict(replace).
  ProcessedUserData ud = Process(Mime({
      {"Content-Type: text/cloud-config", "#cloud-config\nl: [1]\nd: {x: 1}\nk: [1]"},
      {"Content-Type: text/cloud-config\nMerge-Type: dict(no_replace,recurse_list)+list(append)",
       "#cloud-config\nmerge_type: dict(replace)+list(append)\nl: [2]\nd: {y: 2}"},
      {"Content-Type: text/cloud-config",
       "#cloud-config\nmerge_type: dict(no_replace,recurse_list)+list(prepend)\nl: [0]"},
      {"Content-Type: text/cloud-config\nmerge-type: dict(no_replace,recurse_list)+list(append)",
       "#cloud-config\nk: [2]"},
      // There is no Merge-How header in 22.4.2: default merge, m replaced.
      {"Content-Type: text/cloud-config\nMerge-How: dict(no_replace,recurse_list)+list(append)",
       "#cloud-config\nm: [1]"},
      {"Content-Type: text/cloud-config\nMerge-How: dict(no_replace,recurse_list)+list(append)",
       "#cloud-config\nm: [2]"},
  }));
  EXPECT_EQ(ud.cloud_config, J(R"j({"d":{"y":2},"l":[0,2],"k":[2],"m":[2]})j"));
  EXPECT_TRUE(ud.warnings.empty());
}

TEST(UserDataTest, MergeHowWithoutDictMergerIgnoresThePart) {
  ProcessedUserData ud = Process(Mime({
      {"Content-Type: text/cloud-config", "#cloud-config\nl: [1]"},
      {"Content-Type: text/cloud-config", "#cloud-config\nmerge_how: list(append)\nl: [2]\nnew: 1"},
  }));
  EXPECT_EQ(ud.cloud_config, J(R"j({"l":[1]})j"));
}

TEST(UserDataTest, MimePartsScriptsAndNames) {
  FixtureFetcher fetcher;
  fetcher.inline_docs["http://h/a"] = "#cloud-config\nx: 1\n";
  fetcher.inline_docs["http://h/b"] = "#!/bin/sh\necho b\n";
  ProcessedUserData ud = Process(
      Mime({
          {"Content-Type: text/cloud-config", "#cloud-config\ny: 1"},
          {"Content-Type: text/x-include-url", "http://h/a\n# comment\n\n  http://h/b  "},
          {"Content-Type: text/x-shellscript; name=\"dir/my script!.sh\"", "#!/bin/sh"},
          {"Content-Type: text/x-shellscript-per-instance\n"
           "Content-Disposition: attachment; filename=\"dir/x.sh\"",
           "#!/bin/sh\necho i"},
          {"Content-Type: text/x-shellscript-per-once", "#!/bin/sh\necho o"},
          {"Content-Type: text/x-shellscript-per-boot", "#!/bin/sh\necho b"},
          {"Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64",
           "IyEvYmluL3No\nCmVjaG8gYjY0\nCg"},  // unpadded, split over lines
          {"Content-Type: text/x-shellscript", "not really a script"},
          {"Content-Type: text/x-shellscript", "#cloud-config\nfrom_script_type: 1"},
          {"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"hook\"",
           "#cloud-boothook\r\n  echo hi\r\n"},
          {"Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"a.sh\"",
           "#!/bin/sh\necho 1"},
          {"Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"a.sh\"",
           "#!/bin/sh\necho 2"},
      }),
      &fetcher);
  EXPECT_EQ(fetcher.urls, (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(ud.cloud_config, J(R"j({"y":1,"x":1,"from_script_type":1})j"));
  // Included parts are numbered with the rest: part-002 and part-003.
  EXPECT_EQ(AsMap(ud.scripts), (Scripts{{"part-003", "#!/bin/sh\necho b\n"},
                                        {"dir_myscript.sh", "#!/bin/sh"},
                                        {"part-008", "#!/bin/sh\necho b64\n"},
                                        {"part-009", "not really a script"},
                                        {"a.sh", "#!/bin/sh\necho 2"}}));
  EXPECT_EQ(AsMap(ud.per_instance), (Scripts{{"x.sh", "#!/bin/sh\necho i"}}));
  EXPECT_EQ(AsMap(ud.per_once), (Scripts{{"part-006", "#!/bin/sh\necho o"}}));
  EXPECT_EQ(AsMap(ud.per_boot), (Scripts{{"part-007", "#!/bin/sh\necho b"}}));
  // The boothook loses its header line and leading blanks; CRLF goes.
  EXPECT_EQ(AsMap(ud.boothooks), (Scripts{{"hook", "echo hi\n"}}));
  EXPECT_TRUE(ud.warnings.empty()) << ud.warnings[0];
}

TEST(UserDataTest, IncludeLinesAndFailure) {
  FixtureFetcher fetcher;
  fetcher.inline_docs["http://h/a"] = "#cloud-config\nx: 1\n";
  fetcher.inline_docs["http://h/g"] = Gzip("#cloud-config\ng: 1\n");
  ProcessedUserData ud =
      Process("#include http://h/a\n#INCLUDE-ONCE   http://h/g\n#not a url\n", &fetcher);
  EXPECT_EQ(fetcher.urls, (std::vector<std::string>{"http://h/a", "http://h/g"}));
  EXPECT_EQ(ud.cloud_config, J(R"j({"x":1,"g":1})j"));

  // A failed fetch fails the whole user-data (ERROR_ON_USER_DATA_FAILURE).
  FixtureFetcher failing;
  auto bad = ProcessUserData("#include\nhttp://h/missing\n", "user-data", failing.Fn());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "user-data: #include 'http://h/missing': 404 Not Found");
}

TEST(UserDataTest, IncludeLoopStops) {
  FixtureFetcher fetcher;
  fetcher.inline_docs["http://h/self"] = "#include http://h/self\n";
  auto ud = ProcessUserData("#include http://h/self\n", "user-data", fetcher.Fn());
  ASSERT_FALSE(ud.ok());
  EXPECT_EQ(
      ud.error().ToString(),
      "user-data part 'part-001': #include 'http://h/self': includes nested more than 10 deep");
  EXPECT_EQ(fetcher.urls.size(), 10u);
}

TEST(UserDataTest, GzipPartsInMime) {
  ProcessedUserData ud = Process(Mime({
      {"Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64\n"
       "Content-Disposition: attachment; filename=\"z.sh\"",
       [] {
         std::string z = Gzip("#!/bin/sh\necho z\n");
         static const char* kB64 =
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
         std::string out;
         for (size_t i = 0; i < z.size(); i += 3) {
           uint32_t n = static_cast<unsigned char>(z[i]) << 16;
           if (i + 1 < z.size()) n |= static_cast<unsigned char>(z[i + 1]) << 8;
           if (i + 2 < z.size()) n |= static_cast<unsigned char>(z[i + 2]);
           out += kB64[(n >> 18) & 63];
           out += kB64[(n >> 12) & 63];
           out += i + 1 < z.size() ? kB64[(n >> 6) & 63] : '=';
           out += i + 2 < z.size() ? kB64[n & 63] : '=';
         }
         return out;
       }()},
  }));
  EXPECT_EQ(AsMap(ud.scripts), (Scripts{{"z.sh", "#!/bin/sh\necho z\n"}}));

  auto bad = ProcessUserData(Mime({{"Content-Type: text/cloud-config", "#cloud-config\na: 1"},
                                   {"Content-Type: application/gzip", "not gzip"}}),
                             "user-data", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(),
            "user-data part 'part-002': cannot decompress its application/gzip payload of 8 "
            "bytes: not a gzipped file");
}

TEST(UserDataTest, UnknownTypesAndContainers) {
  ProcessedUserData ud = Process(
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n\n"
      "preamble\n--o\nContent-Type: application/x-thing\n\nstuff\n"
      "--o\nContent-Type: text/x-empty\n\n"
      "--o\nContent-Type: multipart/alternative\n\nlost\n"
      "--o\nContent-Type: text/cloud-config\n\n#cloud-config\na: 1\n--o--\nepilogue\n");
  EXPECT_EQ(ud.cloud_config, J(R"j({"a":1})j"));
  EXPECT_EQ(
      ud.warnings,
      (std::vector<std::string>{
          "user-data: a multipart/alternative container is skipped because it has no boundary",
          "user-data part 'part-001': unhandled content type 'application/x-thing', skipping"}));
}

TEST(UserDataTest, ProcessedMimeHoldsEveryPart) {
  ProcessedUserData ud = Process(Mime({
      {"Content-Type: text/cloud-config\nMerge-Type: list(append)+dict(no_replace,recurse_list)",
       "#cloud-config\na: [1]"},
      {"Content-Type: text/x-unknown", "zzz"},
      {"Content-Type: text/plain", "## template: jinja\nx"},
      {"Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"s.sh\"",
       "#!/bin/sh\necho '\x01'\r\n"},
  }));
  const std::string& mime = ud.processed_mime;
  EXPECT_NE(mime.find("MIME-Version: 1.0\n"), std::string::npos);
  EXPECT_NE(mime.find("Number-Attachments: 4\n"), std::string::npos);
  EXPECT_NE(mime.find("Content-Type: multipart/mixed; boundary="), std::string::npos);
  for (const char* expected :
       {"Content-Type: text/cloud-config\n",
        "Content-Disposition: attachment; filename=\"part-001\"\n",
        "Merge-Type: list(append)+dict(no_replace,recurse_list)\n",
        "Content-Type: text/x-unknown\n", "filename=\"part-002\"", "Content-Type: text/jinja2\n",
        "filename=\"part-003\"", "filename=\"s.sh\"", "Content-Transfer-Encoding: base64\n"}) {
    EXPECT_NE(mime.find(expected), std::string::npos) << expected << "\n" << mime;
  }
  ProcessedUserData again = Process(mime);
  EXPECT_EQ(again.cloud_config, ud.cloud_config);
  EXPECT_EQ(AsMap(again.scripts), AsMap(ud.scripts));
  EXPECT_EQ(again.warnings, ud.warnings);

  // Empty user-data still gives one (empty) part, as cloud-init's does.
  ProcessedUserData empty = Process("");
  EXPECT_NE(empty.processed_mime.find("Number-Attachments: 1\n"), std::string::npos);
  EXPECT_NE(empty.processed_mime.find("Content-Type: text/x-not-multipart\n"), std::string::npos);
}

TEST(UserDataTest, QuotedPrintableAndCrlfMime) {
  std::string mime =
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"q\"\r\n\r\n"
      "--q\r\nContent-Type: text/x-shellscript\r\nContent-Transfer-Encoding: quoted-printable\r\n"
      "Content-Disposition: attachment;\r\n\tfilename=\"q.sh\"\r\n\r\n"
      "#!/bin/sh\r\necho a=3Db long=\r\nline\r\n--q--\r\n";
  ProcessedUserData ud = Process(mime);
  EXPECT_EQ(AsMap(ud.scripts), (Scripts{{"q.sh", "#!/bin/sh\necho a=b longline"}}));
}

}  // namespace
}  // namespace nubo::agent
