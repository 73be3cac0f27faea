// Gather, Scatter, CountNonzero and Nonzero on CUDA: the launchers whose
// work or errors depend on the data. Index values are bounds-checked on the
// device first (the row-major position of the first bad one lands in
// scratch memory, read back after a stream synchronize), so a bad index
// writes nothing and reports the CPU backend's message naming that value.
// Scatter follows the CPU's sequential order: with kAssign, the last
// source element (row-major) aimed at a destination wins, decided by an
// atomicMax over source positions before anything is written (in a table
// over out's elements, or a hash table over the destinations when out is
// much larger than src); kAdd adds with atomics (float16 and bfloat16
// atomics exist on sm_90).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cuda/block_scan.cuh"
#include "device/cuda/kernel_util.cuh"
#include "device/cuda/kernels.h"
#include "device/cuda/offset_calc.h"
#include "device/status_macros.h"

namespace tensord::device::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;

// ---------------------------------------------------------------------------
// Index bounds.

// Operands: (index, row-major position of index).
__global__ void __launch_bounds__(kThreads)
    IndexBoundsKernel(uint32_t n, OffsetCalc<2> calc, const int64_t* index, int64_t size,
                      int64_t position_base, unsigned long long* first_bad) {
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < n; i += step) {
    const Offsets<2> off = calc.Get(i);
    const int64_t v = index[off.v[0]];
    if (v < -size || v >= size) {
      atomicMin(first_bad, static_cast<unsigned long long>(position_base + off.v[1]));
    }
  }
}

// INVALID_ARGUMENT naming the first value of `index` (row-major) outside
// [-size, size), as device/cpu/index.cc; waits for the stream.
absl::Status CheckIndexValues(const Launch& l, const DeviceView& index, int64_t dim, int64_t size) {
  if (index.numel() == 0) return absl::OkStatus();
  const Strides position = ContiguousStrides(index.shape);
  const std::span<const int64_t> strides[2] = {index.strides, position};
  const DimLayout layout = CollapseDims(index.shape, strides, /*reorder=*/false);
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> scratch, Scratch(l, sizeof(unsigned long long)));
  auto* first_bad = static_cast<unsigned long long*>(scratch.get());
  TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(first_bad, 0xff, sizeof(*first_bad), l.stream));
  TD_RETURN_IF_ERROR(
      ForEachChunk(layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
        const int64_t n = Numel(piece.sizes);
        IndexBoundsKernel<<<GridFor(n, kThreads * 8), kThreads, 0, l.stream>>>(
            static_cast<uint32_t>(n), OffsetCalc<2>(piece),
            static_cast<const int64_t*>(index.data) + off[0], size, off[1], first_bad);
        return LaunchStatus("IndexBoundsKernel");
      }));
  unsigned long long bad = 0;
  TD_RETURN_IF_ERROR(ReadBack(l, &bad, first_bad, sizeof(bad)));
  if (bad == ~0ull) return absl::OkStatus();
  // The bad value itself, at that row-major position.
  int64_t rest = static_cast<int64_t>(bad), offset = 0;
  for (size_t d = index.shape.size(); d-- > 0;) {
    offset += (rest % index.shape[d]) * index.strides[d];
    rest /= index.shape[d];
  }
  int64_t value = 0;
  TD_RETURN_IF_ERROR(
      ReadBack(l, &value, static_cast<const int64_t*>(index.data) + offset, sizeof(value)));
  return absl::InvalidArgumentError(
      absl::StrCat("index ", value, " is out of bounds for dimension ", dim, " with size ", size));
}

// v's strides with `dim`'s set to 0 (none for a 0-dim view): the element at
// a position is then the dim-0 element of its line, and index k is reached
// by stepping k * (v's stride along dim).
Strides AlongDim(std::span<const int64_t> strides, int64_t dim) {
  Strides s(strides.begin(), strides.end());
  if (!s.empty()) s[dim] = 0;
  return s;
}

int64_t SizeAt(const DeviceView& v, int64_t dim) { return v.shape.empty() ? 1 : v.shape[dim]; }
int64_t StrideAt(const DeviceView& v, int64_t dim) { return v.shape.empty() ? 0 : v.strides[dim]; }

// ---------------------------------------------------------------------------
// Gather.

// Operands: (out, index, in along dim).
template <typename B>
__global__ void __launch_bounds__(kThreads)
    GatherElementsKernel(uint32_t n, OffsetCalc<3> calc, B* out, const int64_t* index, const B* in,
                         int64_t size, int64_t step) {
  const uint32_t stride = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < n; i += stride) {
    const Offsets<3> off = calc.Get(i);
    int64_t k = index[off.v[1]];
    if (k < 0) k += size;
    out[off.v[0]] = in[off.v[2] + k * step];
  }
}

