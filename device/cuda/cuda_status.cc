#include "device/cuda/cuda_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tensord::device::cuda {
namespace {

// The call as people read it: "cudaMemcpyAsync" for a whole expression
// "cudaMemcpyAsync(dst, src, n, kind, stream)".
absl::string_view CallName(absl::string_view call) {
  const size_t paren = call.find('(');
  return paren == absl::string_view::npos ? call : call.substr(0, paren);
}

std::string DeviceName(int device) {
  return device >= 0 ? absl::StrCat("cuda:", device) : std::string("the current CUDA device");
}

int CurrentDevice(int device) {
  if (device >= 0) return device;
  int current = -1;
  if (cudaGetDevice(&current) != cudaSuccess) return -1;
  return current;
}

}  // namespace

bool IsStickyError(cudaError_t err) {
  switch (err) {
    case cudaErrorECCUncorrectable:
    case cudaErrorNvlinkUncorrectable:
    case cudaErrorContained:
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorTensorMemoryLeak:
    case cudaErrorMpsClientTerminated:
      return true;
    default:
      return false;
  }
}

absl::Status CudaErrorToStatus(cudaError_t err, absl::string_view call, int device, bool sticky) {
  if (err == cudaSuccess) return absl::OkStatus();
  const std::string what =
      absl::StrCat(cudaGetErrorString(err), ", ", cudaGetErrorName(err), ", in ", CallName(call));
  const std::string dev = DeviceName(device);
  if (sticky) {
    return absl::UnavailableError(absl::StrCat(
        dev, " has a sticky fault (", what,
        "): its context is unusable; tensors on it are lost; restart tensord to recover"));
  }
  switch (err) {
    case cudaErrorMemoryAllocation:
      return absl::ResourceExhaustedError(absl::StrCat("out of memory on ", dev, " (", what,
                                                       "); free tensors or lower the batch size"));
    case cudaErrorInsufficientDriver:
    case cudaErrorNoDevice:
    case cudaErrorStubLibrary:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
      return absl::FailedPreconditionError(
          absl::StrCat(dev, ": ", what,
                       ": install or update the NVIDIA driver (CUDA 13 needs driver 580 or "
                       "newer)"));
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
      return absl::FailedPreconditionError(
          absl::StrCat(dev, ": ", what,
                       ": this build has no code for this GPU; rebuild with its compute "
                       "capability in -DTENSORD_CUDA_ARCHITECTURES"));
    case cudaErrorDevicesUnavailable:
      return absl::UnavailableError(absl::StrCat(
          dev, " is unavailable (", what,
          "): another process holds it in exclusive compute mode; free it or pick another "
          "device"));
    case cudaErrorNotSupported:
      return absl::UnimplementedError(absl::StrCat(dev, ": ", what));
    default:
      return absl::InternalError(absl::StrCat(dev, ": ", what));
  }
}

absl::Status CublasErrorToStatus(cublasStatus_t status, absl::string_view call, int device) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  const std::string what = absl::StrCat(cublasGetStatusString(status), ", ",
                                        cublasGetStatusName(status), ", in ", CallName(call));
  const std::string dev = DeviceName(device);
  switch (status) {
    case CUBLAS_STATUS_ALLOC_FAILED:
      return absl::ResourceExhaustedError(absl::StrCat("out of memory on ", dev, " (", what,
                                                       "); free tensors or lower the batch size"));
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return absl::UnimplementedError(absl::StrCat(dev, ": ", what));
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return absl::FailedPreconditionError(
          absl::StrCat(dev, ": ", what, ": this GPU lacks a feature the operation needs"));
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return absl::FailedPreconditionError(
          absl::StrCat(dev, ": ", what, ": cuBLAS could not start; check the driver"));
    default:
      return absl::InternalError(absl::StrCat(dev, ": ", what));
  }
}

absl::Status CudaStatus(cudaError_t err, absl::string_view call, int device) {
  if (err == cudaSuccess) return absl::OkStatus();
  bool sticky = IsStickyError(err);
  if (!sticky && err != cudaErrorInsufficientDriver && err != cudaErrorNoDevice) {
    // A recoverable error clears with one cudaGetLastError; a sticky one
    // keeps coming back.
    (void)cudaGetLastError();
    if (const cudaError_t again = cudaGetLastError(); again != cudaSuccess) {
      return CudaErrorToStatus(again, call, CurrentDevice(device), /*sticky=*/true);
    }
  }
  return CudaErrorToStatus(err, call, CurrentDevice(device), sticky);
}

absl::Status CublasStatus(cublasStatus_t status, absl::string_view call, int device) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  if (status == CUBLAS_STATUS_EXECUTION_FAILED || status == CUBLAS_STATUS_INTERNAL_ERROR) {
    // A kernel failing to run is often a fault left by earlier work.
    if (const cudaError_t err = cudaPeekAtLastError(); err != cudaSuccess) {
      if (absl::Status s = CudaStatus(err, call, device); IsStickyStatus(s)) return s;
    }
  }
  return CublasErrorToStatus(status, call, CurrentDevice(device));
}

}  // namespace tensord::device::cuda
