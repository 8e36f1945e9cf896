// The one table of modules nubo implements. Adding a module: its file in
// modules/, its test in tests/modules/, and one line here.

#include "nubo/module.h"

namespace nubo {

const std::vector<const ModuleSpec*>& AllModules() {
  static const std::vector<const ModuleSpec*> kModules = {
  };
  return kModules;
}

}  // namespace nubo
