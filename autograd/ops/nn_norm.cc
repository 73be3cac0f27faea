// Normalization as torch.nn.functional: batch_norm (batch statistics and
// running-statistics updates in training, running statistics in eval) and
// layer_norm, each with optional affine weight and bias.
//
// Both normalize x over a set of dims: xhat = (x - mean) * rstd with
// rstd = 1 / sqrt(var + eps) (biased variance), y = xhat * weight + bias.
// Their backward with batch statistics is the same formula,
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) with
// dxhat = dy * weight, the means over the normalized dims; the statistics
// are recomputed from the saved input rather than kept.
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/ops/nn_helpers.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::BinaryOp;
using device::DType;
using device::ReduceOp;
using device::Scalar;
using device::Tensor;

absl::StatusOr<Tensor> Bin(const device::Context& ctx, BinaryOp op, const device::Operand& a,
                           const device::Operand& b) {
  return device::BinaryOpTensor(ctx, op, a, b);
}

absl::StatusOr<Tensor> MeanKeep(const device::Context& ctx, const Tensor& t,
                                const std::vector<int64_t>& dims) {
  TD_ASSIGN_OR_RETURN(Tensor s, device::ReduceTensor(ctx, ReduceOp::kSum, t, dims, true));
  int64_t count = 1;
  for (int64_t d : dims) count *= t.shape()[d];
  return Bin(ctx, BinaryOp::kDiv, s, Scalar(static_cast<double>(count)));
}

// Batch statistics over `dims`: the mean and 1 / sqrt(var + eps), kept dims.
struct Stats {
  Tensor mean, rstd, var;
};

absl::StatusOr<Stats> BatchStats(const device::Context& ctx, const Tensor& x,
                                 const std::vector<int64_t>& dims, double eps) {
  Stats s;
  TD_ASSIGN_OR_RETURN(s.mean, MeanKeep(ctx, x, dims));
  TD_ASSIGN_OR_RETURN(Tensor xc, Bin(ctx, BinaryOp::kSub, x, s.mean));
  TD_ASSIGN_OR_RETURN(Tensor sq, Bin(ctx, BinaryOp::kMul, xc, xc));
  TD_ASSIGN_OR_RETURN(s.var, MeanKeep(ctx, sq, dims));
  TD_ASSIGN_OR_RETURN(Tensor ve, Bin(ctx, BinaryOp::kAdd, s.var, Scalar(eps)));
  TD_ASSIGN_OR_RETURN(s.rstd, device::UnaryOpTensor(ctx, device::UnaryOp::kRsqrt, ve));
  return s;
}

// dx for batch statistics (see the file comment); dxhat already has the
// weight applied.
absl::StatusOr<Tensor> NormalizedBackward(const device::Context& ctx, const Tensor& dxhat,
                                          const Tensor& xhat, const Tensor& rstd,
                                          const std::vector<int64_t>& dims) {
  TD_ASSIGN_OR_RETURN(Tensor m1, MeanKeep(ctx, dxhat, dims));
  TD_ASSIGN_OR_RETURN(Tensor p, Bin(ctx, BinaryOp::kMul, dxhat, xhat));
  TD_ASSIGN_OR_RETURN(Tensor m2, MeanKeep(ctx, p, dims));
  TD_ASSIGN_OR_RETURN(Tensor t, Bin(ctx, BinaryOp::kMul, xhat, m2));
  TD_ASSIGN_OR_RETURN(Tensor d, Bin(ctx, BinaryOp::kSub, dxhat, m1));
  TD_ASSIGN_OR_RETURN(d, Bin(ctx, BinaryOp::kSub, d, t));
  return Bin(ctx, BinaryOp::kMul, d, rstd);
}

absl::Status FloatingInput(const Tensor& x, const char* op) {
  if (device::IsFloating(x.dtype())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", op, "\" not implemented for '", device::ScalarTypeName(x.dtype()),
                   "': convert the input to a floating-point dtype with to()"));
}