// ---------------------------------------------------------------------------
// Scatter.

// For each destination of a kAssign scatter, 1 + the row-major position of
// the last source aimed at it. Dense: one entry per element of out (keys
// null). Hashed: open addressing over the destinations used, keyed by
// 1 + out's row-major position, for an out much larger than src.
struct WinnerTable {
  unsigned long long* keys = nullptr;
  unsigned long long* values = nullptr;
  uint64_t mask = 0;  // hashed: capacity - 1 (a power of 2)
  int shift = 0;      // hashed: 64 - log2(capacity)
};

// The entry of `dest` (pass 1 claims it; pass 2, a later launch, finds it).
template <bool kClaim>
__device__ __forceinline__ unsigned long long* WinnerEntry(const WinnerTable& t, uint64_t dest) {
  if (t.keys == nullptr) return t.values + dest;
  const unsigned long long key = dest + 1;
  uint64_t h = (dest * 0x9E3779B97F4A7C15ull) >> t.shift;
  while (true) {
    if constexpr (kClaim) {
      const unsigned long long prev = atomicCAS(t.keys + h, 0ull, key);
      if (prev == 0 || prev == key) return t.values + h;
    } else {
      if (t.keys[h] == key) return t.values + h;
    }
    h = (h + 1) & t.mask;
  }
}

// Operands of both scatter passes, walked over src's shape: (out along dim,
// index, src, out's row-major position along dim, src's row-major position).
struct ScatterArgs {
  uint32_t n;
  OffsetCalc<5> calc;
  const int64_t* index;
  int64_t size;           // out's size along dim
  int64_t step;           // out's stride along dim
  int64_t position_step;  // out's row-major stride along dim
  int64_t out_base;       // out position of the piece's first element
  int64_t src_base;       // src position of the piece's first element
};

// Pass 1 of kAssign: for every destination, the last source (1-based
// row-major position) aimed at it.
__global__ void __launch_bounds__(kThreads) ScatterWinnersKernel(ScatterArgs a, WinnerTable table) {
  const uint32_t stride = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < a.n; i += stride) {
    const Offsets<5> off = a.calc.Get(i);
    int64_t k = a.index[off.v[1]];
    if (k < 0) k += a.size;
    const uint64_t dest = a.out_base + off.v[3] + k * a.position_step;
    atomicMax(WinnerEntry<true>(table, dest),
              static_cast<unsigned long long>(a.src_base + off.v[4] + 1));
  }
}

// Pass 2 of kAssign: the winners write.
template <typename B>
__global__ void __launch_bounds__(kThreads)
    ScatterAssignKernel(ScatterArgs a, WinnerTable table, B* out, const B* src) {
  const uint32_t stride = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < a.n; i += stride) {
    const Offsets<5> off = a.calc.Get(i);
    int64_t k = a.index[off.v[1]];
    if (k < 0) k += a.size;
    const uint64_t dest = a.out_base + off.v[3] + k * a.position_step;
    if (*WinnerEntry<false>(table, dest) ==
        static_cast<unsigned long long>(a.src_base + off.v[4] + 1)) {
      out[off.v[0] + k * a.step] = src[off.v[2]];
    }
  }
}

// *p += v as one atomic operation, wrapping for integers; bool is or.
template <typename T>
__device__ __forceinline__ void AtomicAddElement(T* p, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    if (v) *p = true;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  } else if constexpr (std::is_same_v<T, int32_t>) {
    atomicAdd(reinterpret_cast<unsigned*>(p), static_cast<unsigned>(v));
  } else if constexpr (std::is_same_v<T, Half>) {
    atomicAdd(reinterpret_cast<__half*>(p), __float2half_rn(static_cast<float>(v)));
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    atomicAdd(reinterpret_cast<__nv_bfloat16*>(p), __float2bfloat16_rn(static_cast<float>(v)));
  } else {
    atomicAdd(p, v);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) ScatterAddKernel(ScatterArgs a, T* out, const T* src) {
  const uint32_t stride = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < a.n; i += stride) {
    const Offsets<5> off = a.calc.Get(i);
    int64_t k = a.index[off.v[1]];
    if (k < 0) k += a.size;
    AtomicAddElement(out + off.v[0] + k * a.step, src[off.v[2]]);
  }
}

// ---------------------------------------------------------------------------
// Nonzero elements.

