// Sizes of a RawTensor's contents shared by the file codecs: the element size
// of each dtype name and the overflow-checked byte count of a shape, plus the
// consistency check a tensor must pass before it is encoded.
#ifndef TENSORD_CLIENT_RAW_TENSOR_SIZE_H_
#define TENSORD_CLIENT_RAW_TENSOR_SIZE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/raw_tensor.h"

namespace tensord::client {

// Bytes per element of a RawTensor dtype name ("float32" -> 4), or 0 when the
// name is not one of RawTensor's dtypes.
int ElementSize(absl::string_view dtype);

// numel(shape) * element_size, or nullopt when a dimension is negative or the
// product does not fit in 63 bits.
std::optional<uint64_t> ByteSize(const std::vector<int64_t>& shape, int element_size);

// "(5, 3)", "(3,)" or "()": a shape as Python writes a tuple.
std::string ShapeString(const std::vector<int64_t>& shape);

// OK when the dtype is known, no dimension is negative and data holds exactly
// numel * element size bytes; otherwise InvalidArgument saying which.
absl::Status CheckRawTensor(const RawTensor& t);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_RAW_TENSOR_SIZE_H_
