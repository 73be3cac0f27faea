#include "device/cuda/device_memory.h"

#include <cuda_runtime_api.h>

#include "device/cuda/cuda_status.h"

namespace tensord::device::cuda {

absl::StatusOr<void*> DeviceMemory::Malloc(size_t nbytes) {
  if (cudaError_t err = cudaSetDevice(device_); err != cudaSuccess) {
    return CudaStatus(err, "cudaSetDevice", device_);
  }
  void* ptr = nullptr;
  const cudaError_t err = cudaMalloc(&ptr, nbytes);
  if (err == cudaSuccess) return ptr;
  // Out of memory is recoverable (the allocator frees its cache and tries
  // again) and leaves no error behind.
  if (err == cudaErrorMemoryAllocation) (void)cudaGetLastError();
  return CudaStatus(err, "cudaMalloc", device_);
}

absl::Status DeviceMemory::Free(void* ptr, size_t) {
  if (cudaError_t err = cudaSetDevice(device_); err != cudaSuccess) {
    return CudaStatus(err, "cudaSetDevice", device_);
  }
  return CudaStatus(cudaFree(ptr), "cudaFree", device_);
}

absl::Status DeviceMemory::Synchronize() {
  if (cudaError_t err = cudaSetDevice(device_); err != cudaSuccess) {
    return CudaStatus(err, "cudaSetDevice", device_);
  }
  return CudaStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize", device_);
}

void DeviceMemory::MemInfo(size_t* free_bytes, size_t* total_bytes) {
  *free_bytes = 0;
  *total_bytes = 0;
  if (cudaSetDevice(device_) != cudaSuccess ||
      cudaMemGetInfo(free_bytes, total_bytes) != cudaSuccess) {
    (void)cudaGetLastError();
  }
}

}  // namespace tensord::device::cuda
