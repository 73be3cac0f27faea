// A tensor as the CPU kernels see it: the host address of its first element
// plus its layout. The backend builds these after validating a Tensor, so
// kernels never touch Storage or check bounds themselves.
#ifndef TENSORD_DEVICE_CPU_HOST_VIEW_H_
#define TENSORD_DEVICE_CPU_HOST_VIEW_H_

#include <cstdint>
#include <span>

#include "device/dtype.h"
#include "device/shape.h"

namespace tensord::device::cpu {

struct HostView {
  char* data = nullptr;              // element (0, ..., 0)
  std::span<const int64_t> shape;    // not owned
  std::span<const int64_t> strides;  // in elements, not owned
  DType dtype = DType::kFloat32;

  int64_t numel() const { return Numel(shape); }
  template <typename T>
  T* as() const {
    return reinterpret_cast<T*>(data);
  }
};

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_HOST_VIEW_H_
