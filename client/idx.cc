#include "client/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tensord::client {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads up to n bytes; the number read, or an error for a corrupt stream.
absl::StatusOr<size_t> ReadSome(gzFile f, const std::string& path, void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int r = gzread(f, static_cast<char*>(buf) + done, chunk);
    if (r < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": corrupt gzip data: ", msg != nullptr ? msg : "unknown error"));
    }
    if (r == 0) {
      // zlib reports a stream cut short as an error only on the next call.
      int code = 0;
      const char* msg = gzerror(f, &code);
      if (code != Z_OK && code != Z_STREAM_END) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": corrupt or truncated gzip data: ", msg));
      }
      break;
    }
    done += static_cast<size_t>(r);
  }
  return done;
}

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

absl::StatusOr<IdxArray> ReadIdx(const std::string& path) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (f == nullptr) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  uint8_t magic[4];
  absl::StatusOr<size_t> n = ReadSome(f.get(), path, magic, 4);
  if (!n.ok()) return n.status();
  if (*n < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": truncated: ", *n, " bytes, shorter than the 4-byte IDX magic"));
  }
  if (magic[0] != 0 || magic[1] != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not an IDX file (the magic starts with 0x", absl::Hex(magic[0], absl::kZeroPad2),
        absl::Hex(magic[1], absl::kZeroPad2), ", not 0x0000)"));
  }
  if (magic[2] != 0x08) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": IDX element type 0x", absl::Hex(magic[2], absl::kZeroPad2),
                     " is not supported (only unsigned bytes, 0x08)"));
  }
  const int rank = magic[3];
  if (rank == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": IDX file with 0 dims"));
  std::vector<uint8_t> header(4 * rank);
  n = ReadSome(f.get(), path, header.data(), header.size());
  if (!n.ok()) return n.status();
  if (*n < header.size()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated in the header: ", rank,
                                                   " dims need ", header.size(), " bytes, got ",
                                                   *n));
  }
  IdxArray out;
  uint64_t numel = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t size = BigEndian32(&header[4 * d]);
    out.dims.push_back(size);
    numel *= size;
    if (numel > (uint64_t{1} << 34)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": IDX dims [", absl::StrJoin(out.dims, ", "), "...] are too large"));
    }
  }
  out.data.resize(numel);
  n = ReadSome(f.get(), path, out.data.data(), out.data.size());
  if (!n.ok()) return n.status();
  if (*n < numel) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated: dims [",
                                                   absl::StrJoin(out.dims, ", "), "] need ", numel,
                                                   " bytes of data, the file has ", *n));
  }
  uint8_t extra;
  n = ReadSome(f.get(), path, &extra, 1);
  if (!n.ok()) return n.status();
  if (*n != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": trailing bytes after the ", numel,
                                                   " bytes that dims [",
                                                   absl::StrJoin(out.dims, ", "), "] need"));
  }
  return out;
}

}  // namespace tensord::client
