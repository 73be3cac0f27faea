// Reduce (sum, prod, max, min over any set of dims), ArgReduce (max or min
// along a dim with the index of the first occurrence) and Scan (inclusive
// cumulative sum or product along a dim) on CUDA.
//
// Reduce and ArgReduce share one set of kernels, parameterized by a policy
// (FoldPolicy, ArgPolicy) that says how elements load into an accumulator,
// combine and are written. The input is split into kept dims (one output
// each, "rows") and reduced dims (the elements folded into a row), each
// collapsed and put in the input's memory order. Then:
// - RowFoldKernel when the reduced elements of a row are the closer ones in
//   memory: a group of bx threads (a warp up to a block) folds one row,
//   reading consecutive elements together, and combines through shuffles;
// - ColFoldKernel otherwise: consecutive threads take consecutive rows (so
//   reads coalesce across rows) and 8 lanes of a block split each row;
// - when there are too few rows to fill the GPU, the reduced elements are
//   also split over blockIdx.y into partial accumulators in scratch memory
//   that FinishFoldKernel combines.
// Accumulators follow the CPU backend (device/cpu/reduce.cc): sums and
// products of floats in double, of integers and bools in int64 (wrapping),
// max and min in the element's compute type; NaN propagates; ArgReduce
// takes the first occurrence and lets a NaN win.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "absl/functional/function_ref.h"
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
// Policies.

// Max and min are exact in any type that holds T, so floats pick in their
// compute type; sums and products widen (as device/cpu/reduce.cc's FoldAcc).
template <typename T, typename Op>
using FoldAcc = std::conditional_t<(std::is_same_v<Op, ops::MaxReduce> ||
                                    std::is_same_v<Op, ops::MinReduce>)&&ops::kIsFloat<T>,
                                   ComputeType<T>, ops::AccType<T>>;

// Reduce: one output, out = Cast<T>(fold of Cast<Acc>(x)).
template <typename T, typename Op>
struct FoldPolicy {
  using Acc = FoldAcc<T, Op>;
  static constexpr int kOuts = 1;

  __device__ static Acc Identity() { return Op::template Identity<Acc>(); }
  __device__ static Acc Load(const T* p, int64_t /*index*/) { return ops::Cast<Acc>(*p); }
  __device__ static Acc Combine(Acc a, Acc b) { return Op{}(a, b); }
  __device__ static Acc ShuffleDown(Acc a, int delta) {
    return __shfl_down_sync(kFullMask, a, delta);
  }
  __device__ static void Write(void* const* out, const int64_t* offset, Acc a) {
    static_cast<T*>(out[0])[offset[0]] = ops::Cast<T>(a);
  }
};

// ArgReduce: the best value (compared in ComputeType<T>) and its index; an
// index of -1 marks "no element yet".
template <typename T>
struct ArgAcc {
  ComputeType<T> value;
  int64_t index;
};

template <typename T>
struct ArgPolicy {
  using C = ComputeType<T>;
  using Acc = ArgAcc<T>;
  static constexpr int kOuts = 2;  // values, indices
  bool max = true;

  __device__ static Acc Identity() { return Acc{C{}, -1}; }
  __device__ static Acc Load(const T* p, int64_t index) { return Acc{ops::Cast<C>(*p), index}; }
  // A NaN beats numbers; otherwise the better value; ties (and two NaNs)
  // go to the smaller index: the first occurrence in a sequential scan.
  __device__ Acc Combine(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
    if (a_nan != b_nan) return a_nan ? a : b;
    if (!a_nan) {
      if (max ? a.value > b.value : a.value < b.value) return a;
      if (max ? b.value > a.value : b.value < a.value) return b;
    }
    return a.index <= b.index ? a : b;
  }
  __device__ static Acc ShuffleDown(Acc a, int delta) {
    Acc r;
    if constexpr (std::is_same_v<C, bool>) {
      r.value = __shfl_down_sync(kFullMask, static_cast<int>(a.value), delta) != 0;
    } else {
      r.value = __shfl_down_sync(kFullMask, a.value, delta);
    }
    r.index = __shfl_down_sync(kFullMask, a.index, delta);
    return r;
  }
  __device__ static void Write(void* const* out, const int64_t* offset, Acc a) {
    static_cast<T*>(out[0])[offset[0]] = ops::Cast<T>(a.value);
    static_cast<int64_t*>(out[1])[offset[1]] = a.index;
  }
};

