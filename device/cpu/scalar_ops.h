// Per-element building blocks shared by the CPU kernels: dtype traits,
// PyTorch-style casts, wrapping integer arithmetic, and one small functor per
// unary/binary/reduce op, each applied in the op's compute type.
#ifndef TENSORD_DEVICE_CPU_SCALAR_OPS_H_
#define TENSORD_DEVICE_CPU_SCALAR_OPS_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <type_traits>

#include "device/dtype.h"
#include "device/half.h"

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
inline I WrapAdd(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) + static_cast<U>(b));
}
template <typename I>
inline I WrapSub(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) - static_cast<U>(b));
}
template <typename I>
inline I WrapMul(I a, I b) {
  using U = std::make_unsigned_t<I>;
  return static_cast<I>(static_cast<U>(a) * static_cast<U>(b));
}

// Float to integer truncating toward zero; NaN and out-of-range values give
// the integer minimum, as x86's cvtt* instructions (and so PyTorch) do.
template <typename I, typename F>
inline I FloatToInt(F v) {
  constexpr F kLo = static_cast<F>(std::numeric_limits<I>::min());  // -2^(bits-1), exact
  if (v >= kLo && v < -kLo) return static_cast<I>(v);
  return std::numeric_limits<I>::min();
}

// Converts one element like a PyTorch cast: float->int truncates, anything
// ->bool is != 0, bool->number is 0/1, Half/BFloat16 go through float.
template <typename To, typename From>
inline To Cast(From v) {
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

// Unary ops, applied to ComputeType<T>. kSupports says which element types
// the op accepts; the kernel reports the others.
struct NegOp {
  template <typename T>
  static constexpr bool kSupports = !kIsBool<T>;
  template <typename C>
  C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return WrapSub(C{0}, x);
    else
      return -x;
  }
};
struct AbsOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  C operator()(C x) const {
    if constexpr (kIsInt<C>)
      return x < 0 ? WrapSub(C{0}, x) : x;
    else if constexpr (kIsBool<C>)
      return x;
    else
      return std::abs(x);
  }
};
struct ExpOp {
  template <typename T>
  static constexpr bool kSupports = kIsFloat<T>;
  template <typename C>
  C operator()(C x) const {
    return std::exp(x);
  }
};
struct LogOp {
  template <typename T>
  static constexpr bool kSupports = kIsFloat<T>;
  template <typename C>
  C operator()(C x) const {
    return std::log(x);
  }
};
struct SqrtOp {
  template <typename T>
  static constexpr bool kSupports = kIsFloat<T>;
  template <typename C>
  C operator()(C x) const {
    return std::sqrt(x);
  }
};

// Binary ops, applied to ComputeType<T>. Bool add/mul are logical or/and
// (the int result is cast back to bool).
struct AddOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  auto operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return WrapAdd(a, b);
    else if constexpr (kIsBool<C>)
      return a || b;
    else
      return a + b;
  }
};
struct SubOp {
  template <typename T>
  static constexpr bool kSupports = !kIsBool<T>;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return WrapSub(a, b);
    else
      return a - b;
  }
};
struct MulOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  auto operator()(C a, C b) const {
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
struct DivOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (kIsInt<C>)
      return b == -1 ? WrapSub(C{0}, a) : static_cast<C>(a / b);
    else if constexpr (kIsBool<C>)
      return a;  // b is true
    else
      return a / b;
  }
};
// NaN in either operand propagates, as torch.maximum / torch.minimum.
struct MaximumOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (kIsFloat<C>)
      return (a != a || a > b) ? a : b;
    else
      return a > b ? a : b;
  }
};
struct MinimumOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (kIsFloat<C>)
      return (a != a || a < b) ? a : b;
    else
      return a < b ? a : b;
  }
};
// Comparisons write bool.
template <typename Cmp>
struct CompareOp {
  template <typename T>
  static constexpr bool kSupports = true;
  template <typename C>
  bool operator()(C a, C b) const {
    return Cmp{}(a, b);
  }
};
using EqOp = CompareOp<std::equal_to<>>;
using NeOp = CompareOp<std::not_equal_to<>>;
using LtOp = CompareOp<std::less<>>;
using LeOp = CompareOp<std::less_equal<>>;
using GtOp = CompareOp<std::greater<>>;
using GeOp = CompareOp<std::greater_equal<>>;

// Whether a binary op writes bool rather than its inputs' dtype.
template <typename Op>
inline constexpr bool kWritesBool = false;
template <typename Cmp>
inline constexpr bool kWritesBool<CompareOp<Cmp>> = true;

// Reductions over AccType<T>: an identity and an associative combine.
struct SumReduce {
  template <typename A>
  static A Identity() {
    return A{0};
  }
  template <typename A>
  A operator()(A acc, A x) const {
    if constexpr (kIsInt<A>)
      return WrapAdd(acc, x);
    else
      return acc + x;
  }
};
struct ProdReduce {
  template <typename A>
  static A Identity() {
    return A{1};
  }
  template <typename A>
  A operator()(A acc, A x) const {
    if constexpr (kIsInt<A>)
      return WrapMul(acc, x);
    else
      return acc * x;
  }
};
struct MaxReduce {
  template <typename A>
  static A Identity() {
    if constexpr (kIsFloat<A>)
      return -std::numeric_limits<A>::infinity();
    else
      return std::numeric_limits<A>::lowest();
  }
  template <typename A>
  A operator()(A acc, A x) const {
    return (x > acc || x != x) ? x : acc;
  }
};
struct MinReduce {
  template <typename A>
  static A Identity() {
    if constexpr (kIsFloat<A>)
      return std::numeric_limits<A>::infinity();
    else
      return std::numeric_limits<A>::max();
  }
  template <typename A>
  A operator()(A acc, A x) const {
    return (x < acc || x != x) ? x : acc;
  }
};

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_SCALAR_OPS_H_