// ---- batch_norm ----

struct BatchNormInputs {
  const Tensor* running_mean = nullptr;
  const Tensor* running_var = nullptr;
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;
  std::vector<int64_t> dims;    // every dim but the channels'
  std::vector<int64_t> bshape;  // [1, C, 1, ...]: a per-channel tensor broadcast
};

absl::StatusOr<BatchNormInputs> BatchNormSetup(std::span<const Tensor> in, const Attrs& attrs) {
  const Tensor& x = in[0];
  BatchNormInputs b;
  size_t next = 1;
  if (attrs.Bool("running_stats")) {
    if (in.size() < 3) {
      return absl::InvalidArgumentError(
          "batch_norm takes running_mean and running_var after the input (or pass "
          "running_stats=false to give only weight and bias)");
    }
    b.running_mean = &in[1];
    b.running_var = &in[2];
    next = 3;
  }
  if (in.size() > next) b.weight = &in[next];
  if (in.size() > next + 1) b.bias = &in[next + 1];
  if (in.size() > next + 2) {
    return absl::InvalidArgumentError(
        "batch_norm takes input, running_mean, running_var, weight, bias (with "
        "running_stats=false: input, weight, bias)");
  }
  if (x.dim() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch_norm expects an input of at least 2 dims [N, C, ...], got input of size ",
        device::ShapeToString(x.shape())));
  }
  TD_RETURN_IF_ERROR(FloatingInput(x, "batch_norm"));
  const int64_t c = x.shape()[1];
  const char* names[] = {"running_mean", "running_var", "weight", "bias"};
  const Tensor* given[] = {b.running_mean, b.running_var, b.weight, b.bias};
  for (int i = 0; i < 4; ++i) {
    if (given[i] == nullptr) continue;
    TD_RETURN_IF_ERROR(device::CheckSameDevice(x, *given[i]));
    if (given[i]->numel() != c) {
      return absl::InvalidArgumentError(
          absl::StrCat(names[i], " should contain ", c, " elements not ", given[i]->numel()));
    }
  }
  if (b.running_mean == nullptr && !attrs.Bool("training")) {
    return absl::InvalidArgumentError(
        "batch_norm in eval mode (training=false) needs running_mean and running_var");
  }
  b.bshape.assign(static_cast<size_t>(x.dim()), 1);
  b.bshape[1] = c;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d != 1) b.dims.push_back(d);
  }
  return b;
}

absl::StatusOr<Tensor> PerChannel(const device::Context& ctx, const Tensor& t,
                                  const std::vector<int64_t>& bshape) {
  return device::Reshape(ctx, t, bshape);
}

// The mean and rstd the call normalizes with: the batch's in training, the
// running statistics in eval.
absl::StatusOr<Stats> BatchNormStats(const device::Context& ctx, const Tensor& x,
                                     const BatchNormInputs& b, const Attrs& attrs) {
  const double eps = attrs.Float("eps");
  if (attrs.Bool("training")) return BatchStats(ctx, x, b.dims, eps);
  Stats s;
  TD_ASSIGN_OR_RETURN(Tensor rm, PerChannel(ctx, *b.running_mean, b.bshape));
  TD_ASSIGN_OR_RETURN(Tensor rv, PerChannel(ctx, *b.running_var, b.bshape));
  TD_ASSIGN_OR_RETURN(s.mean, device::To(ctx, rm, x.dtype()));
  TD_ASSIGN_OR_RETURN(Tensor ve, Bin(ctx, BinaryOp::kAdd, rv, Scalar(eps)));
  TD_ASSIGN_OR_RETURN(Tensor r, device::UnaryOpTensor(ctx, device::UnaryOp::kRsqrt, ve));
  TD_ASSIGN_OR_RETURN(s.rstd, device::To(ctx, r, x.dtype()));
  return s;
}

