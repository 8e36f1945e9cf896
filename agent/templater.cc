// cloud-init's templater for modules. See include/nubo/templater.h.

#include "nubo/templater.h"

#include <regex>

#include "agent/jinja.h"
#include "nubo/hostname.h"
#include "nubo/log.h"
#include "nubo/text.h"

namespace nubo {
namespace templater {

namespace {

// basic_render: ${a.b} or $a.b looked up in nested dicts.
Result<std::string> BasicRender(const std::string& content, const Value& params) {
  static const std::regex re(R"(\$\{([A-Za-z0-9_.]+)\}|\$([A-Za-z0-9_.]+))");
  std::string out;
  auto begin = std::sregex_iterator(content.begin(), content.end(), re);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string name = m[1].matched ? m[1].str() : m[2].str();
    const Value* cur = &params;
    for (const std::string& key : PySplit(name, '.')) {
      if (!cur->is_object()) {
        return MakeError("Can not extract key '" + key + "' from non-dictionary of type " +
                         TypeName(*cur));
      }
      auto f = cur->find(key);
      if (f == cur->end()) return MakeError("template variable " + Quote(name) + " is not defined");
      cur = &*f;
    }
    out += content.substr(last, m.position(0) - last);
    out += PyStr(*cur);
    last = m.position(0) + m.length(0);
  }
  out += content.substr(last);
  return out;
}

}  // namespace

std::optional<Template> Load(System& sys, const Value& config, std::string_view name) {
  std::string path = TemplatesDir(config) + "/" + std::string(name) + ".tmpl";
  if (auto st = sys.Stat(path); st && st->is_regular) {
    if (auto text = sys.ReadFile(path)) return Template{path, *text};
  }
  std::string_view builtin = Builtin(name);
  if (builtin.empty()) return std::nullopt;
  return Template{"", std::string(builtin)};
}

Result<std::string> Render(std::string_view text, const Value& params) {
  size_t nl = text.find('\n');
  std::string ident(text.substr(0, nl));
  std::string rest = nl == std::string_view::npos ? "" : std::string(text.substr(nl + 1));
  static const std::regex type_re("##\\s*template:(.*)", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(ident, m, type_re) || m.position(0) != 0) {
    return BasicRender(std::string(text), params);
  }
  std::string type = AsciiLower(PyStrip(m[1].str()));
  if (type == "jinja") return jinja::Render(rest, params);
  if (type == "basic") return BasicRender(rest, params);
  return MakeError("Unknown template rendering type '" + type + "' requested");
}

}  // namespace templater
}  // namespace nubo
