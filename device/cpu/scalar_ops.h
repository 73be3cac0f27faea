// Per-element building blocks shared by the CPU kernels: dtype traits,
// PyTorch-style casts, wrapping integer arithmetic, and one small functor per
// unary/binary/reduce op, each applied in the op's compute type. The CUDA
// kernels (device/cuda) apply the same functors in device code, so every
// function is TENSORD_HOST_DEVICE and calls no host-only constexpr library
// function (std::numeric_limits, std::less<>, ...): nvcc would reject those
// in device code.
#ifndef TENSORD_DEVICE_CPU_SCALAR_OPS_H_
#define TENSORD_DEVICE_CPU_SCALAR_OPS_H_

#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "device/cpu/fast_math.h"
#include "device/dtype.h"
#include "device/half.h"
#include "device/host_device.h"

namespace tensord::device::cpu {

template <typename T>
inline constexpr bool kIsReducedFloat = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || kIsReducedFloat<T>;
template <typename T>
inline constexpr bool kIsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <typename T>
inline constexpr bool kIsBool = std::is_same_v<T, bool>;

// Accumulator of reductions and integer matmul: double for floats, int64
// for integers and bool.
template <typename T>
using AccType = std::conditional_t<kIsFloat<T>, double, int64_t>;

// Integer arithmetic that wraps like PyTorch's (two's complement) instead of
// overflowing into undefined behaviour.
template <typename I>
TENSORD_HOST_DEVICE inline I WrapAdd(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) + static_cast<U>(b));
}
template <typename I>
TENSORD_HOST_DEVICE inline I WrapSub(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) - static_cast<U>(b));
}
template <typename I>
TENSORD_HOST_DEVICE inline I WrapMul(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) * static_cast<U>(b));
}

// The extremes of a signed integer type and float infinity, usable in
// device code (std::numeric_limits is not).
template <typename I>
TENSORD_HOST_DEVICE constexpr I IntMin() {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(U{1} << (sizeof(I) * 8 - 1));
}
template <typename I>
TENSORD_HOST_DEVICE constexpr I IntMax() {
  return static_cast<I>(~IntMin<I>());
}
template <typename F>
TENSORD_HOST_DEVICE constexpr F Infinity() {
  return static_cast<F>(__builtin_huge_val());
}

// Float to integer truncating toward zero; NaN and out-of-range values give
// the integer minimum, as x86's cvtt* instructions (and so PyTorch) do.
template <typename I, typename F>
TENSORD_HOST_DEVICE inline I FloatToInt(F v) {
  constexpr F kLo = static_cast<F>(IntMin<I>());  // -2^(bits-1), exact
  if (v >= kLo && v < -kLo) return static_cast<I>(v);
  return IntMin<I>();
}

// Converts one element like a PyTorch cast: float->int truncates, anything
// ->bool is != 0, bool->number is 0/1, Half/BFloat16 go through float.
template <typename To, typename From>
TENSORD_HOST_DEVICE inline To Cast(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (kIsReducedFloat<From>) {
    return Cast<To>(static_cast<float>(v));
  } else if constexpr (kIsBool<To>) {
    return v != From(0);
  } else if constexpr (kIsReducedFloat<To>) {
    return To(static_cast<float>(v));
  } else if constexpr (kIsInt<To> && std::is_floating_point_v<From>) {
    return FloatToInt<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

// Which element types an op accepts; the kernel reports the others.
struct AnyType {
  template <typename T>
  static constexpr bool kSupports = true;
};
struct NotBool {
  template <typename T>
  static constexpr bool kSupports = !kIsBool<T>;
};
// Float functions: integer and bool inputs are promoted by the caller.
struct FloatOnly {
  template <typename T>
  static constexpr bool kSupports = kIsFloat<T>;
};

// Unary ops, applied to ComputeType<T>.
struct NegOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return WrapSub(C{0}, x);
    else
      return -x;
  }
};
struct AbsOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return x < 0 ? WrapSub(C{0}, x) : x;
    else if constexpr (kIsBool<C>)
      return x;
    else
      return std::abs(x);
  }
};
// -1, 0 or 1; NaN gives 0, as torch.sign.
struct SignOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsBool<C>)
      return x;
    else
      return static_cast<C>((C{0} < x) - (x < C{0}));
  }
};
// Float goes through ExpF (fast_math.h), which vectorizes, on the CPU;
// device code uses the GPU's expf.
template <typename C>
TENSORD_HOST_DEVICE inline C Exp(C x) {
#if defined(__CUDA_ARCH__)
  return std::exp(x);
#else
  if constexpr (std::is_same_v<C, float>)
    return ExpF(x);
  else
    return std::exp(x);
#endif
}
struct ExpOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return Exp(x);
  }
};
struct LogOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::log(x);
  }
};
struct SqrtOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::sqrt(x);
  }
};
struct Log1pOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::log1p(x);
  }
};
struct Expm1Op : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::expm1(x);
  }
};
struct RsqrtOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return C{1} / std::sqrt(x);
  }
};
struct ReciprocalOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return C{1} / x;
  }
};
struct SinOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::sin(x);
  }
};
struct CosOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::cos(x);
  }
};
struct TanhOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return std::tanh(x);
  }
};
struct SigmoidOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return C{1} / (C{1} + Exp(-x));
  }
};
// max(x, 0) that keeps NaN and -0, as torch.relu (a clamp_min(0)).
struct ReluOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return x < C{0} ? C{0} : x;
  }
};
// x * Phi(x), with Phi the standard normal CDF.
struct GeluOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return x * C{0.5} * (C{1} + std::erf(x * static_cast<C>(std::numbers::sqrt2 / 2)));
  }
};
// gelu(approximate="tanh").
struct GeluTanhOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    const C beta = static_cast<C>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
    const C kappa = static_cast<C>(0.044715);
    return C{0.5} * x * (C{1} + std::tanh(beta * (x + kappa * x * x * x)));
  }
};
struct SiluOp : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return x / (C{1} + Exp(-x));
  }
};
// Rounding functions are the identity on integers.
struct FloorOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return x;
    else
      return std::floor(x);
  }
};
struct CeilOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return x;
    else
      return std::ceil(x);
  }
};
// Half to even (the default floating-point environment), as torch.round.
struct RoundOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return x;
    else
      return std::nearbyint(x);
  }
};
struct LogicalNotOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C x) const {
    return static_cast<C>(x == C{0});
  }
};

