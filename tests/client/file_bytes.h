// Test helpers for the file codecs: raw bytes to and from files, and the
// little-endian bytes of a vector of values.
#ifndef TENSORD_TESTS_CLIENT_FILE_BYTES_H_
#define TENSORD_TESTS_CLIENT_FILE_BYTES_H_

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
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

// Writes `bytes` to `path`, then reads them with read(path) and parse(bytes):
// both must fail alike, the file's error naming the path. Returns the file's.
template <typename ReadFn, typename ParseFn>
absl::Status ReadErrorBothWays(const std::string& path, absl::string_view bytes, ReadFn read,
                               ParseFn parse) {
  WriteBytes(path, bytes);
  auto from_file = read(path);
  auto from_memory = parse(bytes);
  EXPECT_FALSE(from_memory.ok()) << path;
  if (!from_memory.ok() && !from_file.ok()) {
    EXPECT_EQ(from_file.status().code(), from_memory.status().code());
    EXPECT_THAT(std::string(from_file.status().message()), ::testing::StartsWith(path + ": "));
  }
  return from_file.status();
}

}  // namespace tensord::client::testing

#endif  // TENSORD_TESTS_CLIENT_FILE_BYTES_H_
