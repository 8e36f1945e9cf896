// text.h — Python's str.strip() and str.split(sep), which cloud-init applies
// to config values and file lines everywhere; modules match it with these.
//
//   PyStrip("  0644\n") == "0644"
//   PySplit("a::b", ':') == {"a", "", "b"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nubo {

// Removes leading and trailing ASCII whitespace (" \t\r\n\v\f").
std::string PyStrip(std::string_view s);

// Every field between separators, empty ones included (str.split(sep)).
std::vector<std::string> PySplit(std::string_view s, char sep);
// str.split(): fields between runs of whitespace. After `max_splits`
// splits the rest is one last field, stripped.
std::vector<std::string> SplitWhitespace(std::string_view s,
                                         size_t max_splits = std::string::npos);
// ASCII lower case (str.lower() on the ASCII names cloud-init compares).
std::string AsciiLower(std::string s);

}  // namespace nubo