absl::StatusOr<Tensor> BatchNorm(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  TD_ASSIGN_OR_RETURN(BatchNormInputs b, BatchNormSetup(c.inputs, c.attrs));
  const bool training = c.attrs.Bool("training");
  int64_t count = 1;
  for (int64_t d : b.dims) count *= x.shape()[d];
  if (training && count <= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected more than 1 value per channel when training, got input size ",
                     device::ShapeToString(x.shape())));
  }
  TD_ASSIGN_OR_RETURN(Stats s, BatchNormStats(c.ctx, x, b, c.attrs));
  if (training && b.running_mean != nullptr) {
    // running = (1 - momentum) running + momentum batch (the unbiased
    // variance), written in place as PyTorch does.
    const double m = c.attrs.Float("momentum");
    TD_ASSIGN_OR_RETURN(Tensor unbiased,
                        Bin(c.ctx, BinaryOp::kMul, s.var,
                            Scalar(static_cast<double>(count) / static_cast<double>(count - 1))));
    const Tensor* running[] = {b.running_mean, b.running_var};
    const Tensor batch[] = {s.mean, unbiased};
    for (int i = 0; i < 2; ++i) {
      TD_ASSIGN_OR_RETURN(Tensor kept, Bin(c.ctx, BinaryOp::kMul, *running[i], Scalar(1 - m)));
      TD_ASSIGN_OR_RETURN(Tensor flat, device::Reshape(c.ctx, batch[i], running[i]->shape()));
      TD_ASSIGN_OR_RETURN(Tensor fresh, Bin(c.ctx, BinaryOp::kMul, flat, Scalar(m)));
      TD_ASSIGN_OR_RETURN(Tensor sum, Bin(c.ctx, BinaryOp::kAdd, kept, fresh));
      TD_RETURN_IF_ERROR(device::CopyInto(c.ctx, sum, *running[i]));
    }
  }
  TD_ASSIGN_OR_RETURN(Tensor xc, Bin(c.ctx, BinaryOp::kSub, x, s.mean));
  TD_ASSIGN_OR_RETURN(Tensor y, Bin(c.ctx, BinaryOp::kMul, xc, s.rstd));
  if (b.weight != nullptr) {
    TD_ASSIGN_OR_RETURN(Tensor w, PerChannel(c.ctx, *b.weight, b.bshape));
    TD_ASSIGN_OR_RETURN(y, Bin(c.ctx, BinaryOp::kMul, y, w));
  }
  if (b.bias != nullptr) {
    TD_ASSIGN_OR_RETURN(Tensor bb, PerChannel(c.ctx, *b.bias, b.bshape));
    TD_ASSIGN_OR_RETURN(y, Bin(c.ctx, BinaryOp::kAdd, y, bb));
  }
  return device::To(c.ctx, y, x.dtype());
}

