// templater.h — cloud-init 22.4's templater for modules: find a template by
// name as cloud.get_template_filename does, render it as render_string does.
//
//   auto t = templater::Load(ctx.sys, ctx.config, "chrony.conf.debian");
//   if (!t) return MakeError("No template found, not rendering chrony.conf.{distro}");
//   Value params = {{"servers", Value::array({"ntp.example"})}, {"pools", Value::array()}};
//   auto text = templater::Render(t->text, params);   // jinja or basic
//
// Load looks in system_info.paths.templates_dir (default
// /etc/cloud/templates) for NAME.tmpl, then falls back to nubo's own
// template of that name compiled in (Builtin). Those are the files in
// packaging/templates/ (hosts.*, sources.list.debian, chrony.conf.{debian,
// ubuntu,rhel,centos,fedora}, ntp.conf.{debian,ubuntu,rhel,fedora},
// timesyncd.conf, resolv.conf, systemd.resolved.conf), written for nubo:
// the directives they render are those of cloud-init 22.4.2's templates,
// the comments are nubo's (tests/compat/known-differences.yaml).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::templater {

struct Template {
  std::string path;  // the file, or "" for the compiled-in copy
  std::string text;
};

std::optional<Template> Load(System& sys, const Value& config, std::string_view name);

// The text of packaging/templates/NAME.tmpl as built into nubo
// (cmake/embed_templates.cmake), or "" if there is no such template.
std::string_view Builtin(std::string_view name);

// detect_template + renderer: a first line "## template:jinja" renders the
// rest with nubo's Jinja engine (trim_blocks, undefined variables as
// CI_MISSING_JINJA_VAR/<name>); "## template:basic" or no such line
// substitutes $name, ${name} and ${a.b} from `params` (str() of the value;
// a missing name is an error, as Python's KeyError). Another type is an
// error "Unknown template rendering type 'x' requested".
Result<std::string> Render(std::string_view text, const Value& params);

}  // namespace nubo::templater
