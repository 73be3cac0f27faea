// Operand checks shared by the CpuBackend primitives: each returns
// INVALID_ARGUMENT naming `what` ("Binary: b") when the operand is off.
#ifndef TENSORD_DEVICE_CPU_CHECKS_H_
#define TENSORD_DEVICE_CPU_CHECKS_H_

#include "absl/status/status.h"
#include "device/dtype.h"
#include "device/tensor.h"

namespace tensord::device::cpu {

absl::Status CheckSameShape(const Tensor& x, const Tensor& y, const char* what);
absl::Status CheckDType(const Tensor& t, DType want, const char* what);
absl::Status CheckContiguous(const Tensor& t, const char* what);

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_CHECKS_H_
