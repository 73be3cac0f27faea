// Test helpers for the file codecs: raw bytes to and from files, and the
// little-endian bytes of a vector of values.
#ifndef TENSORD_TESTS_CLIENT_FILE_BYTES_H_
#define TENSORD_TESTS_CLIENT_FILE_BYTES_H_

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace tensord::client::testing {

inline void WriteBytes(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

}  // namespace tensord::client::testing

#endif  // TENSORD_TESTS_CLIENT_FILE_BYTES_H_
