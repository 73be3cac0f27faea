// safetensors files (https://github.com/huggingface/safetensors) read into
// and written from named RawTensors.
//
// Layout: an 8-byte little-endian header size N, N bytes of UTF-8 JSON
// mapping each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]} (offsets relative to the data buffer after the header) plus an
// optional "__metadata__" object of strings, then the data buffer.
//
// Reading validates like the reference implementation: a header of at most
// 100,000,000 bytes that is a JSON object, entries with exactly dtype, shape
// and data_offsets, end - begin == numel * element size, and tensor ranges
// that tile the data buffer exactly (no gaps, overlaps or trailing bytes);
// duplicate keys anywhere in the header and empty names are refused too.
// Writing pads the header with spaces to a multiple of 8 bytes and stores
// the tensors contiguously sorted by name (byte-wise), so equal inputs give
// identical files. The reference writer orders by dtype alignment, then
// name; readers do not depend on the order.
//
// Supported dtypes: F32, F64, F16, BF16, I64, I32 and BOOL (float32,
// float64, float16, bfloat16, int64, int32 and bool).
//
// Errors: InvalidArgument for content that is not a valid, supported
// safetensors file (or tensors that cannot be written, such as a RawTensor
// whose shape, dtype and data disagree); the errno's code (NotFound,
// PermissionDenied, ...) when a file cannot be opened, read or written. The
// file functions' messages start with the file's path.
#ifndef TENSORD_CLIENT_SAFETENSORS_H_
#define TENSORD_CLIENT_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/raw_tensor.h"

namespace tensord::client {

// The contents of a safetensors file.
struct NamedTensors {
  // Read: in the order of their data in the file. Written in any order (the
  // file holds them sorted by name). Names are non-empty, unique, valid
  // UTF-8 and not "__metadata__".
  std::vector<std::pair<std::string, RawTensor>> tensors;
  // The header's "__metadata__" (written only when non-empty).
  std::map<std::string, std::string> metadata;
};

// One tensor as a safetensors header describes it.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // the RawTensor dtype, e.g. "float32"
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // data_offsets, relative to the start of the data buffer
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // sorted by begin
  std::map<std::string, std::string> metadata;
};

// Parses and validates the JSON header `json` (the N bytes after the size
// field) of a file whose data buffer holds `buffer_bytes` bytes. Needs no
// data, so it checks the offsets of files of any size.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view json,
                                                         uint64_t buffer_bytes);

// Decodes a whole safetensors file held in memory.
absl::StatusOr<NamedTensors> ParseSafetensors(absl::string_view bytes);

// The bytes of a safetensors file holding `t`.
absl::StatusOr<std::string> EncodeSafetensors(const NamedTensors& t);

// Reads a safetensors file. Each tensor's data is read straight into the
// result in large chunks, so files over 4 GiB work and need one copy of the
// data in memory.
absl::StatusOr<NamedTensors> ReadSafetensors(const std::string& path);

// Writes `t` to `path` (created or truncated) without copying the data. On
// failure no partial file is left behind.
absl::Status WriteSafetensors(const std::string& path, const NamedTensors& t);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_SAFETENSORS_H_
