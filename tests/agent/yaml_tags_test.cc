// Every tag PyYAML's SafeLoader constructs, against PyYAML itself: the
// cases and PyYAML 6.0's answers are tests/fixtures/yaml-tags/expected.json,
// written by generate.py next to it with Debian's python3-yaml.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nubo/value.h"
#include "support/files.h"

namespace nubo {
namespace {

Value LoadFixture() {
  return Value::parse(nubo::testing::ReadSourceFile("tests/fixtures/yaml-tags/expected.json"));
}

// Compares nubo's value with PyYAML's, in generate.py's typed form; returns
// "" or what differs, with the path.
std::string Diff(const Value& got, const Value& want, const std::string& path) {
  auto fail = [&](const std::string& what) {
    return path + ": " + what + " (got " + (got.is_binary() ? "bytes" : got.dump()) + ", want " + want.dump() + ")";
  };
  if (want.is_object() && want.size() == 1) {
    const std::string& tag = want.begin().key();
    const Value& inner = want.begin().value();
    if (tag == "!!binary") {
      if (!got.is_binary()) return fail("expected bytes");
      return JsonCompatible(got) == "ci-b64:" + inner.get<std::string>() ? "" : fail("bytes differ");
    }
    if (tag == "!!timestamp") return got == inner ? "" : fail("timestamp text differs");
    if (tag == "!!float") {
      if (!got.is_number_float()) return fail("expected a float");
      double d = got.get<double>();
      std::string kind = std::isnan(d) ? "nan" : std::isinf(d) ? (d > 0 ? "inf" : "-inf") : "finite";
      return kind == inner.get<std::string>() ? "" : fail("float differs");
    }
    if (tag == "!!set") {  // nubo keeps a set as the list of its members
      if (!got.is_array()) return fail("expected the list of the set's members");
      Value sorted = got;
      std::sort(sorted.begin(), sorted.end(), [](const Value& a, const Value& b) { return a.dump() < b.dump(); });
      return Diff(sorted, inner, path);
    }
  }
  if (want.is_object()) {
    if (!got.is_object()) return fail("expected a dict");
    if (got.size() != want.size()) return fail("different keys");
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) return fail("missing key '" + it.key() + "'");
      std::string d = Diff(got[it.key()], it.value(), path + "." + it.key());
      if (!d.empty()) return d;
    }
    return "";
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return fail("expected a list of " + std::to_string(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      std::string d = Diff(got[i], want[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (want.is_number_float() != got.is_number_float()) return fail("int/float differ");
  if (want.is_number_float()) return got.get<double>() == want.get<double>() ? "" : fail("value differs");
  if (want.is_number_integer() && got.is_number_integer()) {  // signed or unsigned alike
    return got.get<int64_t>() == want.get<int64_t>() ? "" : fail("value differs");
  }
  return got == want && got.type() == want.type() ? "" : fail("value differs");
}

TEST(YamlTagsTest, MatchesPyYamlSafeLoader) {
  Value fixture = LoadFixture();
  ASSERT_GE(fixture["cases"].size(), 60u);
  int checked = 0;
  for (const Value& c : fixture["cases"]) {
    std::string name = c["name"];
    SCOPED_TRACE("case " + name);
    auto got = ParseYaml(c["input"].get<std::string>(), "user-data");
    if (c.contains("error")) {
      ASSERT_FALSE(got.ok()) << "PyYAML refuses it (" << c["error"] << "), nubo read " << got->dump();
      std::string msg = got.error().message;
      std::string want = c["error"];
      if (!c["line"].is_null()) {
        // A YAML error: the same message at the same place.
        EXPECT_EQ(msg, "user-data: line " + std::to_string(c["line"].get<int>()) + ", column " +
                           std::to_string(c["column"].get<int>()) + ": " + want);
      } else {
        // A Python exception from a constructor (no mark): the same
        // message; nubo adds the node's position.
        std::string text = want.substr(want.find(": ") + 2);
        EXPECT_EQ(msg.rfind("user-data: line ", 0), 0u) << msg;
        EXPECT_TRUE(msg.ends_with(": " + text)) << msg << " vs " << want;
      }
    } else {
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      EXPECT_EQ(Diff(*got, c["result"], "$"), "");
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(fixture["cases"].size()));
}

TEST(YamlTagsTest, BinaryIsBytesAndDumpsBackAsBinary) {
  auto v = ParseYaml("a: !!binary AAEC/w==\nb: [!!float .nan, x]\n", "test");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  ASSERT_TRUE((*v)["a"].is_binary());
  EXPECT_EQ(BytesOf((*v)["a"]), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(TypeName((*v)["a"]), "bytes");
  EXPECT_EQ(PyStr((*v)["a"]), "b'\\x00\\x01\\x02\\xff'");
  // cloud-config.txt keeps the bytes: the text reads back equal.
  std::string text = DumpYaml(*v);
  auto back = ParseYaml(text, "cloud-config.txt");
  ASSERT_TRUE(back.ok()) << back.error().ToString() << "\n" << text;
  EXPECT_EQ(BytesOf((*back)["a"]), BytesOf((*v)["a"]));
  EXPECT_TRUE(std::isnan((*back)["b"][0].get<double>()));
  EXPECT_EQ((*back)["b"][1], "x");
  // JSON files get cloud-init's "ci-b64:" text.
  EXPECT_EQ(JsonCompatible(*v)["a"], "ci-b64:AAEC/w==");
}

TEST(YamlTagsTest, DumpYamlIsPlainJsonWithoutBytes) {
  Value v = {{"a", 1}, {"b", {"x", "y"}}};
  EXPECT_EQ(DumpYaml(v), v.dump(2));
}

TEST(YamlTagsTest, JsonCompatibleBase64Pads) {
  EXPECT_EQ(JsonCompatible(BytesValue("")), "ci-b64:");
  EXPECT_EQ(JsonCompatible(BytesValue("h")), "ci-b64:aA==");
  EXPECT_EQ(JsonCompatible(BytesValue("hi")), "ci-b64:aGk=");
  EXPECT_EQ(JsonCompatible(BytesValue("hi!")), "ci-b64:aGkh");
}

}  // namespace
}  // namespace nubo
