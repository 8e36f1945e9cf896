#include <algorithm>

#include "nubo/module.h"

namespace nubo {

std::string_view FrequencyName(Frequency f) {
  switch (f) {
    case Frequency::kPerInstance: return "once-per-instance";
    case Frequency::kAlways: return "always";
    case Frequency::kOnce: return "once";
  }
  return "?";
}

Result<Frequency> ParseFrequency(std::string_view s) {
  if (s == "once-per-instance" || s == "instance" || s == "per-instance") return Frequency::kPerInstance;
  if (s == "always" || s == "per-always") return Frequency::kAlways;
  if (s == "once" || s == "per-once") return Frequency::kOnce;
  return MakeError("unknown frequency '" + std::string(s) +
                   "' (expected once-per-instance, always or once)");
}

namespace {
std::string Canonical(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}
}  // namespace

const ModuleSpec* FindModule(std::string_view name) {
  std::string want = Canonical(name);
  for (const ModuleSpec* spec : AllModules()) {
    if (Canonical(spec->name) == want) return spec;
    for (auto alias : spec->aliases) {
      if (Canonical(alias) == want) return spec;
    }
  }
  return nullptr;
}

}  // namespace nubo
