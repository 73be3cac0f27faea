// dropout and embedding as torch.nn.functional.
//
// dropout draws its mask from the session's generator (manual_seed makes it
// repeatable) and, in training, returns the mask as a second output (as
// torch.native_dropout does): the backward rule needs it and the engine
// keeps only inputs and outputs. embedding gathers rows of the weight and
// scatters gradients back into them, leaving padding_idx's row without one.
#include <cstring>
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

using device::BinaryOp;
using device::DType;
using device::Scalar;
using device::Tensor;

// ---- dropout ----

absl::StatusOr<std::vector<Tensor>> Dropout(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const double p = c.attrs.Float("p");
  if (p < 0 || p > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dropout probability has to be between 0 and 1, but got ", p));
  }
  if (!device::IsFloating(x.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat("dropout expects a floating-point input, got ",
                                                   device::DTypeName(x.dtype()),
                                                   ": convert it with to()"));
  }
  if (!c.attrs.Bool("training")) return std::vector<Tensor>{x};
  TD_ASSIGN_OR_RETURN(Tensor u, c.ctx.Empty(x.shape(), DType::kFloat32, x.device()));
  device::Backend& backend = u.backend();
  TD_RETURN_IF_ERROR(backend.Random(device::RandomOp::kUniform, 0.0, 1.0, c.ctx.generator(), u));
  // Kept with probability 1 - p, as bernoulli_(1 - p).
  TD_ASSIGN_OR_RETURN(Tensor mask, device::BinaryOpTensor(c.ctx, BinaryOp::kLt, u, Scalar(1 - p)));
  TD_ASSIGN_OR_RETURN(Tensor scale, device::To(c.ctx, mask, x.dtype()));
  TD_ASSIGN_OR_RETURN(Tensor kept, device::BinaryOpTensor(c.ctx, BinaryOp::kMul, x, scale));
  Tensor out = kept;
  if (p < 1) {
    TD_ASSIGN_OR_RETURN(out,
                        device::BinaryOpTensor(c.ctx, BinaryOp::kMul, kept, Scalar(1 / (1 - p))));
  }
  return std::vector<Tensor>{out, mask};
}

// d input = grad * mask / (1 - p) in training, grad in eval.
absl::StatusOr<std::vector<Tensor>> DropoutBackward(const GradCall& g) {
  if (!g.attrs.Bool("training")) return std::vector<Tensor>{g.grads[0]};
  const double p = g.attrs.Float("p");
  TD_ASSIGN_OR_RETURN(Tensor scale, device::To(g.ctx, g.outputs[1], g.grads[0].dtype()));
  TD_ASSIGN_OR_RETURN(Tensor d, device::BinaryOpTensor(g.ctx, BinaryOp::kMul, g.grads[0], scale));
  if (p < 1) {
    TD_ASSIGN_OR_RETURN(d, device::BinaryOpTensor(g.ctx, BinaryOp::kMul, d, Scalar(1 / (1 - p))));
  }
  return std::vector<Tensor>{d};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "dropout",
    .doc = "Dropout as torch.nn.functional.dropout: in training each element is zeroed with "
           "probability p (drawn from the session's generator) and the rest scaled by 1 / (1 - "
           "p); the second output is the bool mask of kept elements. In eval (training=false) "
           "the input is returned unchanged.",
    .inputs = {"input"},
    .attrs = {{"p", AttrType::kFloat, AttrValue(0.5), false, "probability of zeroing"},
              BoolAttr("training", true, "drop (true) or pass the input through (false)")},
    .forward = &Dropout,
    .num_outputs = -1,
    .derivative = Derivative{.grad_fn = "MulBackward0",
                             .backward = &DropoutBackward,
                             .saves_outputs = true},
});

// ---- embedding ----

