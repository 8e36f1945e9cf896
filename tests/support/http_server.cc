#include "support/http_server.h"

#include <cctype>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace nubo::testing {

HttpServer::HttpServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      listen(listen_fd_, 16) < 0) {
    std::abort();
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (stop_.exchange(true)) return;
  thread_.join();
  close(listen_fd_);
}

void HttpServer::Serve(const std::string& path, int status, std::string body) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_[path] = {status, std::move(body)};
}

std::string HttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> HttpServer::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<HttpServer::Request> HttpServer::full_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return full_requests_;
}

void HttpServer::Loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd rp{fd, POLLIN, 0};
      if (poll(&rp, 1, 2000) <= 0) break;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    // Headers (case-insensitive names) and a body of Content-Length bytes;
    // "Expect: 100-continue" (curl, for larger POSTs) is answered first.
    size_t head_end = request.find("\r\n\r\n");
    std::string head = head_end == std::string::npos ? request : request.substr(0, head_end);
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto header = [&](const std::string& name) -> std::string {
      size_t at = lower.find("\r\n" + name + ":");
      if (at == std::string::npos) return "";
      size_t begin = at + 3 + name.size();
      size_t end = head.find("\r\n", begin);
      std::string v = head.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      while (!v.empty() && v.front() == ' ') v.erase(v.begin());
      return v;
    };
    std::string body = head_end == std::string::npos ? "" : request.substr(head_end + 4);
    std::string length = header("content-length");
    size_t want = length.empty() ? 0 : std::stoul(length);
    if (want > body.size() && header("expect") == "100-continue") {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      ssize_t ignored = write(fd, kContinue, sizeof(kContinue) - 1);
      (void)ignored;
    }
    while (body.size() < want) {
      pollfd rp{fd, POLLIN, 0};
      if (poll(&rp, 1, 2000) <= 0) break;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      body.append(buf, static_cast<size_t>(n));
    }
    std::string path;
    size_t sp1 = request.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : request.find(' ', sp1 + 1);
    if (sp2 != std::string::npos) path = request.substr(sp1 + 1, sp2 - sp1 - 1);
    int status = 404;
    std::string method = sp1 == std::string::npos ? "" : request.substr(0, sp1);
    std::string content_type = header("content-type");
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(path);
      full_requests_.push_back({method, path, content_type, body});
      body = "not found\n";
      auto it = routes_.find(path);
      if (it != routes_.end()) {
        status = it->second.first;
        body = it->second.second;
      }
    }
    std::string response = "HTTP/1.0 " + std::to_string(status) + " X\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    ssize_t ignored = write(fd, response.data(), response.size());
    (void)ignored;
    close(fd);
  }
}

}  // namespace nubo::testing
