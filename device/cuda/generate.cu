// generate.cu: placeholder launchers until the CUDA kernels land. Each reports
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

absl::Status ArangeKernel(const Launch&, const Scalar&, const Scalar&, const DeviceView&) {
  return NotYet("Arange");
}
absl::Status RandomKernel(const Launch&, RandomOp, double, double, uint64_t, const DeviceView&) {
  return NotYet("Random");
}

}  // namespace tensord::device::cuda
