// A Python-style number (float, int or bool) used as an op attribute or a
// fill value; its kind takes part in type promotion as a wrapped number.
#ifndef TENSORD_DEVICE_SCALAR_H_
#define TENSORD_DEVICE_SCALAR_H_

#include <cstdint>
#include <type_traits>
#include <string>
#include <variant>

#include "device/dtype.h"

namespace tensord::device {

class Scalar {
 public:
  Scalar() : v_(int64_t{0}) {}
  Scalar(double f) : v_(f) {}                 // NOLINT: implicit like Python
  Scalar(int64_t i) : v_(i) {}                // NOLINT
  Scalar(int i) : v_(int64_t{i}) {}           // NOLINT
  Scalar(bool b) : v_(b) {}                   // NOLINT

  bool is_floating() const { return std::holds_alternative<double>(v_); }
  bool is_integral() const { return std::holds_alternative<int64_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  // The dtype this number has as a Python literal: float32, int64 or bool.
  DType dtype() const {
    return is_floating() ? DType::kFloat32 : is_integral() ? DType::kInt64 : DType::kBool;
  }
  double ToDouble() const {
    if (auto* f = std::get_if<double>(&v_)) return *f;
    if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
    return std::get<bool>(v_) ? 1.0 : 0.0;
  }
  int64_t ToInt() const {
    if (auto* f = std::get_if<double>(&v_)) {
      // NaN and out-of-range values become INT64_MIN, as x86 (and so
      // PyTorch) converts them, without undefined behaviour.
      if (!(*f >= -0x1p63 && *f < 0x1p63)) return INT64_MIN;
      return static_cast<int64_t>(*f);
    }
    if (auto* i = std::get_if<int64_t>(&v_)) return *i;
    return std::get<bool>(v_) ? 1 : 0;
  }
  // Converts to an element type T; integers stay exact.
  template <typename T>
  T To() const {
    if constexpr (std::is_same_v<T, bool>) {
      return ToDouble() != 0.0;
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(ToInt());
    } else {
      return T(static_cast<ComputeType<T>>(ToDouble()));
    }
  }
  std::string ToString() const;

 private:
  std::variant<double, int64_t, bool> v_;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_SCALAR_H_
