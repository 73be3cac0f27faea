// Fill, Copy (with dtype conversion), Unary, Binary and Where on CUDA. Every
// op is one per-element functor of device/cpu/scalar_ops.h (the CPU's own),
// run by one of two kernels:
// - ContigKernel: every operand contiguous (or, for an input, one value
//   broadcast everywhere) and aligned: 16-byte vector loads and stores,
//   two vectors per thread in flight, a grid-stride loop;
// - StridedKernel: any layout, through OffsetCalc over the operands' dims
//   after CollapseDims (size-1 dims dropped, dims put in out's memory
//   order, contiguous runs merged), in 32-bit index math while it fits.
// To keep the module's compile time short, a unary or binary kernel is
// instantiated once per dtype and picks the op with a switch per vector of
// elements (the op is uniform over the launch, so threads never diverge);
// copies between dtypes are one small kernel pair per (to, from) pair, and
// moves, fills and selects go by element size only.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cuda/kernel_util.cuh"
#include "device/cuda/kernels.h"
#include "device/cuda/offset_calc.h"
#include "device/status_macros.h"

namespace tensord::device::cuda {
namespace {

// An input slot a functor does not use.
struct Unused {};

template <typename T>
inline constexpr bool kUsed = !std::is_same_v<T, Unused>;

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <typename T>
inline constexpr size_t kSlotSize = sizeof(T);
template <>
inline constexpr size_t kSlotSize<Unused> = 1;

template <size_t X, size_t Y>
inline constexpr size_t kLarger = X > Y ? X : Y;
template <size_t X, size_t Y>
inline constexpr size_t kSmaller = X < Y ? X : Y;

// Elements per thread and iteration of the contiguous kernel. Four keeps
// the code of the op switches small (each case is unrolled that often)
// while every load is 8 or 16 bytes wide.
constexpr size_t kElems = 4;

template <typename Out, typename A, typename B, typename C>
inline constexpr size_t kWidest =
    kLarger<kLarger<sizeof(Out), kSlotSize<A>>, kLarger<kSlotSize<B>, kSlotSize<C>>>;

// Elements per vector: up to 16 bytes of the widest operand, at most kElems.
template <typename Out, typename A, typename B, typename C>
inline constexpr int kVecWidth = static_cast<int>(kSmaller<16 / kWidest<Out, A, B, C>, kElems>);

// An input of the contiguous kernel: contiguous, or one value broadcast.
template <typename T>
struct ContigIn {
  const T* p = nullptr;
  bool scalar = false;
};

template <int V, typename T>
__device__ __forceinline__ void LoadVec(const ContigIn<T>& in, uint32_t vi, T* dst) {
  if constexpr (kUsed<T>) {
    if (in.scalar) {
      const T x = in.p[0];
#pragma unroll
      for (int j = 0; j < V; ++j) dst[j] = x;
    } else {
      const Vec<T, V> v = reinterpret_cast<const Vec<T, V>*>(in.p)[vi];
#pragma unroll
      for (int j = 0; j < V; ++j) dst[j] = v.v[j];
    }
  }
}

template <typename T>
__device__ __forceinline__ void LoadOne(const ContigIn<T>& in, uint32_t i, T* dst) {
  if constexpr (kUsed<T>) dst[0] = in.p[in.scalar ? 0 : i];
}

// n < 2^31 (ForEachChunk). Each thread takes kElems elements per iteration:
// U vectors of V, a block's threads interleaved so that loads coalesce.
template <typename F, typename Out, typename A, typename B, typename C>
__global__ void __launch_bounds__(kThreads)
    ContigKernel(F f, uint32_t n, Out* __restrict__ out, ContigIn<A> a, ContigIn<B> b,
                 ContigIn<C> c) {
  constexpr int V = kVecWidth<Out, A, B, C>;
  constexpr int U = kElems / V;
  const uint32_t nvec = n / V;
  const uint32_t step = gridDim.x * kThreads * U;
  for (uint32_t base = blockIdx.x * kThreads * U + threadIdx.x; base < nvec; base += step) {
    A va[kElems];
    B vb[kElems];
    C vc[kElems];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const uint32_t i = base + u * kThreads;
      if (i < nvec) {
        LoadVec<V>(a, i, va + u * V);
        LoadVec<V>(b, i, vb + u * V);
        LoadVec<V>(c, i, vc + u * V);
      }
    }
    Out o[kElems];
    f.template Apply<kElems>(o, va, vb, vc);
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const uint32_t i = base + u * kThreads;
      if (i < nvec) {
        Vec<Out, V> w;
#pragma unroll
        for (int j = 0; j < V; ++j) w.v[j] = o[u * V + j];
        reinterpret_cast<Vec<Out, V>*>(out)[i] = w;
      }
    }
  }
  // The last n % V elements.
  if (blockIdx.x == 0 && threadIdx.x < n - nvec * V) {
    const uint32_t i = nvec * V + threadIdx.x;
    A xa[1];
    B xb[1];
    C xc[1];
    LoadOne(a, i, xa);
    LoadOne(b, i, xb);
    LoadOne(c, i, xc);
    Out o[1];
    f.template Apply<1>(o, xa, xb, xc);
    out[i] = o[0];
  }
}

