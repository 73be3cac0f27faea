// NumPy .npy files (numpy.save / numpy.load, format versions 1.0, 2.0 and
// 3.0 as specified by numpy.lib.format) read into and written from
// RawTensor.
//
// Reading accepts every byte order ('<', '>', '=', '|'; big-endian elements
// are swapped to little-endian), Fortran-ordered arrays (reordered to C
// order), 0-dim and zero-size shapes, and any data alignment. Writing
// produces version 1.0 (2.0 only when the header would not fit) with the
// data aligned to 64 bytes, in C order, little-endian.
//
// Supported dtypes: float32 '<f4', float64 '<f8', float16 '<f2', int64
// '<i8', int32 '<i4' and bool '|b1'. bfloat16 has no NumPy dtype and cannot
// be written; any other descr (unsigned or complex types, object arrays,
// structured dtypes, ...) is refused when read.
//
// Errors: InvalidArgument for content that is not a supported .npy array (or
// a RawTensor whose shape, dtype and data disagree); the errno's code
// (NotFound, PermissionDenied, ...) when a file cannot be opened, read or
// written. The file functions' messages start with the file's path.
#ifndef TENSORD_CLIENT_NPY_H_
#define TENSORD_CLIENT_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/raw_tensor.h"

namespace tensord::client {

// What a .npy header says about the data that follows it.
struct NpyHeader {
  int major_version = 1;    // 1, 2 or 3; the minor version is always 0
  std::string descr;        // as written, e.g. "<f4" or ">i8"
  std::string dtype;        // the RawTensor dtype, e.g. "float32"
  bool swap_bytes = false;  // the elements are stored big-endian
  bool fortran_order = false;
  std::vector<int64_t> shape;
  uint64_t data_offset = 0;  // magic + header length + header: where data starts
  uint64_t data_bytes = 0;   // numel * element size
};

// Parses the header at the start of `bytes`, which must hold at least the
// whole header (anything after it is ignored). Sizes are 64-bit and checked
// for overflow; nothing as large as the data is allocated.
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes);

// Decodes a whole .npy file held in memory. The data must be exactly as
// long as the header's shape and dtype say.
absl::StatusOr<RawTensor> ParseNpy(absl::string_view bytes);

// The bytes a .npy file of `t` starts with; t.data follows them. Refuses
// bfloat16 and tensors whose shape, dtype and data disagree.
absl::StatusOr<std::string> EncodeNpyHeader(const RawTensor& t);

// Reads a .npy file. The data is read straight into the result in large
// chunks, so files over 4 GiB work and need one copy of the data in memory
// (two while a Fortran-ordered array is reordered).
absl::StatusOr<RawTensor> ReadNpy(const std::string& path);

// Writes `t` to `path` (created or truncated). On failure no partial file
// is left behind.
absl::Status WriteNpy(const std::string& path, const RawTensor& t);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_NPY_H_
