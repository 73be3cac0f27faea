// Helpers shared by the CUDA kernel files: launch geometry, launch checks,
// scratch memory, synchronous read-back of small results, storage types by
// element size, and the per-element functors of device/cpu/scalar_ops.h
// (shared with the CPU backend) under a short name.
#ifndef TENSORD_DEVICE_CUDA_KERNEL_UTIL_CUH_
#define TENSORD_DEVICE_CUDA_KERNEL_UTIL_CUH_

#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/scalar_ops.h"
#include "device/cuda/cuda_status.h"
#include "device/cuda/kernels.h"
#include "device/cuda/offset_calc.h"
#include "device/dtype.h"

namespace tensord::device::cuda {

namespace ops = ::tensord::device::cpu;

inline constexpr int kThreads = 256;  // threads of a 1-D block
// Grid-stride loops cover the rest; 2^20 blocks of 256 threads leave no SM
// idle on any GPU.
inline constexpr int64_t kMaxBlocks = int64_t{1} << 20;

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for `work` items of which one block takes `per_block`.
inline unsigned GridFor(int64_t work, int64_t per_block) {
  return static_cast<unsigned>(std::clamp<int64_t>(CeilDiv(work, per_block), 1, kMaxBlocks));
}

// The status of the launch just made (cudaGetLastError), naming the kernel.
inline absl::Status LaunchStatus(const char* kernel) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return absl::OkStatus();
  return CudaStatus(err, absl::StrCat("launch of ", kernel));
}

// The calling thread's current device's multiprocessor count (cached per
// device), to size grids that should fill the GPU; 132 (an H100) if the
// runtime cannot say.
inline int MultiprocessorCount() {
  constexpr int kCached = 64;
  static std::atomic<int> cache[kCached] = {};
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0) return 132;
  if (device < kCached) {
    if (const int n = cache[device].load(std::memory_order_relaxed); n > 0) return n;
  }
  int n = 0;
  if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || n <= 0) {
    (void)cudaGetLastError();
    return 132;
  }
  if (device < kCached) cache[device].store(n, std::memory_order_relaxed);
  return n;
}

// Device memory for temporaries, ordered on the launch's stream.
inline absl::StatusOr<std::shared_ptr<void>> Scratch(const Launch& l, size_t nbytes) {
  if (!l.scratch) return absl::InternalError("CUDA launch without a scratch allocator");
  return l.scratch(std::max<size_t>(nbytes, 1));
}

// Copies nbytes of device memory to the host once the stream's work before
// it is done, and waits: for the few values a launcher's result or error
// depends on.
inline absl::Status ReadBack(const Launch& l, void* host, const void* device, size_t nbytes) {
  TD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(host, device, nbytes, cudaMemcpyDeviceToHost, l.stream));
  TD_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(l.stream));
  return absl::OkStatus();
}

// Unsigned storage of an element of N bytes, for kernels that only move
// elements (copies, gathers, selects).
template <size_t N>
struct BitsOf;
template <>
struct BitsOf<1> {
  using type = uint8_t;
};
template <>
struct BitsOf<2> {
  using type = uint16_t;
};
template <>
struct BitsOf<4> {
  using type = uint32_t;
};
template <>
struct BitsOf<8> {
  using type = uint64_t;
};
template <size_t N>
using Bits = typename BitsOf<N>::type;

// Calls f.template operator()<B>() with B the storage type of an element
// of `itemsize` bytes.
template <typename F>
decltype(auto) DispatchBits(size_t itemsize, F&& f) {
  switch (itemsize) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    default:
      return f.template operator()<uint64_t>();
  }
}

// The element type's tag, for messages.
inline std::string DTypeString(DType t) { return std::string(DTypeName(t)); }

// A layout with more dims than the kernels take (kMaxDims).
inline absl::Status TooManyDims(const char* what, int ndim) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": operands with ", ndim,
                                                 " dims that cannot be merged are not supported on "
                                                 "CUDA (at most ",
                                                 kMaxDims, "); make the input contiguous first"));
}

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_KERNEL_UTIL_CUH_
