#include "nubo/paths.h"

#include <sstream>
#include <vector>

namespace nubo {
namespace {
std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  std::string item;
  while (std::getline(ss, item, '/')) {
    if (!item.empty() && item != ".") out.push_back(item);
  }
  return out;
}
std::string Normalize(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}
}  // namespace

Paths Paths::FromConfig(const Value& cfg) {
  Paths p;
  const Value& paths = Get(Get(cfg, "system_info"), "paths");
  if (Get(paths, "cloud_dir").is_string()) p.cloud_dir = Normalize(Get(paths, "cloud_dir"));
  if (Get(paths, "run_dir").is_string()) p.run_dir = Normalize(Get(paths, "run_dir"));
  return p;
}

std::string RelativePath(const std::string& target, const std::string& from_dir) {
  auto t = Components(target);
  auto f = Components(from_dir);
  size_t common = 0;
  while (common < t.size() && common < f.size() && t[common] == f[common]) ++common;
  std::string out;
  for (size_t i = common; i < f.size(); ++i) out += "../";
  for (size_t i = common; i < t.size(); ++i) out += t[i] + (i + 1 < t.size() ? "/" : "");
  return out.empty() ? "." : out;
}

}  // namespace nubo
