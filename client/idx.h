// Reader of the IDX format of the (Fashion-)MNIST files (Debian's
// dataset-fashion-mnist ships them gzip-compressed under
// /usr/share/datasets/fashion-mnist): a big-endian magic of two zero bytes,
// the element type and the number of dims, then each dim as a big-endian
// uint32, then the elements. Compressed (.gz) and plain files are both read.
#ifndef TENSORD_CLIENT_IDX_H_
#define TENSORD_CLIENT_IDX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tensord::client {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, numel bytes
};

// Reads an IDX file of unsigned bytes (type 0x08, the only one MNIST uses).
// Errors name the path: NOT_FOUND, or INVALID_ARGUMENT for a bad magic, an
// unsupported type, a corrupt gzip stream, a file shorter than its header
// says (with both sizes), or trailing bytes.
absl::StatusOr<IdxArray> ReadIdx(const std::string& path);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_IDX_H_
