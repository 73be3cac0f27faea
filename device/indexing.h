// NumPy-style basic indexing from a string, as Python writes it between the
// brackets of x[...]: integers, slices with steps and negative bounds,
// "..." and None. The result is a view sharing x's storage.
#ifndef TENSORD_DEVICE_INDEXING_H_
#define TENSORD_DEVICE_INDEXING_H_

#include <optional>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "device/tensor.h"

namespace tensord::device {

struct IndexItem {
  enum class Kind { kInteger, kSlice, kEllipsis, kNone };
  Kind kind = Kind::kInteger;
  int64_t index = 0;                      // kInteger
  std::optional<int64_t> start, stop, step;  // kSlice
};

// INVALID_ARGUMENT with the position of the first bad character.
absl::StatusOr<std::vector<IndexItem>> ParseIndex(absl::string_view text);
absl::StatusOr<Tensor> ApplyIndex(const Tensor& t, const std::vector<IndexItem>& items);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_INDEXING_H_
