// metadata_server.h — a Nova-layout metadata server on 127.0.0.1:<free port>
// (cpp-httplib, HTTP/1.1 keep-alive), serving a fixture tree with faults
// scripted per path, for tests of the OpenStack datasource.
//
//   MetadataServer md(FixtureDir("openstack/keypair"));
//   md.SetFault("/openstack/latest/vendor_data.json", {.status = 500});
//   md.SetDefaultDelay(50);                      // every response 50 ms late
//   ... crawl md.base_url() ...
//   EXPECT_EQ(md.Count("/openstack/latest/meta_data.json"), 1);
//
// The tree format and the fault kinds are those of faults.json (a case's
// own faults.json is loaded too):
//   <case>/openstack/_index, <case>/openstack/<version>/meta_data.json, ...,
//   <case>/latest/meta-data/... (EC2). A directory GET (with or without a
//   trailing '/') answers its `_index` file, else its entries one per line
//   (subdirectories with a '/'). Anything else is 404.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace nubo::testing {

struct MetadataFault {
  int status = 0;                     // answer this status, empty body
  std::vector<int> status_sequence;   // n-th request gets the n-th (last repeats); 200 serves
  int delay_ms = 0;                   // before answering
  long drop_after_bytes = -1;         // full Content-Length, this many bytes, then close
  bool hang = false;                  // never answer (until Stop)
  int drip_bytes_per_second = 0;      // body one byte at a time
  long oversize_bytes = 0;            // serve this many 'x' instead
  std::string body;                   // serve this instead of the file (when not empty)
  std::string redirect_to;            // 302 to this path
};

class MetadataServer {
 public:
  // Serves `tree` (a host directory); loads `tree`/faults.json if present.
  explicit MetadataServer(std::string tree);
  ~MetadataServer();

  std::string base_url() const;  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  void SetFault(const std::string& path, MetadataFault fault);  // "*": every path
  void SetDefaultDelay(int ms);
  int Count(const std::string& path);    // requests of that path so far
  int TotalRequests();
  std::vector<std::string> Requests();   // paths, in arrival order
  void Stop();

 private:
  std::string tree_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::map<std::string, MetadataFault> faults_;
  std::map<std::string, int> counts_;
  std::vector<std::string> requests_;
  int default_delay_ms_ = 0;
};

}  // namespace nubo::testing
