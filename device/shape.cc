#include "device/shape.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tensord::device {

std::string ShapeToString(std::span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<int64_t> CheckedNumel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "negative dimension ", s, " in size ", ShapeToString(shape),
          ": every size must be >= 0"));
    }
    if (s != 0 && n > INT64_MAX / s) {
      return absl::InvalidArgumentError(absl::StrCat(
          "size ", ShapeToString(shape), " overflows a 64-bit element count: use smaller sizes"));
    }
    n *= s;
  }
  return n;
}

int64_t Numel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Strides ContiguousStrides(std::span<const int64_t> shape) {
  Strides st(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

absl::StatusOr<int64_t> WrapDim(int64_t dim, int64_t rank) {
  const int64_t r = std::max<int64_t>(rank, 1);
  if (dim < -r || dim >= r) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Dimension out of range (expected to be in range of [", -r, ", ", r - 1, "], but got ",
        dim, ")"));
  }
  return dim < 0 ? dim + r : dim;
}

absl::StatusOr<Shape> BroadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shapes ", ShapeToString(a), " and ", ShapeToString(b),
          " cannot be broadcast: the size of tensor a (", da, ") must match the size of tensor b (",
          db, ") at non-singleton dimension ", i));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

absl::StatusOr<Shape> InferSize(std::span<const int64_t> shape, int64_t numel) {
  Shape out(shape.begin(), shape.end());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) return absl::InvalidArgumentError("only one dimension can be inferred");
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid shape dimension ", out[i], " in ",
                                                     ShapeToString(shape)));
    } else {
      if (out[i] != 0 && known > INT64_MAX / out[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("shape ", ShapeToString(shape), " overflows a 64-bit element count"));
      }
      known *= out[i];
    }
  }
  const bool ok = infer >= 0 ? (known > 0 && numel % known == 0) : known == numel;
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("shape '", ShapeToString(shape),
                                                   "' is invalid for input of size ", numel));
  }
  if (infer >= 0) out[infer] = numel / known;
  return out;
}

bool ComputeViewStrides(std::span<const int64_t> old_shape, std::span<const int64_t> old_strides,
                        std::span<const int64_t> new_shape, Strides* out) {
  out->assign(new_shape.size(), 0);
  if (old_shape.empty()) {
    std::fill(out->begin(), out->end(), 1);
    return true;
  }
  if (Numel(old_shape) == 0) {
    // As PyTorch: an empty tensor viewed as its own shape keeps its strides.
    if (std::equal(old_shape.begin(), old_shape.end(), new_shape.begin(), new_shape.end())) {
      out->assign(old_strides.begin(), old_strides.end());
    } else {
      *out = ContiguousStrides(new_shape);
    }
    return true;
  }
  // Walk chunks of old dims that are contiguous with each other and match
  // them to runs of new dims with the same element count.
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        (*out)[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace tensord::device
