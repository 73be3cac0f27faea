// The CUDA streams behind work queues (device/queue.h) on one device: each
// queue id gets its own non-blocking stream, created on first use, so
// sessions' work overlaps on the GPU and none waits behind another's; queue
// 0 (work outside sessions) gets the device's default stream. A queue's
// cuBLAS handle is bound to its stream and created on its first matmul, with
// a workspace from the caching allocator.
#ifndef TENSORD_DEVICE_CUDA_QUEUES_H_
#define TENSORD_DEVICE_CUDA_QUEUES_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "device/cuda/caching_allocator.h"

namespace tensord::device::cuda {

class Queues {
 public:
  struct Queue {
    cudaStream_t stream = nullptr;
    // A cuBLAS handle serves one thread at a time; queue 0 may have several.
    absl::Mutex blas_mu;
    cublasHandle_t blas ABSL_GUARDED_BY(blas_mu) = nullptr;
    void* workspace ABSL_GUARDED_BY(blas_mu) = nullptr;
  };

  Queues(int device, CachingAllocator* allocator) : device_(device), allocator_(allocator) {}
  // Streams and handles are not destroyed: the backend lives as long as
  // the process, and the runtime may be torn down before static objects.
  ~Queues() = default;

  // Queue `id`'s state, created on first use. The device must be current.
  absl::StatusOr<Queue*> Get(uint64_t id);
  // q's cuBLAS handle (queue `id`), created on first use.
  absl::StatusOr<cublasHandle_t> Blas(Queue& q, uint64_t id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.blas_mu);
  // Waits for the queue's work, then frees its stream, handle and
  // workspace and lets the allocator share its blocks. Nothing happens for a
  // queue never used here.
  absl::Status Release(uint64_t id);

 private:
  const int device_;
  CachingAllocator* const allocator_;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Queue>> queues_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_QUEUES_H_
