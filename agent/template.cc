// templater.render_string (include/nubo/template.h): detect_template, then
// jinja_render (agent/jinja.h) or basic_render.

#include "nubo/template.h"

#include <regex>

#include "agent/jinja.h"
#include "nubo/text.h"

namespace nubo {

namespace {

// basic_render: BASIC_MATCHER = \$\{([A-Za-z0-9_.]+)\}|\$([A-Za-z0-9_.]+),
// a dotted name looked up through nested dicts.
Result<std::string> BasicRender(const std::string& content, const Value& params) {
  static const std::regex re(R"(\$\{([A-Za-z0-9_.]+)\}|\$([A-Za-z0-9_.]+))");
  std::string out;
  auto begin = std::sregex_iterator(content.begin(), content.end(), re);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string name = m[1].matched ? m[1].str() : m[2].str();
    const Value* v = &params;
    for (const std::string& part : PySplit(name, '.')) {
      if (!v->is_object() || !v->contains(part)) {
        return MakeError("no value for '$" + name + "' in template");
      }
      v = &(*v)[part];
    }
    out.append(content, last, m.position(0) - last);
    out += v->is_string() ? v->get<std::string>() : PyStr(*v);
    last = m.position(0) + m.length(0);
  }
  out.append(content, last, std::string::npos);
  return out;
}

}  // namespace

Result<std::string> RenderTemplateString(std::string_view text, const Value& params) {
  size_t nl = text.find('\n');
  std::string ident(text.substr(0, nl));
  std::string rest = nl == std::string_view::npos ? "" : std::string(text.substr(nl + 1));
  // TYPE_MATCHER.match: "##\s*template:(.*)" at the start, any case.
  static const std::regex type_re(R"(^##\s*template:(.*))", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(ident, m, type_re)) return BasicRender(std::string(text), params);
  std::string type = AsciiLower(PyStrip(m[1].str()));
  if (type == "jinja") return jinja::Render(rest, params);
  if (type == "basic") return BasicRender(rest, params);
  return MakeError("Unknown template rendering type '" + type + "' requested");
}

}  // namespace nubo
