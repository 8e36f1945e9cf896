// none.h — the fallback datasource (see none.cc).
#pragma once

#include "nubo/datasource.h"

namespace nubo::datasources::none {
extern const DatasourceSpec kSpec;
}  // namespace nubo::datasources::none
