// openstack.h — the OpenStack metadata service (cloud-init's
// DataSourceOpenStackLocal and DataSourceOpenStack): detected from DMI (or
// chosen explicitly), crawled over HTTP in init --local inside an ephemeral
// DHCP lease, or in init once the network is up.
//
//   // registry.cc
//   &nubo::datasources::openstack::kLocalSpec,
//   &nubo::datasources::openstack::kNetSpec,
//
//   // tests: crawl a server without a datasource context
//   auto tree = CrawlMetadataService(sys, {md.base_url()}, UrlParams{...}, log);
//
// The crawl sends its requests together over kept-alive connections: the
// version listing, the documents of the version Nova most likely offers and
// the EC2 tree's usual paths in the first round, then only what the
// listings show that was not asked for yet.
#pragma once

#include <string>
#include <vector>

#include "datasources/openstack_tree.h"
#include "nubo/datasource.h"

namespace nubo::datasources::openstack {

extern const DatasourceSpec kLocalSpec;  // DataSourceOpenStackLocal, init --local
extern const DatasourceSpec kNetSpec;    // DataSourceOpenStack, init

// `datasource: {OpenStack: {max_wait, timeout, retries, sec_between_retries}}`
// with cloud-init's defaults (-1, 10, 5, 1).
struct UrlParams {
  double max_wait = -1;
  double timeout = 10;
  int retries = 5;
  double sec_between_retries = 1;
};
UrlParams ReadUrlParams(const Value& ds_cfg, const Logger& log);

// The whole crawl is bounded: max_wait (when > 0) to find the service, then
// (retries + 1) x timeout for the documents.
double CrawlDeadline(const UrlParams& p);

// DMI product name or chassis asset tag of an OpenStack guest.
bool DetectFromDmi(System& sys);

// Crawls the first of `metadata_urls` that answers openstack/. An error
// when none does, naming the URLs.
Result<RawTree> CrawlMetadataService(System& sys, const std::vector<std::string>& metadata_urls,
                                     const UrlParams& params, const Logger& log);

}  // namespace nubo::datasources::openstack
