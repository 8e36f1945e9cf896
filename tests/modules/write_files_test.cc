#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

class WriteFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/etc/passwd",
                 "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    sys_.AddFile("/etc/group", "root:x:0:\nadm:x:4:alice\nalice:x:1000:\n");
  }

  Status RunWith(const std::string& yaml, const ModuleSpec& spec = modules::write_files::kSpec) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = std::string(spec.name),
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = spec.frequency};
    return spec.run(ctx);
  }

  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/write_files"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(WriteFilesTest, Specs) {
  EXPECT_EQ(modules::write_files::kSpec.name, "write_files");
  EXPECT_EQ(modules::write_files::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::write_files::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(modules::write_files::kSpec.activated_by, std::vector<std::string_view>{"write_files"});
  EXPECT_EQ(FindModule("write-files"), &modules::write_files::kSpec);
  EXPECT_EQ(modules::write_files_deferred::kSpec.stage, Stage::kFinal);
  EXPECT_EQ(modules::write_files_deferred::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(modules::write_files_deferred::kSpec.activated_by,
            std::vector<std::string_view>{"write_files"});
  EXPECT_EQ(FindModule("write-files-deferred"), &modules::write_files_deferred::kSpec);
}

TEST_F(WriteFilesTest, AllEncodings) {
  Status s = RunWith(R"(write_files:
  - path: /etc/c/plain
    content: |
      plain text
  - {path: /etc/c/b64, encoding: b64, content: aGVsbG8gY29tcGF0Cg==}
  - {path: /etc/c/base64, encoding: ' BASE64 ', content: "aGVs\nbG8gY29t cGF0Cg=="}
  - {path: /etc/c/gz+b64, encoding: gz+b64, content: H4sIAAAAAAAAA0uvyizQTkosTjUzUShIrMzJT0zhAgD1mC+nFAAAAA==}
  - {path: /etc/c/gzip+base64, encoding: gzip+base64, content: H4sIAAAAAAAAA8vJzEvVTeTKAVFJXADAsPKwDgAAAA==}
  - {path: /etc/c/gz+base64, encoding: gz+base64, content: H4sIAAAAAAAAA8vJzEvVTeTKAVFJXADAsPKwDgAAAA==}
  - {path: /etc/c/gzip+b64, encoding: gzip+b64, content: H4sIAAAAAAACA8vPS1UAAElhrCMEAAAAH4sIAAAAAAACAyspz+cCAHQIF5YEAAAA}
  - {path: /etc/c/text, encoding: text/plain, content: no newline}
  - {path: /etc/c/unknown, encoding: rot13, content: as is}
  - path: /etc/c/empty
  - {path: /etc/c/null-content, content: }
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/c/plain"), "plain text\n");
  EXPECT_EQ(sys_.Read("/etc/c/b64"), "hello compat\n");
  EXPECT_EQ(sys_.Read("/etc/c/base64"), "hello compat\n");
  EXPECT_EQ(sys_.Read("/etc/c/gz+b64"), "gzip+base64 payload\n");
  EXPECT_EQ(sys_.Read("/etc/c/gzip+base64"), "line-a\nline-b\n");
  EXPECT_EQ(sys_.Read("/etc/c/gz+base64"), "line-a\nline-b\n");
  EXPECT_EQ(sys_.Read("/etc/c/gzip+b64"), "one two\n") << "two gzip members";
  EXPECT_EQ(sys_.Read("/etc/c/text"), "no newline");
  EXPECT_EQ(sys_.Read("/etc/c/unknown"), "as is");
  EXPECT_EQ(sys_.Read("/etc/c/empty"), "");
  EXPECT_EQ(sys_.Read("/etc/c/null-content"), "");
  EXPECT_EQ(sys_.ModeOf("/etc/c/plain"), 0644u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "write_files[8].encoding: Unknown encoding type 'rot13', assuming "
                             "text/plain"))
      << sink_.Dump();
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "wrote '/etc/c/plain' (0644, root:root)"));
  EXPECT_TRUE(sys_.owners().count("/etc/c/plain") == 0) << "default owner: the writer, root";
}

