// cloud-init's own schema examples (tests/fixtures/schema-examples/cases.json:
// the valid and invalid configs of 22.4.2's schema tests for the modules nubo
// implements, those modules' documentation examples and Debian's example
// files, each with the verdict of 22.4.2's `cloud-init schema -c`) give nubo's
// schema check the same verdict, except where tests/compat/known-differences.yaml
// lists the case (pseudo-scenario "schema:<id>", item "exit"). The compat suite
// compares the same cases live (tests/compat/lib/schemacheck.py).

#include <fnmatch.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "agent/schema.h"
#include "agent/stages.h"
#include "support/files.h"

namespace nubo::agent {
namespace {

using nubo::testing::ReadSourceFile;

// The case ids known-differences.yaml lists for the schema item "exit".
std::set<std::string> Listed(const Value& cases, const Value& known) {
  std::set<std::string> out;
  for (const Value& entry : known) {
    if (!entry.is_object() || !entry.contains("item")) continue;
    Value items = entry["item"].is_array() ? entry["item"] : Value::array({entry["item"]});
    if (std::find(items.begin(), items.end(), Value("exit")) == items.end()) continue;
    Value scenarios = entry.contains("scenario") ? entry["scenario"] : Value("*");
    if (!scenarios.is_array()) scenarios = Value::array({scenarios});
    for (const Value& c : cases) {
      std::string label = "schema:" + c["id"].get<std::string>();
      for (const Value& glob : scenarios) {
        if (glob.is_string() && fnmatch(glob.get<std::string>().c_str(), label.c_str(), 0) == 0) out.insert(c["id"]);
      }
    }
  }
  return out;
}

TEST(SchemaExamplesTest, SameVerdictsAsCloudInit) {
  Value cases = Value::parse(ReadSourceFile("tests/fixtures/schema-examples/cases.json"));
  auto known = ParseYaml(ReadSourceFile("tests/compat/known-differences.yaml"), "known-differences.yaml");
  ASSERT_TRUE(known) << known.error().ToString();
  ASSERT_GT(cases.size(), 300u);
  std::set<std::string> listed = Listed(cases, *known);
  int same = 0, valid = 0;
  for (const Value& c : cases) {
    const std::string id = c["id"];
    SchemaReport r = CheckCloudConfig(c["text"].get<std::string>(), "FILE");
    int rc = r.errors.empty() ? 0 : 1;
    valid += c["cloud_init_rc"] == 0;
    if (listed.count(id)) {
      // A listed case must still differ, or its entry is stale.
      EXPECT_NE(rc, c["cloud_init_rc"].get<int>()) << id << ": listed in known-differences.yaml but now agrees";
      continue;
    }
    std::string why;
    for (const auto& e : r.errors) why += "\n  " + e.path + ": " + e.message;
    EXPECT_EQ(rc, c["cloud_init_rc"].get<int>())
        << id << " (" << c["origin"].get<std::string>() << "): cloud-init says " << c["cloud_init_says"].get<std::string>()
        << "\nnubo's errors:" << why << "\n" << c["text"].get<std::string>();
    same += rc == c["cloud_init_rc"].get<int>();
  }
  // Both kinds are there: a check that took everything, or nothing, fails.
  EXPECT_GT(valid, 100);
  EXPECT_GT(static_cast<int>(cases.size()) - valid, 100);
  std::cout << "schema examples: " << same << " of " << cases.size() << " same verdict, " << listed.size()
            << " listed\n";
}

}  // namespace
}  // namespace nubo::agent
