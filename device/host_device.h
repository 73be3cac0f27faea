// TENSORD_HOST_DEVICE marks small functions that both the CPU kernels and
// the CUDA kernels call (the per-element functors of device/cpu/scalar_ops.h,
// the 16-bit float conversions of device/half.h): __host__ __device__ under
// nvcc, nothing for the host compiler, so CPU code is unchanged.
#ifndef TENSORD_DEVICE_HOST_DEVICE_H_
#define TENSORD_DEVICE_HOST_DEVICE_H_

#if defined(__CUDACC__)
#define TENSORD_HOST_DEVICE __host__ __device__
#else
#define TENSORD_HOST_DEVICE
#endif

// `#pragma unroll` for loops in TENSORD_HOST_DEVICE code: the host compiler
// does not know the pragma and would warn.
#if defined(__CUDA_ARCH__)
#define TENSORD_UNROLL _Pragma("unroll")
#else
#define TENSORD_UNROLL
#endif

#endif  // TENSORD_DEVICE_HOST_DEVICE_H_
