// Fill, Copy (with dtype conversion), Unary and Binary on the CPU. Each op
// is one scalar functor from scalar_ops.h run by Map over strided operands;
// tables map the primitive enums to the functors.
#include <array>
#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/kernels.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/strided_loop.h"

namespace tensord::device::cpu {
namespace {

constexpr char kBoolNegMessage[] =
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead.";
constexpr char kBoolSubMessage[] =
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead.";

absl::Status NeedsFloat(const char* name, DType t) {
  return absl::InvalidArgumentError(
      absl::StrCat(name, "(): not implemented for '", std::string(DTypeName(t)),
                   "' tensors: promote the input to a floating-point dtype first"));
}

// out = Op(in), computed in ComputeType<T> and rounded on store.
template <typename Op>
absl::Status RunUnary(const char* name, const HostView& in, const HostView& out) {
  return DispatchDType(in.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!Op::template kSupports<T>) {
      if constexpr (kIsBool<T> && std::is_same_v<Op, NegOp>) {
        return absl::InvalidArgumentError(kBoolNegMessage);
      } else {
        return NeedsFloat(name, in.dtype);
      }
    } else {
      Map<T, T>([](T x) { return Cast<T>(Op{}(Cast<ComputeType<T>>(x))); }, out, in);
      return absl::OkStatus();
    }
  });
}

// Whether any element of v is zero (integer division guard).
template <typename T>
bool AnyZero(const HostView& v) {
  bool found = false;
  ForEachRow<1>(v.shape, {&v}, [&found](const RowPtrs<1>& p, const RowSteps<1>& s, int64_t n) {
    for (int64_t j = 0; j < n && !found; ++j) {
      found = *reinterpret_cast<const T*>(p[0] + j * s[0]) == T(0);
    }
  });
  return found;
}

// out = Op(a, b), computed in ComputeType<T>; out is T, or bool for
// comparisons.
template <typename Op>
absl::Status RunBinary(const char* name, const HostView& a, const HostView& b,
                       const HostView& out) {
  return DispatchDType(a.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!Op::template kSupports<T>) {
      static_assert(std::is_same_v<Op, SubOp>, "only bool subtraction is unsupported");
      return absl::InvalidArgumentError(kBoolSubMessage);
    } else {
      if constexpr (std::is_same_v<Op, DivOp> && !kIsFloat<T>) {
        // Checked up front so that a failed in-place division writes nothing.
        if (AnyZero<T>(b)) return absl::InvalidArgumentError("ZeroDivisionError");
      }
      using C = ComputeType<T>;
      using Out = std::conditional_t<kWritesBool<Op>, bool, T>;
      Map<Out, T, T>([](T x, T y) { return Cast<Out>(Op{}(Cast<C>(x), Cast<C>(y))); }, out, a, b);
      return absl::OkStatus();
    }
  });
}

using UnaryFn = absl::Status (*)(const char*, const HostView&, const HostView&);
struct UnaryEntry {
  UnaryOp op;
  const char* name;
  UnaryFn fn;
};
// Indexed by UnaryOp.
constexpr UnaryEntry kUnaryTable[] = {
    {UnaryOp::kNeg, "neg", &RunUnary<NegOp>},    {UnaryOp::kAbs, "abs", &RunUnary<AbsOp>},
    {UnaryOp::kExp, "exp", &RunUnary<ExpOp>},    {UnaryOp::kLog, "log", &RunUnary<LogOp>},
    {UnaryOp::kSqrt, "sqrt", &RunUnary<SqrtOp>},
};

using BinaryFn = absl::Status (*)(const char*, const HostView&, const HostView&, const HostView&);
struct BinaryEntry {
  BinaryOp op;
  const char* name;
  BinaryFn fn;
};
// Indexed by BinaryOp.
constexpr BinaryEntry kBinaryTable[] = {
    {BinaryOp::kAdd, "add", &RunBinary<AddOp>},
    {BinaryOp::kSub, "sub", &RunBinary<SubOp>},
    {BinaryOp::kMul, "mul", &RunBinary<MulOp>},
    {BinaryOp::kDiv, "div", &RunBinary<DivOp>},
    {BinaryOp::kMaximum, "maximum", &RunBinary<MaximumOp>},
    {BinaryOp::kMinimum, "minimum", &RunBinary<MinimumOp>},
    {BinaryOp::kEq, "eq", &RunBinary<EqOp>},
    {BinaryOp::kNe, "ne", &RunBinary<NeOp>},
    {BinaryOp::kLt, "lt", &RunBinary<LtOp>},
    {BinaryOp::kLe, "le", &RunBinary<LeOp>},
    {BinaryOp::kGt, "gt", &RunBinary<GtOp>},
    {BinaryOp::kGe, "ge", &RunBinary<GeOp>},
};

template <typename Entry, size_t N>
constexpr bool IndexedByOp(const Entry (&table)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (static_cast<size_t>(table[i].op) != i) return false;
  }
  return true;
}
static_assert(IndexedByOp(kUnaryTable));
static_assert(IndexedByOp(kBinaryTable));

template <typename Entry, size_t N, typename Op>
const Entry* Lookup(const Entry (&table)[N], Op op) {
  const size_t i = static_cast<size_t>(op);
  return i < N ? &table[i] : nullptr;
}

}  // namespace

absl::Status FillKernel(const HostView& out, const Scalar& value) {
  DispatchDType(out.dtype, [&]<typename T>() {
    const T v = value.To<T>();
    Map<T>([v] { return v; }, out);
  });
  return absl::OkStatus();
}

absl::Status CopyKernel(const HostView& src, const HostView& out) {
  DispatchDType(out.dtype, [&]<typename To>() {
    DispatchDType(src.dtype, [&]<typename From>() {
      Map<To, From>([](From v) { return Cast<To>(v); }, out, src);
    });
  });
  return absl::OkStatus();
}

absl::Status UnaryKernel(UnaryOp op, const HostView& in, const HostView& out) {
  const UnaryEntry* e = Lookup(kUnaryTable, op);
  if (e == nullptr) return absl::InvalidArgumentError("unknown unary op");
  return e->fn(e->name, in, out);
}

absl::Status BinaryKernel(BinaryOp op, const HostView& a, const HostView& b, const HostView& out) {
  const BinaryEntry* e = Lookup(kBinaryTable, op);
  if (e == nullptr) return absl::InvalidArgumentError("unknown binary op");
  return e->fn(e->name, a, b, out);
}

}  // namespace tensord::device::cpu