// N = 1 + the number of inputs used; operand 0 is out; n < 2^31.
template <typename F, typename Out, typename A, typename B, typename C, int N>
__global__ void __launch_bounds__(kThreads)
    StridedKernel(F f, uint32_t n, OffsetCalc<N> calc, Out* out, const A* a, const B* b,
                  const C* c) {
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < n; i += step) {
    const Offsets<N> off = calc.Get(i);
    A xa[1];
    B xb[1];
    C xc[1];
    if constexpr (kUsed<A>) xa[0] = a[off.v[1]];
    if constexpr (kUsed<B>) xb[0] = b[off.v[2]];
    if constexpr (kUsed<C>) xc[0] = c[off.v[3]];
    Out o[1];
    f.template Apply<1>(o, xa, xb, xc);
    out[off.v[0]] = o[0];
  }
}

// One launch of an elementwise op: a piece of the operands (ForEachChunk)
// and which kernel takes it.
struct Piece {
  uint32_t n = 0;
  void* ptr[4] = {};  // operand k's first element in the piece; 0 is out
  bool contiguous = false;
  bool scalar[4] = {};  // contiguous: input k is one value broadcast
  const DimLayout* layout = nullptr;
};

// Splits the operands (views[0] is out, the rest inputs; all with out's
// shape) into pieces and calls launch for each. vec_bytes[k]: the alignment
// operand k needs for the contiguous kernel's vector accesses. Not a
// template, so that the host code is compiled once for all kernels.
absl::Status ForEachPiece(std::span<const DeviceView* const> views,
                          std::span<const size_t> vec_bytes,
                          absl::FunctionRef<absl::Status(const Piece&)> launch) {
  const DeviceView& out = *views[0];
  if (out.numel() == 0) return absl::OkStatus();
  const size_t nops = views.size();
  std::span<const int64_t> strides[4];
  for (size_t k = 0; k < nops; ++k) strides[k] = views[k]->strides;
  const DimLayout layout =
      CollapseDims(out.shape, std::span<const std::span<const int64_t>>(strides, nops),
                   /*reorder=*/true);
  return ForEachChunk(layout, [&](const std::vector<int64_t>& offset, const DimLayout& layout) {
    Piece p;
    p.n = static_cast<uint32_t>(Numel(layout.sizes));
    p.layout = &layout;
    for (size_t k = 0; k < nops; ++k) {
      p.ptr[k] = static_cast<char*>(views[k]->data) +
                 offset[k] * static_cast<int64_t>(ItemSize(views[k]->dtype));
    }
    // The contiguous kernel: one dim (or none), unit stride for out, unit
    // or zero stride for inputs, and vector-aligned pointers.
    p.contiguous = layout.ndim() == 0 || (layout.ndim() == 1 && layout.strides[0][0] == 1);
    for (size_t k = 1; k < nops && p.contiguous && layout.ndim() == 1; ++k) {
      const int64_t s = layout.strides[k][0];
      p.scalar[k] = s == 0;
      p.contiguous = s == 0 || s == 1;
    }
    for (size_t k = 0; k < nops && p.contiguous; ++k) {
      p.contiguous = p.scalar[k] || reinterpret_cast<uintptr_t>(p.ptr[k]) % vec_bytes[k] == 0;
    }
    return launch(p);
  });
}

