// What an op needs from its caller: the session's random generator, its
// default device, and the daemon's limits. Every allocation an op makes goes
// through Context::Empty, so limits hold everywhere.
#ifndef TENSORD_DEVICE_CONTEXT_H_
#define TENSORD_DEVICE_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "device/device.h"
#include "device/dtype.h"
#include "device/generator.h"
#include "device/memory_stats.h"
#include "device/tensor.h"

namespace tensord::device {

struct Limits {
  int64_t max_tensor_bytes = int64_t{16} << 30;
};

class Context {
 public:
  // `account`, when given, is charged for every tensor allocated here.
  Context(Generator* generator, Device default_device, Limits limits,
          std::shared_ptr<MemoryAccount> account = nullptr)
      : generator_(generator),
        default_device_(default_device),
        limits_(limits),
        account_(std::move(account)) {}

  Generator& generator() const { return *generator_; }
  Device default_device() const { return default_device_; }
  const Limits& limits() const { return limits_; }

  // An uninitialized tensor. INVALID_ARGUMENT for negative or overflowing
  // sizes, RESOURCE_EXHAUSTED past the per-tensor limit.
  absl::StatusOr<Tensor> Empty(std::span<const int64_t> shape, DType dtype, Device device) const;
  // The bytes a tensor of this shape and dtype takes, or why it may not
  // exist (overflow, the per-tensor limit).
  absl::StatusOr<size_t> CheckedBytes(std::span<const int64_t> shape, DType dtype) const;
  absl::StatusOr<Tensor> Empty(std::span<const int64_t> shape, DType dtype) const {
    return Empty(shape, dtype, default_device_);
  }

 private:
  Generator* generator_;
  Device default_device_;
  Limits limits_;
  std::shared_ptr<MemoryAccount> account_;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_CONTEXT_H_