// Binary ops, applied to ComputeType<T>. Bool add/mul are logical or/and
// (the int result is cast back to bool).
struct AddOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE auto operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return WrapAdd(a, b);
    else if constexpr (kIsBool<C>)
      return a || b;
    else
      return a + b;
  }
};
struct SubOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return WrapSub(a, b);
    else
      return a - b;
  }
};
struct MulOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE auto operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return WrapMul(a, b);
    else if constexpr (kIsBool<C>)
      return a && b;
    else
      return a * b;
  }
};
// True division for floats; integers truncate toward zero (the kernel has
// already rejected zero divisors; MIN / -1 wraps).
struct DivOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return b == -1 ? WrapSub(C{0}, a) : static_cast<C>(a / b);
    else if constexpr (kIsBool<C>)
      return a;  // b is true
    else
      return a / b;
  }
};
struct DivTruncOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return DivOp{}(a, b);
    else
      return std::trunc(a / b);
  }
};
// Rounds the quotient toward negative infinity. Floats follow PyTorch's
// div_floor_floating (fmod-based, so 5 // 0.1 is 49 as in Python); a zero
// divisor gives the IEEE quotient.
struct DivFloorOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>) {
      if (b == -1) return WrapSub(C{0}, a);
      const C q = static_cast<C>(a / b), r = static_cast<C>(a % b);
      return (r != 0 && (r < 0) != (b < 0)) ? static_cast<C>(q - 1) : q;
    } else {
      if (b == C{0}) return a / b;
      const C mod = std::fmod(a, b);
      C div = (a - mod) / b;
      if (mod != C{0} && (b < C{0}) != (mod < C{0})) div -= C{1};
      if (div == C{0}) return std::copysign(C{0}, a / b);
      C floordiv = std::floor(div);
      if (div - floordiv > C{0.5}) floordiv += C{1};
      return floordiv;
    }
  }
};
// a - floor(a / b) * b: the result has b's sign, as Python's % and
// torch.remainder.
struct RemainderOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>) {
      if (b == -1) return C{0};  // MIN % -1 would trap
      C r = static_cast<C>(a % b);
      if (r != 0 && (r < 0) != (b < 0)) r = static_cast<C>(r + b);
      return r;
    } else {
      C mod = std::fmod(a, b);
      if (mod != C{0} && (b < C{0}) != (mod < C{0})) mod += b;
      return mod;
    }
  }
};
// Integer powers wrap; a negative integer exponent gives 0 unless the base
// is 1 or -1, as PyTorch's powi.
struct PowOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsInt<C>) {
      if (b < 0) {
        if (a == 1) return C{1};
        if (a == -1) return (b & 1) ? C{-1} : C{1};
        return C{0};
      }
      C result = 1;
      while (b != 0) {
        if (b & 1) result = WrapMul(result, a);
        b /= 2;
        a = WrapMul(a, a);
      }
      return result;
    } else {
      return std::pow(a, b);
    }
  }
};
struct Atan2Op : FloatOnly {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    return std::atan2(a, b);
  }
};
// std::max / std::min with the bound second: a NaN bound leaves a as is,
// while a NaN a stays NaN, as torch.clamp_min / clamp_max.
struct ClampMinOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    return a < b ? b : a;
  }
};
struct ClampMaxOp : NotBool {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    return b < a ? b : a;
  }
};
// NaN in either operand propagates, as torch.maximum / torch.minimum; other
// ties keep a (std::max / std::min), so maximum(-0., 0.) is -0. as in PyTorch.
struct MaximumOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsFloat<C>) {
      if (b != b) return b;
    }
    return a < b ? b : a;
  }
};
struct MinimumOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE C operator()(C a, C b) const {
    if constexpr (kIsFloat<C>) {
      if (b != b) return b;
    }
    return b < a ? b : a;
  }
};
// Logical ops treat nonzero (NaN included) as true and write bool. The
// combining functors are std::logical_and<> and friends, usable in device
// code (same forwarding signature, so the CPU loops compile as before).
struct AndFn {
  template <typename X, typename Y>
  TENSORD_HOST_DEVICE constexpr bool operator()(X&& x, Y&& y) const {
    return static_cast<X&&>(x) && static_cast<Y&&>(y);
  }
};
struct OrFn {
  template <typename X, typename Y>
  TENSORD_HOST_DEVICE constexpr bool operator()(X&& x, Y&& y) const {
    return static_cast<X&&>(x) || static_cast<Y&&>(y);
  }
};
struct XorFn {
  template <typename X, typename Y>
  TENSORD_HOST_DEVICE constexpr bool operator()(X&& x, Y&& y) const {
    return static_cast<X&&>(x) != static_cast<Y&&>(y);
  }
};
template <typename Fn>
struct LogicalOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return Fn{}(a != C{0}, b != C{0});
  }
};
using LogicalAndOp = LogicalOp<AndFn>;
using LogicalOrOp = LogicalOp<OrFn>;
using LogicalXorOp = LogicalOp<XorFn>;
// Comparisons write bool.
struct EqFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a == b;
  }
};
struct NeFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a != b;
  }
};
struct LtFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a < b;
  }
};
struct LeFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a <= b;
  }
};
struct GtFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a > b;
  }
};
struct GeFn {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return a >= b;
  }
};
template <typename Cmp>
struct CompareOp : AnyType {
  template <typename C>
  TENSORD_HOST_DEVICE bool operator()(C a, C b) const {
    return Cmp{}(a, b);
  }
};
using EqOp = CompareOp<EqFn>;
using NeOp = CompareOp<NeFn>;
using LtOp = CompareOp<LtFn>;
using LeOp = CompareOp<LeFn>;
using GtOp = CompareOp<GtFn>;
using GeOp = CompareOp<GeFn>;