// ---------------------------------------------------------------------------
// Fold kernels.

template <typename T, typename P>
struct FoldArgs {
  static constexpr int K = 1 + P::kOuts;  // operands of `kept`: in, outputs
  const T* in;
  void* out[2];
  typename P::Acc* partial;  // null: write the outputs
  uint32_t rows;
  uint32_t len;         // reduced elements per row
  int64_t index_base;   // the reduced index of element 0 (ArgReduce's indices)
  uint32_t split_base;  // partial row of blockIdx.y == 0
  uint32_t bx;          // RowFoldKernel: threads per row (32..256, a power of 2)
  OffsetCalc<K> kept;   // row -> in, outputs
  OffsetCalc<1> red;    // reduced index -> in
};

// Folds a row's elements r, r + step, ... below r1. The common case, one
// reduced dim, reads them at a fixed stride with four accumulators in
// flight; more reduced dims go through the offset calculator.
template <typename T, typename P>
__device__ __forceinline__ typename P::Acc FoldStrided(const P& p, const FoldArgs<T, P>& a,
                                                       const T* base, uint32_t r, uint32_t r1,
                                                       uint32_t step) {
  using Acc = typename P::Acc;
  Acc acc[4] = {P::Identity(), P::Identity(), P::Identity(), P::Identity()};
  if (a.red.ndim <= 1) {
    const int64_t stride = a.red.ndim == 1 ? a.red.stride[0][0] : 0;
    for (; r + 3 * step < r1; r += 4 * step) {
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const uint32_t ru = r + u * step;
        acc[u] = p.Combine(acc[u], P::Load(base + ru * stride, a.index_base + ru));
      }
    }
    for (; r < r1; r += step) {
      acc[0] = p.Combine(acc[0], P::Load(base + r * stride, a.index_base + r));
    }
  } else {
    for (; r < r1; r += step) {
      acc[0] = p.Combine(acc[0], P::Load(base + a.red.Get(r).v[0], a.index_base + r));
    }
  }
  return p.Combine(p.Combine(acc[0], acc[1]), p.Combine(acc[2], acc[3]));
}

template <typename T, typename P>
__device__ __forceinline__ void Emit(const P& p, const FoldArgs<T, P>& a,
                                     const Offsets<FoldArgs<T, P>::K>& ko, uint32_t row,
                                     typename P::Acc acc) {
  if (a.partial != nullptr) {
    a.partial[static_cast<int64_t>(a.split_base + blockIdx.y) * a.rows + row] = acc;
  } else {
    P::Write(a.out, ko.v + 1, acc);
  }
}

// The reduced range of this block's split.
__device__ __forceinline__ void SplitRange(uint32_t len, uint32_t* r0, uint32_t* r1) {
  const uint32_t per = (len + gridDim.y - 1) / gridDim.y;
  *r0 = min(len, blockIdx.y * per);
  *r1 = min(len, *r0 + per);
}

template <typename T, typename P>
__global__ void __launch_bounds__(kThreads) RowFoldKernel(FoldArgs<T, P> a, P p) {
  using Acc = typename P::Acc;
  __shared__ Acc warp_acc[kThreads / 32];
  const uint32_t bx = a.bx, by = kThreads / bx;
  const uint32_t tx = threadIdx.x & (bx - 1), ty = threadIdx.x / bx;
  uint32_t r0, r1;
  SplitRange(a.len, &r0, &r1);
  // Every thread runs the same number of iterations (block barriers).
  for (uint32_t row0 = blockIdx.x * by; row0 < a.rows; row0 += gridDim.x * by) {
    const uint32_t row = row0 + ty;
    Acc acc = P::Identity();
    Offsets<FoldArgs<T, P>::K> ko{};
    if (row < a.rows) {
      ko = a.kept.Get(row);
      acc = FoldStrided(p, a, a.in + ko.v[0], r0 + tx, r1, bx);
    }
#pragma unroll
    for (int delta = 16; delta > 0; delta /= 2) acc = p.Combine(acc, P::ShuffleDown(acc, delta));
    if (bx > 32) {  // uniform: combine the row's warps
      const uint32_t warp = threadIdx.x / 32;
      if (threadIdx.x % 32 == 0) warp_acc[warp] = acc;
      __syncthreads();
      if (tx == 0) {
        for (uint32_t w = 1; w < bx / 32; ++w) acc = p.Combine(acc, warp_acc[warp + w]);
      }
      __syncthreads();
    }
    if (tx == 0 && row < a.rows) Emit(p, a, ko, row, acc);
  }
}

