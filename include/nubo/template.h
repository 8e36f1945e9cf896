// template.h — cloud-init's templater.render_string, for modules that render
// a template from config or from /etc/cloud/templates (apt_configure's
// sources.list and `sources` entries).
//
//   Value params = {{"MIRROR", "http://deb.debian.org/debian"}, {"RELEASE", "bookworm"}};
//   auto out = RenderTemplateString("deb $MIRROR $RELEASE main\n", params);
//   // "deb http://deb.debian.org/debian bookworm main\n"
//
// A first line "## template: jinja" selects Jinja (agent/jinja.h, with
// `params` as the variables), "## template: basic" or no such line the basic
// renderer: $name, ${name} and ${a.b} replaced by str() of the value.
#pragma once

#include <string>
#include <string_view>

#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo {

// Errors: an unknown "## template: X" type, Jinja errors, and (basic) a
// name missing from `params` ("no value for '$FOO'"), where cloud-init
// raises KeyError.
Result<std::string> RenderTemplateString(std::string_view text, const Value& params);

}  // namespace nubo
