// The CUDA kernels behind CudaBackend, one launcher per primitive, as
// device/cpu/kernels.h is for the CPU. Launchers take DeviceViews that the
// backend has already validated (shapes agree, memory in bounds, every
// operand on this device), enqueue their work on the launch's stream and
// return without waiting, except where a result or an error depends on the
// data (CountNonzero, Nonzero, the index bounds of Gather and Scatter).
// They report dtype- and value-dependent errors and launch failures only.
#ifndef TENSORD_DEVICE_CUDA_KERNELS_H_
#define TENSORD_DEVICE_CUDA_KERNELS_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device/dtype.h"
#include "device/primitives.h"
#include "device/scalar.h"
#include "device/shape.h"

namespace tensord::device::cuda {

// A tensor as the kernels see it: the device address of its first element
// plus its layout (strides in elements).
struct DeviceView {
  void* data = nullptr;              // element (0, ..., 0)
  std::span<const int64_t> shape;    // not owned
  std::span<const int64_t> strides;  // not owned
  DType dtype = DType::kFloat32;

  int64_t numel() const { return Numel(shape); }
};

// Where and how a launch runs.
struct Launch {
  cudaStream_t stream = nullptr;  // the calling session's stream
  // Device memory for temporaries, ordered on `stream`: it may be reused by
  // later work on the stream as soon as the returned pointer dies, so a
  // launcher keeps it alive until its work is enqueued.
  std::function<absl::StatusOr<std::shared_ptr<void>>(size_t nbytes)> scratch;
  cublasHandle_t blas = nullptr;  // bound to `stream`
  bool allow_tf32 = false;        // float32 matmul on TF32 tensor cores
};

// elementwise.cu
absl::Status FillKernel(const Launch& l, const DeviceView& out, const Scalar& value);
absl::Status CopyKernel(const Launch& l, const DeviceView& src, const DeviceView& out);
absl::Status UnaryKernel(const Launch& l, UnaryOp op, const DeviceView& in, const DeviceView& out);
absl::Status BinaryKernel(const Launch& l, BinaryOp op, const DeviceView& a, const DeviceView& b,
                          const DeviceView& out);
absl::Status WhereKernel(const Launch& l, const DeviceView& cond, const DeviceView& a,
                         const DeviceView& b, const DeviceView& out);

// reduce.cu
absl::Status ReduceKernel(const Launch& l, ReduceOp op, const DeviceView& in,
                          std::span<const int64_t> dims, const DeviceView& out);
absl::Status ArgReduceKernel(const Launch& l, ReduceOp op, const DeviceView& in, int64_t dim,
                             const DeviceView& values, const DeviceView& indices);
absl::Status ScanKernel(const Launch& l, ReduceOp op, const DeviceView& in, int64_t dim,
                        const DeviceView& out);

// index.cu
absl::Status GatherKernel(const Launch& l, const DeviceView& in, int64_t dim,
                          const DeviceView& index, const DeviceView& out);
absl::Status ScatterKernel(const Launch& l, ScatterMode mode, int64_t dim, const DeviceView& index,
                           const DeviceView& src, const DeviceView& out);
absl::StatusOr<int64_t> CountNonzeroKernel(const Launch& l, const DeviceView& in);
absl::Status NonzeroKernel(const Launch& l, const DeviceView& in, const DeviceView& out);

// generate.cu. Random draws are a function of (seed, element index) only
// (counter-based Philox), so a seed gives the same tensor on every run.
absl::Status ArangeKernel(const Launch& l, const Scalar& start, const Scalar& step,
                          const DeviceView& out);
absl::Status RandomKernel(const Launch& l, RandomOp op, double p0, double p1, uint64_t seed,
                          const DeviceView& out);

// matmul.cu: cuBLAS for the float types, a kernel for the integer ones.
// out_aliases_input: out shares memory with a or b.
absl::Status MatmulKernel(const Launch& l, const DeviceView& a, const DeviceView& b,
                          const DeviceView& out, bool out_aliases_input);

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_KERNELS_H_
