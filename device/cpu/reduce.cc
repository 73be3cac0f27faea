// Sum, prod, max and min over a set of dims on the CPU. Elements are folded
// in AccType (double for floats, int64 for integers and bool; max and min
// of floats in float, or double for double) into a
// temporary laid out like out, which is then rounded into out. The input is
// read once in its row-major order through the shared strided loop.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/kernels.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/strided_loop.h"

namespace tensord::device::cpu {
namespace {

// Folds n elements of T, `step` bytes apart, into init. Unit-stride rows use
// independent lanes so the loop vectorizes without reassociating one chain.
template <typename T, typename A, typename Op>
A FoldRow(const Op& op, A init, const char* p, int64_t step, int64_t n) {
  if (step == static_cast<int64_t>(sizeof(T))) {
    const T* x = reinterpret_cast<const T*>(p);
    constexpr int64_t kLanes = 8;
    A lane[kLanes];
    for (A& l : lane) l = Op::template Identity<A>();
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
      for (int64_t l = 0; l < kLanes; ++l) lane[l] = op(lane[l], Cast<A>(x[j + l]));
    }
    for (; j < n; ++j) init = op(init, Cast<A>(x[j]));
    for (const A& l : lane) init = op(init, l);
    return init;
  }
  for (int64_t j = 0; j < n; ++j) {
    init = op(init, Cast<A>(*reinterpret_cast<const T*>(p + j * step)));
  }
  return init;
}

// Max and min are exact in any type that holds T, so floats pick in float
// (twice the SIMD width of double); sums and products widen to AccType.
template <typename T, typename Op>
using FoldAcc = std::conditional_t<
    (std::is_same_v<Op, MaxReduce> || std::is_same_v<Op, MinReduce>) && kIsFloat<T>,
    std::conditional_t<std::is_same_v<T, double>, double, float>, AccType<T>>;

template <typename T, typename Op>
void Fold(const HostView& in, std::span<const int64_t> dims, const HostView& out) {
  using A = FoldAcc<T, Op>;
  constexpr DType kAccDType = std::is_same_v<A, double>  ? DType::kFloat64
                              : std::is_same_v<A, float> ? DType::kFloat32
                                                         : DType::kInt64;
  const Op op;
  std::vector<A> acc(static_cast<size_t>(out.numel()), Op::template Identity<A>());
  // acc is contiguous over out's shape; read with in's shape it has stride 0
  // on the reduced dims.
  const Strides acc_strides = ContiguousStrides(out.shape);
  Strides acc_in_strides = acc_strides;
  for (int64_t d : dims) acc_in_strides[d] = 0;
  const HostView acc_in{reinterpret_cast<char*>(acc.data()), in.shape, acc_in_strides, kAccDType};
  ForEachRow<2>(in.shape, {&acc_in, &in},
                [&op](const RowPtrs<2>& p, const RowSteps<2>& s, int64_t n) {
                  A* a = reinterpret_cast<A*>(p[0]);
                  if (s[0] == 0) {
                    *a = FoldRow<T>(op, *a, p[1], s[1], n);
                  } else if (s[0] == static_cast<int64_t>(sizeof(A)) &&
                             s[1] == static_cast<int64_t>(sizeof(T))) {
                    internal::UnitRow([&op](A acc, T v) { return op(acc, Cast<A>(v)); }, a, n,
                                      static_cast<const A*>(a), reinterpret_cast<const T*>(p[1]));
                  } else {
                    for (int64_t j = 0; j < n; ++j) {
                      A& r = *reinterpret_cast<A*>(p[0] + j * s[0]);
                      r = op(r, Cast<A>(*reinterpret_cast<const T*>(p[1] + j * s[1])));
                    }
                  }
                });
  const HostView acc_out{reinterpret_cast<char*>(acc.data()), out.shape, acc_strides, kAccDType};
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
