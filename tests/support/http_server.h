// http_server.h — a real HTTP/1.0 server on 127.0.0.1:<free port>, for
// tests of code that fetches URLs (user-data #include, metadata services).
//
//   HttpServer server;
//   server.Serve("/ud", 200, "#cloud-config\n");
//   server.Serve("/broken", 500, "");
//   Fetch(server.Url("/ud"));
//   EXPECT_EQ(server.requests(), (std::vector<std::string>{"/ud"}));
//   EXPECT_EQ(server.full_requests()[0].method, "GET");   // POST bodies too
//
// Unknown paths answer 404. Stop() (or the destructor) closes it, so a test
// can also check what happens when the server is gone.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nubo::testing {

class HttpServer {
 public:
  struct Request {
    std::string method;        // GET, POST
    std::string path;
    std::string content_type;  // the Content-Type header, "" when none
    std::string body;          // read to Content-Length
  };
  HttpServer();
  ~HttpServer();
  void Serve(const std::string& path, int status, std::string body);
  std::string Url(const std::string& path) const;
  std::vector<std::string> requests();
  // Every request with its method, Content-Type and body.
  std::vector<Request> full_requests();
  void Stop();

 private:
  void Loop();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> routes_;
  std::vector<std::string> requests_;
  std::vector<Request> full_requests_;
  std::thread thread_;
};

}  // namespace nubo::testing