// cloud-init's own write_files documentation example: a gzip'd script as
// YAML !!binary bytes (with encoding: gzip), and bytes written as they are.
TEST_F(WriteFilesTest, BinaryContentFromYamlTag) {
  Status s = RunWith(R"(write_files:
  - encoding: gzip
    content: !!binary |
        H4sIAIDb/U8C/1NW1E/KzNMvzuBKTc7IV8hIzcnJVyjPL8pJ4QIA6N+MVxsAAAA=
    path: /usr/bin/hello
    permissions: '0755'
  - path: /etc/raw.bin
    content: !!binary AAEC/w==
  - path: /etc/b64-of-bytes
    encoding: b64
    content: !!binary aGVsbA==
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/usr/bin/hello"), "#!/bin/sh\necho hello world\n");
  EXPECT_EQ(sys_.Read("/etc/raw.bin"), std::string("\x00\x01\x02\xff", 4));
  // b64 applied to the bytes' text, as base64.b64decode(bytes) does.
  EXPECT_EQ(sys_.Read("/etc/b64-of-bytes"), "\x85\xe9\x65");
}

TEST_F(WriteFilesTest, ContentOfAnotherTypeNamesTheKey) {
  Status s = RunWith("write_files:\n  - {path: /etc/x, content: [1]}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "write_files[0].content: expected str, got list");
}

TEST_F(WriteFilesTest, RawGzipContent) {
  // What a YAML !!binary value gives cloud-init: the gzip bytes themselves.
  const char gz[] =
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x2b\x4a\x2c\x57\x48\xaf\xca\x2c\xe0\x02\x00"
      "\xa9\x3f\x02\xad\x09\x00\x00\x00";
  config_ = Value::object();
  config_["write_files"] = Value::array(
      {{{"path", "/etc/raw"}, {"encoding", "gzip"}, {"content", std::string(gz, sizeof(gz) - 1)}}});
  paths_.instance_id = "iid-1";
  ModuleContext ctx{.name = "write_files",
                    .config = config_,
                    .instance = instance_,
                    .sys = sys_,
                    .log = log_,
                    .paths = paths_,
                    .frequency = Frequency::kPerInstance};
  Status s = modules::write_files::kSpec.run(ctx);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/raw"), "raw gzip\n");
}

struct PermsCase {
  const char* yaml_value;
  mode_t mode;
};

class WriteFilesPermsTest : public WriteFilesTest,
                            public ::testing::WithParamInterface<PermsCase> {};

TEST_P(WriteFilesPermsTest, Decodes) {
  Status s = RunWith(std::string("write_files:\n  - {path: /etc/p, content: x, permissions: ") +
                     GetParam().yaml_value + "}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.ModeOf("/etc/p"), GetParam().mode) << GetParam().yaml_value;
}

INSTANTIATE_TEST_SUITE_P(Values, WriteFilesPermsTest,
                         ::testing::Values(PermsCase{"0644", 0644}, PermsCase{"0600", 0600},
                                           PermsCase{"'0600'", 0600}, PermsCase{"'640'", 0640},
                                           PermsCase{"420", 0644}, PermsCase{"'0o755'", 0755},
                                           PermsCase{"' 0750 '", 0750}, PermsCase{"~", 0644},
                                           PermsCase{"384.0", 0600}, PermsCase{"'4755'", 04755}));

struct BadCase {
  const char* yaml;
  const char* error;
};

class WriteFilesErrorTest : public WriteFilesTest, public ::testing::WithParamInterface<BadCase> {};

// As cloud-init 22.4: entries are written in order and the first bad one
// stops the module; nothing of the bad entry is written.
TEST_P(WriteFilesErrorTest, StopsAtTheBadEntry) {
  Status s = RunWith(std::string("write_files:\n  - {path: /etc/good, content: x}\n") +
                     GetParam().yaml + "  - {path: /etc/later, content: y}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), GetParam().error);
  EXPECT_EQ(sys_.Read("/etc/good"), "x");
  EXPECT_FALSE(sys_.Has("/etc/x"));
  EXPECT_FALSE(sys_.Has("/etc/later"));
}

INSTANTIATE_TEST_SUITE_P(
    Entries, WriteFilesErrorTest,
    ::testing::Values(
        BadCase{"  - {path: /etc/x, permissions: 'rw-r--r--'}\n",
                "write_files[1].permissions: undecodable permissions 'rw-r--r--' (expected an "
                "octal string such as '0644' or an integer)"},
        BadCase{"  - {path: /etc/x, permissions: '0849'}\n",
                "write_files[1].permissions: undecodable permissions '0849' (expected an octal "
                "string such as '0644' or an integer)"},
        BadCase{"  - {path: /etc/x, permissions: -1}\n",
                "write_files[1].permissions: undecodable permissions -1 (expected an octal "
                "string such as '0644' or an integer)"},
        BadCase{"  - {path: /etc/x, permissions: 99999}\n",
                "write_files[1].permissions: undecodable permissions 99999 (expected an octal "
                "string such as '0644' or an integer)"},
        BadCase{"  - {path: /etc/x, permissions: yes}\n",
                "write_files[1].permissions: undecodable permissions True (expected an octal "
                "string such as '0644' or an integer)"},
        BadCase{"  - {path: /etc/x, encoding: b64, content: aGVsbG8}\n",
                "write_files[1].content: cannot decode base64: Incorrect padding"},
        BadCase{"  - {path: /etc/x, encoding: b64, content: aGVsb}\n",
                "write_files[1].content: cannot decode base64: Invalid base64-encoded string: "
                "number of data characters (5) cannot be 1 more than a multiple of 4"},
        BadCase{"  - {path: /etc/x, encoding: gz+b64, content: aGVsbG8K}\n",
                "write_files[1].content: cannot decompress gzip: Not a gzipped file"},
        BadCase{"  - {path: /etc/x, encoding: gz+b64, content: H4sIAAAAAAAAA0uvyizQTkos}\n",
                "write_files[1].content: cannot decompress gzip: Compressed file ended before "
                "the end-of-stream marker was reached"},
        BadCase{"  - {path: /etc/x, content: 12}\n",
                "write_files[1].content: expected str, got int"},
        BadCase{"  - {path: [a], content: x}\n", "write_files[1].path: expected str, got list"},
        BadCase{"  - {path: /etc/x, owner: 0}\n", "write_files[1].owner: expected str, got int"},
        BadCase{"  - {path: /etc/x, encoding: 64}\n",
                "write_files[1].encoding: expected str, got int"},
        BadCase{"  - /etc/x\n", "write_files[1]: expected dict, got str"}));

TEST_F(WriteFilesTest, NotAList) {
  Status s = RunWith("write_files: {path: /etc/x}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "write_files: expected list, got dict");
}

TEST_F(WriteFilesTest, MissingPathIsSkippedWithAWarning) {
  Status s = RunWith("write_files:\n  - {content: lost}\n  - {path: /etc/kept, content: x}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/kept"), "x");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "write_files[0].path: missing, skipping (No path provided to write "
                             "for entry 1)"))
      << sink_.Dump();
}

TEST_F(WriteFilesTest, OwnersModesAndPaths) {
  Status s = RunWith(R"(write_files:
  - {path: /home/alice/.config/app.conf, content: a, owner: 'alice:adm', permissions: '0600'}
  - {path: /etc/only-user, content: b, owner: alice}
  - {path: /etc/explicit-root, content: c, owner: 'root:root'}
  - {path: etc/relative/../norm, content: d}
  - {path: /etc/none-owner, content: e, owner: 'none:-1'}
  - {path: /etc/src, content: f, source: {uri: 'http://example.com/x'}}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/home/alice/.config/app.conf"), "a");
  EXPECT_EQ(sys_.ModeOf("/home/alice/.config/app.conf"), 0600u);
  EXPECT_EQ(sys_.ModeOf("/home/alice/.config"), 0755u);
  EXPECT_EQ(sys_.owners().at("/home/alice/.config/app.conf"), "1000:4");
  EXPECT_EQ(sys_.owners().at("/etc/only-user"), "1000:");
  EXPECT_EQ(sys_.owners().at("/etc/explicit-root"), "0:0");
  EXPECT_EQ(sys_.Read("/etc/norm"), "d");
  EXPECT_EQ(sys_.owners().count("/etc/none-owner"), 0u);
  EXPECT_EQ(sys_.Read("/etc/src"), "f");
  EXPECT_TRUE(
      sink_.Contains(LogLevel::kInfo, "wrote '/home/alice/.config/app.conf' (0600, alice:adm)"))
      << sink_.Dump();
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "write_files[5].source: not supported (cloud-init 22.4 has no "
                             "'source'), ignoring it"))
      << sink_.Dump();
}

TEST_F(WriteFilesTest, UnknownOwnerFails) {
  Status s = RunWith("write_files:\n  - {path: /etc/x, content: x, owner: 'nobody:nogroup'}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().key, "write_files[0]");
  EXPECT_FALSE(sys_.Has("/etc/x"));
}

TEST_F(WriteFilesTest, AppendAddsToExistingFileAndSetsMode) {
  sys_.AddFile("/etc/motd", "hello\n", 0600);
  Status s = RunWith(R"(write_files:
  - {path: /etc/motd, content: "world\n", append: true}
  - {path: /etc/new, content: "first\n", append: 'yes'}
  - {path: /etc/twice, content: one}
  - {path: /etc/twice, content: two}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/motd"), "hello\nworld\n");
  EXPECT_EQ(sys_.ModeOf("/etc/motd"), 0644u);
  EXPECT_EQ(sys_.Read("/etc/new"), "first\n");
  EXPECT_EQ(sys_.Read("/etc/twice"), "two");
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "appended to '/etc/motd' (0644, root:root)"));
}

TEST_F(WriteFilesTest, DeferredEntriesWaitForTheFinalStage) {
  const char* yaml = R"(write_files:
  - {path: /etc/early, content: early}
  - {path: /etc/late, content: late, defer: true, owner: 'alice:alice', permissions: '0600'}
  - {path: /etc/deferred-append, content: "one\n", defer: true}
  - {path: /etc/deferred-append, content: "two\n", append: true, defer: 'on'}
  - {path: [bad, but, deferred], defer: true}
)";
  // The bad entry is deferred: write_files never looks at it.
  Status s = RunWith(yaml);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/early"), "early");
  EXPECT_FALSE(sys_.Has("/etc/late"));
  EXPECT_FALSE(sys_.Has("/etc/deferred-append"));

  sys_.AddFile("/etc/early", "changed since");
  s = RunWith(yaml, modules::write_files_deferred::kSpec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "write_files[4].path: expected str, got list");
  EXPECT_EQ(sys_.Read("/etc/late"), "late") << "entries before the bad one are written";

  std::string good = yaml;
  good.erase(good.find("  - {path: [bad"));
  s = RunWith(good, modules::write_files_deferred::kSpec);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/early"), "changed since") << "non-deferred entries are not rewritten";
  EXPECT_EQ(sys_.Read("/etc/late"), "late");
  EXPECT_EQ(sys_.ModeOf("/etc/late"), 0600u);
  EXPECT_EQ(sys_.owners().at("/etc/late"), "1000:1000");
  EXPECT_EQ(sys_.Read("/etc/deferred-append"), "one\ntwo\n");
}

TEST_F(WriteFilesTest, NothingToDo) {
  EXPECT_TRUE(RunWith("write_files: []\n").ok());
  EXPECT_TRUE(RunWith("write_files:\n  - {path: /etc/x, defer: true}\n").ok());
  EXPECT_FALSE(sys_.Has("/etc/x"));
  EXPECT_TRUE(RunWith("{}\n", modules::write_files_deferred::kSpec).ok());
}

}  // namespace
}  // namespace nubo
