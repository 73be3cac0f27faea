// Element types of tensors, their names as PyTorch spells them, and
// PyTorch's type-promotion rules (torch.result_type).
#ifndef TENSORD_DEVICE_DTYPE_H_
#define TENSORD_DEVICE_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>

#include "absl/status/statusor.h"
#include "device/half.h"

namespace tensord::device {

// Numbering matches tensord.v1.DType.
enum class DType : uint8_t {
  kFloat32 = 1,
  kFloat64 = 2,
  kInt64 = 3,
  kInt32 = 4,
  kBool = 5,
  kFloat16 = 6,
  kBFloat16 = 7,
};

inline constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt64,
                                       DType::kInt32,   DType::kBool,    DType::kFloat16,
                                       DType::kBFloat16};
inline constexpr DType kDefaultFloat = DType::kFloat32;

size_t ItemSize(DType t);
bool IsFloating(DType t);
bool IsIntegral(DType t);  // bool excluded
// "float32", "int64", ...
absl::string_view DTypeName(DType t);
// "torch.float32", "torch.int64", ...
std::string TorchName(DType t);
// PyTorch's ScalarType name, as its kernel messages and legacy tensor type
// names use it: "Float", "Double", "Long", "Int", "Bool", "Half", "BFloat16".
absl::string_view ScalarTypeName(DType t);
// Accepts PyTorch's names and aliases with or without "torch.": float32/float,
// float64/double, int64/long, int32/int, bool, float16/half, bfloat16.
absl::StatusOr<DType> ParseDType(absl::string_view name);

// torch.promote_types.
DType PromoteTypes(DType a, DType b);
// torch.can_cast: whether a result of type `from` may be written into `to`.
bool CanCast(DType from, DType to);

// The three priority groups of torch.result_type: tensors with dims, 0-dim
// tensors, and wrapped Python numbers. Feed every operand, then ask Result().
class ResultTypeState {
 public:
  void AddTensor(DType t, bool zero_dim);
  // A Python number: float, int or bool (wrapped into the default dtypes).
  void AddScalar(DType t);
  DType Result() const;

 private:
  int dim_ = -1, zero_ = -1, wrapped_ = -1;  // -1 = undefined, else DType
};

// The C++ type that holds elements of each dtype, and the type they are
// computed in (float for the 16-bit floats).
template <DType T> struct CppType;
template <> struct CppType<DType::kFloat32> { using type = float; };
template <> struct CppType<DType::kFloat64> { using type = double; };
template <> struct CppType<DType::kInt64> { using type = int64_t; };
template <> struct CppType<DType::kInt32> { using type = int32_t; };
template <> struct CppType<DType::kBool> { using type = bool; };
template <> struct CppType<DType::kFloat16> { using type = Half; };
template <> struct CppType<DType::kBFloat16> { using type = BFloat16; };

template <typename T> struct ComputeTypeOf { using type = T; };
template <> struct ComputeTypeOf<Half> { using type = float; };
template <> struct ComputeTypeOf<BFloat16> { using type = float; };
template <typename T> using ComputeType = typename ComputeTypeOf<T>::type;

// Calls f.template operator()<T>() with T the element type of `t`.
template <typename F>
decltype(auto) DispatchDType(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: return f.template operator()<float>();
    case DType::kFloat64: return f.template operator()<double>();
    case DType::kInt64: return f.template operator()<int64_t>();
    case DType::kInt32: return f.template operator()<int32_t>();
    case DType::kBool: return f.template operator()<bool>();
    case DType::kFloat16: return f.template operator()<Half>();
    case DType::kBFloat16: return f.template operator()<BFloat16>();
  }
  return f.template operator()<float>();
}

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_DTYPE_H_
