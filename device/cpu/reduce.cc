// Sum, prod, max and min over a set of dims on the CPU. Elements are folded
// in AccType (double for floats, int64 for integers and bool; max and min
// of floats in float, or double for double; float sums of contiguous rows
// in float lanes over short blocks) into a temporary laid out like out,
// which is then rounded into out. The input is read in its row-major order
// through the shared strided loop, split over the kernel thread pool along a
// kept dim, or into per-chunk partials when every kept dim is short.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/float_folds.h"
#include "device/cpu/kernels.h"
#include "device/cpu/parallel.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/simd.h"
#include "device/cpu/strided_loop.h"

namespace tensord::device::cpu {
namespace {

// The type a unit-stride row is folded in first: float sums of float data
// (and of float16/bfloat16) run in float lanes over short blocks;
// everything else folds in the accumulator type.
template <typename T, typename A, typename Op>
using LaneType = std::conditional_t<std::is_same_v<Op, SumReduce> && std::is_same_v<A, double> &&
                                        !std::is_same_v<T, double>,
                                    float, A>;

// Folds a unit-stride row into init with independent lanes, so the loop
// vectorizes without reassociating one chain. Float lanes take 16 elements
// each, then are added into AccType lanes: at most 15 float roundings per
// element, as accurate as PyTorch's cascade sum, at float SIMD width.
template <typename T, typename A, typename Op>
TENSORD_SIMD_CLONES A FoldUnitRow(const Op& op, A init, const T* x, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {  // the common case, in SIMD intrinsics
    if constexpr (std::is_same_v<Op, SumReduce>) return SumFloats(init, x, n);
    if constexpr (std::is_same_v<Op, MaxReduce>) return MaxFloats(init, x, n);
    if constexpr (std::is_same_v<Op, MinReduce>) return MinFloats(init, x, n);
  }
  using L = LaneType<T, A, Op>;
  constexpr int64_t kLanes = 16;
  constexpr int64_t kBlock = std::is_same_v<L, A> ? (int64_t{1} << 62) : 16 * kLanes;
  A wide[kLanes];
  for (A& w : wide) w = Op::template Identity<A>();
  int64_t j = 0;
  while (j + kLanes <= n) {
    L lane[kLanes];
    for (L& l : lane) l = Op::template Identity<L>();
    const int64_t stop = n - j > kBlock ? j + kBlock : n;
    for (; j + kLanes <= stop; j += kLanes) {
      for (int64_t l = 0; l < kLanes; ++l) lane[l] = op(lane[l], Cast<L>(x[j + l]));
    }
    for (int64_t l = 0; l < kLanes; ++l) wide[l] = op(wide[l], Cast<A>(lane[l]));
  }
  for (const A& w : wide) init = op(init, w);
  for (; j < n; ++j) init = op(init, Cast<A>(x[j]));
  return init;
}

// Folds n elements of T, `step` bytes apart, into init.
template <typename T, typename A, typename Op>
A FoldRow(const Op& op, A init, const char* p, int64_t step, int64_t n) {
  if (step == static_cast<int64_t>(sizeof(T))) {
    return FoldUnitRow<T>(op, init, reinterpret_cast<const T*>(p), n);
  }
  for (int64_t j = 0; j < n; ++j) {
    init = op(init, Cast<A>(*reinterpret_cast<const T*>(p + j * step)));
  }
  return init;
}

// Max and min are exact in any type that holds T, so floats pick in float
// (twice the SIMD width of double); sums and products widen to AccType.
template <typename T, typename Op>
using FoldAcc =
    std::conditional_t<(std::is_same_v<Op, MaxReduce> ||
                        std::is_same_v<Op, MinReduce>)&&kIsFloat<T>,
                       std::conditional_t<std::is_same_v<T, double>, double, float>, AccType<T>>;

template <typename A>
constexpr DType kAccDType = std::is_same_v<A, double>  ? DType::kFloat64
                            : std::is_same_v<A, float> ? DType::kFloat32
                                                       : DType::kInt64;

// Folds the elements [begin, end) of in (row-major) into acc, a contiguous
// array over out's shape.
template <typename T, typename A, typename Op>
void FoldRange(const Op& op, const HostView& in, std::span<const int64_t> dims, A* acc,
               std::span<const int64_t> out_shape, int64_t begin, int64_t end) {
  // acc read with in's shape has stride 0 on the reduced dims.
  Strides acc_in_strides = ContiguousStrides(out_shape);
  for (int64_t d : dims) acc_in_strides[d] = 0;
  const HostView acc_in{reinterpret_cast<char*>(acc), in.shape, acc_in_strides, kAccDType<A>};
  const RowPlan<2> plan = PlanRows<2>(in.shape, {&acc_in, &in});
  WalkRows<2>(plan, begin, end, [&op](const RowPtrs<2>& p, const RowSteps<2>& s, int64_t n) {
    A* a = reinterpret_cast<A*>(p[0]);
    if (s[0] == 0) {
      *a = FoldRow<T>(op, *a, p[1], s[1], n);
    } else if (s[0] == static_cast<int64_t>(sizeof(A)) && s[1] == static_cast<int64_t>(sizeof(T))) {
      internal::UnitRow([&op](A acc, T v) { return op(acc, Cast<A>(v)); }, a, n,
                        static_cast<const A*>(a), reinterpret_cast<const T*>(p[1]));
    } else {
      for (int64_t j = 0; j < n; ++j) {
        A& r = *reinterpret_cast<A*>(p[0] + j * s[0]);
        r = op(r, Cast<A>(*reinterpret_cast<const T*>(p[1] + j * s[1])));
      }
    }
  });
}

// in folded over dims into acc (contiguous over out's shape, holding the
// identity), on the kernel thread pool when in is large. Results depend on
// the thread count but not on timing: chunks are fixed by it and combined in
// order.
template <typename T, typename A, typename Op>
void FoldInto(const Op& op, const HostView& in, std::span<const int64_t> dims, A* acc,
              std::span<const int64_t> out_shape) {
  const int64_t numel = in.numel();
  const int64_t out_numel = Numel(out_shape);
  const int64_t chunks = std::min<int64_t>(NumThreads(), numel / kElementGrain);
  if (chunks < 2 || numel == 0) {
    FoldRange<T>(op, in, dims, acc, out_shape, 0, numel);
    return;
  }
  std::vector<bool> reduced(in.shape.size(), false);
  for (int64_t d : dims) reduced[d] = true;
  for (size_t d = 0; d < in.shape.size(); ++d) {
    if (reduced[d] || in.shape[d] < chunks) continue;
    // Split along a kept dim: the chunks write disjoint accumulators.
    const int64_t size = in.shape[d];
    const int64_t in_step = in.strides[d] * static_cast<int64_t>(ItemSize(in.dtype));
    const int64_t acc_step = ContiguousStrides(out_shape)[d];
    ParallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t lo = size * c / chunks, hi = size * (c + 1) / chunks;
        Shape in_shape(in.shape.begin(), in.shape.end());
        in_shape[d] = hi - lo;
        const HostView part{in.data + lo * in_step, in_shape, in.strides, in.dtype};
        // The part's accumulators keep out's strides, from its first one.
        FoldRange<T>(op, part, dims, acc + lo * acc_step, out_shape, 0, part.numel());
      }
    });
    return;
  }
  if (out_numel > numel / chunks) {  // private accumulators would cost more than they save
    FoldRange<T>(op, in, dims, acc, out_shape, 0, numel);
    return;
  }
  // Every kept dim is short: each chunk of the input folds into its own
  // accumulators, combined in chunk order.
  std::vector<A> partial(static_cast<size_t>(out_numel * chunks), Op::template Identity<A>());
  ParallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      FoldRange<T>(op, in, dims, partial.data() + c * out_numel, out_shape, numel * c / chunks,
                   numel * (c + 1) / chunks);
    }
  });
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t i = 0; i < out_numel; ++i) acc[i] = op(acc[i], partial[c * out_numel + i]);
  }
}