constexpr uint32_t kColRows = 32;                    // rows per block
constexpr uint32_t kColLanes = kThreads / kColRows;  // threads per row

template <typename T, typename P>
__global__ void __launch_bounds__(kThreads) ColFoldKernel(FoldArgs<T, P> a, P p) {
  using Acc = typename P::Acc;
  __shared__ Acc lane_acc[kColLanes][kColRows];
  const uint32_t tx = threadIdx.x % kColRows, ty = threadIdx.x / kColRows;
  uint32_t r0, r1;
  SplitRange(a.len, &r0, &r1);
  for (uint32_t row0 = blockIdx.x * kColRows; row0 < a.rows; row0 += gridDim.x * kColRows) {
    const uint32_t row = row0 + tx;
    Acc acc = P::Identity();
    Offsets<FoldArgs<T, P>::K> ko{};
    if (row < a.rows) {
      ko = a.kept.Get(row);
      acc = FoldStrided(p, a, a.in + ko.v[0], r0 + ty, r1, kColLanes);
    }
    lane_acc[ty][tx] = acc;
    __syncthreads();
    if (ty == 0 && row < a.rows) {
      for (uint32_t lane = 1; lane < kColLanes; ++lane) acc = p.Combine(acc, lane_acc[lane][tx]);
      Emit(p, a, ko, row, acc);
    }
    __syncthreads();
  }
}

// Combines the partial accumulators [split][row] of each row, in split order.
template <typename T, typename P>
__global__ void __launch_bounds__(kThreads)
    FinishFoldKernel(FoldArgs<T, P> a, uint32_t splits, P p) {
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t row = blockIdx.x * kThreads + threadIdx.x; row < a.rows; row += step) {
    typename P::Acc acc = a.partial[row];
    for (uint32_t s = 1; s < splits; ++s) {
      acc = p.Combine(acc, a.partial[static_cast<int64_t>(s) * a.rows + row]);
    }
    P::Write(a.out, a.kept.Get(row).v + 1, acc);
  }
}

// ---------------------------------------------------------------------------
// Fold planning (host, not a template: compiled once).

// A piece of the reduced dims (ForEachChunk) with its launch geometry.
struct FoldPiece {
  int64_t in_offset = 0;   // elements from the row's first element
  int64_t index_base = 0;  // reduced index of its first element
  DimLayout layout;
  uint32_t len = 0;
  bool row_kernel = false;
  uint32_t bx = 32;
  uint32_t blocks = 1, splits = 1;
  uint32_t split_base = 0;
};

// The launches for one piece of the kept dims.
struct FoldPlan {
  const std::vector<int64_t>* kept_offset = nullptr;  // in, outputs
  const DimLayout* kept = nullptr;
  uint32_t rows = 0;
  std::vector<FoldPiece> pieces;
  uint32_t total_splits = 0;  // > 1: partials, then FinishFoldKernel
};

