// Block-wide exclusive scan for kernels launched with kThreads threads in a
// 1-D block (every thread must call it): warp shuffles, then one warp scans
// the warps' totals. Used by the cumulative ops (reduce.cu) and by the
// stream compaction of Nonzero (index.cu).
#ifndef TENSORD_DEVICE_CUDA_BLOCK_SCAN_CUH_
#define TENSORD_DEVICE_CUDA_BLOCK_SCAN_CUH_

#include "device/cuda/kernel_util.cuh"

namespace tensord::device::cuda {

// Returns op(identity, v of threads 0..i-1) for thread i and sets *total to
// the fold over the block; `op` must be associative. Contains barriers.
template <typename A, typename Op>
__device__ __forceinline__ A BlockExclusiveScan(A v, const Op& op, A identity, A* total) {
  static_assert(kThreads % 32 == 0 && kThreads / 32 <= 32, "one warp scans the warp totals");
  constexpr unsigned kFull = 0xffffffffu;
  constexpr unsigned kWarps = kThreads / 32;
  __shared__ A warp_total[kWarps];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  A incl = v;
#pragma unroll
  for (unsigned delta = 1; delta < 32; delta *= 2) {
    const A y = __shfl_up_sync(kFull, incl, delta);
    if (lane >= delta) incl = op(y, incl);
  }
  if (lane == 31) warp_total[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    A w = lane < kWarps ? warp_total[lane] : identity;
#pragma unroll
    for (unsigned delta = 1; delta < 32; delta *= 2) {
      const A y = __shfl_up_sync(kFull, w, delta);
      if (lane >= delta) w = op(y, w);
    }
    if (lane < kWarps) warp_total[lane] = w;
  }
  __syncthreads();
  A excl = __shfl_up_sync(kFull, incl, 1);
  if (lane == 0) excl = identity;
  const A result = warp > 0 ? op(warp_total[warp - 1], excl) : excl;
  *total = warp_total[kWarps - 1];
  __syncthreads();  // warp_total is reused by the next call
  return result;
}

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_BLOCK_SCAN_CUH_
