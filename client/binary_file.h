// Whole-file binary input and output for the file codecs (.npy,
// safetensors): 64-bit sizes, reads and writes in large chunks, and errors
// that name the file and carry the errno's status code (NotFound,
// PermissionDenied, ...).
#ifndef TENSORD_CLIENT_BINARY_FILE_H_
#define TENSORD_CLIENT_BINARY_FILE_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensord::client {

// A file opened for reading from its start.
class InputFile {
 public:
  static absl::StatusOr<InputFile> Open(const std::string& path);

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  const std::string& path() const { return path_; }
  // The file's size in bytes when it was opened.
  uint64_t size() const { return size_; }

  // Reads exactly n bytes at the current position into dst.
  absl::Status Read(uint64_t n, char* dst);

 private:
  InputFile(std::string path, std::FILE* file, uint64_t size)
      : path_(std::move(path)), file_(file), size_(size) {}

  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

// A file created (or truncated) for writing. Close() must be called and
// checked: a failed write or close removes the file, so a damaged one is
// never left behind.
class OutputFile {
 public:
  static absl::StatusOr<OutputFile> Create(const std::string& path);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Removes the file when it was not closed successfully.
  ~OutputFile();

  absl::Status Write(absl::string_view bytes);
  absl::Status Close();

 private:
  OutputFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  // Closes the file and removes it unless it was closed successfully.
  void Discard();
  // Discards the file and returns the error for errno `error`.
  absl::Status Fail(int error, absl::string_view what);

  std::string path_;
  std::FILE* file_ = nullptr;
  bool done_ = false;  // closed, or failed and removed
};

// The same status code with "path: " in front of the message.
absl::Status WithPath(const absl::Status& status, absl::string_view path);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_BINARY_FILE_H_
