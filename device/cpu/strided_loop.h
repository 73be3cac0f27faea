// The one N-d loop under every elementwise, copy, fill and reduction kernel.
// ForEachRow walks operands that share a shape in row-major order, merging
// adjacent dims that are contiguous for every operand, and hands each
// innermost row to a callback; ParallelForEachRow splits the same walk over
// the kernel thread pool. Map builds on them: out = f(in...) with a tight,
// vectorized loop when every innermost stride is one element.
#ifndef TENSORD_DEVICE_CPU_STRIDED_LOOP_H_
#define TENSORD_DEVICE_CPU_STRIDED_LOOP_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "device/cpu/host_view.h"
#include "device/cpu/parallel.h"
#include "device/cpu/simd.h"

namespace tensord::device::cpu {

template <size_t N>
using RowPtrs = std::array<char*, N>;
template <size_t N>
using RowSteps = std::array<int64_t, N>;  // bytes between consecutive elements

// The operands of a loop with their dims merged: `dims` holds the outer dims
// and, last, the innermost one; numel is the element count.
template <size_t N>
struct RowPlan {
  struct Dim {
    int64_t size;
    RowSteps<N> step;
  };
  absl::InlinedVector<Dim, 8> dims;
  RowPtrs<N> base;
  int64_t numel = 0;
};

// Merges the dims of `shape` that are contiguous for every operand (dims
// are never reordered, so rows come in row-major order).
template <size_t N>
RowPlan<N> PlanRows(std::span<const int64_t> shape, const std::array<const HostView*, N>& ops) {
  RowPlan<N> plan;
  plan.numel = 1;
  for (int64_t s : shape) plan.numel *= s;
  std::array<int64_t, N> itemsize;
  for (size_t k = 0; k < N; ++k) {
    itemsize[k] = static_cast<int64_t>(ItemSize(ops[k]->dtype));
    plan.base[k] = ops[k]->data;
  }
  if (plan.numel == 0) return plan;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    typename RowPlan<N>::Dim cur{shape[d], {}};
    for (size_t k = 0; k < N; ++k) cur.step[k] = ops[k]->strides[d] * itemsize[k];
    bool merge = !plan.dims.empty();
    for (size_t k = 0; merge && k < N; ++k) {
      merge = plan.dims.back().step[k] == cur.step[k] * cur.size;
    }
    if (merge) {
      plan.dims.back().size *= cur.size;
      plan.dims.back().step = cur.step;
    } else {
      plan.dims.push_back(cur);
    }
  }
  return plan;
}

// Calls row(ptrs, steps, n) for the elements [begin, end) of the plan, in
// row-major order: ptrs[k] is operand k's first element of the (possibly
// partial) row, steps[k] its byte stride.
template <size_t N, typename RowFn>
void WalkRows(const RowPlan<N>& plan, int64_t begin, int64_t end, RowFn&& row) {
  if (begin >= end) return;
  if (plan.dims.empty()) {  // one element
    row(plan.base, RowSteps<N>{}, int64_t{1});
    return;
  }
  const auto& inner = plan.dims.back();
  const size_t outer = plan.dims.size() - 1;
  absl::InlinedVector<int64_t, 8> idx(outer, 0);
  RowPtrs<N> ptr = plan.base;  // start of the current row
  int64_t q = begin / inner.size;
  int64_t j = begin % inner.size;  // offset into the first row
  for (size_t d = outer; d-- > 0;) {
    idx[d] = q % plan.dims[d].size;
    q /= plan.dims[d].size;
    for (size_t k = 0; k < N; ++k) ptr[k] += idx[d] * plan.dims[d].step[k];
  }
  int64_t left = end - begin;
  while (true) {
    const int64_t n = std::min(inner.size - j, left);
    RowPtrs<N> at = ptr;
    for (size_t k = 0; k < N; ++k) at[k] += j * inner.step[k];
    row(at, inner.step, n);
    left -= n;
    if (left == 0) return;
    j = 0;
    size_t d = outer;
    while (true) {  // odometer increment over the outer dims
      --d;          // left > 0, so some outer dim can still advance
      for (size_t k = 0; k < N; ++k) ptr[k] += plan.dims[d].step[k];
      if (++idx[d] < plan.dims[d].size) break;
      for (size_t k = 0; k < N; ++k) ptr[k] -= plan.dims[d].step[k] * plan.dims[d].size;
      idx[d] = 0;
    }
  }
}

// Calls row(ptrs, steps, n) once per innermost row of `shape`, in row-major
// order, on the calling thread, so a callback with state (a random
// generator) sees elements in row-major order. Every operand is indexed with
// `shape` and its own strides; nothing runs when numel is 0.
template <size_t N, typename RowFn>
void ForEachRow(std::span<const int64_t> shape, const std::array<const HostView*, N>& ops,
                RowFn&& row) {
  const RowPlan<N> plan = PlanRows<N>(shape, ops);
  WalkRows<N>(plan, 0, plan.numel, row);
}

