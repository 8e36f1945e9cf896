// `cloud-init schema`'s checks: cloud-init 22.4.2's problem texts, from the
// modules' own declarations.

#include "agent/schema.h"

#include <gtest/gtest.h>

namespace nubo::agent {
namespace {

TEST(SchemaTest, ValidConfigHasNoErrors) {
  auto r = CheckCloudConfig(
      "#cloud-config\nruncmd: [ls]\nwrite_files: [{path: /x}]\npackages: [vim]\nntp: {}\npuppet: {}\n", "f.yaml");
  EXPECT_TRUE(r.errors.empty());
  // puppet belongs to a cloud-init module nubo does not implement (packages
  // and ntp, package_update_upgrade_install's and ntp's, are implemented now).
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].rfind("puppet: valid for cloud-init's 'puppet' module", 0), 0u) << r.notes[0];
}

TEST(SchemaTest, HeaderIsRequired) {
  auto r = CheckCloudConfig("runcmd: [ls]\n", "f.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "format-l1.c1");
  EXPECT_EQ(r.errors[0].message, "File f.yaml needs to begin with \"#cloud-config\"");
}

TEST(SchemaTest, YamlErrorsGiveLineAndColumn) {
  auto r = CheckCloudConfig("#cloud-config\nruncmd: [ls\n", "f.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path.rfind("format-l", 0), 0u);
  EXPECT_EQ(r.errors[0].message.rfind("File f.yaml is not valid yaml. ", 0), 0u) << r.errors[0].message;
  auto tag = CheckCloudConfig("#cloud-config\nruncmd:\n  - !nope x\n", "f.yaml");
  ASSERT_EQ(tag.errors.size(), 1u);
  EXPECT_EQ(tag.errors[0].path, "format-l3.c5");
  EXPECT_EQ(tag.errors[0].message, "File f.yaml is not valid yaml. could not determine a constructor for the tag '!nope'");
}

TEST(SchemaTest, DeclaredTypesAreChecked) {
  auto r = CheckCloudConfig("#cloud-config\nruncmd: ls\nfinal_message: [1]\n", "f.yaml");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].path, "final_message");
  EXPECT_EQ(r.errors[0].message, "[1] is not of type 'string'");
  EXPECT_EQ(r.errors[1].path, "runcmd");
  EXPECT_EQ(r.errors[1].message, "'ls' is not of type 'array'");
}

TEST(SchemaTest, NestedDeclarationsAreChecked) {
  auto r = CheckCloudConfig(
      "#cloud-config\n"
      "ntp: {pools: [a, a], servers: [1], bogus: 1}\n"
      "power_state: {delay: -1, message: hi}\n"
      "write_files: []\n"
      "random_seed: {encoding: zip}\n",
      "f.yaml");
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : r.errors) got.emplace_back(e.path, e.message);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"ntp", "Additional properties are not allowed ('bogus' was unexpected)"},
                     {"ntp.pools", "['a', 'a'] has non-unique elements"},
                     {"ntp.servers.0", "1 is not of type 'string'"},
                     {"power_state", "'mode' is a required property"},
                     {"power_state.delay", "-1 is not valid under any of the given schemas"},
                     {"random_seed.encoding", "'zip' is not one of ['raw', 'base64', 'b64', 'gzip', 'gz']"},
                     {"write_files", "[] is too short"},
                 }));
  EXPECT_TRUE(r.deprecations.empty());
}

TEST(SchemaTest, DeprecationsAreReportedNotErrors) {
  auto r = CheckCloudConfig("#cloud-config\napt_update: true\npower_state: {mode: reboot, delay: '+5'}\n", "f.yaml");
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.deprecations.size(), 2u);
  EXPECT_EQ(r.deprecations[0].path, "apt_update");
  EXPECT_EQ(r.deprecations[0].message, "DEPRECATED: use 'package_update' instead");
  EXPECT_EQ(r.deprecations[1].path, "power_state.delay");
  // An alternative that does not match says nothing: 'now' is not deprecated.
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\npower_state: {mode: reboot, delay: now}\n", "f").deprecations.empty());
}

TEST(SchemaTest, EnumsCompareTheValuesText) {
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\nresize_rootfs: noblock\n", "f").errors.empty());
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\nresize_rootfs: false\n", "f").errors.empty());
  EXPECT_FALSE(CheckCloudConfig("#cloud-config\nresize_rootfs: 1\n", "f").errors.empty());
  EXPECT_FALSE(CheckCloudConfig("#cloud-config\ngrowpart: {mode: true}\n", "f").errors.empty());
  EXPECT_EQ(CheckCloudConfig("#cloud-config\ngrowpart: {mode: false}\n", "f").deprecations.size(), 1u);
}

TEST(SchemaTest, ADocumentThatIsNotAMapIsAnError) {
  auto r = CheckCloudConfig("#cloud-config-archive\n- type: text/cloud-config\n  content: 'a: 1'\n", "f");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "");
  EXPECT_EQ(r.errors[0].message, "Cloud-config is not a YAML dict.");
}

TEST(SchemaTest, UnknownKeyGetsDidYouMean) {
  auto r = CheckCloudConfig("#cloud-config\npackges: [vim]\nzzzqqq: 1\n", "f.yaml");
  EXPECT_TRUE(r.errors.empty());  // cloud-init 22.4's schema allows any top-level key
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "packges: unknown key (did you mean 'packages'?)");
}

// --annotate as 22.4 prints it: the lines (the last one empty), each problem
// marked on its path's line and numbered in line order (E errors, D
// deprecations), then the footers, joined by newlines.
TEST(SchemaTest, AnnotateMarksProblemsOnTheirLines) {
  const struct {
    const char* text;
    const char* annotated;
  } kCases[] = {
      {"#cloud-config\nruncmd: ls\n",
       "#cloud-config\nruncmd: ls\t\t# E1\n\n# Errors: -------------\n# E1: 'ls' is not of type 'array'\n\n"},
      // A nested path's own line.
      {"#cloud-config\nntp:\n  pools:\n    - 1\n  servers: [a, a]\nruncmd:\n  - [ls]\n  - 7\n",
       "#cloud-config\nntp:\n  pools:\n    - 1\t\t# E1\n  servers: [a, a]\t\t# E2\nruncmd:\n  - [ls]\n"
       "  - 7\t\t# E3\n\n"
       "# Errors: -------------\n# E1: 1 is not of type 'string'\n# E2: ['a', 'a'] has non-unique elements\n"
       "# E3: 7 is not valid under any of the given schemas\n\n"},
      // Line order, not path order; deprecations after the errors.
      {"#cloud-config\nruncmd: ls\napt_update: true\nfinal_message: [1]\n",
       "#cloud-config\nruncmd: ls\t\t# E1\napt_update: true\t\t# D1\nfinal_message: [1]\t\t# E2\n\n"
       "# Errors: -------------\n# E1: 'ls' is not of type 'array'\n# E2: [1] is not of type 'string'\n\n\n"
       "# Deprecations: -------------\n# D1: DEPRECATED: use 'package_update' instead\n\n"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(AnnotateCloudConfig(c.text, CheckCloudConfig(c.text, "f.yaml")), c.annotated) << c.text;
  }
}

TEST(SchemaTest, DocsListModuleKeys) {
  std::string docs = SchemaDocs("runcmd");
  EXPECT_EQ(docs, "runcmd\n  runcmd (array)\n");
  EXPECT_TRUE(SchemaDocs("no_such_module").empty());
}

}  // namespace
}  // namespace nubo::agent
