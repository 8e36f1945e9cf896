#include "agent/config.h"

#include "agent/merge.h"

namespace nubo::agent {

Value BuiltinConfig() {
  return Value{
      {"datasource_list", {"NoCloud", "ConfigDrive", "OpenStack", "None"}},
      {"def_log_file", "/var/log/cloud-init.log"},
      {"log_cfgs", Value::array()},
      {"syslog_fix_perms", {"syslog:adm", "root:adm", "root:wheel", "root:root"}},
      {"system_info",
       {{"paths", {{"cloud_dir", "/var/lib/cloud"}, {"templates_dir", "/etc/cloud/templates/"}}},
        {"distro", "ubuntu"},
        {"network", {{"renderers", nullptr}}}}},
      {"vendor_data", {{"enabled", true}, {"prefix", Value::array()}}},
      {"vendor_data2", {{"enabled", true}, {"prefix", Value::array()}}},
  };
}

Value ReadConfigFile(System& sys, const std::string& path, std::vector<std::string>& problems) {
  auto text = sys.ReadFile(path);
  if (!text) {
    if (text.error().errno_value != ENOENT) problems.push_back(text.error().ToString());
    return Value::object();
  }
  auto parsed = ParseYaml(*text, path);
  if (!parsed) {
    problems.push_back("failed loading YAML " + parsed.error().message + ", skipping the file");
    return Value::object();
  }
  if (parsed->is_null()) return Value::object();
  if (!parsed->is_object()) {
    problems.push_back(path + ": expected a mapping at the top, got " + TypeName(*parsed) +
                       ", skipping the file");
    return Value::object();
  }
  return std::move(*parsed);
}

namespace {

// read_conf_with_confd: cloud.cfg, then cloud.cfg.d/*.cfg where later files
// win; "conf_d" in cloud.cfg can name another directory.
Value ReadConfWithConfd(System& sys, const std::string& path, std::vector<std::string>& problems) {
  Value cfg = ReadConfigFile(sys, path, problems);
  std::string confd = path + ".d";
  const Value& named = Get(cfg, "conf_d");
  if (named.is_string() && !named.get<std::string>().empty()) confd = named.get<std::string>();
  auto names = sys.ListDir(confd);
  if (!names) return cfg;
  std::vector<Value> layers;  // highest precedence first
  for (auto it = names->rbegin(); it != names->rend(); ++it) {
    const std::string& name = *it;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".cfg") != 0) continue;
    std::string file = confd + "/" + name;
    auto info = sys.Stat(file);
    if (!info || info->is_dir) continue;
    layers.push_back(ReadConfigFile(sys, file, problems));
  }
  layers.push_back(cfg);
  return MergeManyDicts(layers);
}

}  // namespace

std::string KernelConfigText(const std::string& cmdline) {
  std::string out;
  size_t pos = 0;
  while ((pos = cmdline.find("cc:", pos)) != std::string::npos) {
    if (pos > 0 && cmdline[pos - 1] != ' ') {
      pos += 3;
      continue;
    }
    size_t start = pos + 3;
    size_t end = cmdline.find("end_cc", start);
    std::string frag = cmdline.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // URL-decoded, and "\n" written literally stands for a newline.
    std::string decoded;
    for (size_t i = 0; i < frag.size(); ++i) {
      if (frag[i] == '%' && i + 2 < frag.size() && std::isxdigit(static_cast<unsigned char>(frag[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(frag[i + 2]))) {
        decoded += static_cast<char>(std::stoi(frag.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else if (frag[i] == '\\' && i + 1 < frag.size() && frag[i + 1] == 'n') {
        decoded += '\n';
        ++i;
      } else {
        decoded += frag[i];
      }
    }
    size_t b = decoded.find_first_not_of(' ');
    if (b != std::string::npos) out += decoded.substr(b) + "\n";
    if (end == std::string::npos) break;
    pos = end + 6;
  }
  return out;
}

Value LoadBaseConfig(System& sys, std::vector<std::string>& problems) {
  std::vector<Value> layers;  // highest precedence first
  std::string cc = KernelConfigText(sys.KernelCmdline());
  if (!cc.empty()) {
    auto parsed = ParseYaml(cc, "kernel command line (cc:)");
    if (parsed && parsed->is_object()) {
      layers.push_back(*parsed);
    } else if (!parsed) {
      problems.push_back("failed loading YAML " + parsed.error().message + ", skipping it");
    }
  }
  layers.push_back(ReadConfigFile(sys, "/run/cloud-init/cloud.cfg", problems));
  layers.push_back(ReadConfWithConfd(sys, "/etc/cloud/cloud.cfg", problems));
  layers.push_back(BuiltinConfig());
  return MergeManyDicts(layers);
}

Value MergeConfig(const Value& base, const Value& datasource_cfg, const Value& vendor_cc,
                  const Value& user_cc, const std::vector<Value>& extra) {
  std::vector<const Value*> layers;
  for (const Value& v : extra) layers.push_back(&v);
  for (const Value* v : {&user_cc, &vendor_cc, &datasource_cfg, &base}) {
    if (v->is_object()) layers.push_back(v);
  }
  return MergeManyDicts(layers);
}

}  // namespace nubo::agent
