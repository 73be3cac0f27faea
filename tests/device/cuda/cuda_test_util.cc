// Whether the GPU tests can run here (see cuda_test_util.h).
#include "tests/device/cuda/cuda_test_util.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "device/cuda_module.h"
#include "device/registry.h"

namespace tensord::device::testing {

const std::string& NoCudaDevice() {
  static const std::string* why = [] {
    absl::StatusOr<int> devices = LoadCudaModule();
    if (!devices.ok()) {
      return new std::string(absl::StrCat("no CUDA device: the CUDA module is not usable: ",
                                          devices.status().ToString()));
    }
    if (*devices == 0) {
      return new std::string("no CUDA device: the CUDA module loaded but found 0 devices");
    }
    if (absl::StatusOr<Backend*> b = FindBackend(Cuda0()); !b.ok()) {
      return new std::string(
          absl::StrCat("no CUDA device: ", *devices,
                       " devices registered but not cuda:0: ", b.status().ToString()));
    }
    return new std::string();
  }();
  return *why;
}

}  // namespace tensord::device::testing
