// merge.h — cloud-init's mergers (cloudinit/mergers): the rules that combine
// several cloud-config documents, spelled as merge_how strings.
//
//   auto how = ParseMergeHow("list(append)+dict(no_replace,recurse_list)+str()");
//   Value merged = MergeWith(base, addition, *how);
//
// The default for cloud-config parts is "dict(replace)+list()+str()".
// MergeManyDicts is util.mergemanydict: earlier documents win, dicts recurse.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::agent {

struct Merger {
  std::string type;                  // "dict", "list", "str"
  std::vector<std::string> options;  // "replace", "no_replace", "append", "prepend", "recurse_list", ...
};
using MergeHow = std::vector<Merger>;

// Parses "dict(replace)+list(append)+str()" or the list-of-dicts form
// ([{name: list, settings: [append]}, ...]) given as YAML value.
Result<MergeHow> ParseMergeHow(const Value& spec);
const MergeHow& DefaultMergeHow();
// util.mergemanydict's default: "list()+dict()+str()".
const MergeHow& DefaultMergeManyHow();

// Removes `merge_how` (or, when that is absent or null, `merge_type`) from
// `config` and parses it, as mergers.dict_extract_mergers does. An empty
// MergeHow means the document named none.
Result<MergeHow> ExtractMergeHow(Value& config);

// Merges `addition` into `base` with the given mergers, as cloud-init's
// handlers do for successive cloud-config parts.
Value MergeWith(const Value& base, const Value& addition, const MergeHow& how);
// The same, but reports the merges Python raises on (appending an int to a
// list, a str to an int, ...) instead of keeping `base`.
Result<Value> TryMergeWith(const Value& base, const Value& addition, const MergeHow& how);

// util.mergemanydict: the first value of a key wins, dicts merge recursively.
Value MergeManyDicts(const std::vector<Value>& dicts);
Value MergeManyDicts(const std::vector<const Value*>& dicts);

}  // namespace nubo::agent