template <typename T, int V>
inline constexpr size_t kVecBytes = sizeof(Vec<T, V>);
template <int V>
inline constexpr size_t kVecBytes<Unused, V> = 1;

// out = f(a, b, c) elementwise over out's shape; a, b and c are the inputs
// the functor uses (null for Unused slots), each with out's shape.
template <typename Out, typename A = Unused, typename B = Unused, typename C = Unused, typename F>
absl::Status Elementwise(const Launch& l, const char* what, const F& f, const DeviceView& out,
                         const DeviceView* a = nullptr, const DeviceView* b = nullptr,
                         const DeviceView* c = nullptr) {
  constexpr int N = 1 + int{kUsed<A>} + int{kUsed<B>} + int{kUsed<C>};
  static_assert(kUsed<A> || !kUsed<B>, "inputs fill the slots in order");
  static_assert(kUsed<B> || !kUsed<C>, "inputs fill the slots in order");
  constexpr int V = kVecWidth<Out, A, B, C>;
  const DeviceView* const views[4] = {&out, a, b, c};
  const size_t vec_bytes[4] = {kVecBytes<Out, V>, kVecBytes<A, V>, kVecBytes<B, V>,
                               kVecBytes<C, V>};
  return ForEachPiece({views, N}, {vec_bytes, N}, [&](const Piece& p) {
    Out* po = static_cast<Out*>(p.ptr[0]);
    const A* pa = static_cast<const A*>(p.ptr[1]);
    const B* pb = static_cast<const B*>(p.ptr[2]);
    const C* pc = static_cast<const C*>(p.ptr[3]);
    if (p.contiguous) {
      const unsigned blocks = GridFor(p.n / V, int64_t{kThreads} * (kElems / V));
      ContigKernel<F, Out, A, B, C><<<blocks, kThreads, 0, l.stream>>>(
          f, p.n, po, ContigIn<A>{pa, p.scalar[1]}, ContigIn<B>{pb, p.scalar[2]},
          ContigIn<C>{pc, p.scalar[3]});
    } else {
      StridedKernel<F, Out, A, B, C, N><<<GridFor(p.n, kThreads), kThreads, 0, l.stream>>>(
          f, p.n, OffsetCalc<N>(*p.layout), po, pa, pb, pc);
    }
    return LaunchStatus(what);
  });
}

// ---------------------------------------------------------------------------
// Functors. Apply<K> computes K elements: out[j] = op(a[j], b[j], c[j]).

template <typename T>
struct FillFn {
  T value;
  template <int K>
  __device__ void Apply(T* o, const Unused*, const Unused*, const Unused*) const {
#pragma unroll
    for (int j = 0; j < K; ++j) o[j] = value;
  }
};

template <typename To, typename From>
struct CastFn {
  template <int K>
  __device__ void Apply(To* o, const From* a, const Unused*, const Unused*) const {
#pragma unroll
    for (int j = 0; j < K; ++j) o[j] = ops::Cast<To>(a[j]);
  }
};

// cond is read as bytes (nonzero is true); T is the element's storage.
template <typename T>
struct WhereFn {
  template <int K>
  __device__ void Apply(T* o, const uint8_t* cond, const T* x, const T* y) const {
#pragma unroll
    for (int j = 0; j < K; ++j) o[j] = cond[j] != 0 ? x[j] : y[j];
  }
};

// The ops of UnaryOp and BinaryOp: enumerator, name in messages, functor.
// One list drives the dtype checks on the host and the switches on the
// device.
#define TD_UNARY_OPS(X)                      \
  X(kNeg, "neg", NegOp)                      \
  X(kAbs, "abs", AbsOp)                      \
  X(kExp, "exp", ExpOp)                      \
  X(kLog, "log", LogOp)                      \
  X(kSqrt, "sqrt", SqrtOp)                   \
  X(kSign, "sign", SignOp)                   \
  X(kLog1p, "log1p", Log1pOp)                \
  X(kExpm1, "expm1", Expm1Op)                \
  X(kRsqrt, "rsqrt", RsqrtOp)                \
  X(kReciprocal, "reciprocal", ReciprocalOp) \
  X(kSin, "sin", SinOp)                      \
  X(kCos, "cos", CosOp)                      \
  X(kTanh, "tanh", TanhOp)                   \
  X(kSigmoid, "sigmoid", SigmoidOp)          \
  X(kRelu, "relu", ReluOp)                   \
  X(kGelu, "gelu", GeluOp)                   \
  X(kGeluTanh, "gelu", GeluTanhOp)           \
  X(kSilu, "silu", SiluOp)                   \
  X(kFloor, "floor", FloorOp)                \
  X(kCeil, "ceil", CeilOp)                   \
  X(kRound, "round", RoundOp)                \
  X(kLogicalNot, "logical_not", LogicalNotOp)

