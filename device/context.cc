#include "device/context.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/backend.h"
#include "device/registry.h"

namespace tensord::device {

absl::StatusOr<size_t> Context::CheckedBytes(std::span<const int64_t> shape, DType dtype) const {
  absl::StatusOr<int64_t> numel = CheckedNumel(shape);
  if (!numel.ok()) return numel.status();
  const int64_t item = static_cast<int64_t>(ItemSize(dtype));
  if (*numel > limits_.max_tensor_bytes / item) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a tensor of size ", ShapeToString(shape), " and dtype ", DTypeName(dtype),
        " would take more than this daemon's per-tensor limit of ", limits_.max_tensor_bytes,
        " bytes: use a smaller tensor or raise tensord --max_tensor_bytes"));
  }
  return static_cast<size_t>(*numel * item);
}

absl::StatusOr<Tensor> Context::Empty(std::span<const int64_t> shape, DType dtype,
                                      Device device) const {
  absl::StatusOr<size_t> nbytes = CheckedBytes(shape, dtype);
  if (!nbytes.ok()) return nbytes.status();
  absl::StatusOr<Backend*> backend = FindBackend(device);
  if (!backend.ok()) return backend.status();
  absl::StatusOr<std::shared_ptr<Storage>> storage = (*backend)->Allocate(*nbytes);
  if (!storage.ok()) return storage.status();
  if (account_) (*storage)->SetAccount(account_);
  Shape sh(shape.begin(), shape.end());
  Strides st = ContiguousStrides(sh);
  return Tensor(*std::move(storage), std::move(sh), std::move(st), 0, dtype);
}

}  // namespace tensord::device
