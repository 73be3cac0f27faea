// Index math shared by the CUDA kernels, written as plain host/device code so
// that the host unit tests check exactly what the kernels run:
// - IntDivider: division by a runtime divisor through a multiply and a shift
//   (the hardware divides 32-bit integers in ~20 instructions);
// - CollapseDims: operands that share a shape, with size-1 dims dropped,
//   dims optionally reordered to follow the first operand's memory order,
//   and adjacent dims merged where every operand is contiguous across them;
// - ForEachChunk: pieces of such a layout that one launch takes (few dims,
//   fewer than 2^31 elements), so kernels only do 32-bit index math;
// - OffsetCalc: a linear index into a piece to each operand's element
//   offset.
#ifndef TENSORD_DEVICE_CUDA_OFFSET_CALC_H_
#define TENSORD_DEVICE_CUDA_OFFSET_CALC_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "device/host_device.h"

namespace tensord::device::cuda {

// The most dims a kernel takes after CollapseDims; ForEachChunk splits
// operands with more into several launches.
inline constexpr int kMaxDims = 12;

// Divides n in [0, 2^31) by a divisor in [1, 2^31] with Granlund and
// Montgomery's magic number: q = (umulhi(n, magic) + n) >> shift.
struct IntDivider {
  uint32_t divisor = 1;
  uint32_t magic = 0;
  uint32_t shift = 0;

  IntDivider() = default;
  explicit IntDivider(uint32_t d) : divisor(d) {
    while (shift < 32 && (uint64_t{1} << shift) < d) ++shift;
    magic = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << shift) - d)) / d + 1);
  }
  TENSORD_HOST_DEVICE uint32_t Div(uint32_t n) const {
#if defined(__CUDA_ARCH__)
    const uint32_t hi = __umulhi(n, magic);
#else
    const uint32_t hi = static_cast<uint32_t>((uint64_t{n} * magic) >> 32);
#endif
    return (hi + n) >> shift;
  }
};

// Shape and per-operand strides (in elements), outer dim first.
struct DimLayout {
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> strides;  // [operand][dim]

  int ndim() const { return static_cast<int>(sizes.size()); }
};

// Drops size-1 dims of `shape` (a shape with a zero keeps its dims, since it
// has no elements to walk), reorders the rest by the operands' strides when
// `reorder` (outer dims first: the first operand whose strides differ and
// are both nonzero decides), then merges adjacent dims that are contiguous
// for every operand. Every operand is indexed with `shape`.
inline DimLayout CollapseDims(std::span<const int64_t> shape,
                              std::span<const std::span<const int64_t>> strides, bool reorder) {
  const size_t nops = strides.size();
  bool empty = false;
  for (int64_t s : shape) empty |= s == 0;
  std::vector<size_t> dims;  // kept dims of shape, outer first
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != 1 || empty) dims.push_back(d);
  }
  if (reorder) {
    // Whether dim x should sit outside dim y.
    auto outer = [&](size_t x, size_t y) {
      for (size_t k = 0; k < nops; ++k) {
        const int64_t sx = strides[k][x], sy = strides[k][y];
        if (sx == 0 || sy == 0 || sx == sy) continue;
        return sx > sy;
      }
      return false;
    };
    // Insertion sort: stable, and dims are few.
    for (size_t i = 1; i < dims.size(); ++i) {
      for (size_t j = i; j > 0 && outer(dims[j], dims[j - 1]); --j) std::swap(dims[j], dims[j - 1]);
    }
  }
  DimLayout out;
  out.strides.resize(nops);
  for (size_t d : dims) {
    bool merge = !out.sizes.empty() && !empty;
    for (size_t k = 0; merge && k < nops; ++k) {
      merge = out.strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      out.sizes.back() *= shape[d];
      for (size_t k = 0; k < nops; ++k) out.strides[k].back() = strides[k][d];
    } else {
      out.sizes.push_back(shape[d]);
      for (size_t k = 0; k < nops; ++k) out.strides[k].push_back(strides[k][d]);
    }
  }
  return out;
}

// The most elements a kernel walks in one launch: linear indices stay below
// 2^31 (32-bit index math), and a multiple of 4096 keeps the pieces of a
// contiguous operand vector-aligned.
inline constexpr int64_t kMaxChunkNumel = (int64_t{1} << 31) - 4096;

