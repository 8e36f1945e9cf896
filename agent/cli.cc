#include "agent/cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <functional>
#include <iterator>
#include <random>

#include "agent/config.h"
#include "agent/net/net_convert.h"
#include "agent/output_tee.h"
#include "agent/analyze.h"
#include "agent/collect_logs.h"
#include "agent/jinja.h"
#include "agent/schema.h"
#include "agent/stages.h"
#include "agent/status.h"
#include "agent/system/real_system.h"
#include "nubo/paths.h"
#include "nubo/runparts.h"

namespace nubo::agent {
namespace {

const char kUsage[] =
    "usage: %s [--root DIR] [--dry-run] [--file CFG]... [--debug] COMMAND ...\n"
    "\n"
    "cloud-init compatible guest agent (matches cloud-init %s).\n"
    "\n"
    "commands:\n"
    "  init [--local]                     run the init stage (or init-local)\n"
    "  modules --mode config|final|init   run a module section; --list shows it\n"
    "  single --name M [--frequency F]    run one module (F: instance, always, once)\n"
    "  status [--wait] [--long] [--format tabular|json]\n"
    "  clean [--logs] [--seed] [--machine-id] [--configs all|ssh_config|network ...]\n"
    "  query [KEY] [--all] [--format T]   print instance data (dotted KEY, or a Jinja template T)\n"
    "  devel render FILE [-i DATA]        render a '## template: jinja' user-data file\n"
    "  devel make-mime -a FILE:TYPE...    a multipart user-data of the files [--list-types]\n"
    "  features                           print the feature flags\n"
    "  analyze show|blame|dump [-i LOG]   stage and module timings from cloud-init.log\n"
    "  analyze boot [-i LOG]              kernel and cloud-init start times (systemd)\n"
    "  collect-logs [-t TAR] [-u]         a tarball of logs and run data (-u: with user-data)\n"
    "  schema -c FILE|--system|--docs M   check a cloud-config [--annotate]\n"
    "  devel net-convert -p PATH -k KIND -d DIR -D DISTRO -O OUTPUT  render a network config\n"
    "\n"
    "options:\n"
    "  --root DIR     act on the tree at DIR: every path inside it, commands chrooted\n"
    "  --dry-run      record and print commands instead of running them\n"
    "  -f, --file CFG additional YAML configuration file (inside the root)\n"
    "  -d, --debug    show debug log lines on stderr\n"
    "  -v, --version  print the version\n"
    "  -h, --help     this help\n"
    "\n"
    "exit codes: 0 ok; for init and modules, the number of errors recorded in\n"
    "status.json (as cloud-init 22.4); status: 1 when cloud-init is in error.\n";

struct Options {
  std::string root = "/";
  bool dry_run = false;
  bool debug = false;
  std::vector<std::string> files;
  std::string command;
  bool local = false;
  std::string mode;
  bool list = false;
  std::string name;
  std::optional<std::string> frequency;
  bool wait = false;
  bool long_form = false;
  std::string format = "tabular";
  bool logs = false;
  bool seed = false;
  bool machine_id = false;
  std::vector<std::string> configs;  // clean --configs
  bool all = false;
  bool format_given = false;
  std::string instance_data;  // query/devel render -i FILE
  std::vector<std::string> attach;  // devel make-mime -a FILE:TYPE
  bool list_types = false;           // devel make-mime --list-types
  bool force = false;                // devel make-mime --force
  std::string tarfile = "cloud-init.tar.gz";  // collect-logs -t
  bool include_userdata = false;              // collect-logs -u
  bool system = false;        // schema --system
  bool annotate = false;      // schema --annotate
  std::optional<std::string> config_file;  // schema -c FILE
  std::optional<std::string> docs;         // schema --docs MODULE
  std::vector<std::string> positional;
};

// The commands nubo implements; any other word is "unknown command".
constexpr std::string_view kCommands[] = {"init", "modules", "single", "status", "clean",
                                          "query", "schema", "analyze", "collect-logs", "devel", "features"};

bool IsCommand(std::string_view c) {
  return std::find(std::begin(kCommands), std::end(kCommands), c) != std::end(kCommands);
}

std::string CommandList() {
  std::string out;
  for (auto c : kCommands) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

class StderrSink : public LogSink {
 public:
  explicit StderrSink(LogLevel min) : min_(min) {}
  void Write(LogLevel level, std::string_view prefix, std::string_view message) override {
    if (level < min_) return;
    std::string line = std::string(LogLevelName(level)) + ": " +
                       (prefix.empty() ? "" : std::string(prefix) + ": ") + std::string(message) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

 private:
  LogLevel min_;
};

std::string Timestamp() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  localtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%s,%03ld", buf, ts.tv_nsec / 1000000);
  return out;
}

// /var/log/cloud-init.log in cloud-init's line format, opened once.
class FileSink : public LogSink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  ~FileSink() override {
    if (fd_ >= 0) close(fd_);
  }
  void Write(LogLevel level, std::string_view prefix, std::string_view message) override {
    if (fd_ < 0) return;
    std::string line = Timestamp() + " - nubo[" + std::string(LogLevelName(level)) + "]: " +
                       (prefix.empty() ? "" : std::string(prefix) + ": ") + std::string(message) + "\n";
    ssize_t ignored = write(fd_, line.data(), line.size());
    (void)ignored;
  }

 private:
  int fd_;
};

Result<Options> Parse(const std::vector<std::string>& args) {
  Options o;
  auto need = [&](size_t& i, const std::string& flag) -> Result<std::string> {
    if (i + 1 >= args.size()) return MakeError("option " + flag + " needs a value");
    return args[++i];
  };
  for (size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto take = [&]() -> Result<std::string> {
      if (!value.empty()) return value;
      return need(i, a);
    };
    if (a == "--root") {
      auto v = take();
      if (!v) return v.error();
      o.root = *v;
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--debug" || a == "-d") {
      o.debug = true;
    } else if (a == "--file" || a == "-f") {
      auto v = take();
      if (!v) return v.error();
      o.files.push_back(*v);
    } else if (a == "--version" || a == "-v") {
      if (o.command.empty()) o.command = "version";
      else if (o.command == "single") return MakeError("unknown option " + a);
    } else if (a == "--help" || a == "-h") {
      o.command = "help";
      return o;
    } else if (o.command.empty()) {
      if (a.rfind("-", 0) == 0) return MakeError("unknown option '" + a + "'");
      o.command = a;
      if (!IsCommand(a)) return o;  // its options mean nothing here: "unknown command"
    } else if (a == "--local" || (a == "-l" && o.command == "init")) {
      o.local = true;
    } else if (a == "--mode" || a == "-m") {
      auto v = take();
      if (!v) return v.error();
      o.mode = *v;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--name" || a == "-n") {
      auto v = take();
      if (!v) return v.error();
      o.name = *v;
    } else if (a == "--frequency") {
      auto v = take();
      if (!v) return v.error();
      o.frequency = *v;
    } else if (a == "--wait" || a == "-w") {
      o.wait = true;
    } else if (a == "--long" || (a == "-l" && o.command == "status")) {
      o.long_form = true;
    } else if (a == "--format") {
      auto v = take();
      if (!v) return v.error();
      o.format = *v;
      o.format_given = true;
    } else if ((a == "--instance-data" || a == "-i" || (a == "--infile" && o.command == "analyze")) &&
               (o.command == "query" || o.command == "devel" || o.command == "analyze")) {
      auto v = take();
      if (!v) return v.error();
      o.instance_data = *v;
    } else if (o.command == "schema" && (a == "--config-file" || a == "-c")) {
      auto v = take();
      if (!v) return v.error();
      o.config_file = *v;
    } else if (o.command == "schema" && a == "--docs") {
      auto v = take();
      if (!v) return v.error();
      o.docs = *v;
    } else if (o.command == "devel" && (a == "--attach" || a == "-a")) {
      auto v = take();
      if (!v) return v.error();
      o.attach.push_back(*v);
    } else if (o.command == "devel" && (a == "--list-types" || a == "-l")) {
      o.list_types = true;
    } else if (o.command == "devel" && (a == "--force" || a == "-f")) {
      o.force = true;
    } else if (o.command == "collect-logs" && (a == "--tarfile" || a == "-t")) {
      auto v = take();
      if (!v) return v.error();
      o.tarfile = *v;
    } else if (o.command == "collect-logs" && (a == "--include-userdata" || a == "-u")) {
      o.include_userdata = true;
    } else if (o.command == "collect-logs" && (a == "--verbose" || a == "-v")) {
      // accepted; nubo's collect-logs prints one line either way
    } else if (o.command == "schema" && a == "--system") {
      o.system = true;
    } else if (o.command == "schema" && a == "--annotate") {
      o.annotate = true;
    } else if (a == "--logs" || (a == "-l" && o.command == "clean")) {
      o.logs = true;
    } else if (a == "--seed" || a == "-s") {
      o.seed = true;
    } else if (a == "--machine-id") {
      o.machine_id = true;
    } else if (a == "--configs" || (a == "-c" && o.command == "clean")) {
      // nargs="+" as cloud-init 23.1's: the values up to the next option.
      if (!value.empty()) o.configs.push_back(value);
      while (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) o.configs.push_back(args[++i]);
      if (o.configs.empty()) return MakeError("option " + a + " needs a value");
      for (const auto& c : o.configs)
        if (c != "all" && c != "ssh_config" && c != "network")
          return MakeError("argument -c/--configs: invalid choice: '" + c +
                           "' (choose from 'all', 'ssh_config', 'network')");
    } else if (a == "--all" || a == "-a") {
      o.all = true;
    } else if (a == "--report") {
      // single --report: accepted for compatibility, nothing to report to.
    } else if (a.rfind("-", 0) == 0) {
      return MakeError("unknown option '" + a + "' for '" + o.command + "'");
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.command.empty()) return MakeError("a command is required");
  return o;
}

// cloud-init's render_jinja_payload, for query --format and devel render:
// the warnings go to stderr, a failed render is an error.
Result<std::string> RenderTemplate(const std::string& body, const Value& instance_data, const std::string& label) {
  auto rendered = jinja::Render(body, jinja::ConvertInstanceData(instance_data));
  if (!rendered) {
    std::cerr << "WARNING: Ignoring jinja template for " << label << ": " << rendered.error().message << "\n";
    return rendered;
  }
  std::vector<std::string> missing = jinja::MissingVariables(*rendered);
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    std::cerr << "WARNING: Could not render jinja template variables in file '" << label << "': " << names << "\n";
  }
  return rendered;
}

// cloud-init devel make-mime: the attachments as one multipart/mixed
// message, each as Python's MIMEText(content, TYPE, "utf-8") writes it.
int MakeMime(System& sys, const Options& o, const std::function<void(const std::string&)>& print) {
  static const char* const kTypes[] = {
      "cloud-boothook", "cloud-config",  "cloud-config-archive", "cloud-config-jsonp",
      "jinja2",         "part-handler",  "x-include-once-url",   "x-include-url",
      "x-shellscript",  "x-shellscript-per-boot", "x-shellscript-per-instance", "x-shellscript-per-once"};
  if (o.list_types) {
    for (const char* t : kTypes) print(std::string(t) + "\n");
    return 0;
  }
  if (o.attach.empty()) {
    std::cerr << "usage: devel make-mime -a FILE:TYPE [-a ...]: at least one attachment is required\n";
    return 2;
  }
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::random_device rd;
  std::string digits;
  for (int i = 0; i < 19; ++i) digits += static_cast<char>('0' + rd() % 10);
  std::string boundary = "===============" + digits + "==";
  std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\nMIME-Version: 1.0\n\n";
  std::vector<std::string> errors;
  for (size_t i = 0; i < o.attach.size(); ++i) {
    size_t colon = o.attach[i].rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "error: argument -a/--attach: expected FILE:TYPE, got '" << o.attach[i] << "'\n";
      return 2;
    }
    std::string file = o.attach[i].substr(0, colon), type = o.attach[i].substr(colon + 1);
    auto content = file == "-" ? Result<std::string>(std::string(std::istreambuf_iterator<char>(std::cin), {}))
                               : sys.ReadFile(file);
    if (!content) {
      std::cerr << "error: argument -a/--attach: can't open '" << file << "': " << content.error().ToString() << "\n";
      return 2;
    }
    std::string ctype = "text/" + type;
    for (char& c : ctype) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return ctype == "text/" + std::string(t); })) {
      errors.push_back("content type '" + ctype + "' for attachment " + std::to_string(i + 1) + " may be incorrect!");
    }
    std::string base = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
    out += "--" + boundary + "\nContent-Type: text/" + type + "; charset=\"utf-8\"\nMIME-Version: 1.0\n" +
           "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"" + base + "\"\n\n";
    const std::string& d = *content;
    std::string line;
    for (size_t j = 0; j < d.size(); j += 3) {
      unsigned n = static_cast<unsigned char>(d[j]) << 16;
      if (j + 1 < d.size()) n |= static_cast<unsigned char>(d[j + 1]) << 8;
      if (j + 2 < d.size()) n |= static_cast<unsigned char>(d[j + 2]);
      line += kB64[(n >> 18) & 63];
      line += kB64[(n >> 12) & 63];
      line += j + 1 < d.size() ? kB64[(n >> 6) & 63] : '=';
      line += j + 2 < d.size() ? kB64[n & 63] : '=';
      if (line.size() >= 76) {
        out += line + "\n";
        line.clear();
      }
    }
    if (!line.empty()) out += line + "\n";
    out += "\n";
  }
  out += "--" + boundary + "--\n";
  for (const auto& e : errors) std::cerr << "WARNING: " << e << "\n";
  if (!errors.empty() && !o.force) {
    std::cerr << "Invalid content-types, override with --force\n";
    return 1;
  }
  print(out);
  return 0;
}