#define TD_BINARY_OPS(X)                      \
  X(kAdd, "add", AddOp)                       \
  X(kSub, "sub", SubOp)                       \
  X(kMul, "mul", MulOp)                       \
  X(kDiv, "div", DivOp)                       \
  X(kMaximum, "maximum", MaximumOp)           \
  X(kMinimum, "minimum", MinimumOp)           \
  X(kDivTrunc, "div_trunc", DivTruncOp)       \
  X(kDivFloor, "div_floor", DivFloorOp)       \
  X(kRemainder, "remainder", RemainderOp)     \
  X(kPow, "pow", PowOp)                       \
  X(kAtan2, "atan2", Atan2Op)                 \
  X(kClampMin, "clamp_min", ClampMinOp)       \
  X(kClampMax, "clamp_max", ClampMaxOp)       \
  X(kLogicalAnd, "logical_and", LogicalAndOp) \
  X(kLogicalOr, "logical_or", LogicalOrOp)    \
  X(kLogicalXor, "logical_xor", LogicalXorOp) \
  X(kEq, "eq", EqOp)                          \
  X(kNe, "ne", NeOp)                          \
  X(kLt, "lt", LtOp)                          \
  X(kLe, "le", LeOp)                          \
  X(kGt, "gt", GtOp)                          \
  X(kGe, "ge", GeOp)

template <typename T>
struct UnaryFn {
  UnaryOp op;

  template <typename Op, int K>
  __device__ static void Run(T* o, const T* a) {
    if constexpr (Op::template kSupports<T>) {
      using Cm = ComputeType<T>;
#pragma unroll
      for (int j = 0; j < K; ++j) o[j] = ops::Cast<T>(Op{}(ops::Cast<Cm>(a[j])));
    }
  }

  template <int K>
  __device__ void Apply(T* o, const T* a, const Unused*, const Unused*) const {
    switch (op) {
#define TD_CASE(e, name, Op) \
  case UnaryOp::e:           \
    return Run<ops::Op, K>(o, a);
      TD_UNARY_OPS(TD_CASE)
#undef TD_CASE
    }
  }
};

// Out is T for the arithmetic ops and bool for the logical ops and the
// comparisons; an instantiation compiles only the ops that write Out.
template <typename T, typename Out>
struct BinaryFn {
  BinaryOp op;

  template <typename Op, int K>
  __device__ static void Run(Out* o, const T* a, const T* b) {
    constexpr bool kWritesOut =
        ops::kWritesBool<Op> ? std::is_same_v<Out, bool> : std::is_same_v<Out, T>;
    if constexpr (kWritesOut && Op::template kSupports<T>) {
      using Cm = ComputeType<T>;
#pragma unroll
      for (int j = 0; j < K; ++j) {
        o[j] = ops::Cast<Out>(Op{}(ops::Cast<Cm>(a[j]), ops::Cast<Cm>(b[j])));
      }
    }
  }

  template <int K>
  __device__ void Apply(Out* o, const T* a, const T* b, const Unused*) const {
    switch (op) {
#define TD_CASE(e, name, Op) \
  case BinaryOp::e:          \
    return Run<ops::Op, K>(o, a, b);
      TD_BINARY_OPS(TD_CASE)
#undef TD_CASE
    }
  }
};

// ---------------------------------------------------------------------------
// Host-side op tables: names and the dtypes each op accepts.

