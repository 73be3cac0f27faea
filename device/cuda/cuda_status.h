// CUDA runtime and cuBLAS return codes as absl::Status, naming the call and
// the device. Every CUDA call of the backend and the kernels goes through
// here, so errors reach the client as values with the right code:
// - out of memory (cudaErrorMemoryAllocation, CUBLAS_STATUS_ALLOC_FAILED):
//   RESOURCE_EXHAUSTED;
// - sticky faults, after which the runtime fails every call on the device's
//   context (illegal address, launch failure, ECC, a device-side assert,
//   ..., and any error cudaGetLastError cannot clear): UNAVAILABLE saying
//   the device is lost until tensord restarts (the backend then fails fast);
// - a missing or old driver, a GPU without code in this build:
//   FAILED_PRECONDITION;
// - anything else: INTERNAL (tensord checks operands first, so these are
//   its bugs), or UNIMPLEMENTED for unsupported features.
#ifndef TENSORD_DEVICE_CUDA_CUDA_STATUS_H_
#define TENSORD_DEVICE_CUDA_CUDA_STATUS_H_

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tensord::device::cuda {

// Whether the runtime documents err as leaving the context unusable.
bool IsStickyError(cudaError_t err);

// The Status for `err` returned by `call` on cuda:`device`; `sticky` says
// whether the context is lost (IsStickyError, or the error would not clear).
// Pure: needs no driver.
absl::Status CudaErrorToStatus(cudaError_t err, absl::string_view call, int device, bool sticky);
absl::Status CublasErrorToStatus(cublasStatus_t status, absl::string_view call, int device);

// OK for cudaSuccess; otherwise CudaErrorToStatus, deciding stickiness from
// the list and by asking the runtime whether the error clears. `device` -1:
// the calling thread's current device.
absl::Status CudaStatus(cudaError_t err, absl::string_view call, int device = -1);
// OK for CUBLAS_STATUS_SUCCESS; an execution failure also checks whether
// the device has a sticky fault behind it.
absl::Status CublasStatus(cublasStatus_t status, absl::string_view call, int device = -1);

// Whether `s` reports a sticky fault (the device is lost).
inline bool IsStickyStatus(const absl::Status& s) { return absl::IsUnavailable(s); }

}  // namespace tensord::device::cuda

// TD_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(p, 0, n, stream)): returns the
// Status of a failed runtime call, naming the call.
#define TD_CUDA_RETURN_IF_ERROR(expr)                                           \
  do {                                                                          \
    if (const cudaError_t td_cuda_err_ = (expr); td_cuda_err_ != cudaSuccess) { \
      return ::tensord::device::cuda::CudaStatus(td_cuda_err_, #expr);          \
    }                                                                           \
  } while (0)

#define TD_CUBLAS_RETURN_IF_ERROR(expr)                                                    \
  do {                                                                                     \
    if (const cublasStatus_t td_blas_st_ = (expr); td_blas_st_ != CUBLAS_STATUS_SUCCESS) { \
      return ::tensord::device::cuda::CublasStatus(td_blas_st_, #expr);                    \
    }                                                                                      \
  } while (0)

#endif  // TENSORD_DEVICE_CUDA_CUDA_STATUS_H_
