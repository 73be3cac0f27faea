#include "device/dtype.h"

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tensord::device {

size_t ItemSize(DType t) {
  switch (t) {
    case DType::kFloat64:
    case DType::kInt64: return 8;
    case DType::kFloat32:
    case DType::kInt32: return 4;
    case DType::kFloat16:
    case DType::kBFloat16: return 2;
    case DType::kBool: return 1;
  }
  return 1;
}

bool IsFloating(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
         t == DType::kBFloat16;
}

bool IsIntegral(DType t) { return t == DType::kInt64 || t == DType::kInt32; }

absl::string_view ScalarTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "Float";
    case DType::kFloat64: return "Double";
    case DType::kInt64: return "Long";
    case DType::kInt32: return "Int";
    case DType::kBool: return "Bool";
    case DType::kFloat16: return "Half";
    case DType::kBFloat16: return "BFloat16";
  }
  return "Unknown";
}

absl::string_view DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
  }
  return "unknown";
}

std::string TorchName(DType t) { return absl::StrCat("torch.", DTypeName(t)); }

absl::StatusOr<DType> ParseDType(absl::string_view name) {
  std::string n(absl::StripPrefix(name, "torch."));
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "float32" || n == "float") return DType::kFloat32;
  if (n == "float64" || n == "double") return DType::kFloat64;
  if (n == "int64" || n == "long") return DType::kInt64;
  if (n == "int32" || n == "int") return DType::kInt32;
  if (n == "bool") return DType::kBool;
  if (n == "float16" || n == "half") return DType::kFloat16;
  if (n == "bfloat16") return DType::kBFloat16;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown dtype '", name,
      "': use one of float32 (float), float64 (double), int64 (long), int32 (int), bool, "
      "float16 (half), bfloat16"));
}

namespace {
// Rank inside the lattice PyTorch uses; float16 and bfloat16 promote to float32.
int Rank(DType t) {
  switch (t) {
    case DType::kBool: return 0;
    case DType::kInt32: return 1;
    case DType::kInt64: return 2;
    case DType::kFloat16: return 3;
    case DType::kBFloat16: return 3;
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 5;
  }
  return 0;
}
}  // namespace

DType PromoteTypes(DType a, DType b) {
  if (a == b) return a;
  if ((a == DType::kFloat16 && b == DType::kBFloat16) ||
      (a == DType::kBFloat16 && b == DType::kFloat16)) {
    return DType::kFloat32;
  }
  return Rank(a) >= Rank(b) ? a : b;
}

bool CanCast(DType from, DType to) {
  if (IsFloating(from) && !IsFloating(to)) return false;
  if (from != DType::kBool && to == DType::kBool) return false;
  return true;
}

namespace {
int Promote(int acc, DType t) {
  return acc < 0 ? static_cast<int>(t)
                 : static_cast<int>(PromoteTypes(static_cast<DType>(acc), t));
}
// PyTorch's combine_categories: the higher-priority group wins unless the
// lower one is of a higher category (bool < integral < floating).
int Combine(int higher, int lower) {
  if (higher < 0) return lower;
  if (lower < 0) return higher;
  const DType h = static_cast<DType>(higher), l = static_cast<DType>(lower);
  if (IsFloating(h)) return higher;
  if (h == DType::kBool || IsFloating(l)) return static_cast<int>(PromoteTypes(h, l));
  return higher;
}
}  // namespace

void ResultTypeState::AddTensor(DType t, bool zero_dim) {
  if (zero_dim) {
    zero_ = Promote(zero_, t);
  } else {
    dim_ = Promote(dim_, t);
  }
}

void ResultTypeState::AddScalar(DType t) {
  // Python floats wrap to the default dtype, ints to int64.
  if (IsFloating(t)) t = kDefaultFloat;
  if (IsIntegral(t)) t = DType::kInt64;
  wrapped_ = Promote(wrapped_, t);
}

DType ResultTypeState::Result() const {
  const int r = Combine(dim_, Combine(zero_, wrapped_));
  return r < 0 ? kDefaultFloat : static_cast<DType>(r);
}

}  // namespace tensord::device
