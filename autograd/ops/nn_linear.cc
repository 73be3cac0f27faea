// linear: input [*, in] @ weight[out, in]^T (+ bias [out]), as
// torch.nn.functional.linear. One BLAS product reads the weight transposed
// in place (no copy); the bias is added into the product.
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/nn_helpers.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;
using nn::Mm;
using nn::T;

// The input as a matrix [rows, in] (a view when its layout allows).
absl::StatusOr<Tensor> AsMatrix(const device::Context& ctx, const Tensor& x) {
  const int64_t in = x.shape().back();
  const int64_t rows = in == 0 ? device::Numel(x.shape()) : x.numel() / in;
  const std::vector<int64_t> shape = {x.dim() == 1 ? 1 : rows, in};
  if (x.dim() == 2) return x;
  return device::Reshape(ctx, x, shape);
}

absl::StatusOr<Tensor> Linear(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  const Tensor* bias = c.inputs.size() > 2 ? &c.inputs[2] : nullptr;
  if (w.dim() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight must be a 2-D matrix [out_features, in_features], got ", w.dim(),
                     "-D tensor of shape ", device::ShapeToString(w.shape())));
  }
  if (x.dim() == 0) {
    return absl::InvalidArgumentError("linear(): input must have at least 1 dimension, got 0-D");
  }
  TD_RETURN_IF_ERROR(device::CheckSameDevice(x, w));
  TD_RETURN_IF_ERROR(nn::SameDType(x, w));
  if (x.dtype() == device::DType::kBool) {
    return absl::InvalidArgumentError(
        "\"addmm_impl_cpu_\" not implemented for 'Bool': convert the operands with to()");
  }
  const int64_t in = x.shape().back(), out_features = w.shape()[0];
  if (w.shape()[1] != in) {
    const int64_t rows = x.dim() == 1 ? 1 : x.numel() / std::max<int64_t>(in, 1);
    return absl::InvalidArgumentError(absl::StrCat("mat1 and mat2 shapes cannot be multiplied (",
                                                   rows, "x", in, " and ", w.shape()[1], "x",
                                                   w.shape()[0], ")"));
  }
  device::Shape out_shape = x.shape();
  out_shape.back() = out_features;
  if (x.dim() == 1) out_shape = {out_features};
  if (bias != nullptr) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(x, *bias));
    TD_RETURN_IF_ERROR(nn::SameDType(x, *bias));
    if (!bias->Expand(out_shape).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "The expanded size of the tensor (", out_features, ") must match the existing size (",
          bias->dim() == 0 ? 1 : bias->shape().back(), ") at non-singleton dimension ",
          out_shape.size() - 1, ".  Target sizes: ", device::ShapeToString(out_shape),
          ".  Tensor sizes: ", device::ShapeToString(bias->shape())));
    }
  }
  TD_ASSIGN_OR_RETURN(Tensor x2, AsMatrix(c.ctx, x));
  Tensor result;
  if (c.into != nullptr && c.into->shape() == out_shape && c.into->dtype() == x.dtype() &&
      c.into->is_contiguous() && c.into->device() == x.device() && !c.into->SharesStorageWith(x) &&
      (bias == nullptr || !c.into->SharesStorageWith(*bias))) {
    result = *c.into;
  } else {
    TD_ASSIGN_OR_RETURN(result, nn::EmptyLike(c.ctx, x, out_shape));
  }
  const Tensor out2 =
      result.WithMeta({x2.shape()[0], out_features}, {out_features, 1}, result.offset());
  TD_RETURN_IF_ERROR(Mm(c.ctx, x2, T(w), &out2).status());
  if (bias != nullptr) {
    TD_ASSIGN_OR_RETURN(Tensor b, bias->Expand(out_shape));
    TD_RETURN_IF_ERROR(result.backend().Binary(device::BinaryOp::kAdd, result, b, result));
  }
  return result;
}

// d input = grad @ W, d W = grad^T @ input, d bias = grad summed over rows.
absl::StatusOr<std::vector<Tensor>> LinearBackward(const GradCall& g) {
  const Tensor& x = g.inputs[0];
  const Tensor& w = g.inputs[1];
  std::vector<Tensor> out(g.inputs.size());
  const int64_t out_features = w.shape()[0];
  TD_ASSIGN_OR_RETURN(Tensor g2,
                      device::Reshape(g.ctx, g.grads[0], std::vector<int64_t>{-1, out_features}));
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(Tensor dx, Mm(g.ctx, g2, w));
    TD_ASSIGN_OR_RETURN(out[0], dx.View(x.shape()));
  }
  if (g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor x2, AsMatrix(g.ctx, x));
    TD_ASSIGN_OR_RETURN(out[1], Mm(g.ctx, T(g2), x2));
  }
  if (g.inputs.size() > 2 && g.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(Tensor db, nn::SumKeep(g.ctx, g2, {0}));
    TD_ASSIGN_OR_RETURN(out[2], device::Reshape(g.ctx, db, g.input_shapes[2]));
  }
  return out;
}

// PyTorch composes linear from addmm, matmul or mm and the bias add; its
// node is named after the last of them for the input's rank.
std::string LinearName(std::span<const Tensor> in, const Attrs&) {
  const bool bias = in.size() > 2;
  switch (in[0].dim()) {
    case 1:
      return bias ? "AddBackward0" : "SqueezeBackward3";
    case 2:
      return bias ? "AddmmBackward0" : "MmBackward0";
    default:
      return bias ? "ViewBackward0" : "UnsafeViewBackward0";
  }
}

TENSORD_REGISTER_OP(OpDef{
    .name = "linear",
    .doc = "input @ weight^T + bias, as torch.nn.functional.linear: input [*, in_features], "
           "weight [out_features, in_features], optional bias [out_features]; one dtype.",
    .inputs = {"input", "weight", "bias?"},
    .forward = Single(Linear),
    .supports_out = true,
    .derivative = Derivative{.grad_fn_for = &LinearName,
                             .backward = &LinearBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
