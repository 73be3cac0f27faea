// Loading the CUDA backend at run time. The CUDA backend is a separate
// shared module (libtensord_cuda.so, built when the CUDA toolkit is found),
// so one build of tensord serves hosts with and without a GPU: where the
// module, the NVIDIA driver or a device is missing, there are simply no
// cuda:N devices and everything runs on the CPU.
#ifndef TENSORD_DEVICE_CUDA_MODULE_H_
#define TENSORD_DEVICE_CUDA_MODULE_H_

#include <string>

#include "absl/status/statusor.h"

namespace tensord::device {

// Opens the module once per process (later calls return the first answer)
// and registers one backend per CUDA device. Returns how many were
// registered (0 on a host without GPUs), or FAILED_PRECONDITION saying why
// the module could not be used and what to do about it (the file that was
// looked for, dlopen's message, the driver's error).
// The module is looked for in $TENSORD_CUDA_MODULE, then beside the running
// executable, then in ../lib/tensord relative to it.
absl::StatusOr<int> LoadCudaModule();

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_CUDA_MODULE_H_