// The sum over the warp, in lane 0.
__device__ __forceinline__ unsigned WarpSum(unsigned v) {
#pragma unroll
  for (int delta = 16; delta > 0; delta /= 2) v += __shfl_down_sync(kFullMask, v, delta);
  return v;
}

template <typename T>
__device__ __forceinline__ bool IsNonzero(T v) {
  if constexpr (ops::kIsReducedFloat<T>) {
    return static_cast<float>(v) != 0.0f;
  } else {
    return v != T(0);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    NonzeroCountKernel(uint32_t n, OffsetCalc<1> calc, const T* in, unsigned long long* count) {
  const uint32_t step = gridDim.x * kThreads;
  unsigned mine = 0;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < n; i += step) {
    mine += IsNonzero(in[calc.Get(i).v[0]]) ? 1u : 0u;
  }
  const unsigned warp_count = WarpSum(mine);
  if (threadIdx.x % 32 == 0 && warp_count != 0) atomicAdd(count, warp_count);
}

// Nonzero compacts the row-major positions of the nonzero elements in
// tiles of kTile elements (kItems consecutive ones per thread): a count per
// tile, an exclusive scan of the counts, then each tile writes its
// positions in order. A piece of the input (ForEachChunk) is a run of
// consecutive row-major positions starting at `position_base`.
constexpr int kItems = 8;
constexpr uint32_t kTile = kThreads * kItems;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    TileCountKernel(uint32_t n, OffsetCalc<1> calc, const T* in, int64_t* tile_count) {
  const uint32_t tile = blockIdx.x;
  const uint32_t first = tile * kTile + threadIdx.x * kItems;
  unsigned mine = 0;
#pragma unroll
  for (int j = 0; j < kItems; ++j) {
    if (first + j < n) mine += IsNonzero(in[calc.Get(first + j).v[0]]) ? 1u : 0u;
  }
  const unsigned warp_count = WarpSum(mine);
  __shared__ unsigned warp_counts[kThreads / 32];
  if (threadIdx.x % 32 == 0) warp_counts[threadIdx.x / 32] = warp_count;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned total = 0;
    for (int w = 0; w < kThreads / 32; ++w) total += warp_counts[w];
    tile_count[tile] = total;
  }
}

struct AddInt64 {
  __device__ int64_t operator()(int64_t a, int64_t b) const { return a + b; }
};

// One block: tile_count becomes the exclusive prefix sums, starting at
// *written (the nonzeros of earlier pieces), and *written grows by the total.
__global__ void __launch_bounds__(kThreads)
    TileScanKernel(uint32_t tiles, int64_t* tile_count, int64_t* written) {
  int64_t carry = *written;
  for (uint32_t t0 = 0; t0 < tiles; t0 += kThreads) {
    const uint32_t t = t0 + threadIdx.x;
    const int64_t v = t < tiles ? tile_count[t] : 0;
    int64_t total;
    const int64_t excl = BlockExclusiveScan<int64_t>(v, AddInt64{}, 0, &total);
    if (t < tiles) tile_count[t] = carry + excl;
    carry += total;
  }
  if (threadIdx.x == 0) *written = carry;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    TileWriteKernel(uint32_t n, OffsetCalc<1> calc, const T* in, const int64_t* tile_start,
                    int64_t position_base, int64_t* positions, int64_t capacity) {
  const uint32_t tile = blockIdx.x;
  const uint32_t first = tile * kTile + threadIdx.x * kItems;
  bool nonzero[kItems];
  int64_t mine = 0;
#pragma unroll
  for (int j = 0; j < kItems; ++j) {
    nonzero[j] = first + j < n && IsNonzero(in[calc.Get(first + j).v[0]]);
    mine += nonzero[j] ? 1 : 0;
  }
  int64_t total;
  int64_t at = tile_start[tile] + BlockExclusiveScan<int64_t>(mine, AddInt64{}, 0, &total);
#pragma unroll
  for (int j = 0; j < kItems; ++j) {
    if (nonzero[j]) {
      if (at < capacity) positions[at] = position_base + first + j;
      ++at;
    }
  }
}

// out[j][d] = coordinate d of row-major position positions[j] in `shape`
// (device memory, any rank).
__global__ void __launch_bounds__(kThreads)
    UnravelKernel(int64_t count, const int64_t* positions, const int64_t* shape, int ndim,
                  int64_t* out, int64_t row_stride, int64_t col_stride) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * kThreads;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; j < count;
       j += step) {
    int64_t rest = positions[j];
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t size = shape[d];
      const int64_t q = rest / size;
      out[j * row_stride + d * col_stride] = rest - q * size;
      rest = q;
    }
  }
}

}  // namespace

