#include "client/raw_tensor_size.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace tensord::client {

int ElementSize(absl::string_view dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "float64" || dtype == "int64") return 8;
  if (dtype == "float16" || dtype == "bfloat16") return 2;
  if (dtype == "bool") return 1;
  return 0;
}

std::optional<uint64_t> ByteSize(const std::vector<int64_t>& shape, int element_size) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (element_size <= 0) return std::nullopt;
  // A zero dimension makes the tensor empty whatever the others are, but the
  // others must still be valid sizes.
  uint64_t bytes = static_cast<uint64_t>(element_size);
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (bytes > kMax / static_cast<uint64_t>(d)) return std::nullopt;
    bytes *= static_cast<uint64_t>(d);
  }
  return empty ? 0 : bytes;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return absl::StrCat("(", shape[0], ",)");
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

absl::Status CheckRawTensor(const RawTensor& t) {
  const int size = ElementSize(t.dtype);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown dtype '", t.dtype,
                     "'; use one of float32, float64, float16, bfloat16, int64, int32, bool"));
  }
  std::optional<uint64_t> bytes = ByteSize(t.shape, size);
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("shape ", ShapeString(t.shape),
                                                   " has a negative dimension or too many "
                                                   "elements to address"));
  }
  if (*bytes != t.data.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", ShapeString(t.shape), " of ", t.dtype, " needs ", *bytes,
                     " bytes but the data has ", t.data.size(),
                     "; the shape, dtype and data do not belong together"));
  }
  return absl::OkStatus();
}

}  // namespace tensord::client
