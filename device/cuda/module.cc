// The CUDA backend module's entry point (device/cuda_module_entry.h): called
// once by tensord's loader, it counts the devices and registers one
// CudaBackend per device in the executable's backend registry.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "device/cuda/cuda_backend.h"
#include "device/cuda/cuda_status.h"
#include "device/cuda_module_entry.h"
#include "device/registry.h"

namespace {

int Fail(const std::string& message, char* error, size_t error_size) {
  if (error_size > 0) {
    const size_t n = std::min(message.size(), error_size - 1);
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
  }
  return -1;
}

}  // namespace

extern "C" [[gnu::visibility("default")]] int tensord_cuda_module_init(int abi, char* error,
                                                                       size_t error_size) {
  using tensord::device::kCudaModuleAbi;
  using tensord::device::cuda::CudaBackend;
  if (abi != kCudaModuleAbi) {
    return Fail(
        absl::StrCat("the module speaks interface version ", kCudaModuleAbi, " but tensord speaks ",
                     abi, ": use the libtensord_cuda.so built with this tensord"),
        error, error_size);
  }
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice) return 0;
  if (err != cudaSuccess) {
    // No driver at all reads as an insufficient one.
    const bool driver = err == cudaErrorInsufficientDriver || err == cudaErrorStubLibrary ||
                        err == cudaErrorSystemDriverMismatch;
    return Fail(absl::StrCat("cudaGetDeviceCount failed: ", cudaGetErrorString(err), " (",
                             cudaGetErrorName(err), "); ",
                             driver ? "install or update the NVIDIA driver (CUDA 13 needs 580 or "
                                      "newer) to use GPUs"
                                    : "check the NVIDIA driver and the devices"),
                error, error_size);
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (const cudaError_t e = cudaGetDeviceProperties(&prop, i); e != cudaSuccess) {
      const absl::Status st =
          tensord::device::cuda::CudaErrorToStatus(e, "cudaGetDeviceProperties", i, false);
      return Fail(std::string(st.message()), error, error_size);
    }
    CudaBackend::Properties props{.name = prop.name,
                                  .major = prop.major,
                                  .minor = prop.minor,
                                  .total_bytes = static_cast<int64_t>(prop.totalGlobalMem)};
    tensord::device::RegisterBackend(std::make_unique<CudaBackend>(i, std::move(props)));
  }
  return count;
}