absl::Status GatherKernel(const Launch& l, const DeviceView& in, int64_t dim,
                          const DeviceView& index, const DeviceView& out) {
  const int64_t size = SizeAt(in, dim);
  TD_RETURN_IF_ERROR(CheckIndexValues(l, index, dim, size));
  if (out.numel() == 0) return absl::OkStatus();
  const Strides along = AlongDim(in.strides, dim);
  const std::span<const int64_t> strides[3] = {out.strides, index.strides, along};
  const DimLayout layout = CollapseDims(out.shape, strides, /*reorder=*/true);
  const int64_t step = StrideAt(in, dim);
  return DispatchBits(ItemSize(out.dtype), [&]<typename B>() {
    return ForEachChunk(layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
      const int64_t n = Numel(piece.sizes);
      GatherElementsKernel<B><<<GridFor(n, kThreads), kThreads, 0, l.stream>>>(
          static_cast<uint32_t>(n), OffsetCalc<3>(piece), static_cast<B*>(out.data) + off[0],
          static_cast<const int64_t*>(index.data) + off[1], static_cast<const B*>(in.data) + off[2],
          size, step);
      return LaunchStatus("GatherElementsKernel");
    });
  });
}

absl::Status ScatterKernel(const Launch& l, ScatterMode mode, int64_t dim, const DeviceView& index,
                           const DeviceView& src, const DeviceView& out) {
  const int64_t size = SizeAt(out, dim);
  TD_RETURN_IF_ERROR(CheckIndexValues(l, index, dim, size));
  if (src.numel() == 0) return absl::OkStatus();
  const Strides along = AlongDim(out.strides, dim);
  const Strides out_position_full = ContiguousStrides(out.shape);
  const Strides out_position = AlongDim(out_position_full, dim);
  const Strides src_position = ContiguousStrides(src.shape);
  const std::span<const int64_t> strides[5] = {along, index.strides, src.strides, out_position,
                                               src_position};
  // Row-major order (no reordering): src positions count in walk order.
  const DimLayout layout = CollapseDims(src.shape, strides, /*reorder=*/false);
  ScatterArgs a{};
  a.size = size;
  a.step = StrideAt(out, dim);
  a.position_step = out.shape.empty() ? 0 : out_position_full[dim];
  WinnerTable table;
  std::shared_ptr<void> keys, values;
  if (mode == ScatterMode::kAssign) {
    const int64_t n = src.numel();
    int64_t entries = out.numel();
    if (entries > 4 * n) {  // hash the destinations: at most n of them
      int log2 = 1;
      while ((int64_t{1} << log2) < 2 * n) ++log2;
      entries = int64_t{1} << log2;
      table.mask = static_cast<uint64_t>(entries - 1);
      table.shift = 64 - log2;
      const size_t key_bytes = sizeof(unsigned long long) * static_cast<size_t>(entries);
      TD_ASSIGN_OR_RETURN(keys, Scratch(l, key_bytes));
      TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(keys.get(), 0, key_bytes, l.stream));
      table.keys = static_cast<unsigned long long*>(keys.get());
    }
    const size_t value_bytes = sizeof(unsigned long long) * static_cast<size_t>(entries);
    TD_ASSIGN_OR_RETURN(values, Scratch(l, value_bytes));
    TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(values.get(), 0, value_bytes, l.stream));
    table.values = static_cast<unsigned long long*>(values.get());
  }
  // kAssign: every piece's winners before any write.
  for (int pass = mode == ScatterMode::kAssign ? 0 : 1; pass < 2; ++pass) {
    TD_RETURN_IF_ERROR(
        ForEachChunk(layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
          a.n = static_cast<uint32_t>(Numel(piece.sizes));
          a.calc = OffsetCalc<5>(piece);
          a.index = static_cast<const int64_t*>(index.data) + off[1];
          a.out_base = off[3];
          a.src_base = off[4];
          const unsigned blocks = GridFor(a.n, kThreads);
          if (pass == 0) {
            ScatterWinnersKernel<<<blocks, kThreads, 0, l.stream>>>(a, table);
            return LaunchStatus("ScatterWinnersKernel");
          }
          if (mode == ScatterMode::kAssign) {
            return DispatchBits(ItemSize(out.dtype), [&]<typename B>() {
              ScatterAssignKernel<B>
                  <<<blocks, kThreads, 0, l.stream>>>(a, table, static_cast<B*>(out.data) + off[0],
                                                      static_cast<const B*>(src.data) + off[2]);
              return LaunchStatus("ScatterAssignKernel");
            });
          }
          return DispatchDType(out.dtype, [&]<typename T>() {
            ScatterAddKernel<T><<<blocks, kThreads, 0, l.stream>>>(
                a, static_cast<T*>(out.data) + off[0], static_cast<const T*>(src.data) + off[2]);
            return LaunchStatus("ScatterAddKernel");
          });
        }));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountNonzeroKernel(const Launch& l, const DeviceView& in) {
  if (in.numel() == 0) return 0;
  const std::span<const int64_t> strides[1] = {in.strides};
  const DimLayout layout = CollapseDims(in.shape, strides, /*reorder=*/true);
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> scratch, Scratch(l, sizeof(unsigned long long)));
  auto* count = static_cast<unsigned long long*>(scratch.get());
  TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(count, 0, sizeof(*count), l.stream));
  TD_RETURN_IF_ERROR(DispatchDType(in.dtype, [&]<typename T>() {
    return ForEachChunk(layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
      const int64_t n = Numel(piece.sizes);
      NonzeroCountKernel<T><<<GridFor(n, kThreads * 8), kThreads, 0, l.stream>>>(
          static_cast<uint32_t>(n), OffsetCalc<1>(piece), static_cast<const T*>(in.data) + off[0],
          count);
      return LaunchStatus("NonzeroCountKernel");
    });
  }));
  unsigned long long host = 0;
  TD_RETURN_IF_ERROR(ReadBack(l, &host, count, sizeof(host)));
  return static_cast<int64_t>(host);
}

