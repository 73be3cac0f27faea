#include "client/binary_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tensord::client {
namespace {

// fread/fwrite take size_t; staying well under any 32-bit limit keeps every
// call portable while still moving data in large blocks.
constexpr uint64_t kChunk = uint64_t{64} << 20;

// absl::ErrnoToStatus, but never OK: a failed call that left errno at 0 is
// still a failure.
absl::Status FromErrno(int error, absl::string_view message) {
  if (error == 0) return absl::UnknownError(message);
  return absl::ErrnoToStatus(error, message);
}

}  // namespace

absl::Status WithPath(const absl::Status& status, absl::string_view path) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

absl::StatusOr<InputFile> InputFile::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return FromErrno(errno, absl::StrCat(path, ": cannot open for reading"));
  }
  struct stat st;
  if (fstat(fileno(file), &st) != 0) {
    const int error = errno;
    std::fclose(file);
    return FromErrno(error, absl::StrCat(path, ": cannot read the file's size"));
  }
  if (!S_ISREG(st.st_mode)) {
    std::fclose(file);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file; name a file, not a directory or device"));
  }
  return InputFile(path, file, static_cast<uint64_t>(st.st_size));
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::exchange(other.file_, nullptr)),
      size_(other.size_) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
    size_ = other.size_;
  }
  return *this;
}

InputFile::~InputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status InputFile::Read(uint64_t n, char* dst) {
  while (n > 0) {
    const size_t want = static_cast<size_t>(std::min(n, kChunk));
    const size_t got = std::fread(dst, 1, want, file_);
    if (got != want) {
      if (std::ferror(file_)) {
        return FromErrno(errno, absl::StrCat(path_, ": read failed"));
      }
      return absl::DataLossError(
          absl::StrCat(path_, ": the file ended early (it changed while being read?)"));
    }
    dst += got;
    n -= got;
  }
  return absl::OkStatus();
}

absl::StatusOr<OutputFile> OutputFile::Create(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return FromErrno(errno, absl::StrCat(path, ": cannot open for writing"));
  }
  return OutputFile(path, file);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::exchange(other.file_, nullptr)),
      done_(std::exchange(other.done_, true)) {}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
    done_ = std::exchange(other.done_, true);
  }
  return *this;
}

OutputFile::~OutputFile() { Discard(); }

void OutputFile::Discard() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  if (!done_) std::remove(path_.c_str());
  done_ = true;
}

absl::Status OutputFile::Fail(int error, absl::string_view what) {
  done_ = false;
  Discard();
  return FromErrno(error, absl::StrCat(path_, ": ", what,
                                       " (the partial file was removed; check the free "
                                       "space and permissions of its folder)"));
}

absl::Status OutputFile::Write(absl::string_view bytes) {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(path_, ": already closed"));
  }
  const char* src = bytes.data();
  uint64_t n = bytes.size();
  while (n > 0) {
    const size_t want = static_cast<size_t>(std::min(n, kChunk));
    if (std::fwrite(src, 1, want, file_) != want) return Fail(errno, "write failed");
    src += want;
    n -= want;
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Close() {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(path_, ": already closed"));
  }
  std::FILE* file = std::exchange(file_, nullptr);
  if (std::fclose(file) != 0) {
    return Fail(errno, "write failed when closing");
  }
  done_ = true;
  return absl::OkStatus();
}

}  // namespace tensord::client
