// `cloud-init schema`'s checks: cloud-init 22.4.2's problem texts, from the
// modules' own declarations.

#include "agent/schema.h"

#include <gtest/gtest.h>

namespace nubo::agent {
namespace {

TEST(SchemaTest, ValidConfigHasNoErrors) {
  auto r = CheckCloudConfig(
      "#cloud-config\nruncmd: [ls]\nwrite_files: []\npackages: [vim]\nntp: {}\npuppet: {}\n", "f.yaml");
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

TEST(SchemaTest, UnknownKeyGetsDidYouMean) {
  auto r = CheckCloudConfig("#cloud-config\npackges: [vim]\nzzzqqq: 1\n", "f.yaml");
  EXPECT_TRUE(r.errors.empty());  // cloud-init 22.4's schema allows any top-level key
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "packges: unknown key (did you mean 'packages'?)");
}

TEST(SchemaTest, AnnotateMarksTheLine) {
  std::string text = "#cloud-config\nruncmd: ls\n";
  auto r = CheckCloudConfig(text, "f.yaml");
  EXPECT_EQ(AnnotateCloudConfig(text, r),
            "#cloud-config\nruncmd: ls\t\t# E1\n\n# Errors: -------------\n# E1: 'ls' is not of type 'array'\n");
}

TEST(SchemaTest, DocsListModuleKeys) {
  std::string docs = SchemaDocs("runcmd");
  EXPECT_EQ(docs, "runcmd\n  runcmd (array)\n");
  EXPECT_TRUE(SchemaDocs("no_such_module").empty());
}

}  // namespace
}  // namespace nubo::agent