absl::Status NonzeroKernel(const Launch& l, const DeviceView& in, const DeviceView& out) {
  // out is [count, in.dim()], count as CountNonzero found it.
  const int64_t capacity = out.shape.empty() ? 0 : out.shape[0];
  const int ndim = static_cast<int>(in.shape.size());
  if (capacity == 0 || ndim == 0 || in.numel() == 0) return absl::OkStatus();
  const std::span<const int64_t> strides[1] = {in.strides};
  // Row-major order: each piece is a run of consecutive positions.
  const DimLayout layout = CollapseDims(in.shape, strides, /*reorder=*/false);
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> positions_mem,
                      Scratch(l, sizeof(int64_t) * static_cast<size_t>(capacity)));
  auto* positions = static_cast<int64_t*>(positions_mem.get());
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> written_mem, Scratch(l, sizeof(int64_t)));
  auto* written = static_cast<int64_t*>(written_mem.get());
  TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(written, 0, sizeof(int64_t), l.stream));
  int64_t position_base = 0;
  TD_RETURN_IF_ERROR(DispatchDType(in.dtype, [&]<typename T>() {
    return ForEachChunk(
        layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) -> absl::Status {
          const int64_t n = Numel(piece.sizes);
          const int64_t tiles = CeilDiv(n, kTile);
          TD_ASSIGN_OR_RETURN(std::shared_ptr<void> counts_mem,
                              Scratch(l, sizeof(int64_t) * static_cast<size_t>(tiles)));
          auto* counts = static_cast<int64_t*>(counts_mem.get());
          const OffsetCalc<1> calc(piece);
          const T* data = static_cast<const T*>(in.data) + off[0];
          TileCountKernel<T><<<static_cast<unsigned>(tiles), kThreads, 0, l.stream>>>(
              static_cast<uint32_t>(n), calc, data, counts);
          TD_RETURN_IF_ERROR(LaunchStatus("TileCountKernel"));
          TileScanKernel<<<1, kThreads, 0, l.stream>>>(static_cast<uint32_t>(tiles), counts,
                                                       written);
          TD_RETURN_IF_ERROR(LaunchStatus("TileScanKernel"));
          TileWriteKernel<T><<<static_cast<unsigned>(tiles), kThreads, 0, l.stream>>>(
              static_cast<uint32_t>(n), calc, data, counts, position_base, positions, capacity);
          TD_RETURN_IF_ERROR(LaunchStatus("TileWriteKernel"));
          position_base += n;
          return absl::OkStatus();
        });
  }));
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> shape_mem, Scratch(l, sizeof(int64_t) * ndim));
  // Pageable source: the copy is done when cudaMemcpyAsync returns.
  TD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(shape_mem.get(), in.shape.data(), sizeof(int64_t) * ndim,
                                          cudaMemcpyHostToDevice, l.stream));
  UnravelKernel<<<GridFor(capacity, kThreads), kThreads, 0, l.stream>>>(
      capacity, positions, static_cast<const int64_t*>(shape_mem.get()), ndim,
      static_cast<int64_t*>(out.data), out.strides[0], out.strides[1]);
  return LaunchStatus("UnravelKernel");
}

}  // namespace tensord::device::cuda