absl::Status CheckIndices(const device::Context& ctx, const Tensor& indices, int64_t rows) {
  if (indices.dtype() != DType::kInt64 && indices.dtype() != DType::kInt32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
        "Long, Int; but got ",
        "torch.", device::ScalarTypeName(indices.dtype()),
        "Tensor instead (while checking arguments for "
        "embedding)"));
  }
  TD_ASSIGN_OR_RETURN(Tensor i64, device::To(ctx, indices, DType::kInt64));
  TD_ASSIGN_OR_RETURN(std::string bytes, device::ToHost(ctx, i64));
  std::vector<int64_t> v(static_cast<size_t>(indices.numel()));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  for (int64_t i : v) {
    if (i < 0 || i >= rows) return absl::InvalidArgumentError("index out of range in self");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PaddingIdx(const Attrs& attrs, int64_t rows) {
  if (!attrs.Has("padding_idx")) return -1;
  const int64_t p = attrs.Int("padding_idx");
  if (p >= rows || p < -rows) {
    return absl::InvalidArgumentError("Padding_idx must be within num_embeddings");
  }
  return p < 0 ? p + rows : p;
}

// [M, D] index for a gather or scatter along dim 0: each index repeated
// across the row (stride 0).
absl::StatusOr<Tensor> RowIndex(const device::Context& ctx, const Tensor& indices, int64_t d) {
  TD_ASSIGN_OR_RETURN(Tensor i64, device::To(ctx, indices, DType::kInt64));
  TD_ASSIGN_OR_RETURN(Tensor flat, device::Contiguous(ctx, i64));
  return flat.WithMeta({flat.numel(), d}, {1, 0}, flat.offset());
}

absl::StatusOr<Tensor> Embedding(const OpCall& c) {
  const Tensor& indices = c.inputs[0];
  const Tensor& weight = c.inputs[1];
  if (weight.dim() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("'weight' must be 2-D [num_embeddings, embedding_dim], got ",
                     device::ShapeToString(weight.shape())));
  }
  TD_RETURN_IF_ERROR(device::CheckSameDevice(indices, weight));
  TD_RETURN_IF_ERROR(PaddingIdx(c.attrs, weight.shape()[0]).status());
  TD_RETURN_IF_ERROR(CheckIndices(c.ctx, indices, weight.shape()[0]));
  const int64_t d = weight.shape()[1];
  TD_ASSIGN_OR_RETURN(Tensor index, RowIndex(c.ctx, indices, d));
  TD_ASSIGN_OR_RETURN(Tensor rows, nn::EmptyLike(c.ctx, weight, index.shape()));
  TD_RETURN_IF_ERROR(rows.backend().Gather(weight, 0, index, rows));
  device::Shape shape = indices.shape();
  shape.push_back(d);
  return rows.View(shape);
}

absl::StatusOr<std::vector<Tensor>> EmbeddingBackward(const GradCall& g) {
  const Tensor& indices = g.inputs[0];
  std::vector<Tensor> out(2);
  if (!g.needs_grad[1]) return out;
  const device::Shape& wshape = g.input_shapes[1];
  TD_ASSIGN_OR_RETURN(int64_t padding, PaddingIdx(g.attrs, wshape[0]));
  TD_ASSIGN_OR_RETURN(Tensor index, RowIndex(g.ctx, indices, wshape[1]));
  TD_ASSIGN_OR_RETURN(Tensor grad, device::Reshape(g.ctx, g.grads[0], index.shape()));
  TD_ASSIGN_OR_RETURN(Tensor dw, g.ctx.Empty(wshape, grad.dtype(), grad.device()));
  device::Backend& backend = dw.backend();
  TD_RETURN_IF_ERROR(backend.Fill(dw, Scalar(0)));
  TD_RETURN_IF_ERROR(backend.Scatter(device::ScatterMode::kAdd, 0, index, grad, dw));
  if (padding >= 0) {
    TD_ASSIGN_OR_RETURN(Tensor row, dw.Select(0, padding));
    TD_RETURN_IF_ERROR(backend.Fill(row, Scalar(0)));
  }
  out[1] = dw;
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "embedding",
    .doc = "Rows of weight [num_embeddings, dim] picked by integer indices, as "
           "torch.nn.functional.embedding(input, weight): the result has the indices' shape "
           "plus dim. padding_idx's row gets no gradient.",
    .inputs = {"input", "weight"},
    .attrs = {{"padding_idx", AttrType::kInt, std::nullopt, true,
               "a row that gets no gradient (negative counts from the end)"}},
    .forward = Single(Embedding),
    .derivative = Derivative{.grad_fn = "EmbeddingBackward0",
                             .backward = &EmbeddingBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
