// CpuBackend::Gather, Scatter, CountNonzero and Nonzero.
#include "absl/status/status.h"
#include "device/cpu/cpu_backend.h"

namespace tensord::device::cpu {

absl::Status CpuBackend::Gather(const Tensor& in, int64_t dim, const Tensor& index,
                                const Tensor& out) {
  return absl::UnimplementedError("Gather is not implemented on the CPU yet");
}

absl::Status CpuBackend::Scatter(ScatterMode mode, int64_t dim, const Tensor& index,
                                 const Tensor& src, const Tensor& out) {
  return absl::UnimplementedError("Scatter is not implemented on the CPU yet");
}

absl::StatusOr<int64_t> CpuBackend::CountNonzero(const Tensor& in) {
  return absl::UnimplementedError("CountNonzero is not implemented on the CPU yet");
}

absl::Status CpuBackend::Nonzero(const Tensor& in, const Tensor& out) {
  return absl::UnimplementedError("Nonzero is not implemented on the CPU yet");
}

}  // namespace tensord::device::cpu
