// log.h — the logger every stage, module and datasource receives.
//
//   Logger log(&sink, "init");
//   Logger mod = log.Child("write_files");   // prefix "init/write_files"
//   mod.Info("wrote '/etc/motd'");
//
// Sinks decide where lines go (stderr, /var/log/cloud-init.log, a test
// buffer). Never pass passwords, hashes or user-data bodies to a logger.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nubo {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

std::string_view LogLevelName(LogLevel level);  // "DEBUG", "INFO", ...

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(LogLevel level, std::string_view prefix,
                     std::string_view message) = 0;
};

// Remembers every line; used by tests and by the stage to count warnings.
class CapturingSink : public LogSink {
 public:
  struct Line {
    LogLevel level;
    std::string prefix;
    std::string message;
  };
  void Write(LogLevel level, std::string_view prefix,
             std::string_view message) override;
  const std::vector<Line>& lines() const { return lines_; }
  // True when some line of `level` contains `needle`.
  bool Contains(LogLevel level, std::string_view needle) const;
  // Every message joined with newlines, for test failure output.
  std::string Dump() const;

 private:
  std::vector<Line> lines_;
};

// Sends every line to several sinks.
class TeeSink : public LogSink {
 public:
  void Add(LogSink* sink) { sinks_.push_back(sink); }
  void Write(LogLevel level, std::string_view prefix,
             std::string_view message) override;

 private:
  std::vector<LogSink*> sinks_;
};

class Logger {
 public:
  Logger(LogSink* sink, std::string prefix) : sink_(sink), prefix_(std::move(prefix)) {}
  Logger Child(std::string_view name) const;
  const std::string& prefix() const { return prefix_; }

  void Debug(std::string_view message) const { Log(LogLevel::kDebug, message); }
  void Info(std::string_view message) const { Log(LogLevel::kInfo, message); }
  void Warning(std::string_view message) const { Log(LogLevel::kWarning, message); }
  void Error(std::string_view message) const { Log(LogLevel::kError, message); }
  void Log(LogLevel level, std::string_view message) const;

 private:
  LogSink* sink_;
  std::string prefix_;
};

// Puts a user string in single quotes for messages: Quote("a b") == "'a b'".
std::string Quote(std::string_view s);

}  // namespace nubo