std::string ProgramName(const std::string& argv0) {
  size_t slash = argv0.rfind('/');
  return slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
}

// Dotted lookup in instance data: "v1.instance_id", "ds.meta_data.x".
const Value* Lookup(const Value& root, const std::string& key) {
  const Value* cur = &root;
  size_t start = 0;
  while (start <= key.size()) {
    size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

// clean --configs: the files cloud-init renders for network and ssh (the
// list of cloud-init 23.1, where the option comes from; 22.4 has none).
void RemoveGeneratedConfigs(System& sys, const std::vector<std::string>& configs) {
  auto wants = [&](const char* kind) {
    return std::find(configs.begin(), configs.end(), "all") != configs.end() ||
           std::find(configs.begin(), configs.end(), kind) != configs.end();
  };
  // {directory, name prefix, name suffix}: a prefix*suffix glob, or one file.
  struct Gen {
    const char* dir;
    const char* prefix;
    const char* suffix;
  };
  std::vector<Gen> gens;
  if (wants("network")) {
    gens = {{"/etc/netplan", "50-cloud-init.yaml", ""},
            {"/etc/NetworkManager/conf.d", "99-cloud-init.conf", ""},
            {"/etc/NetworkManager/conf.d", "30-cloud-init-ip6-addr-gen-mode.conf", ""},
            {"/etc/NetworkManager/system-connections", "cloud-init-", ".nmconnection"},
            {"/etc/systemd/network", "10-cloud-init-", ".network"},
            {"/etc/network/interfaces.d", "50-cloud-init.cfg", ""}};
  }
  if (wants("ssh_config")) gens.push_back({"/etc/ssh/sshd_config.d", "50-cloud-init.conf", ""});
  for (const Gen& g : gens) {
    std::string prefix = g.prefix, suffix = g.suffix;
    if (suffix.empty()) {
      (void)sys.Remove(std::string(g.dir) + "/" + prefix);
      continue;
    }
    auto names = sys.ListDir(g.dir);
    if (!names) continue;
    for (const auto& n : *names)
      if (n.size() >= prefix.size() + suffix.size() && n.rfind(prefix, 0) == 0 &&
          n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
        (void)sys.Remove(std::string(g.dir) + "/" + n);
  }
}

int Clean(System& sys, const Options& o, const Logger& log) {
  std::vector<std::string> problems;
  Value base = LoadBaseConfig(sys, problems);
  Paths paths = Paths::FromConfig(base);
  if (o.logs) {
    for (const char* f : {Paths::kLogFile, Paths::kOutputLogFile}) (void)sys.Remove(f);
  }
  if (!o.configs.empty()) RemoveGeneratedConfigs(sys, o.configs);
  int rc = 0;
  auto names = sys.ListDir(paths.cloud_dir);
  if (names) {
    for (const auto& n : *names) {
      if (n == "seed" && !o.seed) continue;
      std::string path = paths.cloud_dir + "/" + n;
      auto info = sys.Stat(path);
      Status s = info && info->is_dir ? sys.RemoveTree(path) : sys.Remove(path);
      if (!s.ok()) {
        std::cerr << "ERROR: Could not remove " << path << ": " << s.error().ToString() << "\n";
        rc = 1;
      }
    }
  }
  if (rc == 0) {
    // Image builders hook their own clean-up in here, as with cloud-init.
    Status s = RunParts(sys, log, "/etc/cloud/clean.d");
    if (!s.ok()) {
      std::cerr << "ERROR: Failure during run-parts of /etc/cloud/clean.d: " << s.error().ToString() << "\n";
      rc = 1;
    }
  }
  if (o.machine_id) (void)sys.Remove("/etc/machine-id");
  return rc;
}

// cloud-init-per FREQUENCY NAME CMD...: runs CMD once, once per instance or
// always, keeping its own semaphore as cloud-init's shell script does
// (/var/lib/cloud/sem/bootper.NAME.FREQ, "<exit code>\t<epoch>").
int CloudInitPer(const std::vector<std::string>& args, System& sys) {
  if (args.size() >= 2 && (args[1] == "-h" || args[1] == "--help")) {
    std::printf("Usage: cloud-init-per frequency name cmd [ arg1 [ arg2 [ ... ] ]\n");
    return 0;
  }
  if (args.size() < 4) {
    std::fprintf(stderr, "Usage: cloud-init-per frequency name cmd [ arg1 [ arg2 [ ... ] ]\n");
    return 1;
  }
  const std::string& freq = args[1];
  std::string name = args[2];
  std::replace(name.begin(), name.end(), '-', '_');
  if (name.find('/') != std::string::npos) {
    std::fprintf(stderr, "name cannot contain a /\n");
    return 1;
  }
  std::string sem;
  if (freq == "once" || freq == "always") sem = "/var/lib/cloud/sem/bootper." + name + "." + freq;
  else if (freq == "instance") sem = "/var/lib/cloud/instance/sem/bootper." + name + "." + freq;
  else {
    std::fprintf(stderr, "invalid frequency: %s\n", freq.c_str());
    return 1;
  }
  if (freq != "always" && sys.Exists(sem)) return 0;
  Command c;
  c.argv.assign(args.begin() + 3, args.end());
  c.to_output_log = true;  // inherit stdout/stderr
  auto r = sys.Run(c);
  int ret = r ? r->exit_code : 127;
  if (!r) std::fprintf(stderr, "cloud-init-per: %s\n", r.error().ToString().c_str());
  WriteOptions o;
  o.mode = 0644;
  if (Status s = sys.WriteFile(sem, std::to_string(ret) + "\t" + std::to_string(static_cast<long>(sys.Now())) + "\n", o);
      !s.ok()) {
    std::fprintf(stderr, "failed to write to %s\n", sem.c_str());
    return 1;
  }
  return ret;
}

}  // namespace

int RunCommandLine(const std::vector<std::string>& args, const CliEnv& env) {
  std::string prog = args.empty() ? "nubo" : ProgramName(args[0]);
  auto print = [&](const std::string& s) {
    if (env.out) *env.out += s;
    else std::fwrite(s.data(), 1, s.size(), stdout);
  };
  if (prog == "cloud-init-per") {
    if (env.system != nullptr) return CloudInitPer(args, *env.system);
    RealSystem real_root("/");
    return CloudInitPer(args, real_root);
  }
  if (args.size() >= 3 && args[1] == "devel" && args[2] == "net-convert") {
    // cloud-init devel net-convert: offline network rendering (agent/net);
    // the other devel subcommands are parsed below.
    std::string err;
    RealSystem host("/");
    int rc = net::NetConvertMain({args.begin() + 3, args.end()}, env.system ? *env.system : host, err);
    if (env.out) *env.out += err;
    else std::cerr << err;
    return rc;
  }
  auto parsed = Parse(args);
  if (!parsed) {
    std::cerr << prog << ": " << parsed.error().ToString() << "\n";
    std::fprintf(stderr, kUsage, prog.c_str(), kCloudInitVersion);
    return 2;
  }
  Options& o = *parsed;
  if (o.command == "help") {
    char buf[4096];
    std::snprintf(buf, sizeof(buf), kUsage, prog.c_str(), kCloudInitVersion);
    print(buf);
    return 0;
  }
  if (o.command != "version" && !IsCommand(o.command)) {
    std::cerr << prog << ": unknown command '" << o.command << "' (commands: " << CommandList() << ")\n";
    return 2;
  }
  if (o.command == "version") {
    if (prog == "cloud-init") print("cloud-init " + std::string(kCloudInitVersion) + " (nubo " NUBO_VERSION ")\n");
    else print("nubo " NUBO_VERSION " (cloud-init " + std::string(kCloudInitVersion) + " compatible)\n");
    return 0;
  }

  std::unique_ptr<RealSystem> owned;
  System* sys = env.system;
  if (sys == nullptr) {
    if (access(o.root.c_str(), F_OK) != 0) {
      std::cerr << prog << ": root directory '" << o.root << "' does not exist\n";
      return 2;
    }
    owned = std::make_unique<RealSystem>(o.root);
    sys = owned.get();
  }
  auto* real = dynamic_cast<RealSystem*>(sys);
  if (real != nullptr) real->set_dry_run(o.dry_run);

  bool is_stage = o.command == "init" || (o.command == "modules" && !o.list) || o.command == "single";
  TeeSink sinks;
  StderrSink err_sink(o.debug ? LogLevel::kDebug : LogLevel::kWarning);
  std::unique_ptr<FileSink> file_sink;
  std::unique_ptr<OutputTee> tee;
  std::string captured_console;
  if (is_stage && real != nullptr) {
    umask(022);
    auto fd = real->OpenForAppend(Paths::kLogFile, 0640);
    if (fd) file_sink = std::make_unique<FileSink>(*fd);
    else std::cerr << prog << ": cannot open log: " << fd.error().ToString() << "\n";
    if (env.tee_output_log && env.out == nullptr) {
      auto ofd = real->OpenForAppend(Paths::kOutputLogFile, 0640);
      if (ofd) tee = std::make_unique<OutputTee>(*ofd);
    }
  }
  if (file_sink) sinks.Add(file_sink.get());
  if (env.out == nullptr) sinks.Add(&err_sink);
  if (env.extra_sink) sinks.Add(env.extra_sink);

  std::string stage_name = o.command == "init" ? (o.local ? "init-local" : "init")
                                               : (o.command == "modules" ? "modules:" + o.mode : o.command);
  Logger log(&sinks, stage_name);
  AgentOptions agent_options;
  agent_options.extra_config_files = o.files;
  agent_options.dry_run = o.dry_run;
  if (env.out != nullptr) {
    agent_options.console = [&](std::string_view text) {
      print(std::string(text));
      captured_console += text;
    };
  }
  Agent agent(*sys, log, agent_options);

  int rc = 0;
  // The stage's own start/finish events, as cloud-init's reporting logs them.
  std::string event = EventStageName(stage_name);
  if (is_stage) log.Debug("start: " + event + ": running 'cloud-init " + stage_name + "'");
  if (o.command == "init") {
    rc = agent.Init(o.local);
  } else if (o.command == "modules") {
    Stage stage;
    if (o.mode == "config") stage = Stage::kConfig;
    else if (o.mode == "final") stage = Stage::kFinal;
    else if (o.mode == "init") stage = Stage::kInit;
    else {
      std::cerr << prog << ": modules: --mode must be init, config or final\n";
      return 2;
    }
    if (o.list) {
      auto entries = agent.SectionEntries(stage);
      if (!entries) {
        std::cerr << prog << ": " << entries.error().ToString() << "\n";
        return 1;
      }
      for (const auto& e : *entries) {
        const ModuleSpec* spec = FindModule(e.name);
        std::string freq = spec ? std::string(FrequencyName(e.frequency.value_or(spec->frequency))) : "-";
        print(e.name + " " + freq + (spec ? "" : " (not implemented, skipped)") + "\n");
      }
      return 0;
    }
    if (stage == Stage::kInit) {
      std::cerr << prog << ": modules --mode init: use 'init'\n";
      return 2;
    }
    rc = agent.Modules(stage);
  } else if (o.command == "single") {
    if (o.name.empty()) {
      std::cerr << prog << ": single: --name is required\n";
      return 2;
    }
    std::optional<Frequency> freq;
    if (o.frequency) {
      auto f = ParseFrequency(*o.frequency);
      if (!f) {
        std::cerr << prog << ": single: " << f.error().ToString() << "\n";
        return 2;
      }
      freq = *f;
    }
    rc = agent.Single(o.name, freq);
  } else if (o.command == "status") {
    if (o.format != "tabular" && o.format != "json") {
      std::cerr << prog << ": status: --format must be tabular or json\n";
      return 2;
    }
    std::vector<std::string> problems;
    Paths paths = Paths::FromConfig(LoadBaseConfig(*sys, problems));
    StatusReport report = ComputeStatus(*sys, paths);
    std::string dots;
    // --wait: poll until done or error, as cloud-init does every 0.25 s.
    while (o.wait && (report.status == "not run" || report.status == "running")) {
      if (o.format == "tabular") print(".");
      usleep(250000);
      report = ComputeStatus(*sys, paths);
    }
    if (o.wait && o.format == "tabular") print("\n");
    print(FormatStatus(report, o.format, o.long_form));
    return report.status == "error" ? 1 : 0;
  } else if (o.command == "clean") {
    return Clean(*sys, o, log);
  } else if (o.command == "schema") {
    int chosen = (o.config_file ? 1 : 0) + (o.system ? 1 : 0) + (o.docs ? 1 : 0);
    if (chosen != 1) {
      std::cerr << "Error:\nExpected one of --config-file, --system or --docs arguments\n";
      return 1;
    }
    if (o.docs) {
      std::string docs = SchemaDocs(*o.docs);
      if (docs.empty()) {
        std::cerr << "Error:\nInvalid --docs value '" << *o.docs << "': not one of nubo's modules\n";
        return 1;
      }
      print(docs);
      return 0;
    }
    std::string source = o.config_file ? *o.config_file : "system userdata";
    std::optional<std::string> text;
    if (o.config_file) {
      auto t = sys->ReadFile(*o.config_file);
      if (!t) {
        std::cerr << "Error:\nConfigfile " << *o.config_file << " does not exist\n";
        return 1;
      }
      text = *t;
    } else {
      std::vector<std::string> problems;
      Paths paths = Paths::FromConfig(LoadBaseConfig(*sys, problems));
      auto t = sys->ReadFile(paths.InstanceLink() + "/cloud-config.txt");
      if (!t) {
        std::cerr << "Error:\nNo cloud-config of this instance: " << paths.InstanceLink() << "/cloud-config.txt\n";
        return 1;
      }
      text = *t;
    }
    SchemaReport report = CheckCloudConfig(*text, o.config_file ? *o.config_file : "None");
    for (const auto& n : report.notes) std::cerr << "nubo: " << n << "\n";
    if (!o.annotate && report.errors.size() == 1 && report.errors[0].path.empty()) {
      std::cerr << "Error:\n" << report.errors[0].message << "\n";
      return 1;
    }
    if (o.annotate) {  // printed only when there is something to mark, as 22.4
      if (!report.errors.empty() || !report.deprecations.empty()) print(AnnotateCloudConfig(*text, report) + "\n");
      if (report.errors.empty()) print("Valid cloud-config: " + source + "\n");
      return report.errors.empty() ? 0 : 1;
    }
    // As 22.4's validate_cloudconfig_file: on errors or deprecations the
    // deprecations line (even empty) on stdout; only errors fail.
    if (!report.errors.empty() || !report.deprecations.empty()) {
      std::string line = "Cloud config schema deprecations: ";
      for (size_t i = 0; i < report.deprecations.size(); ++i) {
        line += (i ? ", " : "") + report.deprecations[i].path + ": " + report.deprecations[i].message;
      }
      print(line + "\n");
    }
    if (!report.errors.empty()) {
      std::string msg = "Cloud config schema errors: ";
      for (size_t i = 0; i < report.errors.size(); ++i) {
        msg += (i ? ", " : "") + report.errors[i].path + ": " + report.errors[i].message;
      }
      std::cerr << "Error:\n" << msg << "\n";
      return 1;
    }
    print("Valid cloud-config: " + source + "\n");
    return 0;
  } else if (o.command == "collect-logs") {
    std::string tarball = o.tarfile;
    if (tarball.empty() || tarball[0] != '/') {  // os.path.abspath
      char cwd[4096];
      tarball = std::string(getcwd(cwd, sizeof(cwd)) ? cwd : "/") + "/" + tarball;
    }
    return CollectLogs(*sys, tarball, o.include_userdata, std::cerr);
  } else if (o.command == "analyze") {
    std::string what = o.positional.empty() ? "" : o.positional[0];
    if (what != "show" && what != "blame" && what != "dump" && what != "boot") {
      std::cerr << prog << ": analyze: usage: analyze show|blame|dump|boot [-i LOGFILE]\n";
      return 2;
    }
    std::string infile = o.instance_data.empty() ? Paths::kLogFile : o.instance_data;
    auto text = sys->ReadFile(infile);
    if (!text) {
      std::cerr << "Error: cannot read " << infile << ": " << text.error().ToString() << "\n";
      return 1;
    }
    if (what == "boot") {
      std::string note, status;
      BootTimes times = GatherBootTimes(*sys, &note);
      print(note + AnalyzeBoot(*text, times, &status));
      // 22.4's analyze_boot returns its status string, which main() hands
      // to sys.exit(): printed on stderr, exit status 1, whatever it is.
      std::cerr << status << "\n";
      return 1;
    }
    std::vector<Event> events = ParseEvents(*text);
    if (what == "show") print(AnalyzeShow(events));
    else if (what == "blame") print(AnalyzeBlame(events));
    else print(AnalyzeDump(events).dump(4) + "\n");
    return 0;
  } else if (o.command == "features") {
    print("NETWORK_CONFIG_V1\nNETWORK_CONFIG_V2\n");  // cloud-init 22.4's version.FEATURES
    return 0;
  } else if (o.command == "devel" && !o.positional.empty() && o.positional[0] == "make-mime") {
    return MakeMime(*sys, o, print);
  } else if (o.command == "devel") {
    if (o.positional.empty() || o.positional[0] != "render" || o.positional.size() != 2) {
      std::cerr << prog << ": devel: usage: devel render USER_DATA_FILE [-i INSTANCE_DATA]"
                << " | devel make-mime -a FILE:TYPE... [--list-types] [--force]\n";
      return 2;
    }
    std::vector<std::string> problems;
    Paths paths = Paths::FromConfig(LoadBaseConfig(*sys, problems));
    std::string data_path = o.instance_data.empty() ? paths.RunPath("instance-data-sensitive.json") : o.instance_data;
    auto data_text = sys->ReadFile(data_path);
    if (!data_text && o.instance_data.empty()) data_text = sys->ReadFile(data_path = paths.RunPath("instance-data.json"));
    if (!data_text) {
      std::cerr << "ERROR: Missing instance-data.json file: " << data_path << "\n";
      return 1;
    }
    auto user_data = sys->ReadFile(o.positional[1]);
    if (!user_data) {
      std::cerr << "ERROR: Missing user-data file: " << o.positional[1] << "\n";
      return 1;
    }
    Value data = Value::parse(*data_text, nullptr, false);
    std::string body;
    if (!jinja::IsJinjaTemplate(*user_data, &body)) {
      std::cerr << "ERROR: Cannot render from instance data due to exception: "
                   "NotJinjaError('Payload is not a jinja template')\n";
      return 1;
    }
    auto rendered = RenderTemplate(body, data.is_discarded() ? Value::object() : data, o.positional[1]);
    if (!rendered) {
      std::cerr << "ERROR: Unable to render user-data file: " << o.positional[1] << "\n";
      return 1;
    }
    print(*rendered);
    return 0;
  } else if (o.command == "query") {
    std::vector<std::string> problems;
    Paths paths = Paths::FromConfig(LoadBaseConfig(*sys, problems));
    auto text = o.instance_data.empty() ? sys->ReadFile(paths.RunPath("instance-data-sensitive.json"))
                                        : sys->ReadFile(o.instance_data);
    if (!text && o.instance_data.empty()) text = sys->ReadFile(paths.RunPath("instance-data.json"));
    if (!text) {
      std::cerr << "ERROR: Missing instance-data file: " << paths.RunPath("instance-data.json") << "\n";
      return 1;
    }
    Value data = Value::parse(*text, nullptr, false);
    if (auto ud = sys->ReadFile(paths.InstanceLink() + "/user-data.txt")) data["userdata"] = *ud;
    if (auto vd = sys->ReadFile(paths.InstanceLink() + "/vendor-data.txt")) data["vendordata"] = *vd;
    if (o.format_given) {
      auto rendered = RenderTemplate(o.format, data, "query commandline");
      if (!rendered || rendered->empty()) return 1;
      print(*rendered + "\n");
      return 0;
    }
    if (o.all || o.positional.empty()) {
      print(data.dump(2) + "\n");
      return 0;
    }
    const Value* v = Lookup(data, o.positional[0]);
    if (v == nullptr) {
      std::cerr << "ERROR: Undefined instance-data key '" << o.positional[0] << "'\n";
      return 1;
    }
    print(v->is_string() ? v->get<std::string>() + "\n" : v->dump(2) + "\n");
    return 0;
  } else {
    std::cerr << prog << ": command '" << o.command << "' is not handled\n";
    return 2;
  }

  if (is_stage) {
    log.Debug("finish: " + event + ": " + (rc == 0 ? "SUCCESS" : "FAIL") + ": running 'cloud-init " + stage_name + "'");
  }
  if (o.dry_run && real != nullptr) {
    for (const auto& c : real->commands()) print("dry-run: would run: " + c + "\n");
  }
  if (env.out != nullptr && !captured_console.empty() && real != nullptr) {
    WriteOptions wo;
    wo.mode = 0640;
    (void)sys->AppendFile(Paths::kOutputLogFile, captured_console, wo);
  }
  return rc > 255 ? 255 : rc;
}

}  // namespace nubo::agent
