// Nested-list literals as Python writes them ("[[1, 2], [3.5, 4]]",
// "True", "-1e-3"), turned into tensor bytes with the dtype torch.tensor
// infers: bool if all are bools, int64 if all are ints, else float32.
#ifndef TENSORD_DEVICE_LITERAL_H_
#define TENSORD_DEVICE_LITERAL_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "device/dtype.h"
#include "device/shape.h"

namespace tensord::device {

struct ParsedLiteral {
  Shape shape;
  DType dtype;
  std::string bytes;  // row-major little-endian elements of `dtype`
};

// `dtype`, when given, overrides inference; values are cast as torch.tensor
// casts them (floats into integer dtypes truncate toward zero).
absl::StatusOr<ParsedLiteral> ParseLiteral(absl::string_view text,
                                           std::optional<DType> dtype = std::nullopt,
                                           int64_t max_elements = int64_t{1} << 24);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_LITERAL_H_
