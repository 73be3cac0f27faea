// Copies between pageable host memory and the device through pinned
// staging buffers: the DMA engines reach full speed only from page-locked
// memory, and the copy in or out of a staging buffer overlaps the DMA of
// the other one (chunks of kChunk bytes, double-buffered). Buffer pairs are
// kept for reuse (cudaHostAlloc is slow); each concurrent copy takes its
// own pair.
#ifndef TENSORD_DEVICE_CUDA_HOST_STAGING_H_
#define TENSORD_DEVICE_CUDA_HOST_STAGING_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tensord::device::cuda {

class HostStaging {
 public:
  static constexpr size_t kChunk = size_t{4} << 20;
  static constexpr size_t kKeptPairs = 4;

  explicit HostStaging(int device) : device_(device) {}
  // Buffers are not freed: the backend lives as long as the process.
  ~HostStaging() = default;

  // Enqueues n bytes from host `src` to device `dst` on `stream` and
  // returns once `src` is no longer needed (the last DMA may still run;
  // later work on the stream sees the data).
  absl::Status ToDevice(const void* src, void* dst, size_t n, cudaStream_t stream);
  // Copies n bytes from device `src` (after the stream's earlier work) to
  // host `dst`; returns when they are there.
  absl::Status ToHost(const void* src, void* dst, size_t n, cudaStream_t stream);

 private:
  struct Pair {
    void* host[2] = {nullptr, nullptr};
    cudaEvent_t done[2] = {nullptr, nullptr};  // the last DMA through each buffer
  };
  absl::StatusOr<std::unique_ptr<Pair>> Take();
  void Give(std::unique_ptr<Pair> pair);

  const int device_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Pair>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_HOST_STAGING_H_
