// Fill, Copy (with dtype conversion), Unary and Binary on the CPU. Each op
// is one scalar functor from scalar_ops.h run by Map over strided operands;
// tables map the primitive enums to the functors.
#include <array>
#include <cstddef>
#include <iterator>
#include <string>
#include <type_traits>

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

// An element type the op does not take: float functions name the fix,
// everything else that reaches here is a bool input.
absl::Status Unsupported(const char* name, DType t, bool float_only) {
  return absl::InvalidArgumentError(
      absl::StrCat(name, "(): not implemented for '", std::string(DTypeName(t)), "' tensors: ",
                   float_only ? "promote the input to a floating-point dtype first"
                              : "convert the input to an integer or floating-point dtype first"));
}

// out = Op(in), computed in ComputeType<T> and rounded on store.
template <typename Op>
absl::Status RunUnary(const char* name, const HostView& in, const HostView& out) {
  return DispatchDType(in.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!Op::template kSupports<T>) {
      if constexpr (kIsBool<T> && std::is_same_v<Op, NegOp>) {
        return absl::InvalidArgumentError(kBoolNegMessage);
      } else {
        return Unsupported(name, in.dtype, std::is_base_of_v<FloatOnly, Op>);
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
// comparisons and logical ops.
template <typename Op>
absl::Status RunBinary(const char* name, const HostView& a, const HostView& b,
                       const HostView& out) {
  return DispatchDType(a.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!Op::template kSupports<T>) {
      if constexpr (kIsBool<T> && std::is_same_v<Op, SubOp>) {
        return absl::InvalidArgumentError(kBoolSubMessage);
      } else {
        return Unsupported(name, a.dtype, std::is_base_of_v<FloatOnly, Op>);
      }
    } else {
      if constexpr (kIntZeroDivides<Op> && !kIsFloat<T>) {
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
    {UnaryOp::kNeg, "neg", &RunUnary<NegOp>},
    {UnaryOp::kAbs, "abs", &RunUnary<AbsOp>},
    {UnaryOp::kExp, "exp", &RunUnary<ExpOp>},
    {UnaryOp::kLog, "log", &RunUnary<LogOp>},
    {UnaryOp::kSqrt, "sqrt", &RunUnary<SqrtOp>},
    {UnaryOp::kSign, "sign", &RunUnary<SignOp>},
    {UnaryOp::kLog1p, "log1p", &RunUnary<Log1pOp>},
    {UnaryOp::kExpm1, "expm1", &RunUnary<Expm1Op>},
    {UnaryOp::kRsqrt, "rsqrt", &RunUnary<RsqrtOp>},
    {UnaryOp::kReciprocal, "reciprocal", &RunUnary<ReciprocalOp>},
    {UnaryOp::kSin, "sin", &RunUnary<SinOp>},
    {UnaryOp::kCos, "cos", &RunUnary<CosOp>},
    {UnaryOp::kTanh, "tanh", &RunUnary<TanhOp>},
    {UnaryOp::kSigmoid, "sigmoid", &RunUnary<SigmoidOp>},
    {UnaryOp::kRelu, "relu", &RunUnary<ReluOp>},
    {UnaryOp::kGelu, "gelu", &RunUnary<GeluOp>},
    {UnaryOp::kGeluTanh, "gelu", &RunUnary<GeluTanhOp>},
    {UnaryOp::kSilu, "silu", &RunUnary<SiluOp>},
    {UnaryOp::kFloor, "floor", &RunUnary<FloorOp>},
    {UnaryOp::kCeil, "ceil", &RunUnary<CeilOp>},
    {UnaryOp::kRound, "round", &RunUnary<RoundOp>},
    {UnaryOp::kLogicalNot, "logical_not", &RunUnary<LogicalNotOp>},
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
    {BinaryOp::kDivTrunc, "div_trunc", &RunBinary<DivTruncOp>},
    {BinaryOp::kDivFloor, "div_floor", &RunBinary<DivFloorOp>},
    {BinaryOp::kRemainder, "remainder", &RunBinary<RemainderOp>},
    {BinaryOp::kPow, "pow", &RunBinary<PowOp>},
    {BinaryOp::kAtan2, "atan2", &RunBinary<Atan2Op>},
    {BinaryOp::kClampMin, "clamp_min", &RunBinary<ClampMinOp>},
    {BinaryOp::kClampMax, "clamp_max", &RunBinary<ClampMaxOp>},
    {BinaryOp::kLogicalAnd, "logical_and", &RunBinary<LogicalAndOp>},
    {BinaryOp::kLogicalOr, "logical_or", &RunBinary<LogicalOrOp>},
    {BinaryOp::kLogicalXor, "logical_xor", &RunBinary<LogicalXorOp>},
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
// Every op has an entry (the last enumerators are the last entries).
static_assert(std::size(kUnaryTable) == static_cast<size_t>(UnaryOp::kLogicalNot) + 1);
static_assert(std::size(kBinaryTable) == static_cast<size_t>(BinaryOp::kGe) + 1);

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
