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
