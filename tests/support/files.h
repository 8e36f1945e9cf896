// files.h — reading a whole host file in a test: a fixture, a source file,
// what an agent wrote under a temporary root.
//
//   std::string cfg = ReadSourceFile("packaging/cloud.cfg");
//   EXPECT_EQ(ReadHostFile(root / "etc/hostname"), "vm1\n");
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nubo::testing {

// The file's bytes, or "" when it cannot be read.
inline std::string ReadHostFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#ifdef NUBO_SOURCE_DIR
// A file of the source tree, by its path from the top (NUBO_SOURCE_DIR).
inline std::string ReadSourceFile(const std::string& rel) {
  return ReadHostFile(std::string(NUBO_SOURCE_DIR) + "/" + rel);
}
#endif

}  // namespace nubo::testing
