// A tensor: a strided view (shape, strides, offset, dtype) of a Storage.
// Views share storage, so a write through one is seen through the others.
// Everything here is metadata; data movement goes through the Backend.
#ifndef TENSORD_DEVICE_TENSOR_H_
#define TENSORD_DEVICE_TENSOR_H_

#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "device/device.h"
#include "device/dtype.h"
#include "device/shape.h"
#include "device/storage.h"

namespace tensord::device {

class Backend;

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
         DType dtype);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }  // in elements
  DType dtype() const { return dtype_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return Numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * ItemSize(dtype_); }
  Backend& backend() const { return storage_->backend(); }
  Device device() const;
  Storage& storage() const { return *storage_; }
  const std::shared_ptr<Storage>& storage_ptr() const { return storage_; }
  bool is_contiguous() const;
  bool SharesStorageWith(const Tensor& o) const { return storage_ == o.storage_; }

  // Views: metadata only.
  absl::StatusOr<Tensor> View(std::span<const int64_t> shape) const;  // may hold one -1
  absl::StatusOr<Tensor> Select(int64_t dim, int64_t index) const;
  absl::StatusOr<Tensor> Slice(int64_t dim, int64_t start, int64_t end, int64_t step) const;
  absl::StatusOr<Tensor> Transpose(int64_t d0, int64_t d1) const;
  absl::StatusOr<Tensor> Permute(std::span<const int64_t> dims) const;
  absl::StatusOr<Tensor> Expand(std::span<const int64_t> shape) const;
  absl::StatusOr<Tensor> Unsqueeze(int64_t dim) const;
  absl::StatusOr<Tensor> Squeeze(int64_t dim) const;
  Tensor WithMeta(Shape shape, Strides strides, int64_t offset) const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::kFloat32;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_TENSOR_H_
