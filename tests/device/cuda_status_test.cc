// CUDA and cuBLAS return codes as Status (device/cuda/cuda_status.h). The
// mapping needs only the runtime's error strings, which work without a
// driver, so it is checked on every host that builds the CUDA module.
#include "device/cuda/cuda_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device::cuda {
namespace {

using ::testing::HasSubstr;

TEST(CudaStatus, ErrorStringsNeedNoDriver) {
  EXPECT_STREQ(cudaGetErrorName(cudaErrorIllegalAddress), "cudaErrorIllegalAddress");
  EXPECT_STREQ(cudaGetErrorString(cudaErrorIllegalAddress),
               "an illegal memory access was encountered");
}

TEST(CudaStatus, SuccessIsOk) {
  EXPECT_TRUE(CudaErrorToStatus(cudaSuccess, "cudaMalloc", 0, false).ok());
  EXPECT_TRUE(CudaStatus(cudaSuccess, "cudaMalloc", 0).ok());
  EXPECT_TRUE(CublasErrorToStatus(CUBLAS_STATUS_SUCCESS, "cublasGemmEx", 0).ok());
}

TEST(CudaStatus, OutOfMemoryIsResourceExhausted) {
  const absl::Status s =
      CudaErrorToStatus(cudaErrorMemoryAllocation, "cudaMalloc(&p, n)", 2, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "out of memory on cuda:2 (out of memory, cudaErrorMemoryAllocation, in cudaMalloc); "
            "free tensors or lower the batch size");
  EXPECT_EQ(CublasErrorToStatus(CUBLAS_STATUS_ALLOC_FAILED, "cublasCreate", 0).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CudaStatus, StickyFaultsAreUnavailable) {
  for (cudaError_t e : {cudaErrorIllegalAddress, cudaErrorLaunchFailure, cudaErrorECCUncorrectable,
                        cudaErrorHardwareStackError, cudaErrorIllegalInstruction,
                        cudaErrorMisalignedAddress, cudaErrorInvalidPc, cudaErrorAssert,
                        cudaErrorLaunchTimeout, cudaErrorInvalidAddressSpace}) {
    SCOPED_TRACE(cudaGetErrorName(e));
    EXPECT_TRUE(IsStickyError(e));
    const absl::Status s = CudaErrorToStatus(e, "cudaStreamSynchronize(stream)", 1, true);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(IsStickyStatus(s));
    EXPECT_THAT(s.message(), HasSubstr("cuda:1 has a sticky fault ("));
    EXPECT_THAT(s.message(), HasSubstr(cudaGetErrorName(e)));
    EXPECT_THAT(s.message(), HasSubstr("in cudaStreamSynchronize): its context is unusable; "
                                       "tensors on it are lost; restart tensord to recover"));
  }
  EXPECT_EQ(CudaErrorToStatus(cudaErrorIllegalAddress, "cudaMemcpyAsync", 0, true).message(),
            "cuda:0 has a sticky fault (an illegal memory access was encountered, "
            "cudaErrorIllegalAddress, in cudaMemcpyAsync): its context is unusable; tensors on "
            "it are lost; restart tensord to recover");
}

TEST(CudaStatus, AnErrorThatWouldNotClearIsStickyToo) {
  EXPECT_FALSE(IsStickyError(cudaErrorInvalidValue));
  EXPECT_EQ(CudaErrorToStatus(cudaErrorInvalidValue, "cudaMemsetAsync", 0, true).code(),
            absl::StatusCode::kUnavailable);
}

TEST(CudaStatus, RecoverableErrorsKeepTheirMeaning) {
  EXPECT_FALSE(IsStickyError(cudaErrorMemoryAllocation));
  EXPECT_FALSE(IsStickyError(cudaErrorInvalidValue));
  const absl::Status internal =
      CudaErrorToStatus(cudaErrorInvalidValue, "cudaMemsetAsync", 0, false);
  EXPECT_EQ(internal.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(internal.message(),
            "cuda:0: invalid argument, cudaErrorInvalidValue, in cudaMemsetAsync");
  EXPECT_EQ(CudaErrorToStatus(cudaErrorInsufficientDriver, "cudaGetDeviceCount", 0, false).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      CudaErrorToStatus(cudaErrorNoKernelImageForDevice, "kernel launch", 0, false).message(),
      HasSubstr("-DTENSORD_CUDA_ARCHITECTURES"));
  EXPECT_EQ(CudaErrorToStatus(cudaErrorNotSupported, "cudaMallocAsync", 0, false).code(),
            absl::StatusCode::kUnimplemented);
}

TEST(CudaStatus, CublasCodes) {
  EXPECT_EQ(CublasErrorToStatus(CUBLAS_STATUS_NOT_SUPPORTED, "cublasGemmEx", 0).code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CublasErrorToStatus(CUBLAS_STATUS_ARCH_MISMATCH, "cublasGemmEx", 0).code(),
            absl::StatusCode::kFailedPrecondition);
  const absl::Status s =
      CublasErrorToStatus(CUBLAS_STATUS_INVALID_VALUE, "cublasGemmEx(h, ...)", 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("cuda:3: "));
  EXPECT_THAT(s.message(), HasSubstr("CUBLAS_STATUS_INVALID_VALUE, in cublasGemmEx"));
}

// Without a driver every runtime call fails the same way; the probe for
// stickiness must not turn that into a lost device.
TEST(CudaStatus, NoDriverIsNotASickDevice) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess) GTEST_SKIP() << "this host has a CUDA driver";
  const absl::Status s = CudaStatus(err, "cudaGetDeviceCount", 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

}  // namespace
}  // namespace tensord::device::cuda
