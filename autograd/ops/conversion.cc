// Moving and converting data: to(dtype, device), copy_, fill_ and zero_.
#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;

// Whether t's elements tile one contiguous block of memory in some order of
// its dims (PyTorch's is_non_overlapping_and_dense).
bool IsNonOverlappingAndDense(const Tensor& t) {
  std::vector<int64_t> perm(t.dim());
  std::iota(perm.begin(), perm.end(), 0);
  const auto& sizes = t.shape();
  const auto& strides = t.strides();
  // Size-0 and size-1 dims go last: their strides do not matter.
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    if (sizes[a] < 2) return false;
    if (sizes[b] < 2) return true;
    return strides[a] < strides[b];
  });
  int64_t required = 1;
  for (int64_t d : perm) {
    if (sizes[d] < 2) return true;
    if (strides[d] != required) return false;
    required *= sizes[d];
  }
  return true;
}

// PyTorch's copy_ refuses a source that partly overlaps the destination's
// memory (a shifted or transposed view of it): the result would depend on
// the order elements are written. Only dense tensors are checked, as there.
absl::Status CheckNoPartialOverlap(const Tensor& dst, const Tensor& src) {
  if (!dst.SharesStorageWith(src) || dst.numel() == 0 || src.numel() == 0) {
    return absl::OkStatus();
  }
  if (!IsNonOverlappingAndDense(dst) || !IsNonOverlappingAndDense(src)) {
    return absl::OkStatus();
  }
  const int64_t dst_begin = dst.offset() * static_cast<int64_t>(device::ItemSize(dst.dtype()));
  const int64_t dst_end = dst_begin + static_cast<int64_t>(dst.nbytes());
  const int64_t src_begin = src.offset() * static_cast<int64_t>(device::ItemSize(src.dtype()));
  const int64_t src_end = src_begin + static_cast<int64_t>(src.nbytes());
  const bool same_block = dst_begin == src_begin && dst_end == src_end;
  if ((same_block && dst.strides() == src.strides()) || dst_end <= src_begin ||
      src_end <= dst_begin) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "unsupported operation: some elements of the input tensor and the written-to tensor "
      "refer to a single memory location. Please clone() the tensor before performing the "
      "operation.");
}

// ---- derivatives -------------------------------------------------------------

// to: the gradient passes through (the engine casts it back to the input's
// dtype).
absl::StatusOr<std::vector<Tensor>> ToBackward(const GradCall& g) {
  return std::vector<Tensor>{g.grads[0]};
}

// self.copy_(src): self's old values are gone (zero gradient); src gets the
// gradient, summed over the dims it was broadcast along.
absl::StatusOr<std::vector<Tensor>> CopyBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  TD_ASSIGN_OR_RETURN(out[0], grad::Zeros(g));
  if (g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(out[1], grad::SumTo(g, g.grads[0], g.input_shapes[1]));
  }
  return out;
}

// fill_, zero_: the old values are overwritten.
absl::StatusOr<std::vector<Tensor>> OverwrittenBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor z, grad::Zeros(g));
  return std::vector<Tensor>{z};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "to",
    .doc = "self converted to dtype and/or moved to device; self itself when nothing changes "
           "(unless copy=True).",
    .inputs = {"self"},
    .attrs = {DTypeAttr("target dtype (default: unchanged)"), DeviceAttr(),
              BoolAttr("copy", false, "always return a new tensor")},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, self.device()));
      const device::DType dtype = c.attrs.DType("dtype").value_or(self.dtype());
      TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, self, dtype, dev));
      if (c.attrs.Bool("copy") && out.SharesStorageWith(self)) return device::Clone(c.ctx, self);
      return out;
    }),
    .derivative = Derivative{.grad_fn = "ToCopyBackward0", .backward = &ToBackward},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "copy_",
    .doc = "Copies src into self (broadcasting src, converting dtype and device). src may not "
           "partly overlap self's memory (clone() it first).",
    .inputs = {"self", "src"},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      TD_RETURN_IF_ERROR(CheckNoPartialOverlap(c.inputs[0], c.inputs[1]));
      TD_RETURN_IF_ERROR(device::CopyInto(c.ctx, c.inputs[1], c.inputs[0]));
      return c.inputs[0];
    }),
    .kind = OpKind::kWritesSelf,
    .derivative = Derivative{.grad_fn = "CopyBackwards", .backward = &CopyBackward},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "fill_",
    .doc = "Sets every element of self to value.",
    .inputs = {"self"},
    .attrs = {ScalarAttr("value", std::nullopt, "the value")},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      self.storage().BumpVersion();
      TD_RETURN_IF_ERROR(self.backend().Fill(self, c.attrs.Scalar("value")));
      return self;
    }),
    .kind = OpKind::kWritesSelf,
    .derivative = Derivative{.grad_fn = "FillBackward2", .backward = &OverwrittenBackward},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "zero_",
    .doc = "Sets every element of self to 0.",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      self.storage().BumpVersion();
      TD_RETURN_IF_ERROR(self.backend().Fill(self, 0));
      return self;
    }),
    .kind = OpKind::kWritesSelf,
    .derivative = Derivative{.grad_fn = "ZeroBackward0", .backward = &OverwrittenBackward},
});

}  // namespace
}  // namespace tensord::autograd::ops
