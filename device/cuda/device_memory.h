// cudaMalloc and cudaFree on one device, as the caching allocator's raw
// allocator. Each call makes the device current first: the allocator runs
// on whatever thread frees a storage.
#ifndef TENSORD_DEVICE_CUDA_DEVICE_MEMORY_H_
#define TENSORD_DEVICE_CUDA_DEVICE_MEMORY_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device/cuda/caching_allocator.h"

namespace tensord::device::cuda {

class DeviceMemory final : public RawAllocator {
 public:
  explicit DeviceMemory(int device) : device_(device) {}

  absl::StatusOr<void*> Malloc(size_t nbytes) override;
  absl::Status Free(void* ptr, size_t nbytes) override;
  absl::Status Synchronize() override;
  void MemInfo(size_t* free_bytes, size_t* total_bytes) override;

 private:
  const int device_;
};

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_DEVICE_MEMORY_H_
