// CpuBackend::ArgReduce (max/min along one dim with the index of the first
// occurrence) and CpuBackend::Scan (inclusive cumulative sum/product along
// one dim). Both walk a "head" view, in's layout with the dim collapsed to
// one element, and step along the dim from each head element. When the dim
// is not the innermost one, the steps run in the outer loop so that each
// pass reads a whole row of consecutive elements.
#include <algorithm>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/cpu_backend.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/strided_loop.h"
#include "device/operand_checks.h"
#include "device/status_macros.h"

namespace tensord::device::cpu {
namespace {

// Element `in` seen with `shape` but in's strides: the head of each line
// along the reduced dim.
HostView Head(const HostView& in, std::span<const int64_t> shape) {
  return HostView{in.data, shape, in.strides, in.dtype};
}

// Size and byte stride of the dim being walked (1 and 0 for a 0-dim input).
struct Line {
  int64_t size = 1;
  int64_t step = 0;
};
Line LineOf(const HostView& v, int64_t dim) {
  if (v.shape.empty()) return {};
  return {v.shape[dim], v.strides[dim] * static_cast<int64_t>(ItemSize(v.dtype))};
}

// Whether candidate x replaces the current best: a NaN is never replaced
// and always replaces a number; otherwise strictly better wins, so ties keep
// the first occurrence.
template <bool kMax, typename T>
bool Better(T x, T best) {
  if constexpr (kIsFloat<T>) {
    using C = std::conditional_t<kIsReducedFloat<T>, float, T>;
    const C cx = static_cast<C>(x), cb = static_cast<C>(best);
    if (cb != cb) return false;
    if (cx != cx) return true;
    return kMax ? cx > cb : cx < cb;
  } else {
    return kMax ? x > best : x < best;
  }
}

template <typename T, bool kMax>
void ArgFold(const HostView& in, int64_t dim, const HostView& values, const HostView& indices) {
  const Line line = LineOf(in, dim);
  const HostView head = Head(in, values.shape);
  const bool inner = line.step == static_cast<int64_t>(sizeof(T));
  ForEachRow<3>(values.shape, {&values, &indices, &head},
                [&](const RowPtrs<3>& p, const RowSteps<3>& s, int64_t n) {
                  auto value = [&](int64_t j) -> T& {
                    return *reinterpret_cast<T*>(p[0] + j * s[0]);
                  };
                  auto index = [&](int64_t j) -> int64_t& {
                    return *reinterpret_cast<int64_t*>(p[1] + j * s[1]);
                  };
                  auto at = [&](int64_t j, int64_t k) {
                    return *reinterpret_cast<const T*>(p[2] + j * s[2] + k * line.step);
                  };
                  if (inner) {
                    for (int64_t j = 0; j < n; ++j) {
                      T best = at(j, 0);
                      int64_t best_k = 0;
                      for (int64_t k = 1; k < line.size; ++k) {
                        const T x = at(j, k);
                        if (Better<kMax>(x, best)) {
                          best = x;
                          best_k = k;
                        }
                      }
                      value(j) = best;
                      index(j) = best_k;
                    }
                    return;
                  }
                  for (int64_t j = 0; j < n; ++j) {
                    value(j) = at(j, 0);
                    index(j) = 0;
                  }
                  for (int64_t k = 1; k < line.size; ++k) {
                    for (int64_t j = 0; j < n; ++j) {
                      const T x = at(j, k);
                      if (Better<kMax>(x, value(j))) {
                        value(j) = x;
                        index(j) = k;
                      }
                    }
                  }
                });
}

template <typename T, typename Op>
void ScanFold(const HostView& in, int64_t dim, const HostView& out, const Shape& head_shape) {
  using A = AccType<T>;
  const Op op;
  const Line in_line = LineOf(in, dim);
  const Line out_line = LineOf(out, dim);
  const HostView in_head = Head(in, head_shape);
  const HostView out_head = Head(out, head_shape);
  const bool inner = in_line.step == static_cast<int64_t>(sizeof(T));
  std::vector<A> acc;
  ForEachRow<2>(head_shape, {&out_head, &in_head},
                [&](const RowPtrs<2>& p, const RowSteps<2>& s, int64_t n) {
                  auto in_at = [&](int64_t j, int64_t k) {
                    return Cast<A>(*reinterpret_cast<const T*>(p[1] + j * s[1] + k * in_line.step));
                  };
                  auto out_at = [&](int64_t j, int64_t k) -> T& {
                    return *reinterpret_cast<T*>(p[0] + j * s[0] + k * out_line.step);
                  };
                  if (inner) {
                    for (int64_t j = 0; j < n; ++j) {
                      A a = Op::template Identity<A>();
                      for (int64_t k = 0; k < in_line.size; ++k) {
                        a = op(a, in_at(j, k));
                        out_at(j, k) = Cast<T>(a);
                      }
                    }
                    return;
                  }
                  acc.assign(static_cast<size_t>(n), Op::template Identity<A>());
                  for (int64_t k = 0; k < in_line.size; ++k) {
                    for (int64_t j = 0; j < n; ++j) {
                      acc[j] = op(acc[j], in_at(j, k));
                      out_at(j, k) = Cast<T>(acc[j]);
                    }
                  }
                });
}

}  // namespace

absl::Status CpuBackend::ArgReduce(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& values,
                                   const Tensor& indices) {
  TD_RETURN_IF_ERROR(CheckArgReduceOperands(op, in, dim, values, indices));
  TD_ASSIGN_OR_RETURN(const HostView vi, Host(in, "ArgReduce: in"));
  TD_ASSIGN_OR_RETURN(const HostView vv, Host(values, "ArgReduce: values"));
  TD_ASSIGN_OR_RETURN(const HostView vx, Host(indices, "ArgReduce: indices"));
  DispatchDType(in.dtype(), [&]<typename T>() {
    if (op == ReduceOp::kMax) {
      ArgFold<T, true>(vi, dim, vv, vx);
    } else {
      ArgFold<T, false>(vi, dim, vv, vx);
    }
  });
  return absl::OkStatus();
}

absl::Status CpuBackend::Scan(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckScanOperands(op, in, dim, out));
  TD_ASSIGN_OR_RETURN(const HostView vi, Host(in, "Scan: in"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Scan: out"));
  const Shape head = HeadShape(in, dim);
  if (in.numel() == 0) return absl::OkStatus();
  DispatchDType(in.dtype(), [&]<typename T>() {
    if (op == ReduceOp::kSum) {
      ScanFold<T, SumReduce>(vi, dim, vo, head);
    } else {
      ScanFold<T, ProdReduce>(vi, dim, vo, head);
    }
  });
  return absl::OkStatus();
}

}  // namespace tensord::device::cpu
