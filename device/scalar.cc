#include "device/scalar.h"

#include "absl/strings/str_cat.h"

namespace tensord::device {

std::string Scalar::ToString() const {
  if (is_bool()) return std::get<bool>(v_) ? "True" : "False";
  if (is_integral()) return absl::StrCat(std::get<int64_t>(v_));
  return absl::StrCat(std::get<double>(v_));
}

}  // namespace tensord::device
