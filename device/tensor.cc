#include "device/tensor.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/backend.h"

namespace tensord::device {

Storage::~Storage() {
  if (ptr_ != nullptr && owner_ == nullptr) backend_->Free(ptr_, nbytes_);
  if (account_) account_->Sub(static_cast<int64_t>(nbytes_), backend_->device());
}

void Storage::SetAccount(std::shared_ptr<MemoryAccount> account) {
  if (account_) account_->Sub(static_cast<int64_t>(nbytes_), backend_->device());
  account_ = std::move(account);
  if (account_) account_->Add(static_cast<int64_t>(nbytes_), backend_->device());
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
               DType dtype)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype) {}

Device Tensor::device() const { return storage_->backend().device(); }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return numel() == 0;
    expected *= shape_[i];
  }
  return true;
}

Tensor Tensor::WithMeta(Shape shape, Strides strides, int64_t offset) const {
  return Tensor(storage_, std::move(shape), std::move(strides), offset, dtype_);
}

absl::StatusOr<Tensor> Tensor::View(std::span<const int64_t> shape) const {
  absl::StatusOr<Shape> inferred = InferSize(shape, numel());
  if (!inferred.ok()) return inferred.status();
  Strides st;
  if (!ComputeViewStrides(shape_, strides_, *inferred, &st)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "view size ", ShapeToString(*inferred), " is not compatible with input tensor's size ",
        ShapeToString(shape_), " and stride ", ShapeToString(strides_),
        " (at least one dimension spans across two contiguous subspaces): use reshape instead"));
  }
  return WithMeta(*std::move(inferred), std::move(st), offset_);
}

absl::StatusOr<Tensor> Tensor::Select(int64_t dim, int64_t index) const {
  if (shape_.empty()) {
    return absl::InvalidArgumentError("select() cannot be applied to a 0-dim tensor");
  }
  absl::StatusOr<int64_t> d = WrapDim(dim, this->dim());
  if (!d.ok()) return d.status();
  const int64_t size = shape_[*d];
  if (index < -size || index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("index ", index, " is out of bounds for dimension ", *d, " with size ", size));
  }
  if (index < 0) index += size;
  Shape sh = shape_;
  Strides st = strides_;
  const int64_t off = offset_ + index * strides_[*d];
  sh.erase(sh.begin() + *d);
  st.erase(st.begin() + *d);
  return WithMeta(std::move(sh), std::move(st), off);
}

absl::StatusOr<Tensor> Tensor::Slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  if (shape_.empty()) {
    return absl::InvalidArgumentError("slice() cannot be applied to a 0-dim tensor");
  }
  if (step <= 0) return absl::InvalidArgumentError("slice step must be positive");
  absl::StatusOr<int64_t> d = WrapDim(dim, this->dim());
  if (!d.ok()) return d.status();
  const int64_t size = shape_[*d];
  // Python slice clamping.
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  Shape sh = shape_;
  Strides st = strides_;
  sh[*d] = end > start ? (end - start - 1) / step + 1 : 0;  // no overflow for a huge step
  st[*d] = strides_[*d] * step;
  return WithMeta(std::move(sh), std::move(st), offset_ + start * strides_[*d]);
}

absl::StatusOr<Tensor> Tensor::Transpose(int64_t d0, int64_t d1) const {
  absl::StatusOr<int64_t> a = WrapDim(d0, dim());
  if (!a.ok()) return a.status();
  absl::StatusOr<int64_t> b = WrapDim(d1, dim());
  if (!b.ok()) return b.status();
  if (shape_.empty()) return *this;
  Shape sh = shape_;
  Strides st = strides_;
  std::swap(sh[*a], sh[*b]);
  std::swap(st[*a], st[*b]);
  return WithMeta(std::move(sh), std::move(st), offset_);
}

absl::StatusOr<Tensor> Tensor::Permute(std::span<const int64_t> dims) const {
  if (static_cast<int64_t>(dims.size()) != dim()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "permute(sparse_coo): number of dimensions in the tensor input does not match the length "
        "of the desired ordering of dimensions i.e. input.dim() = ",
        dim(), " is not equal to len(dims) = ", dims.size()));
  }
  Shape sh(dims.size());
  Strides st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    absl::StatusOr<int64_t> d = WrapDim(dims[i], dim());
    if (!d.ok()) return d.status();
    if (seen[*d]) return absl::InvalidArgumentError("permute(): duplicate dims are not allowed.");
    seen[*d] = true;
    sh[i] = shape_[*d];
    st[i] = strides_[*d];
  }
  return WithMeta(std::move(sh), std::move(st), offset_);
}

absl::StatusOr<Tensor> Tensor::Expand(std::span<const int64_t> shape) const {
  if (shape.size() < shape_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expand: the number of sizes provided (", shape.size(),
                     ") must be greater or equal to the number of dimensions in the tensor (",
                     shape_.size(), ")"));
  }
  const size_t lead = shape.size() - shape_.size();
  Shape sh(shape.size());
  Strides st(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      if (shape[i] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("expand: -1 is not allowed in a leading, non-existing dimension ", i));
      }
      sh[i] = shape[i];
      st[i] = 0;
      continue;
    }
    const int64_t have = shape_[i - lead];
    const int64_t want = shape[i] == -1 ? have : shape[i];
    if (have != want) {
      if (have != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "The expanded size of the tensor (", want, ") must match the existing size (", have,
            ") at non-singleton dimension ", i, ".  Target sizes: ", ShapeToString(shape),
            ".  Tensor sizes: ", ShapeToString(shape_)));
      }
      sh[i] = want;
      st[i] = 0;
    } else {
      sh[i] = have;
      st[i] = strides_[i - lead];
    }
  }
  if (absl::StatusOr<int64_t> n = CheckedNumel(sh); !n.ok()) return n.status();
  return WithMeta(std::move(sh), std::move(st), offset_);
}

absl::StatusOr<Tensor> Tensor::Unsqueeze(int64_t dim) const {
  absl::StatusOr<int64_t> d = WrapDim(dim, this->dim() + 1);
  if (!d.ok()) return d.status();
  Shape sh = shape_;
  Strides st = strides_;
  const int64_t stride = *d < this->dim() ? shape_[*d] * strides_[*d] : 1;
  sh.insert(sh.begin() + *d, 1);
  st.insert(st.begin() + *d, stride);
  return WithMeta(std::move(sh), std::move(st), offset_);
}

absl::StatusOr<Tensor> Tensor::Squeeze(int64_t dim) const {
  absl::StatusOr<int64_t> d = WrapDim(dim, this->dim());  // rank 0 accepts 0 and -1
  if (!d.ok()) return d.status();
  if (shape_.empty()) return *this;
  if (shape_[*d] != 1) return *this;
  Shape sh = shape_;
  Strides st = strides_;
  sh.erase(sh.begin() + *d);
  st.erase(st.begin() + *d);
  return WithMeta(std::move(sh), std::move(st), offset_);
}

}  // namespace tensord::device