absl::StatusOr<std::vector<Tensor>> BatchNormBackward(const GradCall& gc) {
  const Tensor& x = gc.inputs[0];
  TD_ASSIGN_OR_RETURN(BatchNormInputs b, BatchNormSetup(gc.inputs, gc.attrs));
  const Tensor& gy = gc.grads[0];
  // In training the forward already updated the running statistics; the
  // batch statistics are what it normalized with.
  Stats s;
  if (gc.attrs.Bool("training")) {
    TD_ASSIGN_OR_RETURN(s, BatchStats(gc.ctx, x, b.dims, gc.attrs.Float("eps")));
  } else {
    TD_ASSIGN_OR_RETURN(s, BatchNormStats(gc.ctx, x, b, gc.attrs));
  }
  TD_ASSIGN_OR_RETURN(Tensor xc, Bin(gc.ctx, BinaryOp::kSub, x, s.mean));
  TD_ASSIGN_OR_RETURN(Tensor xhat, Bin(gc.ctx, BinaryOp::kMul, xc, s.rstd));
  std::vector<Tensor> out(gc.inputs.size());
  const size_t wi = b.running_mean != nullptr ? 3 : 1;
  if (gc.needs_grad[0]) {
    Tensor dxhat = gy;
    if (b.weight != nullptr) {
      TD_ASSIGN_OR_RETURN(Tensor w, PerChannel(gc.ctx, *b.weight, b.bshape));
      TD_ASSIGN_OR_RETURN(dxhat, Bin(gc.ctx, BinaryOp::kMul, gy, w));
    }
    if (gc.attrs.Bool("training")) {
      TD_ASSIGN_OR_RETURN(out[0], NormalizedBackward(gc.ctx, dxhat, xhat, s.rstd, b.dims));
    } else {
      TD_ASSIGN_OR_RETURN(out[0], Bin(gc.ctx, BinaryOp::kMul, dxhat, s.rstd));
    }
  }
  if (b.weight != nullptr && gc.needs_grad[wi]) {
    TD_ASSIGN_OR_RETURN(Tensor p, Bin(gc.ctx, BinaryOp::kMul, gy, xhat));
    TD_ASSIGN_OR_RETURN(Tensor dw, device::ReduceTensor(gc.ctx, ReduceOp::kSum, p, b.dims, false));
    TD_ASSIGN_OR_RETURN(out[wi], device::Reshape(gc.ctx, dw, gc.input_shapes[wi]));
  }
  if (b.bias != nullptr && gc.needs_grad[wi + 1]) {
    TD_ASSIGN_OR_RETURN(Tensor db, device::ReduceTensor(gc.ctx, ReduceOp::kSum, gy, b.dims, false));
    TD_ASSIGN_OR_RETURN(out[wi + 1], device::Reshape(gc.ctx, db, gc.input_shapes[wi + 1]));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "batch_norm",
    .doc = "Batch normalization as torch.nn.functional.batch_norm over [N, C, ...] input, per "
           "channel. Inputs: input, running_mean, running_var, then optional weight and bias "
           "(with running_stats=false: input and optional weight, bias). In training the "
           "batch's statistics normalize and the running ones are updated in place with "
           "momentum; in eval the running ones normalize.",
    .inputs = {"input", "running_mean?", "running_var?", "weight?", "bias?"},
    .attrs = {BoolAttr("training", false, "use batch statistics and update the running ones"),
              {"momentum", AttrType::kFloat, AttrValue(0.1), false,
               "weight of the batch in the running statistics' update"},
              {"eps", AttrType::kFloat, AttrValue(1e-5), false, "added to the variance"},
              BoolAttr("running_stats", true,
                       "inputs 1 and 2 are running_mean and running_var (false: none given)")},
    .forward = Single(BatchNorm),
    .derivative = Derivative{.grad_fn = "NativeBatchNormBackward0",
                             .backward = &BatchNormBackward,
                             .saves_inputs = true},
});

// ---- layer_norm ----

struct LayerNormSetup {
  std::vector<int64_t> dims;  // the normalized (last) dims
};

absl::StatusOr<LayerNormSetup> LayerNormCheck(std::span<const Tensor> in, const Attrs& attrs) {
  const Tensor& x = in[0];
  const std::vector<int64_t>& shape = attrs.Ints("normalized_shape");
  TD_RETURN_IF_ERROR(FloatingInput(x, "layer_norm"));
  const int64_t k = static_cast<int64_t>(shape.size());
  bool fits = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) fits = x.shape()[x.dim() - k + i] == shape[i];
  if (!fits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Given normalized_shape=", device::ShapeToString(shape), ", expected input with shape [*, ",
        absl::StrJoin(shape, ", "), "], but got input of size", device::ShapeToString(x.shape())));
  }
  const char* names[] = {"weight", "bias"};
  for (size_t i = 1; i < in.size(); ++i) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(x, in[i]));
    if (in[i].shape() != device::Shape(shape.begin(), shape.end())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Expected ", names[i - 1], " to be of same shape as normalized_shape, but got ",
          names[i - 1], " of shape ", device::ShapeToString(in[i].shape()),
          " and normalized_shape = ", device::ShapeToString(shape)));
    }
  }
  LayerNormSetup s;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) s.dims.push_back(d);
  return s;
}

