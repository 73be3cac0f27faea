// A tensor's bytes on the host as they travel between files, the wire and
// shared memory: shape, dtype name and contiguous row-major little-endian
// elements. HostTensor (repr.h) is the decoded form used for printing.
#ifndef TENSORD_CLIENT_RAW_TENSOR_H_
#define TENSORD_CLIENT_RAW_TENSOR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tensord::client {

struct RawTensor {
  std::vector<int64_t> shape;  // empty = 0-dim scalar
  // "float32", "float64", "float16", "bfloat16", "int64", "int32", "bool".
  std::string dtype;
  std::string data;  // numel * element size bytes
};

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_RAW_TENSOR_H_
