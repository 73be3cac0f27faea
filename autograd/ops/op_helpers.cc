#include "autograd/ops/op_helpers.h"

namespace tensord::autograd::ops {

absl::StatusOr<device::Device> DeviceFrom(const Attrs& attrs, device::Device fallback) {
  if (!attrs.Has("device")) return fallback;
  return device::Device::Parse(attrs.String("device"));
}

}  // namespace tensord::autograd::ops
