// The "None" datasource: cloud-init's fallback when nothing else is found.
// It runs in the network stage, has instance-id "iid-datasource-none", and
// takes user-data and meta-data from `datasource: {None: {userdata_raw,
// metadata}}` in the system config.

#include "datasources/none.h"

namespace nubo::datasources::none {
namespace {

bool Detect(DatasourceContext&) { return true; }

Result<InstanceData> Crawl(DatasourceContext& ctx) {
  InstanceData d;
  d.datasource = "None";
  d.description = "DataSourceNone";
  d.subplatform = "config";
  d.dsmode = "net";
  const Value& cfg = Get(Get(ctx.config, "datasource"), "None");
  const Value& md = Get(cfg, "metadata");
  d.meta_data = md.is_object() ? md : Value::object();
  const Value& ud = Get(cfg, "userdata_raw");
  if (ud.is_string()) d.user_data = ud.get<std::string>();
  const Value& iid = Get(d.meta_data, "instance-id");
  d.instance_id = iid.is_null() ? "iid-datasource-none" : PyStr(iid);
  const Value& host = Get(d.meta_data, "local-hostname");
  if (!host.is_null()) d.local_hostname = PyStr(host);
  return d;
}

}  // namespace

const DatasourceSpec kSpec{
    .name = "None",
    .needs_network = true,
    .detect = &Detect,
    .crawl = &Crawl,
};

}  // namespace nubo::datasources::none
