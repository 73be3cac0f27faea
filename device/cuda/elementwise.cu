// elementwise.cu: placeholder launchers until the CUDA kernels land. Each
// reports UNIMPLEMENTED, so CudaBackend builds, loads and fails cleanly.
#include <string>

#include "absl/status/status.h"
#include "device/cuda/kernels.h"

namespace tensord::device::cuda {
namespace {
absl::Status NotYet(const char *what) {
  return absl::UnimplementedError(std::string(what) +
                                  " is not implemented on CUDA yet");
}
} // namespace

absl::Status FillKernel(const Launch &, const DeviceView &, const Scalar &) {
  return NotYet("Fill");
}
absl::Status CopyKernel(const Launch &, const DeviceView &,
                        const DeviceView &) {
  return NotYet("Copy");
}
absl::Status UnaryKernel(const Launch &, UnaryOp, const DeviceView &,
                         const DeviceView &) {
  return NotYet("Unary");
}
absl::Status BinaryKernel(const Launch &, BinaryOp, const DeviceView &,
                          const DeviceView &, const DeviceView &) {
  return NotYet("Binary");
}
absl::Status WhereKernel(const Launch &, const DeviceView &, const DeviceView &,
                         const DeviceView &, const DeviceView &) {
  return NotYet("Where");
}

} // namespace tensord::device::cuda
