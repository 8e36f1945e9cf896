// The one table of datasources. datasource_list in the config picks and
// orders them; each declares whether it runs in init --local or init.

#include "datasources/configdrive.h"
#include "datasources/nocloud.h"
#include "datasources/none.h"
#include "datasources/openstack.h"
#include "nubo/datasource.h"

namespace nubo {

const std::vector<const DatasourceSpec*>& AllDatasources() {
  static const std::vector<const DatasourceSpec*> kDatasources = {
      &datasources::nocloud::kSpec,
      &datasources::nocloud::kNetSpec,
      &datasources::configdrive::kSpec,
      &datasources::openstack::kLocalSpec,
      &datasources::openstack::kNetSpec,
      &datasources::none::kSpec,
  };
  return kDatasources;
}

}  // namespace nubo
