#include "support/metadata_server.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include "support/files.h"

namespace nubo::testing {
namespace {

namespace fs = std::filesystem;

MetadataFault FaultFromJson(const nlohmann::json& j) {
  MetadataFault f;
  f.status = j.value("status", 0);
  if (j.contains("status_sequence")) f.status_sequence = j["status_sequence"].get<std::vector<int>>();
  f.delay_ms = j.value("delay_ms", 0);
  f.drop_after_bytes = j.value("drop_after_bytes", -1L);
  f.hang = j.value("hang", false);
  f.drip_bytes_per_second = j.value("drip_bytes_per_second", 0);
  f.oversize_bytes = j.value("oversize_bytes", 0L);
  f.body = j.value("body", std::string());
  f.redirect_to = j.value("redirect_to", std::string());
  return f;
}

void SleepUnless(const std::atomic<bool>& stop, int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 10)));
  }
}

// libcpp-httplib is built with a listen backlog of 5: a burst of parallel
// connects overflows it and the kernel drops SYNs (a 1 s retransmit each).
// Nova's metadata proxies listen with thousands; so does this one, by
// listening again on the bound socket with a larger backlog.
void WidenBacklog(int port) {
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(e.path().filename().c_str());
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    int accepting = 0;
    socklen_t alen = sizeof(accepting);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) continue;
    if (ntohs(addr.sin_port) != port) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) == 0 && accepting) listen(fd, 1024);
  }
}

}  // namespace

MetadataServer::MetadataServer(std::string tree) : tree_(std::move(tree)), server_(new httplib::Server) {
  if (fs::exists(tree_ + "/faults.json")) {
    auto j = nlohmann::json::parse(ReadHostFile(tree_ + "/faults.json"));
    for (auto& [path, f] : j.items()) faults_[path] = FaultFromJson(f);
  }
  server_->set_keep_alive_max_count(1000);
  server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  server_->Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    MetadataFault fault;
    int n = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      n = ++counts_[path];
      requests_.push_back(path);
      auto it = faults_.find(path);
      if (it == faults_.end()) it = faults_.find("*");
      if (it != faults_.end()) fault = it->second;
      fault.delay_ms += default_delay_ms_;
    }
    if (fault.delay_ms > 0) SleepUnless(stopping_, fault.delay_ms);
    if (fault.hang) {
      while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      res.status = 503;
      return;
    }
    if (!fault.redirect_to.empty()) {
      res.set_redirect(fault.redirect_to);
      return;
    }
    int status = fault.status;
    if (!fault.status_sequence.empty()) {
      status = fault.status_sequence[std::min<size_t>(n - 1, fault.status_sequence.size() - 1)];
    }
    if (status != 0 && status != 200) {
      res.status = status;
      return;
    }
    std::string body;
    bool found = true;
    if (fault.oversize_bytes > 0) {
      body.assign(static_cast<size_t>(fault.oversize_bytes), 'x');
    } else if (!fault.body.empty()) {
      body = fault.body;
    } else {
      std::string rel = path;
      while (!rel.empty() && rel.back() == '/') rel.pop_back();
      fs::path p = fs::path(tree_) / fs::path(rel).relative_path();
      std::string name = p.filename().string();
      if (name == "_index" || name == "faults.json") {
        found = false;
      } else if (fs::is_directory(p)) {
        if (fs::exists(p / "_index")) {
          body = ReadHostFile(p / "_index");
        } else {
          std::vector<std::string> names;
          for (const auto& e : fs::directory_iterator(p)) {
            std::string en = e.path().filename().string();
            if (en == "_index" || en == "faults.json") continue;
            names.push_back(en + (e.is_directory() ? "/" : ""));
          }
          std::sort(names.begin(), names.end());
          for (size_t i = 0; i < names.size(); ++i) body += (i ? "\n" : "") + names[i];
        }
      } else if (fs::is_regular_file(p)) {
        body = ReadHostFile(p);
      } else {
        found = false;
      }
    }
    if (!found) {
      res.status = 404;
      return;
    }
    std::string type = path.size() > 5 && path.substr(path.size() - 5) == ".json" ? "application/json"
                                                                                 : "application/octet-stream";
    res.status = 200;
    if (fault.drop_after_bytes >= 0 || fault.drip_bytes_per_second > 0) {
      auto shared = std::make_shared<std::string>(std::move(body));
      long drop = fault.drop_after_bytes;
      int rate = fault.drip_bytes_per_second;
      res.set_content_provider(
          shared->size(), type,
          [this, shared, drop, rate](size_t offset, size_t length, httplib::DataSink& sink) {
            if (stopping_) return false;
            if (drop >= 0 && offset >= static_cast<size_t>(drop)) return false;  // closes the connection
            size_t chunk = length;
            if (drop >= 0) chunk = std::min(chunk, static_cast<size_t>(drop) - offset);
            if (rate > 0) {
              chunk = 1;
              SleepUnless(stopping_, 1000 / rate);
            }
            sink.write(shared->data() + offset, chunk);
            return true;
          });
      return;
    }
    res.set_content(body, type.c_str());
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  WidenBacklog(port_);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetadataServer::~MetadataServer() { Stop(); }

void MetadataServer::Stop() {
  if (stopping_.exchange(true)) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string MetadataServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void MetadataServer::SetFault(const std::string& path, MetadataFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[path] = std::move(fault);
}

void MetadataServer::SetDefaultDelay(int ms) {
  std::lock_guard<std::mutex> lock(mu_);
  default_delay_ms_ = ms;
}

int MetadataServer::Count(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(path);
  return it == counts_.end() ? 0 : it->second;
}

int MetadataServer::TotalRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(requests_.size());
}

std::vector<std::string> MetadataServer::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace nubo::testing
