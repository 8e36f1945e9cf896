// sources.h — cloud-init's datasource helpers (cloudinit/sources/__init__.py
// and util) that every datasource applies the same way.
//
//   d.public_keys = NormalizePubkeyData(Get(md, "public-keys"));
//   Value md = MergeFirstWins(seed_md, defaults);
//   if (Truthy(Get(cfg, "seedfrom"))) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nubo/value.h"

namespace nubo {

// Python's bool(): None, False, 0, "", [] and {} are false.
bool Truthy(const Value& v);

// Python's str.splitlines() (\r\n, \r, \n, \v, \f, \x1c-\x1e end a line).
std::vector<std::string> PySplitLines(std::string_view s);

// cloud-init's sources.normalize_pubkey_data: a string (one key per line),
// a list, or a dict of name -> key or list of keys.
std::vector<std::string> NormalizePubkeyData(const Value& public_keys);

// util.mergemanydict for two dicts: keys of `first` win; a dict value in
// `second` merges into a dict under the same key (and replaces a string or
// list there).
Value MergeFirstWins(const Value& first, const Value& second);

}  // namespace nubo
