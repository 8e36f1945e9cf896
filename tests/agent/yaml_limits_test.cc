// YAML bounds (nubo/limits.h): the two crashes of issue 12 — "billion
// laughs" aliases and a flow sequence nested 200,000 deep — are errors that
// name their limit, quickly and in bounded memory; documents inside the
// bounds still load, aliases included.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "nubo/limits.h"
#include "nubo/value.h"

namespace nubo {
namespace {

using ::testing::HasSubstr;

// ~1 KB: each anchor aliases the previous one nine times, ten levels deep
// (9^10 = 3.5e9 leaves once expanded).
std::string BillionLaughs() {
  std::string doc = "#cloud-config\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) doc += (j ? ", " : "") + prev;
    doc += "]\n";
  }
  return doc;
}

double SecondsToParse(const std::string& text, Result<Value>* out) {
  auto start = std::chrono::steady_clock::now();
  *out = ParseYaml(text, "user-data");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(YamlLimitsTest, BillionLaughsIsRefusedNamingTheLimit) {
  std::string doc = BillionLaughs();
  ASSERT_LT(doc.size(), 1500u);
  Result<Value> v = MakeError("unset");
  double seconds = SecondsToParse(doc, &v);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().message, HasSubstr("user-data: line "));
  EXPECT_THAT(v.error().message,
              HasSubstr("document with its aliases expanded: larger than 200000 nodes (limit max_yaml_nodes)"));
  EXPECT_LT(seconds, 5.0);
}

TEST(YamlLimitsTest, AliasedLongScalarCountsItsBytes) {
  // 1 MiB string aliased 100 times: few nodes, 100 MiB once expanded.
  std::string doc = "a: &big " + std::string(1 << 20, 'x') + "\nb: [";
  for (int i = 0; i < 100; ++i) doc += (i ? ", " : "") + std::string("*big");
  doc += "]\n";
  auto v = ParseYaml(doc, "user-data");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().message, HasSubstr("(limit max_yaml_scalar_bytes)"));
}

TEST(YamlLimitsTest, DeepFlowSequenceIsRefusedNamingTheLimit) {
  std::string doc = "#cloud-config\nx: " + std::string(200000, '[') + std::string(200000, ']') + "\n";
  Result<Value> v = MakeError("unset");
  double seconds = SecondsToParse(doc, &v);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().message, HasSubstr("nesting: deeper than 1000 levels (limit max_yaml_depth)"));
  EXPECT_THAT(v.error().message, HasSubstr("line 2, column 1003"));
  EXPECT_LT(seconds, 5.0);
}

TEST(YamlLimitsTest, DeepBlockMappingsAreRefusedToo) {
  std::string doc;
  for (int i = 0; i < 3000; ++i) doc += std::string(i, ' ') + "k:\n";
  auto v = ParseYaml(doc, "cloud.cfg");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().message, HasSubstr("(limit max_yaml_depth)"));
}

TEST(YamlLimitsTest, NestingUpToTheLimitLoads) {
  // The top-level mapping is level 1: 999 more flow sequences fit.
  int n = static_cast<int>(kMaxYamlDepth.value) - 1;
  auto v = ParseYaml("x: " + std::string(n, '[') + "1" + std::string(n, ']') + "\n", "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  const Value* cur = &(*v)["x"];
  int depth = 0;
  while (cur->is_array()) {
    cur = &(*cur)[0];
    ++depth;
  }
  EXPECT_EQ(depth, n);
  EXPECT_EQ(*cur, 1);
  auto over = ParseYaml("x: " + std::string(n + 1, '[') + std::string(n + 1, ']') + "\n", "test");
  EXPECT_FALSE(over.ok());
}

TEST(YamlLimitsTest, AliasesWithinTheBoundsStillExpand) {
  // Four levels of nine: 9^4 = 6561 leaves, 66430 nodes, inside the bound.
  std::string doc = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 4; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) doc += (j ? ", " : "") + prev;
    doc += "]\n";
  }
  auto v = ParseYaml(doc, "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["a4"].size(), 9u);
  EXPECT_EQ((*v)["a4"][8][8][8][8][0], "lol");
  EXPECT_EQ((*v)["a1"], (*v)["a2"][3]);
}

TEST(YamlLimitsTest, MergeKeysAreCountedOnce) {
  auto v = ParseYaml("base: &b {x: 1, y: 2}\nm: {<<: [*b, *b, *b], z: 3}\n", "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["m"], Value({{"x", 1}, {"y", 2}, {"z", 3}}));
}

}  // namespace
}  // namespace nubo
