// The contract between tensord's loader (cuda_module.cc) and the CUDA
// backend module (cuda/module.cc): the name and signature of the one symbol
// the module exports. The module binds to the executable's tensord_device
// (its backend registry above all), so both must come from the same build;
// kCudaModuleAbi guards against mixing builds whose Backend differs.
#ifndef TENSORD_DEVICE_CUDA_MODULE_ENTRY_H_
#define TENSORD_DEVICE_CUDA_MODULE_ENTRY_H_

#include <cstddef>

namespace tensord::device {

// Bump whenever Backend, Storage, Tensor or anything else the module shares
// with the executable changes layout or meaning.
inline constexpr int kCudaModuleAbi = 1;

inline constexpr char kCudaModuleEntry[] = "tensord_cuda_module_init";

// Registers one backend per CUDA device and returns how many, or -1 with a
// NUL-terminated reason (what failed and what to do) in `error`. Called once.
using CudaModuleInit = int (*)(int abi, char* error, size_t error_size);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_CUDA_MODULE_ENTRY_H_
