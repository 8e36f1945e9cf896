#include "nubo/log.h"

namespace nubo {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

void CapturingSink::Write(LogLevel level, std::string_view prefix, std::string_view message) {
  lines_.push_back({level, std::string(prefix), std::string(message)});
}

bool CapturingSink::Contains(LogLevel level, std::string_view needle) const {
  for (const auto& line : lines_) {
    if (line.level == level && line.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string CapturingSink::Dump() const {
  std::string out;
  for (const auto& line : lines_) {
    out += std::string(LogLevelName(line.level)) + " [" + line.prefix + "] " + line.message + "\n";
  }
  return out;
}

void TeeSink::Write(LogLevel level, std::string_view prefix, std::string_view message) {
  for (LogSink* sink : sinks_) sink->Write(level, prefix, message);
}

Logger Logger::Child(std::string_view name) const {
  return Logger(sink_, prefix_.empty() ? std::string(name) : prefix_ + "/" + std::string(name));
}

void Logger::Log(LogLevel level, std::string_view message) const {
  if (sink_ != nullptr) sink_->Write(level, prefix_, message);
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace nubo