// Splits `layout` into pieces a kernel takes (at most max_dims dims and
// max_numel elements), in row-major order, by peeling its outer dims: calls
// fn(offsets, piece) with each operand's element offset of the piece's
// first element. Stops at, and returns, the first error fn returns. A
// layout without elements gives no pieces.
template <typename Fn>
absl::Status ForEachChunk(const DimLayout& layout, Fn&& fn, int max_dims = kMaxDims,
                          int64_t max_numel = kMaxChunkNumel) {
  const size_t nops = layout.strides.size();
  int64_t numel = 1;
  for (int64_t s : layout.sizes) numel *= s;
  if (numel == 0) return absl::OkStatus();
  std::vector<int64_t> base(nops, 0);
  // The dims from `first` on, starting at `base`.
  auto walk = [&](auto& self, int first, int64_t count) -> absl::Status {
    const int rest = layout.ndim() - first;
    DimLayout piece;
    piece.sizes.assign(layout.sizes.begin() + first, layout.sizes.end());
    piece.strides.resize(nops);
    for (size_t k = 0; k < nops; ++k) {
      piece.strides[k].assign(layout.strides[k].begin() + first, layout.strides[k].end());
    }
    if (rest <= max_dims && count <= max_numel) return fn(base, piece);
    const int64_t size0 = layout.sizes[first];
    const int64_t inner = count / size0;
    if (rest <= max_dims && inner <= max_numel) {
      // Several indices of the first dim per piece.
      const int64_t rows = std::max<int64_t>(1, max_numel / inner);
      const std::vector<int64_t> saved = base;
      for (int64_t i = 0; i < size0; i += rows) {
        piece.sizes[0] = std::min(rows, size0 - i);
        for (size_t k = 0; k < nops; ++k) base[k] = saved[k] + i * layout.strides[k][first];
        if (absl::Status s = fn(base, piece); !s.ok()) return s;
      }
      base = saved;
      return absl::OkStatus();
    }
    const std::vector<int64_t> saved = base;
    for (int64_t i = 0; i < size0; ++i) {
      for (size_t k = 0; k < nops; ++k) base[k] = saved[k] + i * layout.strides[k][first];
      if (absl::Status s = self(self, first + 1, inner); !s.ok()) return s;
    }
    base = saved;
    return absl::OkStatus();
  };
  return walk(walk, 0, numel);
}

// Offsets of N operands for a linear (row-major) index into a DimLayout.
template <int N>
struct Offsets {
  int64_t v[N];
};

// Maps a linear index to the element offsets of N operands in a piece
// (ForEachChunk: at most kMaxDims dims, fewer than 2^31 elements).
template <int N>
struct OffsetCalc {
  int ndim = 0;
  // Innermost dim first.
  IntDivider div[kMaxDims];
  int64_t stride[kMaxDims][N];

  OffsetCalc() = default;
  explicit OffsetCalc(const DimLayout& layout) : ndim(layout.ndim()) {
    for (int d = 0; d < ndim; ++d) {
      const int src = ndim - 1 - d;
      div[d] = IntDivider(static_cast<uint32_t>(layout.sizes[src]));
      for (int k = 0; k < N; ++k) stride[d][k] = layout.strides[k][src];
    }
  }

  TENSORD_HOST_DEVICE Offsets<N> Get(uint32_t linear) const {
    Offsets<N> out;
    TENSORD_UNROLL
    for (int k = 0; k < N; ++k) out.v[k] = 0;
    uint32_t rest = linear;
    // Unrolled: a kernel parameter indexed at run time would be copied to
    // local memory.
    TENSORD_UNROLL
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == ndim) break;
      uint32_t idx = rest;  // the outermost dim needs no division
      if (d + 1 < ndim) {
        const uint32_t q = div[d].Div(rest);
        idx = rest - q * div[d].divisor;
        rest = q;
      }
      TENSORD_UNROLL
      for (int k = 0; k < N; ++k) out.v[k] += static_cast<int64_t>(idx) * stride[d][k];
    }
    return out;
  }
};

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_OFFSET_CALC_H_
