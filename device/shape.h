// Shapes and strides: element counts with overflow checks, contiguous
// strides, broadcasting, dim wrapping and -1 inference, with the error
// messages PyTorch gives.
#ifndef TENSORD_DEVICE_SHAPE_H_
#define TENSORD_DEVICE_SHAPE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tensord::device {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

// "[5, 3]".
std::string ShapeToString(std::span<const int64_t> shape);
// Number of elements; INVALID_ARGUMENT on a negative size or overflow.
absl::StatusOr<int64_t> CheckedNumel(std::span<const int64_t> shape);
// Number of elements of a shape already checked.
int64_t Numel(std::span<const int64_t> shape);
Strides ContiguousStrides(std::span<const int64_t> shape);
// Wraps a possibly negative dim into [0, rank); rank 0 accepts -1 and 0.
absl::StatusOr<int64_t> WrapDim(int64_t dim, int64_t rank);
// Broadcast two shapes (numpy rules).
absl::StatusOr<Shape> BroadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b);
// Resolves one -1 in `shape` so the result has `numel` elements.
absl::StatusOr<Shape> InferSize(std::span<const int64_t> shape, int64_t numel);
// Strides for viewing (old shape, old strides) as new_shape without a copy,
// or nullopt-like empty result when impossible (PyTorch's computeStride).
bool ComputeViewStrides(std::span<const int64_t> old_shape, std::span<const int64_t> old_strides,
                        std::span<const int64_t> new_shape, Strides* out);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_SHAPE_H_
