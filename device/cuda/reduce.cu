// reduce.cu: placeholder launchers until the CUDA kernels land. Each reports
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

absl::Status ReduceKernel(const Launch&, ReduceOp, const DeviceView&, std::span<const int64_t>,
                          const DeviceView&) {
  return NotYet("Reduce");
}
absl::Status ArgReduceKernel(const Launch&, ReduceOp, const DeviceView&, int64_t, const DeviceView&,
                             const DeviceView&) {
  return NotYet("ArgReduce");
}
absl::Status ScanKernel(const Launch&, ReduceOp, const DeviceView&, int64_t, const DeviceView&) {
  return NotYet("Scan");
}

}  // namespace tensord::device::cuda
