// The one table of datasources, in cloud-init's default datasource_list order
// for the ones nubo implements.

#include "nubo/datasource.h"

namespace nubo {

const std::vector<const DatasourceSpec*>& AllDatasources() {
  static const std::vector<const DatasourceSpec*> kDatasources = {
  };
  return kDatasources;
}

}  // namespace nubo
