// jinja.h — nubo's own small Jinja2 engine, for `## template: jinja`
// user-data and vendor-data, `cloud-init query --format` and
// `cloud-init devel render`, rendering as cloud-init 22.4.2 does
// (cloudinit/templater.py: trim_blocks, the "do" extension, undefined
// variables printed as "CI_MISSING_JINJA_VAR/<name>").
//
//   Value vars = jinja::ConvertInstanceData(instance_data);   // v1.*, aliases
//   auto out = jinja::Render("{% if v1.region %}{{ v1.region|upper }}{% endif %}\n", vars);
//   if (!out) Warn(out.error().message);   // "unsupported: macro at line 4"
//
// What it knows: {{ }}, {% %}, {# #}, whitespace control (-), raw blocks;
// literals (str, int, float, true/false/none, lists, dicts), variables,
// attribute and subscript access, calls of dict/str methods (items, keys,
// values, get, startswith, endswith, split, strip, upper, lower, replace)
// and range(); + - * / // % ** ~, comparisons, and/or/not/in, `is` tests
// (defined, undefined, none, string, number, integer, float, mapping,
// sequence, iterable, true, false, boolean, even, odd, divisibleby, eq,
// ne, in), x if c else y; filters abs, capitalize, count, d/default,
// first, float, int, join, last, length, list, lower, replace, reverse,
// round, sort, string, title, trim, unique, upper; if/elif/else, for
// (with else, tuple targets and loop.*), set, do. Anything else (macro,
// call, include, import, extends, block, with, filter blocks, unknown
// filters or tests) is an error "unsupported: macro at line 4".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::jinja {

inline constexpr std::string_view kMissingPrefix = "CI_MISSING_JINJA_VAR/";

// Renders a template (the "## template: jinja" line already removed) as
// cloud-init's jinja_render: one trailing newline kept, newlines normalised.
// Errors: syntax errors and unsupported features ("... at line N"),
// Jinja2's UndefinedError ("'x' is undefined") and Python TypeErrors.
Result<std::string> Render(std::string_view source, const Value& vars);

// cloud-init's convert_jinja_instance_data(include_key_aliases=True): the
// keys of v1 (and any vN) also at the top level, keys with '-' or '.' (or
// another Jinja operator) also under an alias with '_', and the paths in
// base64_encoded_keys decoded.
Value ConvertInstanceData(const Value& instance_data);

// The names in the CI_MISSING_JINJA_VAR/<name> markers of a rendered text,
// quoted, as cloud-init's warning lists them: "'foo', 'v1.bar'".
std::vector<std::string> MissingVariables(std::string_view rendered);

// detect_template: true and the rest when `text`'s first line is
// "## template: jinja" (any case, spaces after ##).
bool IsJinjaTemplate(std::string_view text, std::string* rest = nullptr);

}  // namespace nubo::jinja