uint32_t PowerOfTwoAtMost(uint32_t x) {
  uint32_t p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

// kept: the kept dims with operands (in, outputs...); red: the reduced dims
// with operand in, and for ArgReduce a second one, the reduced index.
absl::Status ForEachFoldPlan(const DimLayout& kept, const DimLayout& red,
                             absl::FunctionRef<absl::Status(const FoldPlan&)> run) {
  const int64_t target_blocks = int64_t{4} * MultiprocessorCount();
  std::vector<FoldPiece> red_pieces;
  TD_RETURN_IF_ERROR(ForEachChunk(red, [&](const std::vector<int64_t>& off, const DimLayout& l) {
    FoldPiece piece;
    piece.in_offset = off[0];
    piece.index_base = off.size() > 1 ? off[1] : 0;
    piece.layout = l;
    piece.len = static_cast<uint32_t>(Numel(l.sizes));
    red_pieces.push_back(std::move(piece));
    return absl::OkStatus();
  }));
  return ForEachChunk(kept, [&](const std::vector<int64_t>& kept_offset, const DimLayout& k) {
    FoldPlan plan;
    plan.kept_offset = &kept_offset;
    plan.kept = &k;
    plan.rows = static_cast<uint32_t>(Numel(k.sizes));
    plan.pieces = red_pieces;
    // Input strides of the innermost kept and reduced dims.
    const int64_t kept_inner = k.ndim() > 0 ? k.strides[0].back() : INT64_MAX;
    for (FoldPiece& piece : plan.pieces) {
      const int64_t red_inner = piece.layout.ndim() > 0 ? piece.layout.strides[0].back() : 0;
      piece.row_kernel = piece.len >= 64 && (plan.rows == 1 || red_inner < kept_inner);
      int64_t blocks, max_splits;
      if (piece.row_kernel) {
        piece.bx = std::clamp<uint32_t>(PowerOfTwoAtMost(piece.len / 16), 32, kThreads);
        blocks = CeilDiv(plan.rows, kThreads / piece.bx);
        max_splits = CeilDiv(piece.len, int64_t{16} * piece.bx);  // 16 elements a thread
      } else {
        blocks = CeilDiv(plan.rows, kColRows);
        max_splits = CeilDiv(piece.len, int64_t{16} * kColLanes);
      }
      piece.blocks = static_cast<uint32_t>(std::min(blocks, kMaxBlocks));
      piece.splits = static_cast<uint32_t>(std::clamp<int64_t>(
          CeilDiv(target_blocks, blocks), 1, std::min<int64_t>(max_splits, 65535)));
      piece.split_base = plan.total_splits;
      plan.total_splits += piece.splits;
    }
    return run(plan);
  });
}

template <typename P>
using AccOf = typename P::Acc;

// Folds `in` into the outputs (ForEachFoldPlan's layouts).
template <typename T, typename P>
absl::Status RunFold(const Launch& l, const P& p, const DeviceView& in,
                     const DeviceView* const (&outs)[P::kOuts], const DimLayout& kept,
                     const DimLayout& red) {
  using Acc = AccOf<P>;
  return ForEachFoldPlan(kept, red, [&](const FoldPlan& plan) -> absl::Status {
    FoldArgs<T, P> a{};
    const T* in_base = static_cast<const T*>(in.data) + (*plan.kept_offset)[0];
    for (int j = 0; j < P::kOuts; ++j) {
      a.out[j] = static_cast<char*>(outs[j]->data) +
                 (*plan.kept_offset)[1 + j] * static_cast<int64_t>(ItemSize(outs[j]->dtype));
    }
    a.rows = plan.rows;
    a.kept = OffsetCalc<FoldArgs<T, P>::K>(*plan.kept);
    std::shared_ptr<void> partial;
    if (plan.total_splits > 1) {
      TD_ASSIGN_OR_RETURN(partial, Scratch(l, sizeof(Acc) * size_t{plan.total_splits} * plan.rows));
      a.partial = static_cast<Acc*>(partial.get());
    }
    for (const FoldPiece& piece : plan.pieces) {
      a.in = in_base + piece.in_offset;
      a.len = piece.len;
      a.index_base = piece.index_base;
      a.split_base = piece.split_base;
      a.bx = piece.bx;
      a.red = OffsetCalc<1>(piece.layout);
      const dim3 grid(piece.blocks, piece.splits);
      if (piece.row_kernel) {
        RowFoldKernel<T, P><<<grid, kThreads, 0, l.stream>>>(a, p);
        TD_RETURN_IF_ERROR(LaunchStatus("RowFoldKernel"));
      } else {
        ColFoldKernel<T, P><<<grid, kThreads, 0, l.stream>>>(a, p);
        TD_RETURN_IF_ERROR(LaunchStatus("ColFoldKernel"));
      }
    }
    if (plan.total_splits > 1) {
      FinishFoldKernel<T, P>
          <<<GridFor(plan.rows, kThreads), kThreads, 0, l.stream>>>(a, plan.total_splits, p);
      TD_RETURN_IF_ERROR(LaunchStatus("FinishFoldKernel"));
    }
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Scan kernels.

template <typename T>
struct ScanArgs {
  const T* in;
  T* out;
  uint32_t lines;
  int64_t len;
  int64_t in_step, out_step;  // elements between neighbours along the dim
  OffsetCalc<2> head;         // line -> in, out offsets of its first element
  // RowScanKernel over segments of a line (blockIdx.y): segment totals,
  // [line][segment], then their exclusive prefixes (null: one segment).
  int64_t segment_len;
  ops::AccType<T>* totals;
  bool totals_only;  // the first pass: fold each segment into totals
};

// One block per line segment, kThreads * 4 elements per pass: each thread
// scans four neighbours, the block scans the threads' totals, and a carry
// links the passes. Long lines with few of them are cut into segments: a
// first launch folds each segment into `totals`, ScanTotalsKernel turns
// those into prefixes, and a second launch scans each segment from its
// prefix.
template <typename T, typename Op>
__global__ void __launch_bounds__(kThreads) RowScanKernel(ScanArgs<T> a) {
  using A = ops::AccType<T>;
  constexpr int kPer = 4;
  const Op op;
  const int64_t begin = blockIdx.y * a.segment_len;
  const int64_t end = begin + a.segment_len < a.len ? begin + a.segment_len : a.len;
  for (uint32_t line = blockIdx.x; line < a.lines; line += gridDim.x) {
    const Offsets<2> head = a.head.Get(line);
    const int64_t slot = static_cast<int64_t>(line) * gridDim.y + blockIdx.y;
    A carry = a.totals != nullptr && !a.totals_only ? a.totals[slot] : Op::template Identity<A>();
    for (int64_t k0 = begin; k0 < end; k0 += int64_t{kThreads} * kPer) {
      const int64_t k = k0 + int64_t{threadIdx.x} * kPer;
      A s[kPer];
      A run = Op::template Identity<A>();
#pragma unroll
      for (int j = 0; j < kPer; ++j) {
        if (k + j < end) run = op(run, ops::Cast<A>(a.in[head.v[0] + (k + j) * a.in_step]));
        s[j] = run;
      }
      A total;
      const A prefix = op(carry, BlockExclusiveScan(run, op, Op::template Identity<A>(), &total));
      if (!a.totals_only) {
#pragma unroll
        for (int j = 0; j < kPer; ++j) {
          if (k + j < end) a.out[head.v[1] + (k + j) * a.out_step] = ops::Cast<T>(op(prefix, s[j]));
        }
      }
      carry = op(carry, total);
    }
    if (a.totals_only && threadIdx.x == 0) a.totals[slot] = carry;
  }
}

// Segment totals [line][segment] to exclusive prefixes, one thread a line.
template <typename A, typename Op>
__global__ void __launch_bounds__(kThreads)
    ScanTotalsKernel(A* totals, uint32_t lines, uint32_t segments) {
  const Op op;
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t line = blockIdx.x * kThreads + threadIdx.x; line < lines; line += step) {
    A run = Op::template Identity<A>();
    for (uint32_t s = 0; s < segments; ++s) {
      const int64_t at = static_cast<int64_t>(line) * segments + s;
      const A t = totals[at];
      totals[at] = run;
      run = op(run, t);
    }
  }
}

// One thread per line, walking it in order: consecutive threads read
// consecutive lines, which coalesces when the dim is not the innermost.
template <typename T, typename Op>
__global__ void __launch_bounds__(kThreads) ColScanKernel(ScanArgs<T> a) {
  using A = ops::AccType<T>;
  const Op op;
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t line = blockIdx.x * kThreads + threadIdx.x; line < a.lines; line += step) {
    const Offsets<2> head = a.head.Get(line);
    A acc = Op::template Identity<A>();
    for (int64_t k = 0; k < a.len; ++k) {
      acc = op(acc, ops::Cast<A>(a.in[head.v[0] + k * a.in_step]));
      a.out[head.v[1] + k * a.out_step] = ops::Cast<T>(acc);
    }
  }
}

// ---------------------------------------------------------------------------
// Host helpers.

// Scans the lines of `a` (a.segment_len == a.len): RowScanKernel when
// neighbours along the dim are closer in memory than neighbouring lines,
// cutting long lines into segments when there are too few lines to fill the
// GPU; ColScanKernel otherwise.
template <typename T, typename Op>
absl::Status RunScan(const Launch& l, ScanArgs<T> a, bool row) {
  using A = ops::AccType<T>;
  if (!row) {
    ColScanKernel<T, Op><<<GridFor(a.lines, kThreads), kThreads, 0, l.stream>>>(a);
    return LaunchStatus("ColScanKernel");
  }
  constexpr int64_t kMinSegment = int64_t{kThreads} * 4 * 8;  // 8 passes of a block
  const int64_t target_blocks = int64_t{4} * MultiprocessorCount();
  const int64_t segments =
      std::clamp<int64_t>(std::min(CeilDiv(target_blocks, a.lines), a.len / kMinSegment), 1, 65535);
  const unsigned blocks = GridFor(a.lines, 1);
  if (segments == 1) {
    RowScanKernel<T, Op><<<blocks, kThreads, 0, l.stream>>>(a);
    return LaunchStatus("RowScanKernel");
  }
  a.segment_len = CeilDiv(a.len, segments);
  const int64_t used = CeilDiv(a.len, a.segment_len);  // segments that hold elements
  TD_ASSIGN_OR_RETURN(std::shared_ptr<void> totals,
                      Scratch(l, sizeof(A) * static_cast<size_t>(used * a.lines)));
  a.totals = static_cast<A*>(totals.get());
  const dim3 grid(blocks, static_cast<unsigned>(used));
  a.totals_only = true;
  RowScanKernel<T, Op><<<grid, kThreads, 0, l.stream>>>(a);
  TD_RETURN_IF_ERROR(LaunchStatus("RowScanKernel"));
  ScanTotalsKernel<A, Op><<<GridFor(a.lines, kThreads), kThreads, 0, l.stream>>>(
      a.totals, a.lines, static_cast<uint32_t>(used));
  TD_RETURN_IF_ERROR(LaunchStatus("ScanTotalsKernel"));
  a.totals_only = false;
  RowScanKernel<T, Op><<<grid, kThreads, 0, l.stream>>>(a);
  return LaunchStatus("RowScanKernel");
}

template <typename Op>
absl::Status ReduceTyped(const Launch& l, const DeviceView& in, const DimLayout& kept,
                         const DimLayout& red, const DeviceView& out) {
  return DispatchDType(in.dtype, [&]<typename T>() {
    const DeviceView* const outs[1] = {&out};
    return RunFold<T>(l, FoldPolicy<T, Op>{}, in, outs, kept, red);
  });
}

}  // namespace

absl::Status ReduceKernel(const Launch& l, ReduceOp op, const DeviceView& in,
                          std::span<const int64_t> dims, const DeviceView& out) {
  static constexpr const char* kNames[] = {"sum", "prod", "max", "min"};
  const size_t op_index = static_cast<size_t>(op);
  if (op_index >= std::size(kNames)) return absl::InvalidArgumentError("unknown reduce op");
  const char* name = kNames[op_index];
  // The CPU backend's messages (device/cpu/reduce.cc).
  if (op == ReduceOp::kMax || op == ReduceOp::kMin) {
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
  if (out.numel() == 0) return absl::OkStatus();
  std::vector<bool> reduced(in.shape.size(), false);
  for (int64_t d : dims) reduced[d] = true;
  Shape kept_shape, red_shape;
  Strides kept_in, kept_out, red_in;
  for (size_t d = 0; d < in.shape.size(); ++d) {
    if (reduced[d]) {
      red_shape.push_back(in.shape[d]);
      red_in.push_back(in.strides[d]);
    } else {
      kept_shape.push_back(in.shape[d]);
      kept_in.push_back(in.strides[d]);
      kept_out.push_back(out.strides[d]);
    }
  }
  if (Numel(red_shape) == 0) {  // empty sums and products
    return FillKernel(l, out, op == ReduceOp::kProd ? Scalar(1) : Scalar(0));
  }
  const std::span<const int64_t> kept_strides[2] = {kept_in, kept_out};
  const std::span<const int64_t> red_strides[1] = {red_in};
  const DimLayout kept = CollapseDims(kept_shape, kept_strides, /*reorder=*/true);
  const DimLayout red = CollapseDims(red_shape, red_strides, /*reorder=*/true);
  switch (op) {
    case ReduceOp::kSum:
      return ReduceTyped<ops::SumReduce>(l, in, kept, red, out);
    case ReduceOp::kProd:
      return ReduceTyped<ops::ProdReduce>(l, in, kept, red, out);
    case ReduceOp::kMax:
      return ReduceTyped<ops::MaxReduce>(l, in, kept, red, out);
    case ReduceOp::kMin:
      return ReduceTyped<ops::MinReduce>(l, in, kept, red, out);
  }
  return absl::InvalidArgumentError("unknown reduce op");
}

absl::Status ArgReduceKernel(const Launch& l, ReduceOp op, const DeviceView& in, int64_t dim,
                             const DeviceView& values, const DeviceView& indices) {
  if (op != ReduceOp::kMax && op != ReduceOp::kMin) {
    return absl::InvalidArgumentError("ArgReduce: op must be kMax or kMin");
  }
  if (values.numel() == 0) return absl::OkStatus();
  const bool has_dim = !in.shape.empty();
  const int64_t len = has_dim ? in.shape[dim] : 1;
  if (len == 0) {
    return absl::InvalidArgumentError(absl::StrCat("ArgReduce: Expected reduction dim ", dim,
                                                   " to have non-zero size; reduce another dim "
                                                   "or check the input's shape ",
                                                   ShapeToString(in.shape)));
  }
  // Rows: in's shape with dim dropped (values and indices have it as 1).
  Shape kept_shape;
  Strides kept_in, kept_values, kept_indices;
  for (size_t d = 0; d < in.shape.size(); ++d) {
    if (static_cast<int64_t>(d) == dim) continue;
    kept_shape.push_back(in.shape[d]);
    kept_in.push_back(in.strides[d]);
    kept_values.push_back(values.strides[d]);
    kept_indices.push_back(indices.strides[d]);
  }
  const std::span<const int64_t> kept_strides[3] = {kept_in, kept_values, kept_indices};
  const DimLayout kept = CollapseDims(kept_shape, kept_strides, /*reorder=*/true);
  // The line along dim, without merging or dropping (its index matters).
  DimLayout red;
  red.sizes = {len};
  red.strides = {{has_dim ? in.strides[dim] : 0}, {1}};
  const DeviceView* const outs[2] = {&values, &indices};
  return DispatchDType(in.dtype, [&]<typename T>() {
    return RunFold<T>(l, ArgPolicy<T>{op == ReduceOp::kMax}, in, outs, kept, red);
  });
}

absl::Status ScanKernel(const Launch& l, ReduceOp op, const DeviceView& in, int64_t dim,
                        const DeviceView& out) {
  if (op != ReduceOp::kSum && op != ReduceOp::kProd) {
    return absl::InvalidArgumentError("Scan: op must be kSum or kProd");
  }
  if (in.numel() == 0) return absl::OkStatus();
  const bool has_dim = !in.shape.empty();
  const int64_t len = has_dim ? in.shape[dim] : 1;
  Shape head_shape(in.shape.begin(), in.shape.end());
  if (has_dim) head_shape[dim] = 1;
  const std::span<const int64_t> strides[2] = {in.strides, out.strides};
  const DimLayout head = CollapseDims(head_shape, strides, /*reorder=*/true);
  const int64_t in_step = has_dim ? in.strides[dim] : 0;
  const int64_t out_step = has_dim ? out.strides[dim] : 0;
  const int64_t head_inner = head.ndim() > 0 ? head.strides[0].back() : INT64_MAX;
  return DispatchDType(in.dtype, [&]<typename T>() {
    return ForEachChunk(head, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
      ScanArgs<T> a{};
      a.in = static_cast<const T*>(in.data) + off[0];
      a.out = static_cast<T*>(out.data) + off[1];
      a.lines = static_cast<uint32_t>(Numel(piece.sizes));
      a.len = len;
      a.segment_len = len;
      a.in_step = in_step;
      a.out_step = out_step;
      a.head = OffsetCalc<2>(piece);
      const bool row = len >= 64 && (a.lines == 1 || in_step < head_inner);
      return op == ReduceOp::kSum ? RunScan<T, ops::SumReduce>(l, a, row)
                                  : RunScan<T, ops::ProdReduce>(l, a, row);
    });
  });
}

}  // namespace tensord::device::cuda