template <typename T, typename Op>
void Fold(const HostView& in, std::span<const int64_t> dims, const HostView& out) {
  using A = FoldAcc<T, Op>;
  const Op op;
  std::vector<A> acc(static_cast<size_t>(out.numel()), Op::template Identity<A>());
  FoldInto<T>(op, in, dims, acc.data(), out.shape);
  const Strides acc_strides = ContiguousStrides(out.shape);
  const HostView acc_out{reinterpret_cast<char*>(acc.data()), out.shape, acc_strides, kAccDType<A>};
  Map<T, A>([](A v) { return Cast<T>(v); }, out, acc_out);
}

template <typename Op>
absl::Status RunReduce(const char* name, const HostView& in, std::span<const int64_t> dims,
                       const HostView& out) {
  if constexpr (std::is_same_v<Op, MaxReduce> || std::is_same_v<Op, MinReduce>) {
    for (int64_t d : dims) {
      if (in.shape[d] != 0) continue;
      if (dims.size() == in.shape.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            name,
            "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument."));
      }
      return absl::InvalidArgumentError(
          absl::StrCat(name, "(): Expected reduction dim ", d, " to have non-zero size."));
    }
  }
  DispatchDType(in.dtype, [&]<typename T>() { Fold<T, Op>(in, dims, out); });
  return absl::OkStatus();
}

using ReduceFn = absl::Status (*)(const char*, const HostView&, std::span<const int64_t>,
                                  const HostView&);
struct ReduceEntry {
  ReduceOp op;
  const char* name;
  ReduceFn fn;
};
// Indexed by ReduceOp.
constexpr ReduceEntry kReduceTable[] = {
    {ReduceOp::kSum, "sum", &RunReduce<SumReduce>},
    {ReduceOp::kProd, "prod", &RunReduce<ProdReduce>},
    {ReduceOp::kMax, "max", &RunReduce<MaxReduce>},
    {ReduceOp::kMin, "min", &RunReduce<MinReduce>},
};
static_assert(static_cast<size_t>(ReduceOp::kMin) + 1 == std::size(kReduceTable));

}  // namespace

absl::Status ReduceKernel(ReduceOp op, const HostView& in, std::span<const int64_t> dims,
                          const HostView& out) {
  const size_t i = static_cast<size_t>(op);
  if (i >= std::size(kReduceTable) || kReduceTable[i].op != op) {
    return absl::InvalidArgumentError("unknown reduce op");
  }
  return kReduceTable[i].fn(kReduceTable[i].name, in, dims, out);
}

}  // namespace tensord::device::cpu
