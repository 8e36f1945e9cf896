// userdata.h — turns raw user-data or vendor-data into its parts, as
// cloud-init's user_data.py and part handlers do.
//
//   auto fetch = [&](const std::string& url) -> Result<std::string> {...};
//   auto ud = ProcessUserData(raw, "user-data", fetch);
//   if (ud) Use(ud->cloud_config, ud->scripts);
//
// Handles: gzip (by magic), MIME multipart, #cloud-config, #! scripts,
// text/x-shellscript-per-{boot,instance,once}, #cloud-boothook /
// text/cloud-boothook, #include / text/x-include-url (through `fetch`),
// "## template: jinja" / text/jinja2 (agent/jinja.h), multiple
// cloud-config parts merged with cloud-init's default merge and
// their merge_how / merge_type.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::agent {

struct ScriptPart {
  std::string filename;  // "part-001" or the MIME part's filename
  std::string content;   // the script text as it should be written
};

struct ProcessedUserData {
  Value cloud_config = Value::object();  // all cloud-config parts merged
  std::vector<ScriptPart> scripts;       // run by scripts_user (instance scripts/)
  std::vector<ScriptPart> boothooks;     // run at once in init
  std::vector<ScriptPart> per_boot;      // /var/lib/cloud/scripts/per-boot
  std::vector<ScriptPart> per_instance;  // /var/lib/cloud/scripts/per-instance
  std::vector<ScriptPart> per_once;      // /var/lib/cloud/scripts/per-once
  std::string processed_mime;            // user-data.txt.i: the MIME message as processed
  // Problems that skip a part but not the rest: a YAML error with its line
  // and column, a cloud-config that is not a dict, an unknown content type.
  std::vector<std::string> warnings;
};

using IncludeFetcher = std::function<Result<std::string>(const std::string& url)>;

// `source_name` ("user-data", "vendor-data") prefixes warnings.
// Errors: a failed #include fetch or an undecompressable gzip MIME part
// fail all of the user-data, as in cloud-init 22.4.2, where
// features.ERROR_ON_USER_DATA_FAILURE is True.
// `instance_data` (instance-data-sensitive.json as written for this boot)
// renders "## template: jinja" parts as cloud-init's jinja handler does:
// the rendered text is handled as the cloud-config or shell script it
// starts as; without instance data such parts are skipped with a warning.
Result<ProcessedUserData> ProcessUserData(std::string_view raw, std::string_view source_name,
                                          const IncludeFetcher& fetch,
                                          const Value* instance_data = nullptr);

}  // namespace nubo::agent