template <typename Op>
struct SupportsFn {
  template <typename T>
  bool operator()() const {
    return Op::template kSupports<T>;
  }
};
template <typename Op>
bool Supports(DType t) {
  return DispatchDType(t, SupportsFn<Op>{});
}

struct OpInfo {
  const char* name;
  bool (*supports)(DType);
  bool float_only;  // the float functions: the fix is a float dtype
  bool int_zero_divides;
};

#define TD_INFO(e, name, Op)                                                   \
  OpInfo{name, &Supports<ops::Op>, std::is_base_of_v<ops::FloatOnly, ops::Op>, \
         ops::kIntZeroDivides<ops::Op>},
// Indexed by UnaryOp and BinaryOp.
constexpr OpInfo kUnaryInfo[] = {TD_UNARY_OPS(TD_INFO)};
constexpr OpInfo kBinaryInfo[] = {TD_BINARY_OPS(TD_INFO)};
#undef TD_INFO

#define TD_INDEX(e, name, Op) static_cast<size_t>(UnaryOp::e),
constexpr size_t kUnaryOrder[] = {TD_UNARY_OPS(TD_INDEX)};
#undef TD_INDEX
#define TD_INDEX(e, name, Op) static_cast<size_t>(BinaryOp::e),
constexpr size_t kBinaryOrder[] = {TD_BINARY_OPS(TD_INDEX)};
#undef TD_INDEX

template <size_t N>
constexpr bool InEnumOrder(const size_t (&order)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (order[i] != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(kUnaryOrder));
static_assert(InEnumOrder(kBinaryOrder));
static_assert(std::size(kUnaryInfo) == static_cast<size_t>(UnaryOp::kLogicalNot) + 1);
static_assert(std::size(kBinaryInfo) == static_cast<size_t>(BinaryOp::kGe) + 1);

// The CPU backend's messages (device/cpu/elementwise.cc).
constexpr char kBoolNegMessage[] =
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead.";
constexpr char kBoolSubMessage[] =
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead.";

absl::Status Unsupported(const OpInfo& info, DType t) {
  return absl::InvalidArgumentError(absl::StrCat(
      info.name, "(): not implemented for '", DTypeString(t), "' tensors: ",
      info.float_only ? "promote the input to a floating-point dtype first"
                      : "convert the input to an integer or floating-point dtype first"));
}

// ---------------------------------------------------------------------------
// Integer division guard: whether any element of a view is zero.

template <typename T>
__global__ void __launch_bounds__(kThreads)
    AnyZeroKernel(uint32_t n, OffsetCalc<1> calc, const T* p, unsigned* found) {
  const uint32_t step = gridDim.x * kThreads;
  bool zero = false;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < n; i += step) {
    zero |= p[calc.Get(i).v[0]] == T(0);
  }
  if (__syncthreads_or(zero) && threadIdx.x == 0) *found = 1;
}

template <typename T>
absl::StatusOr<bool> AnyZero(const Launch& l, const DeviceView& v) {
  if (v.numel() == 0) return false;
  const std::span<const int64_t> strides[1] = {v.strides};
  const DimLayout layout = CollapseDims(v.shape, strides, /*reorder=*/true);
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> flag, Scratch(l, sizeof(unsigned)));
  unsigned* found = static_cast<unsigned*>(flag.get());
  TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(found, 0, sizeof(unsigned), l.stream));
  TD_RETURN_IF_ERROR(
      ForEachChunk(layout, [&](const std::vector<int64_t>& offset, const DimLayout& piece) {
        const int64_t n = Numel(piece.sizes);
        AnyZeroKernel<T><<<GridFor(n, kThreads * 8), kThreads, 0, l.stream>>>(
            static_cast<uint32_t>(n), OffsetCalc<1>(piece),
            static_cast<const T*>(v.data) + offset[0], found);
        return LaunchStatus("AnyZeroKernel");
      }));
  unsigned host = 0;
  TD_RETURN_IF_ERROR(ReadBack(l, &host, found, sizeof(host)));
  return host != 0;
}

// Whether src and out are one contiguous, same-ordered block of memory.
bool SameContiguousBlock(const DeviceView& src, const DeviceView& out) {
  const std::span<const int64_t> strides[2] = {out.strides, src.strides};
  const DimLayout layout = CollapseDims(out.shape, strides, /*reorder=*/false);
  return layout.ndim() == 0 ||
         (layout.ndim() == 1 && layout.strides[0][0] == 1 && layout.strides[1][0] == 1);
}

}  // namespace

