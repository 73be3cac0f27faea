// The one N-d loop under every elementwise, copy, fill and reduction kernel.
// ForEachRow walks operands that share a shape in row-major order, merging
// adjacent dims that are contiguous for every operand, and hands each
// innermost row to a callback. Map builds on it: out = f(in...) with a tight
// loop when every innermost stride is one element.
#ifndef TENSORD_DEVICE_CPU_STRIDED_LOOP_H_
#define TENSORD_DEVICE_CPU_STRIDED_LOOP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "device/cpu/host_view.h"

namespace tensord::device::cpu {

template <size_t N>
using RowPtrs = std::array<char*, N>;
template <size_t N>
using RowSteps = std::array<int64_t, N>;  // bytes between consecutive elements

// Calls row(ptrs, steps, n) once per innermost row of `shape`: ptrs[k] is
// operand k's first element of the row, steps[k] its byte stride. Rows come
// in row-major order (dims are merged, never reordered), so a callback with
// state (a random generator) sees elements in row-major order. Every operand
// is indexed with `shape` and its own strides; nothing runs when numel is 0.
template <size_t N, typename RowFn>
void ForEachRow(std::span<const int64_t> shape, const std::array<const HostView*, N>& ops,
                RowFn&& row) {
  struct Dim {
    int64_t size;
    RowSteps<N> step;
  };
  for (int64_t s : shape) {
    if (s == 0) return;
  }
  std::array<int64_t, N> itemsize;
  RowPtrs<N> ptr;
  for (size_t k = 0; k < N; ++k) {
    itemsize[k] = static_cast<int64_t>(ItemSize(ops[k]->dtype));
    ptr[k] = ops[k]->data;
  }
  absl::InlinedVector<Dim, 8> dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    Dim cur{shape[d], {}};
    for (size_t k = 0; k < N; ++k) cur.step[k] = ops[k]->strides[d] * itemsize[k];
    bool merge = !dims.empty();
    for (size_t k = 0; merge && k < N; ++k) {
      merge = dims.back().step[k] == cur.step[k] * cur.size;
    }
    if (merge) {
      dims.back().size *= cur.size;
      dims.back().step = cur.step;
    } else {
      dims.push_back(cur);
    }
  }
  if (dims.empty()) {
    row(ptr, RowSteps<N>{}, int64_t{1});
    return;
  }
  const Dim inner = dims.back();
  dims.pop_back();
  absl::InlinedVector<int64_t, 8> idx(dims.size(), 0);
  while (true) {
    row(ptr, inner.step, inner.size);
    size_t d = dims.size();
    while (true) {  // odometer increment over the outer dims
      if (d == 0) return;
      --d;
      for (size_t k = 0; k < N; ++k) ptr[k] += dims[d].step[k];
      if (++idx[d] < dims[d].size) break;
      for (size_t k = 0; k < N; ++k) ptr[k] -= dims[d].step[k] * dims[d].size;
      idx[d] = 0;
    }
  }
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
inline void UnitRow(const F& f, Out* o, int64_t n, const In*... in) {
  F local = f;
  constexpr int64_t kBlock = 16;
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    Out block[kBlock];
    for (int64_t k = 0; k < kBlock; ++k) block[k] = local(in[j + k]...);
    for (int64_t k = 0; k < kBlock; ++k) o[j + k] = block[k];
  }
  for (; j < n; ++j) o[j] = local(in[j]...);
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

// out[i] = f(in[i]...) over out's shape. Out and In... are the element types
// (spelled explicitly: Map<float, Half>(f, out, in)); every view has out's
// shape. With no inputs, f() is called once per element in row-major order.
template <typename Out, typename... In, typename F, typename... Views>
void Map(F&& f, const HostView& out, const Views&... in) {
  static_assert(sizeof...(In) == sizeof...(Views), "one element type per input view");
  constexpr size_t kN = 1 + sizeof...(In);
  const std::array<const HostView*, kN> ops{&out, &in...};
  ForEachRow<kN>(out.shape, ops, [&f](const RowPtrs<kN>& p, const RowSteps<kN>& s, int64_t n) {
    internal::MapRow<Out, In...>(f, p, s, n, std::index_sequence_for<In...>{});
  });
}

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_STRIDED_LOOP_H_
