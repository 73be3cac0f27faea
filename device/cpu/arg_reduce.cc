// CpuBackend::ArgReduce and CpuBackend::Scan.
#include "absl/status/status.h"
#include "device/cpu/cpu_backend.h"

namespace tensord::device::cpu {

absl::Status CpuBackend::ArgReduce(ReduceOp op, const Tensor& in, int64_t dim,
                                   const Tensor& values, const Tensor& indices) {
  return absl::UnimplementedError("ArgReduce is not implemented on the CPU yet");
}

absl::Status CpuBackend::Scan(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) {
  return absl::UnimplementedError("Scan is not implemented on the CPU yet");
}

}  // namespace tensord::device::cpu