absl::Status FillKernel(const Launch& l, const DeviceView& out, const Scalar& value) {
  return DispatchDType(out.dtype, [&]<typename T>() {
    const T v = value.To<T>();
    using B = Bits<sizeof(T)>;
    B bits;
    std::memcpy(&bits, &v, sizeof(T));
    return Elementwise<B>(l, "FillKernel", FillFn<B>{bits}, out);
  });
}

absl::Status CopyKernel(const Launch& l, const DeviceView& src, const DeviceView& out) {
  if (out.numel() == 0) return absl::OkStatus();
  if (src.dtype == out.dtype) {
    const size_t itemsize = ItemSize(out.dtype);
    if (SameContiguousBlock(src, out)) {
      if (src.data == out.data) return absl::OkStatus();
      TD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out.data, src.data, out.numel() * itemsize,
                                              cudaMemcpyDeviceToDevice, l.stream));
      return absl::OkStatus();
    }
    return DispatchBits(itemsize, [&]<typename B>() {
      return Elementwise<B, B>(l, "CopyKernel", CastFn<B, B>{}, out, &src);
    });
  }
  return DispatchDType(out.dtype, [&]<typename To>() {
    return DispatchDType(src.dtype, [&]<typename From>() {
      if constexpr (std::is_same_v<To, From>) {
        return absl::InternalError("CopyKernel: dtypes differ");  // unreachable
      } else {
        return Elementwise<To, From>(l, "CopyKernel", CastFn<To, From>{}, out, &src);
      }
    });
  });
}

absl::Status UnaryKernel(const Launch& l, UnaryOp op, const DeviceView& in, const DeviceView& out) {
  const size_t i = static_cast<size_t>(op);
  if (i >= std::size(kUnaryInfo)) return absl::InvalidArgumentError("unknown unary op");
  const OpInfo& info = kUnaryInfo[i];
  if (!info.supports(in.dtype)) {
    if (op == UnaryOp::kNeg && in.dtype == DType::kBool) {
      return absl::InvalidArgumentError(kBoolNegMessage);
    }
    return Unsupported(info, in.dtype);
  }
  return DispatchDType(in.dtype, [&]<typename T>() {
    return Elementwise<T, T>(l, "UnaryKernel", UnaryFn<T>{op}, out, &in);
  });
}

absl::Status BinaryKernel(const Launch& l, BinaryOp op, const DeviceView& a, const DeviceView& b,
                          const DeviceView& out) {
  const size_t i = static_cast<size_t>(op);
  if (i >= std::size(kBinaryInfo)) return absl::InvalidArgumentError("unknown binary op");
  const OpInfo& info = kBinaryInfo[i];
  if (!info.supports(a.dtype)) {
    if (op == BinaryOp::kSub && a.dtype == DType::kBool) {
      return absl::InvalidArgumentError(kBoolSubMessage);
    }
    return Unsupported(info, a.dtype);
  }
  return DispatchDType(a.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!ops::kIsFloat<T>) {
      if (info.int_zero_divides) {
        // Checked up front so that a failed in-place division writes nothing.
        TD_ASSIGN_OR_RETURN(const bool zero, AnyZero<T>(l, b));
        if (zero) return absl::InvalidArgumentError("ZeroDivisionError");
      }
    }
    if (WritesBool(op)) {
      return Elementwise<bool, T, T>(l, "BinaryKernel", BinaryFn<T, bool>{op}, out, &a, &b);
    }
    return Elementwise<T, T, T>(l, "BinaryKernel", BinaryFn<T, T>{op}, out, &a, &b);
  });
}

absl::Status WhereKernel(const Launch& l, const DeviceView& cond, const DeviceView& a,
                         const DeviceView& b, const DeviceView& out) {
  return DispatchBits(ItemSize(out.dtype), [&]<typename B>() {
    return Elementwise<B, uint8_t, B, B>(l, "WhereKernel", WhereFn<B>{}, out, &cond, &a, &b);
  });
}

}  // namespace tensord::device::cuda