// ForEachRow split over the kernel thread pool: row must be safe to call
// concurrently on disjoint elements, in any order.
template <size_t N, typename RowFn>
void ParallelForEachRow(std::span<const int64_t> shape, const std::array<const HostView*, N>& ops,
                        int64_t grain, RowFn&& row) {
  const RowPlan<N> plan = PlanRows<N>(shape, ops);
  ParallelFor(plan.numel, grain,
              [&](int64_t begin, int64_t end) { WalkRows<N>(plan, begin, end, row); });
}

namespace internal {

// The unit-stride row, written so that GCC vectorizes it even at -O2 (whose
// "very cheap" cost model rejects loops that need an epilogue or alias
// checks): fixed-size blocks are computed into a local array, then stored.
// Reading a whole block before writing it also makes an out that aliases an
// input exactly (in-place ops) safe. Pointers arrive as parameters and f is
// copied to a local so nothing is reloaded per element; stateful functors
// keep their state behind references.
template <typename Out, typename F, typename... In>
__attribute__((always_inline)) inline void UnitRowBody(const F& f, Out* o, int64_t n,
                                                       const In*... in) {
  F local = f;
  constexpr int64_t kBlock = 64;
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    Out block[kBlock];
    for (int64_t k = 0; k < kBlock; ++k) block[k] = local(in[j + k]...);
    std::memcpy(o + j, block, sizeof block);
  }
  for (; j < n; ++j) o[j] = local(in[j]...);
}

// UnitRowBody, cloned per instruction set (simd.h).
template <typename Out, typename F, typename... In>
TENSORD_SIMD_CLONES void UnitRow(const F& f, Out* o, int64_t n, const In*... in) {
  UnitRowBody(f, o, n, in...);
}

template <typename Out, typename... In, typename F, size_t... I>
inline void MapRow(F& f, const RowPtrs<1 + sizeof...(In)>& p, const RowSteps<1 + sizeof...(In)>& s,
                   int64_t n, std::index_sequence<I...>) {
  Out* o = reinterpret_cast<Out*>(p[0]);
  const bool out_unit = s[0] == static_cast<int64_t>(sizeof(Out));
  if (out_unit && ((s[I + 1] == static_cast<int64_t>(sizeof(In))) && ...)) {
    UnitRow(f, o, n, reinterpret_cast<const In*>(p[I + 1])...);
    return;
  }
  if constexpr (sizeof...(In) == 2) {  // a binary op against a broadcast value
    using A = std::tuple_element_t<0, std::tuple<In...>>;
    using B = std::tuple_element_t<1, std::tuple<In...>>;
    const A* a = reinterpret_cast<const A*>(p[1]);
    const B* b = reinterpret_cast<const B*>(p[2]);
    if (out_unit && s[1] == static_cast<int64_t>(sizeof(A)) && s[2] == 0) {
      const B bv = *b;
      UnitRow([&f, bv](A x) { return f(x, bv); }, o, n, a);
      return;
    }
    if (out_unit && s[1] == 0 && s[2] == static_cast<int64_t>(sizeof(B))) {
      const A av = *a;
      UnitRow([&f, av](B y) { return f(av, y); }, o, n, b);
      return;
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    *reinterpret_cast<Out*>(p[0] + j * s[0]) =
        f(*reinterpret_cast<const In*>(p[I + 1] + j * s[I + 1])...);
  }
}

}  // namespace internal

// out[i] = f(in[i]...) over out's shape, split over the kernel thread pool
// (f must be stateless, or safe to call concurrently). Out and In... are the
// element types (spelled explicitly: Map<float, Half>(f, out, in)); every
// view has out's shape.
template <typename Out, typename... In, typename F, typename... Views>
void Map(F&& f, const HostView& out, const Views&... in) {
  static_assert(sizeof...(In) == sizeof...(Views), "one element type per input view");
  constexpr size_t kN = 1 + sizeof...(In);
  ParallelForEachRow<kN>(out.shape, {&out, &in...}, kElementGrain,
                         [&f](const RowPtrs<kN>& p, const RowSteps<kN>& s, int64_t n) {
                           internal::MapRow<Out, In...>(f, p, s, n,
                                                        std::index_sequence_for<In...>{});
                         });
}

// Map on the calling thread, calling f in row-major order: for functors with
// state, such as a random generator (f() with no inputs, once per element).
template <typename Out, typename... In, typename F, typename... Views>
void MapInOrder(F&& f, const HostView& out, const Views&... in) {
  static_assert(sizeof...(In) == sizeof...(Views), "one element type per input view");
  constexpr size_t kN = 1 + sizeof...(In);
  ForEachRow<kN>(out.shape, {&out, &in...},
                 [&f](const RowPtrs<kN>& p, const RowSteps<kN>& s, int64_t n) {
                   internal::MapRow<Out, In...>(f, p, s, n, std::index_sequence_for<In...>{});
                 });
}

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_STRIDED_LOOP_H_
