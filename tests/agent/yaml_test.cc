#include <gtest/gtest.h>

#include "nubo/value.h"

namespace nubo {
namespace {

struct ScalarCase {
  const char* text;
  Value expected;
};

class PlainScalarTest : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(PlainScalarTest, ResolvesAsPyYaml) {
  const auto& c = GetParam();
  Value got = ResolvePlainScalar(c.text);
  EXPECT_EQ(got, c.expected) << "text: " << c.text << " got " << got.dump();
  EXPECT_EQ(got.type(), c.expected.type()) << "text: " << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Yaml11, PlainScalarTest,
    ::testing::Values(
        ScalarCase{"yes", true}, ScalarCase{"Yes", true}, ScalarCase{"YES", true},
        ScalarCase{"no", false}, ScalarCase{"NO", false}, ScalarCase{"on", true},
        ScalarCase{"On", true}, ScalarCase{"ON", true}, ScalarCase{"off", false},
        ScalarCase{"Off", false}, ScalarCase{"true", true}, ScalarCase{"False", false},
        ScalarCase{"TRUE", true},
        // PyYAML does not take y/n or mixed case as booleans.
        ScalarCase{"y", "y"}, ScalarCase{"n", "n"}, ScalarCase{"yEs", "yEs"},
        ScalarCase{"~", nullptr}, ScalarCase{"null", nullptr}, ScalarCase{"Null", nullptr},
        ScalarCase{"NULL", nullptr}, ScalarCase{"", nullptr}, ScalarCase{"nULL", "nULL"},
        ScalarCase{"0644", 420}, ScalarCase{"0600", 384}, ScalarCase{"0", 0},
        ScalarCase{"644", 644}, ScalarCase{"-17", -17}, ScalarCase{"+5", 5},
        ScalarCase{"0x1F", 31}, ScalarCase{"0b101", 5}, ScalarCase{"1_000", 1000},
        ScalarCase{"1:30", 90}, ScalarCase{"190:20:30", 685230},
        ScalarCase{"09", "09"}, ScalarCase{"0o17", "0o17"},
        ScalarCase{"1.5", 1.5}, ScalarCase{".5", 0.5}, ScalarCase{"1.0e+3", 1000.0},
        ScalarCase{"1e3", "1e3"},  // YAML 1.1 needs a dot and a signed exponent
        ScalarCase{"1.2.3", "1.2.3"}, ScalarCase{"-", "-"},
        ScalarCase{"hello", "hello"}, ScalarCase{"2024-01-02", "2024-01-02"}));

TEST(ParseYamlTest, QuotedScalarsStayStrings) {
  auto v = ParseYaml("a: 'yes'\nb: \"0644\"\nc: '~'\nd: yes\ne: 0644\nf: ~\n", "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["a"], "yes");
  EXPECT_EQ((*v)["b"], "0644");
  EXPECT_EQ((*v)["c"], "~");
  EXPECT_EQ((*v)["d"], true);
  EXPECT_EQ((*v)["e"], 420);
  EXPECT_TRUE((*v)["f"].is_null());
}

TEST(ParseYamlTest, ExplicitTags) {
  auto v = ParseYaml("a: !!str 0644\nb: !!int '12'\n", "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["a"], "0644");
  EXPECT_EQ((*v)["b"], 12);
}

TEST(ParseYamlTest, NestedStructures) {
  auto v = ParseYaml("users:\n  - default\n  - name: bob\n    sudo: off\n", "test");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->dump(), R"({"users":["default",{"name":"bob","sudo":false}]})");
}

TEST(ParseYamlTest, RepeatedKeyLastWins) {
  auto v = ParseYaml("a: 1\na: 2\n", "test");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["a"], 2);
}

TEST(ParseYamlTest, SyntaxErrorNamesSourceLineAndColumn) {
  auto v = ParseYaml("runcmd:\n  - ls\n bad: [\n", "user-data");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message.rfind("user-data: line 3, column ", 0), 0u) << v.error().message;
}

TEST(ParseYamlTest, EmptyDocumentIsNull) {
  auto v = ParseYaml("", "x");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_null());
}

TEST(TranslateBoolTest, MatchesCloudInit) {
  EXPECT_TRUE(TranslateBool(true));
  EXPECT_TRUE(TranslateBool("yes"));
  EXPECT_TRUE(TranslateBool("On"));
  EXPECT_TRUE(TranslateBool(1));
  EXPECT_FALSE(TranslateBool(0));
  EXPECT_FALSE(TranslateBool(""));
  EXPECT_FALSE(TranslateBool("unchanged"));
  EXPECT_FALSE(TranslateBool(nullptr));
  EXPECT_TRUE(IsFalse("off"));
  EXPECT_FALSE(IsFalse("unchanged"));
}

TEST(PyStrTest, PythonSpellings) {
  EXPECT_EQ(PyStr(true), "True");
  EXPECT_EQ(PyStr(nullptr), "None");
  EXPECT_EQ(PyStr(7), "7");
  EXPECT_EQ(PyStr(1.0), "1.0");
  EXPECT_EQ(PyStr("x"), "x");
}

}  // namespace
}  // namespace nubo

namespace nubo {
namespace {

// Debian's /etc/cloud/cloud.cfg.d/05_logging.cfg has this shape: an anchor
// on a block scalar inside a sequence, then aliases of it.
TEST(ParseYamlTest, AnchorOnBlockScalarInSequence) {
  auto v = ParseYaml("_log:\n - &log_base |\n   [loggers]\n   keys=root\n - &log_file |\n   x\nlog_cfgs:\n"
                     " - [ *log_base, *log_file ]\n",
                     "05_logging.cfg");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["log_cfgs"][0][0], "[loggers]\nkeys=root\n");
  EXPECT_EQ((*v)["log_cfgs"][0][1], "x\n");
}

TEST(ParseYamlTest, MergeKeysAsPyYaml) {
  auto v = ParseYaml(
      "base: &b {a: 1, b: 2}\nother: &o {b: 20, c: 30}\n"
      "one: {<<: *b, a: 10}\n"
      "many: {<<: [*b, *o], d: 4}\n"
      "late: {a: 5, <<: *b}\n",
      "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["one"], (Value{{"a", 10}, {"b", 2}}));
  EXPECT_EQ((*v)["many"], (Value{{"a", 1}, {"b", 2}, {"c", 30}, {"d", 4}}));
  EXPECT_EQ((*v)["late"], (Value{{"a", 5}, {"b", 2}}));
  auto bad = ParseYaml("x: {<<: 3}\n", "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "test: line 1, column 5: expected a mapping or list of mappings for merging, but found int");
}

TEST(ParseYamlTest, ErrorsAsPyYamlReportsThem) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"a: b: c\n", "t: line 1, column 5: mapping values are not allowed in this context"},
      {"a: *nope\n", "t: line 1, column 4: found undefined alias 'nope'"},
      {"a: 1\n---\nb: 2\n", "t: line 2, column 1: expected a single document in the stream, but found another document"},
      {"a: !!python/object x\n", "t: line 1, column 4: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object'"},
  };
  for (const auto& c : cases) {
    auto v = ParseYaml(c.text, "t");
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().message, c.message) << c.text;
  }
}

}  // namespace
}  // namespace nubo
