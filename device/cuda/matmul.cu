// matmul.cu: placeholder launchers until the CUDA kernels land. Each reports
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

absl::Status MatmulKernel(const Launch&, const DeviceView&, const DeviceView&, const DeviceView&,
                          bool) {
  return NotYet("Matmul");
}

}  // namespace tensord::device::cuda