absl::StatusOr<Tensor> LayerNorm(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(LayerNormSetup ln, LayerNormCheck(c.inputs, c.attrs));
  const Tensor& x = c.inputs[0];
  TD_ASSIGN_OR_RETURN(Stats s, BatchStats(c.ctx, x, ln.dims, c.attrs.Float("eps")));
  TD_ASSIGN_OR_RETURN(Tensor xc, Bin(c.ctx, BinaryOp::kSub, x, s.mean));
  TD_ASSIGN_OR_RETURN(Tensor y, Bin(c.ctx, BinaryOp::kMul, xc, s.rstd));
  if (c.inputs.size() > 1) {
    TD_ASSIGN_OR_RETURN(y, Bin(c.ctx, BinaryOp::kMul, y, c.inputs[1]));
  }
  if (c.inputs.size() > 2) {
    TD_ASSIGN_OR_RETURN(y, Bin(c.ctx, BinaryOp::kAdd, y, c.inputs[2]));
  }
  return device::To(c.ctx, y, x.dtype());
}

absl::StatusOr<std::vector<Tensor>> LayerNormBackward(const GradCall& gc) {
  TD_ASSIGN_OR_RETURN(LayerNormSetup ln, LayerNormCheck(gc.inputs, gc.attrs));
  const Tensor& x = gc.inputs[0];
  const Tensor& gy = gc.grads[0];
  TD_ASSIGN_OR_RETURN(Stats s, BatchStats(gc.ctx, x, ln.dims, gc.attrs.Float("eps")));
  TD_ASSIGN_OR_RETURN(Tensor xc, Bin(gc.ctx, BinaryOp::kSub, x, s.mean));
  TD_ASSIGN_OR_RETURN(Tensor xhat, Bin(gc.ctx, BinaryOp::kMul, xc, s.rstd));
  std::vector<Tensor> out(gc.inputs.size());
  std::vector<int64_t> outer;
  for (int64_t d = 0; d < ln.dims.front(); ++d) outer.push_back(d);
  if (gc.needs_grad[0]) {
    Tensor dxhat = gy;
    if (gc.inputs.size() > 1) {
      TD_ASSIGN_OR_RETURN(dxhat, Bin(gc.ctx, BinaryOp::kMul, gy, gc.inputs[1]));
    }
    TD_ASSIGN_OR_RETURN(out[0], NormalizedBackward(gc.ctx, dxhat, xhat, s.rstd, ln.dims));
  }
  auto sum_outer = [&](const Tensor& t) -> absl::StatusOr<Tensor> {
    if (outer.empty()) return t;
    return device::ReduceTensor(gc.ctx, ReduceOp::kSum, t, outer, false);
  };
  if (gc.inputs.size() > 1 && gc.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor p, Bin(gc.ctx, BinaryOp::kMul, gy, xhat));
    TD_ASSIGN_OR_RETURN(out[1], sum_outer(p));
  }
  if (gc.inputs.size() > 2 && gc.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(out[2], sum_outer(gy));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "layer_norm",
    .doc = "Layer normalization as torch.nn.functional.layer_norm over the last dims "
           "(normalized_shape), with optional weight and bias of that shape.",
    .inputs = {"input", "weight?", "bias?"},
    .attrs = {{"normalized_shape", AttrType::kInts, std::nullopt, false,
               "the shape of the trailing dims to normalize over"},
              {"eps", AttrType::kFloat, AttrValue(1e-5), false, "added to the variance"}},
    .forward = Single(LayerNorm),
    .derivative = Derivative{.grad_fn = "NativeLayerNormBackward0",
                             .backward = &LayerNormBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
