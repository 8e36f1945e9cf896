// Tests for agent/merge: cloud-init 22.4.2's mergers (cloudinit/mergers).
// Expected values were checked against cloud-init's own code.

#include "agent/merge.h"

#include <gtest/gtest.h>

namespace nubo::agent {
namespace {

Value J(const char* text) { return Value::parse(text); }

MergeHow How(const char* spec) {
  auto how = ParseMergeHow(Value(spec));
  EXPECT_TRUE(how.ok()) << spec << ": " << (how ? "" : how.error().ToString());
  return how ? *how : MergeHow{};
}

struct MergeCase {
  const char* name;
  const char* how;
  const char* base;
  const char* addition;
  const char* expected;
};

class MergeTableTest : public testing::TestWithParam<MergeCase> {};

TEST_P(MergeTableTest, MergesAsCloudInit) {
  const MergeCase& c = GetParam();
  auto merged = TryMergeWith(J(c.base), J(c.addition), How(c.how));
  ASSERT_TRUE(merged.ok()) << merged.error().ToString();
  EXPECT_EQ(*merged, J(c.expected)) << merged->dump();
}

const MergeCase kMergeCases[] = {
    // The cloud-config default: top-level keys are replaced whole.
    {"DefaultReplacesWholeKeys", "dict(replace)+list()+str()",
     R"j({"a":[1,2],"b":{"x":1,"y":2},"c":"s"})j", R"j({"a":[3],"b":{"x":9},"d":1})j",
     R"j({"a":[3],"b":{"x":9},"c":"s","d":1})j"},
    // mergemanydict's default: existing values win, dicts recurse.
    {"ManyDictsDefaultKeepsExisting", "list()+dict()+str()",
     R"j({"a":[1,2],"b":{"x":1,"y":2},"c":"s"})j", R"j({"a":[3],"b":{"x":9,"z":3},"c":"t","d":1})j",
     R"j({"a":[1,2],"b":{"x":1,"y":2,"z":3},"c":"s","d":1})j"},
    // doc/rtd/topics/merging.rst "Example cloud-config": runcmd lists joined.
    {"DocExampleAppend", "list(append)+dict(no_replace,recurse_list)",
     R"j({"runcmd":["bash1","bash2"]})j", R"j({"runcmd":["bash3","bash4"]})j",
     R"j({"runcmd":["bash1","bash2","bash3","bash4"]})j"},
    {"Prepend", "dict(no_replace,recurse_list)+list(prepend)", R"j({"runcmd":["bash1","bash2"]})j",
     R"j({"runcmd":["bash3","bash4"]})j", R"j({"runcmd":["bash3","bash4","bash1","bash2"]})j"},
    // list() replaces index by index, not the whole list.
    {"ListReplaceByIndex", "dict(no_replace,recurse_list)+list()", R"j({"a":[1,2,3]})j",
     R"j({"a":[9]})j", R"j({"a":[9,2,3]})j"},
    {"ListReplaceWithEmpty", "dict(no_replace,recurse_list)+list(replace)", R"j({"a":[1,2]})j",
     R"j({"a":[]})j", R"j({"a":[1,2]})j"},
    {"ListNoReplace", "dict(no_replace,recurse_list)+list(no_replace)", R"j({"a":[1,2,3]})j",
     R"j({"a":[9,8,7,6]})j", R"j({"a":[1,2,3]})j"},
    {"ListNoReplaceOfString", "dict(no_replace,recurse_list)+list(no_replace)", R"j({"a":[1,2]})j",
     R"j({"a":"xyz"})j", R"j({"a":[1,2]})j"},
    {"AllowDeleteWithReplace", "dict(replace,allow_delete)", R"j({"a":1,"b":2})j",
     R"j({"a":null})j", R"j({"b":2})j"},
    {"AllowDeleteOnlyExistingKeys", "dict(no_replace,allow_delete)", R"j({"a":1,"b":2})j",
     R"j({"a":null,"c":null})j", R"j({"b":2,"c":null})j"},
    {"NullWithoutAllowDelete", "dict(replace)", R"j({"a":1,"b":2})j", R"j({"a":null})j",
     R"j({"a":null,"b":2})j"},
    {"StrAppend", "dict(no_replace,recurse_str)+str(append)", R"j({"s":"ab"})j", R"j({"s":"cd"})j",
     R"j({"s":"abcd"})j"},
    {"StrReplace", "dict(no_replace,recurse_str)+str()", R"j({"s":"ab"})j", R"j({"s":"cd"})j",
     R"j({"s":"cd"})j"},
    {"NoStrMergerKeepsString", "dict(no_replace,recurse_str)", R"j({"s":"ab"})j", R"j({"s":"cd"})j",
     R"j({"s":"ab"})j"},
    // No dict merger at all: the top-level dict is kept, the addition ignored.
    {"NoDictMergerIgnoresAddition", "list(append)", R"j({"a":[1]})j", R"j({"a":[2]})j",
     R"j({"a":[1]})j"},
    // Python extends a list with a string character by character.
    {"AppendStringToList", "dict(no_replace,recurse_list,recurse_str)+list(append)",
     R"j({"a":[1]})j", R"j({"a":"xy"})j", R"j({"a":[1,"x","y"]})j"},
    {"AppendDictToListAddsKeys", "dict(no_replace,recurse_list)+list(append)", R"j({"a":[1]})j",
     R"j({"a":{"k":1}})j", R"j({"a":[1,"k"]})j"},
    // A dict merged onto a list with list(replace) replaces it; onto a str
    // too; onto an int or null the old value stays.
    {"DictOverList", "dict()+list()", R"j({"a":[1]})j", R"j({"a":{"k":1}})j", R"j({"a":{"k":1}})j"},
    {"DictOverScalars", "dict()+list()+str()", R"j({"a":"s","b":5,"c":null})j",
     R"j({"a":{"k":1},"b":{"k":1},"c":{"k":1}})j", R"j({"a":{"k":1},"b":5,"c":null})j"},
    {"ListOverDictKeepsDict", "dict(no_replace,recurse_list)+list(append)", R"j({"a":{"k":1}})j",
     R"j({"a":[1]})j", R"j({"a":{"k":1}})j"},
    {"ListRecurseDict", "dict(no_replace,recurse_list)+list(recurse_dict)",
     R"j({"a":[{"x":1,"y":1},5]})j", R"j({"a":[{"x":2,"z":2},6,7]})j",
     R"j({"a":[{"x":1,"y":1,"z":2},6]})j"},
    {"ListRecurseArray", "dict(no_replace,recurse_list)+list(recurse_array)",
     R"j({"a":[[1,2],[3]]})j", R"j({"a":[[9],[8,7]]})j", R"j({"a":[[9,2],[8]]})j"},
    {"NestedDictsRecurseWithNoReplace", "dict(no_replace,recurse_list)+list(append)",
     R"j({"a":{"b":{"c":[1],"d":1}}})j", R"j({"a":{"b":{"c":[2],"d":2,"e":3}}})j",
     R"j({"a":{"b":{"c":[1,2],"d":1,"e":3}}})j"},
    {"MPrefixedNames", "m_dict(no_replace,recurse_list)+m_list(append)", R"j({"a":[1]})j",
     R"j({"a":[2]})j", R"j({"a":[1,2]})j"},
    {"NamesAreCaseAndDashInsensitive", " Dict( No-Replace , Recurse-List )+LIST(Append) ",
     R"j({"a":[1]})j", R"j({"a":[2]})j", R"j({"a":[1,2]})j"},
};

INSTANTIATE_TEST_SUITE_P(Merge, MergeTableTest, testing::ValuesIn(kMergeCases),
                         [](const testing::TestParamInfo<MergeCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(MergeHowTest, ParsesStringForm) {
  MergeHow how = How("list(append)+dict(no_replace,recurse_list)+str()");
  ASSERT_EQ(how.size(), 3u);
  EXPECT_EQ(how[0].type, "list");
  EXPECT_EQ(how[0].options, (std::vector<std::string>{"append"}));
  EXPECT_EQ(how[1].type, "dict");
  EXPECT_EQ(how[1].options, (std::vector<std::string>{"no_replace", "recurse_list"}));
  EXPECT_EQ(how[2].type, "str");
  EXPECT_TRUE(how[2].options.empty());
}

TEST(MergeHowTest, ParsesDocumentedDictionaryForm) {
  auto how = ParseMergeHow(J(R"j([{"name":"list","settings":["append"]},
                                  {"name":"dict","settings":["no_replace","recurse_list"]},
                                  {"name":"str","settings":["append"]}])j"));
  ASSERT_TRUE(how.ok()) << how.error().ToString();
  ASSERT_EQ(how->size(), 3u);
  EXPECT_EQ((*how)[1].type, "dict");
  EXPECT_EQ((*how)[1].options, (std::vector<std::string>{"no_replace", "recurse_list"}));
}

TEST(MergeHowTest, ParsesListOfListsForm) {
  auto how = ParseMergeHow(J(R"j([["dict","no_replace","recurse_list"],["list","append"]])j"));
  ASSERT_TRUE(how.ok()) << how.error().ToString();
  ASSERT_EQ(how->size(), 2u);
  EXPECT_EQ((*how)[0].options, (std::vector<std::string>{"no_replace", "recurse_list"}));
}

TEST(MergeHowTest, SettingsStringMatchesLikePythonIn) {
  // `"replace" in "no_replace"` is true in Python, and m_dict checks
  // "replace" first: this dict merger replaces.
  auto how = ParseMergeHow(J(R"j([{"name":"dict","settings":"no_replace"}])j"));
  ASSERT_TRUE(how.ok());
  EXPECT_EQ(TryMergeWith(J(R"j({"a":1})j"), J(R"j({"a":2})j"), *how).value(), J(R"j({"a":2})j"));
}

TEST(MergeHowTest, EmptyAndNullGiveNoMergers) {
  EXPECT_TRUE(ParseMergeHow(Value("")).value().empty());
  EXPECT_TRUE(ParseMergeHow(Value()).value().empty());
  EXPECT_TRUE(ParseMergeHow(Value(" + ")).value().empty());
}

struct BadHowCase {
  const char* spec;  // JSON
  const char* message;
};

class BadMergeHowTest : public testing::TestWithParam<BadHowCase> {};

TEST_P(BadMergeHowTest, ReportsError) {
  auto how = ParseMergeHow(J(GetParam().spec));
  ASSERT_FALSE(how.ok());
  EXPECT_EQ(how.error().ToString(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Merge, BadMergeHowTest,
    testing::Values(
        BadHowCase{R"j("dict")j", "merge type 'dict' is not in the form name(option,...)"},
        BadHowCase{R"j("dict(replace")j",
                   "merge type 'dict(replace' is not in the form name(option,...)"},
        BadHowCase{R"j("1dict()")j", "merge type '1dict()' is not in the form name(option,...)"},
        BadHowCase{R"j("hash(replace)")j", "unknown merger 'hash' (known: dict, list, str)"},
        BadHowCase{R"j([{"name":"Dict","settings":[]}])j",
                   "unknown merger 'Dict' (known: dict, list, str)"},
        BadHowCase{R"j([{"name":"dict"}])j", "merge_how[0]: expected 'settings'"},
        BadHowCase{R"j([{"settings":[]}])j", "merge_how[0]: expected a 'name' string"},
        BadHowCase{
            R"j(["dict(replace)"])j",
            "merge_how[0]: expected {name: ..., settings: [...]} or [name, option, ...], got str"},
        BadHowCase{R"j(7)j", "merge_how must be a string or a list, got int"}));

TEST(MergeWithTest, DefaultMergeHowIsCloudConfigDefault) {
  const MergeHow& how = DefaultMergeHow();
  ASSERT_EQ(how.size(), 3u);
  EXPECT_EQ(how[0].type, "dict");
  EXPECT_EQ(how[0].options, (std::vector<std::string>{"replace"}));
  EXPECT_EQ(how[1].type, "list");
  EXPECT_EQ(how[2].type, "str");
  // The merging.rst example without merge_how: the second runcmd wins.
  EXPECT_EQ(MergeWith(J(R"j({"runcmd":["bash1","bash2"]})j"),
                      J(R"j({"runcmd":["bash3","bash4"]})j"), how),
            J(R"j({"runcmd":["bash3","bash4"]})j"));
}

TEST(MergeWithTest, PythonTypeErrorsAreReported) {
  // list(append) extends with an int: TypeError in Python.
  auto merged = TryMergeWith(J(R"j({"a":[1]})j"), J(R"j({"a":5})j"),
                             How("dict(no_replace,recurse_list)+list(append)"));
  EXPECT_TRUE(merged.ok());  // an int is not recursed into: the list stays
  EXPECT_EQ(*merged, J(R"j({"a":[1]})j"));
  auto bad = TryMergeWith(J(R"j({"a":"x"})j"), J(R"j({"a":["y"]})j"),
                          How("dict(no_replace,recurse_list)+str(append)"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "cannot append list to a str");
  // MergeWith keeps the base when Python would raise.
  EXPECT_EQ(MergeWith(J(R"j({"a":"x"})j"), J(R"j({"a":["y"]})j"),
                      How("dict(no_replace,recurse_list)+str(append)")),
            J(R"j({"a":"x"})j"));
}

TEST(MergeExtractHowTest, PopsMergeHowBeforeMergeType) {
  Value cfg = J(R"j({"merge_how":"list(append)","merge_type":"dict()","a":1})j");
  auto how = ExtractMergeHow(cfg);
  ASSERT_TRUE(how.ok());
  ASSERT_EQ(how->size(), 1u);
  EXPECT_EQ((*how)[0].type, "list");
  EXPECT_EQ(cfg, J(R"j({"merge_type":"dict()","a":1})j"));  // merge_type stays
}

TEST(MergeExtractHowTest, NullMergeHowFallsBackToMergeType) {
  Value cfg = J(R"j({"merge_how":null,"merge_type":"dict()","a":1})j");
  auto how = ExtractMergeHow(cfg);
  ASSERT_TRUE(how.ok());
  ASSERT_EQ(how->size(), 1u);
  EXPECT_EQ((*how)[0].type, "dict");
  EXPECT_EQ(cfg, J(R"j({"a":1})j"));
}

TEST(MergeManyDictsTest, FirstValueWinsDictsRecurse) {
  EXPECT_EQ(MergeManyDicts({J(R"j({"a":1,"b":{"x":1},"l":[1]})j"),
                            J(R"j({"a":2,"b":{"x":2,"y":3},"l":[2,3],"c":3})j")}),
            J(R"j({"a":1,"b":{"x":1,"y":3},"l":[1],"c":3})j"));
}

TEST(MergeManyDictsTest, LaterDocumentsCanAskForAppend) {
  EXPECT_EQ(MergeManyDicts(
                {J(R"j({"l":[1]})j"),
                 J(R"j({"merge_how":"list(append)+dict(no_replace,recurse_list)","l":[2,3]})j")}),
            J(R"j({"l":[1,2,3]})j"));
  EXPECT_EQ(MergeManyDicts({J(R"j({"a":{"b":1}})j"),
                            J(R"j({"a":"x","merge_how":"dict(replace)+str()"})j"), J("{}"),
                            J(R"j({"z":1})j")}),
            J(R"j({"a":"x","z":1})j"));
}

}  // namespace
}  // namespace nubo::agent