// Whether a binary op writes bool rather than its inputs' dtype.
template <typename Op>
inline constexpr bool kWritesBool = false;
template <typename Cmp>
inline constexpr bool kWritesBool<CompareOp<Cmp>> = true;
template <typename Fn>
inline constexpr bool kWritesBool<LogicalOp<Fn>> = true;

// Whether an integer zero divisor is an error (ZeroDivisionError) for the op.
template <typename Op>
inline constexpr bool kIntZeroDivides = false;
template <>
inline constexpr bool kIntZeroDivides<DivOp> = true;
template <>
inline constexpr bool kIntZeroDivides<DivTruncOp> = true;
template <>
inline constexpr bool kIntZeroDivides<DivFloorOp> = true;
template <>
inline constexpr bool kIntZeroDivides<RemainderOp> = true;

// Reductions over AccType<T>: an identity and an associative combine.
struct SumReduce {
  template <typename A>
  TENSORD_HOST_DEVICE static A Identity() {
    return A{0};
  }
  template <typename A>
  TENSORD_HOST_DEVICE A operator()(A acc, A x) const {
    if constexpr (kIsInt<A>)
      return WrapAdd(acc, x);
    else
      return acc + x;
  }
};
struct ProdReduce {
  template <typename A>
  TENSORD_HOST_DEVICE static A Identity() {
    return A{1};
  }
  template <typename A>
  TENSORD_HOST_DEVICE A operator()(A acc, A x) const {
    if constexpr (kIsInt<A>)
      return WrapMul(acc, x);
    else
      return acc * x;
  }
};
struct MaxReduce {
  template <typename A>
  TENSORD_HOST_DEVICE static A Identity() {
    if constexpr (kIsFloat<A>)
      return -Infinity<A>();
    else
      return IntMin<A>();
  }
  template <typename A>
  TENSORD_HOST_DEVICE A operator()(A acc, A x) const {
    const bool take = (x > acc) | (x != x);  // no short-circuit: stays branch-free
    return take ? x : acc;
  }
};
struct MinReduce {
  template <typename A>
  TENSORD_HOST_DEVICE static A Identity() {
    if constexpr (kIsFloat<A>)
      return Infinity<A>();
    else
      return IntMax<A>();
  }
  template <typename A>
  TENSORD_HOST_DEVICE A operator()(A acc, A x) const {
    const bool take = (x < acc) | (x != x);  // no short-circuit: stays branch-free
    return take ? x : acc;
  }
};

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_SCALAR_OPS_H_
