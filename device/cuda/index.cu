// index.cu: placeholder launchers until the CUDA kernels land. Each reports
// UNIMPLEMENTED, so CudaBackend builds, loads and fails cleanly.
#include <string>

#include "absl/status/status.h"
#include "device/cuda/kernels.h"

namespace tensord::device::cuda {
namespace {
absl::Status NotYet(const char* what) {
  return absl::UnimplementedError(std::string(what) + " is not implemented on CUDA yet");
}
}  // namespace

absl::Status GatherKernel(const Launch&, const DeviceView&, int64_t, const DeviceView&,
                          const DeviceView&) {
  return NotYet("Gather");
}
absl::Status ScatterKernel(const Launch&, ScatterMode, int64_t, const DeviceView&,
                           const DeviceView&, const DeviceView&) {
  return NotYet("Scatter");
}
absl::StatusOr<int64_t> CountNonzeroKernel(const Launch&, const DeviceView&) {
  return NotYet("CountNonzero");
}
absl::Status NonzeroKernel(const Launch&, const DeviceView&, const DeviceView&) {
  return NotYet("Nonzero");
}

}  // namespace tensord::device::cuda
