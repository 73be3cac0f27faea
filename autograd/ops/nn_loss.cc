// Losses as torch.nn.functional: nll_loss and cross_entropy (class-index
// targets, class weights, ignore_index, label smoothing), mse_loss and
// binary_cross_entropy_with_logits, each with reduction mean/sum/none.
//
// nll_loss and cross_entropy share one form: per row i of the [M, C]
// (log-)probabilities, a coefficient row Q[i] (the target's weight at its
// class, plus weight * eps / C everywhere with label smoothing; zero for
// ignored rows) gives loss_i = -sum_c Q[i, c] logp[i, c], and mean divides
// by the total weight of the counted rows, as PyTorch does. Targets are read
// on the host (they are small) to check their range with PyTorch's message
// and to build the weights of the rows.
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/dispatch.h"
#include "autograd/grad_ops.h"
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
using nn::Reduction;

// ---- class-index losses ----

struct ClassRows {
  Tensor rows;              // the input as [M, C], class dim last
  Tensor q;                 // [M, C] coefficients
  double total_weight = 0;  // sum of the counted rows' target weights
  device::Shape target_shape;
  Reduction reduction;
};

std::vector<double> HostValues(const device::Context& ctx, const Tensor& t) {
  absl::StatusOr<Tensor> d = device::To(ctx, t, DType::kFloat64);
  std::vector<double> v(static_cast<size_t>(t.numel()));
  if (!d.ok()) return v;
  absl::StatusOr<std::string> bytes = device::ToHost(ctx, *d);
  if (bytes.ok()) std::memcpy(v.data(), bytes->data(), bytes->size());
  return v;
}

// The input with its class dim (1, or 0 for a 1-D input) moved last and
// flattened to [M, C].
absl::StatusOr<Tensor> ClassLast(const device::Context& ctx, const Tensor& x) {
  if (x.dim() == 1) return x.WithMeta({1, x.shape()[0]}, {0, x.strides()[0]}, x.offset());
  if (x.dim() == 2) return x;
  std::vector<int64_t> perm = {0};
  for (int64_t d = 2; d < x.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  TD_ASSIGN_OR_RETURN(Tensor p, x.Permute(perm));
  return device::Reshape(ctx, p, std::vector<int64_t>{-1, x.shape()[1]});
}

// The [M, C] gradient back in the input's layout.
absl::StatusOr<Tensor> ClassBack(const device::Context& ctx, const Tensor& rows,
                                 const device::Shape& shape) {
  if (shape.size() <= 2) return rows.View(shape);
  std::vector<int64_t> moved = {shape[0]};
  for (size_t d = 2; d < shape.size(); ++d) moved.push_back(shape[d]);
  moved.push_back(shape[1]);
  TD_ASSIGN_OR_RETURN(Tensor v, rows.View(moved));
  std::vector<int64_t> perm = {0, static_cast<int64_t>(shape.size()) - 1};
  for (size_t d = 1; d + 1 < shape.size(); ++d) perm.push_back(static_cast<int64_t>(d));
  return v.Permute(perm);
}

absl::StatusOr<ClassRows> MakeClassRows(const device::Context& ctx, const Tensor& input,
                                        const Tensor& target, const Tensor* weight,
                                        const Attrs& attrs, double smoothing) {
  ClassRows r;
  TD_ASSIGN_OR_RETURN(r.reduction, nn::ReductionAttr(attrs));
  if (input.dim() == 0) {
    return absl::InvalidArgumentError("input tensor should be 1D or 2D (or more), got 0-D");
  }
  if (!device::IsFloating(input.dtype())) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a floating-point input (log-probabilities or logits), got ",
                     device::DTypeName(input.dtype()), ": convert it with to()"));
  }
  if (target.dtype() != DType::kInt64) {
    return absl::InvalidArgumentError(absl::StrCat("expected scalar type Long but found ",
                                                   device::ScalarTypeName(target.dtype()),
                                                   ": class-index targets are int64"));
  }
  TD_RETURN_IF_ERROR(device::CheckSameDevice(input, target));
  const int64_t c = input.dim() == 1 ? input.shape()[0] : input.shape()[1];
  if (input.dim() == 1) {
    if (target.dim() != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Expected a 0-D target for a 1-D input, but got target of size ",
                       device::ShapeToString(target.shape())));
    }
  } else {
    if (target.dim() == 0 || target.shape()[0] != input.shape()[0]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Expected input batch_size (", input.shape()[0], ") to match target batch_size (",
          target.dim() == 0 ? 0 : target.shape()[0], ")."));
    }
    device::Shape expected = {input.shape()[0]};
    for (int64_t d = 2; d < input.dim(); ++d) expected.push_back(input.shape()[d]);
    if (target.shape() != expected) {
      return absl::InvalidArgumentError(absl::StrCat("Expected target size ",
                                                     device::ShapeToString(expected), ", got ",
                                                     device::ShapeToString(target.shape())));
    }
  }
  std::vector<double> w(static_cast<size_t>(c), 1.0);
  if (weight != nullptr) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(input, *weight));
    if (weight->numel() != c || weight->dim() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight tensor should be defined either for all ", c,
                       " classes or no classes but got weight tensor of shape: ",
                       device::ShapeToString(weight->shape())));
    }
    w = HostValues(ctx, *weight);
  }
  r.target_shape = target.shape();
  TD_ASSIGN_OR_RETURN(r.rows, ClassLast(ctx, input));
  const int64_t m = r.rows.shape()[0];
  TD_ASSIGN_OR_RETURN(std::string tbytes, device::ToHost(ctx, target));
  std::vector<int64_t> t(static_cast<size_t>(m));
  std::memcpy(t.data(), tbytes.data(), tbytes.size());
  const int64_t ignore = attrs.Int("ignore_index");
  std::vector<int64_t> safe(static_cast<size_t>(m));
  std::vector<double> wrow(static_cast<size_t>(m)), valid(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    if (t[i] == ignore) continue;
    if (t[i] < 0 || t[i] >= c) {
      return absl::InvalidArgumentError(absl::StrCat("Target ", t[i], " is out of bounds."));
    }
    safe[i] = t[i];
    wrow[i] = w[t[i]];
    valid[i] = 1;
    r.total_weight += wrow[i];
  }
  // Q = eps / C * w (valid rows), then (1 - eps) * w[t] added at each target.
  device::Backend& backend = r.rows.backend();
  const std::vector<int64_t> col = {m, 1};
  TD_ASSIGN_OR_RETURN(r.q, ctx.Empty(std::vector<int64_t>{m, c}, input.dtype(), input.device()));
  if (smoothing > 0) {
    std::vector<double> q(static_cast<size_t>(m * c));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < c; ++j) q[i * c + j] = valid[i] * w[j] * smoothing / c;
    }
    TD_ASSIGN_OR_RETURN(
        Tensor q64, device::FromHost(ctx, q.data(), q.size() * sizeof(double),
                                     std::vector<int64_t>{m, c}, DType::kFloat64, input.device()));
    TD_RETURN_IF_ERROR(backend.Copy(q64, r.q));
  } else {
    TD_RETURN_IF_ERROR(backend.Fill(r.q, Scalar(0)));
  }
  for (double& v : wrow) v *= 1 - smoothing;
  TD_ASSIGN_OR_RETURN(Tensor index,
                      device::FromHost(ctx, safe.data(), safe.size() * sizeof(int64_t), col,
                                       DType::kInt64, input.device()));
  TD_ASSIGN_OR_RETURN(Tensor src64, device::FromHost(ctx, wrow.data(), wrow.size() * sizeof(double),
                                                     col, DType::kFloat64, input.device()));
  TD_ASSIGN_OR_RETURN(Tensor src, device::To(ctx, src64, input.dtype()));
  TD_RETURN_IF_ERROR(backend.Scatter(device::ScatterMode::kAdd, 1, index, src, r.q));
  return r;
}

// -sum_c Q logp per row, reduced.
absl::StatusOr<Tensor> ReduceRows(const device::Context& ctx, const ClassRows& r,
                                  const Tensor& logp) {
  device::Backend& backend = r.q.backend();
  TD_ASSIGN_OR_RETURN(Tensor prod, nn::EmptyLike(ctx, r.q, r.q.shape()));
  TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kMul, r.q, logp, prod));
  TD_ASSIGN_OR_RETURN(Tensor neg, device::BinaryOpTensor(ctx, BinaryOp::kMul, prod, Scalar(-1.0)));
  if (r.reduction == Reduction::kNone) {
    TD_ASSIGN_OR_RETURN(Tensor rows, nn::SumKeep(ctx, neg, {1}));
    return rows.View(r.target_shape);
  }
  TD_ASSIGN_OR_RETURN(Tensor total, nn::SumKeep(ctx, neg, {0, 1}));
  TD_ASSIGN_OR_RETURN(Tensor scalar, total.View(std::vector<int64_t>{}));
  if (r.reduction == Reduction::kSum) return scalar;
  TD_ASSIGN_OR_RETURN(Tensor total_weight, device::ScalarTensor(ctx, Scalar(r.total_weight),
                                                                scalar.dtype(), scalar.device()));
  TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kDiv, scalar, total_weight, scalar));
  return scalar;
}

// The incoming gradient as an [M, 1] column (mean divided by the total
// weight), broadcastable over the classes.
absl::StatusOr<Tensor> GradColumn(const device::Context& ctx, const ClassRows& r,
                                  const Tensor& grad) {
  const int64_t m = r.q.shape()[0];
  if (r.reduction == Reduction::kNone) {
    return device::Reshape(ctx, grad, std::vector<int64_t>{m, 1});
  }
  Tensor g = grad;
  if (r.reduction == Reduction::kMean) {
    TD_ASSIGN_OR_RETURN(g,
                        device::BinaryOpTensor(ctx, BinaryOp::kDiv, grad, Scalar(r.total_weight)));
  }
  return g.Expand(std::vector<int64_t>{m, 1});
}

absl::StatusOr<double> Smoothing(const Attrs& attrs) {
  if (!attrs.Has("label_smoothing")) return 0.0;
  const double eps = attrs.Float("label_smoothing");
  if (eps < 0 || eps > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("label_smoothing must be between 0.0 and 1.0. Got: ", eps));
  }
  return eps;
}

const Tensor* Weight(std::span<const Tensor> inputs) {
  return inputs.size() > 2 ? &inputs[2] : nullptr;
}

absl::StatusOr<Tensor> LogSoftmaxRows(const device::Context& ctx, const Tensor& rows) {
  TD_ASSIGN_OR_RETURN(DispatchResult r, Dispatch(ctx, "log_softmax", std::vector<Tensor>{rows},
                                                 {{"dim", int64_t{1}}}));
  return r.outputs[0];
}

absl::StatusOr<Tensor> NllLoss(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(ClassRows r,
                      MakeClassRows(c.ctx, c.inputs[0], c.inputs[1], Weight(c.inputs), c.attrs, 0));
  return ReduceRows(c.ctx, r, r.rows);
}

// d input = -Q g.
absl::StatusOr<std::vector<Tensor>> NllLossBackward(const GradCall& gc) {
  std::vector<Tensor> out(gc.inputs.size());
  if (!gc.needs_grad[0]) return out;
  TD_ASSIGN_OR_RETURN(ClassRows r, MakeClassRows(gc.ctx, gc.inputs[0], gc.inputs[1],
                                                 Weight(gc.inputs), gc.attrs, 0));
  TD_ASSIGN_OR_RETURN(Tensor g, GradColumn(gc.ctx, r, gc.grads[0]));
  TD_ASSIGN_OR_RETURN(Tensor neg, device::BinaryOpTensor(gc.ctx, BinaryOp::kMul, g, Scalar(-1.0)));
  TD_ASSIGN_OR_RETURN(Tensor d, device::BinaryOpTensor(gc.ctx, BinaryOp::kMul, r.q, neg));
  TD_ASSIGN_OR_RETURN(out[0], ClassBack(gc.ctx, d, gc.input_shapes[0]));
  return out;
}

absl::StatusOr<Tensor> CrossEntropy(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(double eps, Smoothing(c.attrs));
  TD_ASSIGN_OR_RETURN(
      ClassRows r, MakeClassRows(c.ctx, c.inputs[0], c.inputs[1], Weight(c.inputs), c.attrs, eps));
  TD_ASSIGN_OR_RETURN(Tensor logp, LogSoftmaxRows(c.ctx, r.rows));
  return ReduceRows(c.ctx, r, logp);
}

// d logits = g (softmax * sum_c Q - Q).
absl::StatusOr<std::vector<Tensor>> CrossEntropyBackward(const GradCall& gc) {
  std::vector<Tensor> out(gc.inputs.size());
  if (!gc.needs_grad[0]) return out;
  TD_ASSIGN_OR_RETURN(double eps, Smoothing(gc.attrs));
  TD_ASSIGN_OR_RETURN(ClassRows r, MakeClassRows(gc.ctx, gc.inputs[0], gc.inputs[1],
                                                 Weight(gc.inputs), gc.attrs, eps));
  TD_ASSIGN_OR_RETURN(Tensor p, LogSoftmaxRows(gc.ctx, r.rows));
  device::Backend& backend = p.backend();
  TD_RETURN_IF_ERROR(backend.Unary(device::UnaryOp::kExp, p, p));
  TD_ASSIGN_OR_RETURN(Tensor qsum, nn::SumKeep(gc.ctx, r.q, {1}));
  TD_ASSIGN_OR_RETURN(Tensor qsum_full, qsum.Expand(p.shape()));
  TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kMul, p, qsum_full, p));
  TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kSub, p, r.q, p));
  TD_ASSIGN_OR_RETURN(Tensor g, GradColumn(gc.ctx, r, gc.grads[0]));
  TD_ASSIGN_OR_RETURN(Tensor g_full, g.Expand(p.shape()));
  TD_ASSIGN_OR_RETURN(Tensor g_cast, device::To(gc.ctx, g_full, p.dtype()));
  TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kMul, p, g_cast, p));
  TD_ASSIGN_OR_RETURN(out[0], ClassBack(gc.ctx, p, gc.input_shapes[0]));
  return out;
}

std::vector<AttrDef> ClassLossAttrs(bool smoothing) {
  std::vector<AttrDef> attrs = {
      IntAttr("ignore_index", -100, "targets equal to this count for nothing"),
      nn::ReductionAttrDef()};
  if (smoothing) {
    attrs.push_back({"label_smoothing", AttrType::kFloat, AttrValue(0.0), false,
                     "mix the target with a uniform distribution by this much (0 to 1)"});
  }
  return attrs;
}

// PyTorch runs nll_loss2d for inputs of more than 2 dims (viewing other
// ranks as 4-D, so their unreduced result comes out of a view).
std::string NllName(std::span<const Tensor> in, const Attrs& attrs) {
  if (in[0].dim() <= 2) return "NllLossBackward0";
  if (in[0].dim() != 4 && attrs.String("reduction") == "none") return "ViewBackward0";
  return "NllLoss2DBackward0";
}

TENSORD_REGISTER_OP(OpDef{
    .name = "nll_loss",
    .doc = "Negative log-likelihood as torch.nn.functional.nll_loss: input [N, C] (or [C], or "
           "[N, C, d...]) of log-probabilities, int64 class-index target [N] (or [], [N, d...]), "
           "optional class weight [C]; ignore_index; reduction mean, sum or none.",
    .inputs = {"input", "target", "weight?"},
    .attrs = ClassLossAttrs(false),
    .forward = Single(NllLoss),
    .derivative = Derivative{.grad_fn_for = &NllName,
                             .backward = &NllLossBackward,
                             .saves_inputs = true},
});

// PyTorch composes cross_entropy as log_softmax + nll_loss, plus a weighted
// sum for label smoothing; its node is the last step's.
std::string CrossEntropyName(std::span<const Tensor> in, const Attrs& attrs) {
  const bool smoothing = attrs.Has("label_smoothing") && attrs.Float("label_smoothing") > 0;
  return smoothing ? "AddBackward0" : NllName(in, attrs);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "cross_entropy",
    .doc = "Cross-entropy of logits against class indices as torch.nn.functional.cross_entropy "
           "(log_softmax over dim 1, then nll_loss): input [N, C] (or [C], [N, C, d...]), int64 "
           "target, optional class weight [C]; ignore_index, label_smoothing, reduction.",
    .inputs = {"input", "target", "weight?"},
    .attrs = ClassLossAttrs(true),
    .forward = Single(CrossEntropy),
    .derivative = Derivative{.grad_fn_for = &CrossEntropyName,
                             .backward = &CrossEntropyBackward,
                             .saves_inputs = true},
});

// ---- mse_loss and binary_cross_entropy_with_logits ----

// Shorthands for the elementwise steps of these losses (broadcasting, with
// PyTorch's type promotion).
absl::StatusOr<Tensor> Bin(const device::Context& ctx, BinaryOp op, const device::Operand& a,
                           const device::Operand& b) {
  return device::BinaryOpTensor(ctx, op, a, b);
}
absl::StatusOr<Tensor> Un(const device::Context& ctx, device::UnaryOp op, const Tensor& a) {
  return device::UnaryOpTensor(ctx, op, a);
}

absl::StatusOr<Tensor> ApplyReduction(const device::Context& ctx, const Tensor& t, Reduction r) {
  if (r == Reduction::kNone) return t;
  TD_ASSIGN_OR_RETURN(Tensor s, device::ReduceTensor(ctx, device::ReduceOp::kSum, t, {}, false));
  if (r == Reduction::kSum) return s;
  return Bin(ctx, BinaryOp::kDiv, s, Scalar(static_cast<double>(t.numel())));
}

// The incoming gradient of a reduced loss spread over `numel` elements.
absl::StatusOr<Tensor> SpreadGrad(const device::Context& ctx, const Tensor& grad, Reduction r,
                                  int64_t numel) {
  if (r != Reduction::kMean) return grad;
  return Bin(ctx, BinaryOp::kDiv, grad, Scalar(static_cast<double>(numel)));
}

absl::Status FloatInputs(const Tensor& a, const Tensor& b) {
  if (device::IsFloating(a.dtype()) && device::IsFloating(b.dtype())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("expected floating-point input and target, got ", device::DTypeName(a.dtype()),
                   " and ", device::DTypeName(b.dtype()), ": convert them with to()"));
}

absl::StatusOr<Tensor> MseLoss(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(Reduction r, nn::ReductionAttr(c.attrs));
  TD_RETURN_IF_ERROR(FloatInputs(c.inputs[0], c.inputs[1]));
  TD_ASSIGN_OR_RETURN(Tensor diff, Bin(c.ctx, BinaryOp::kSub, c.inputs[0], c.inputs[1]));
  TD_ASSIGN_OR_RETURN(Tensor sq, Bin(c.ctx, BinaryOp::kMul, diff, diff));
  return ApplyReduction(c.ctx, sq, r);
}

// d input = 2 (input - target) grad, d target = its negation (each summed
// back over broadcast dims).
absl::StatusOr<std::vector<Tensor>> MseLossBackward(const GradCall& gc) {
  TD_ASSIGN_OR_RETURN(Reduction r, nn::ReductionAttr(gc.attrs));
  TD_ASSIGN_OR_RETURN(Tensor diff, Bin(gc.ctx, BinaryOp::kSub, gc.inputs[0], gc.inputs[1]));
  TD_ASSIGN_OR_RETURN(Tensor g, SpreadGrad(gc.ctx, gc.grads[0], r, diff.numel()));
  TD_ASSIGN_OR_RETURN(Tensor g2, Bin(gc.ctx, BinaryOp::kMul, g, Scalar(2.0)));
  TD_ASSIGN_OR_RETURN(Tensor d, Bin(gc.ctx, BinaryOp::kMul, diff, g2));
  std::vector<Tensor> out(2);
  if (gc.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(gc, d, gc.input_shapes[0]));
  }
  if (gc.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor neg, Un(gc.ctx, device::UnaryOp::kNeg, d));
    TD_ASSIGN_OR_RETURN(out[1], grad::SumTo(gc, neg, gc.input_shapes[1]));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "mse_loss",
    .doc = "Mean squared error (input - target)^2 as torch.nn.functional.mse_loss, broadcasting "
           "the two; reduction mean, sum or none.",
    .inputs = {"input", "target"},
    .attrs = {nn::ReductionAttrDef()},
    .forward = Single(MseLoss),
    .derivative = Derivative{.grad_fn = "MseLossBackward0",
                             .backward = &MseLossBackward,
                             .saves_inputs = true},
});

// softplus(-x) = log(1 + exp(-x)), computed stably as
// log1p(exp(-|x|)) + max(-x, 0).
absl::StatusOr<Tensor> SoftplusNeg(const device::Context& ctx, const Tensor& x) {
  TD_ASSIGN_OR_RETURN(Tensor a, Un(ctx, device::UnaryOp::kAbs, x));
  TD_ASSIGN_OR_RETURN(Tensor na, Un(ctx, device::UnaryOp::kNeg, a));
  TD_ASSIGN_OR_RETURN(Tensor e, Un(ctx, device::UnaryOp::kExp, na));
  TD_ASSIGN_OR_RETURN(Tensor l, Un(ctx, device::UnaryOp::kLog1p, e));
  TD_ASSIGN_OR_RETURN(Tensor nx, Un(ctx, device::UnaryOp::kNeg, x));
  TD_ASSIGN_OR_RETURN(Tensor m, Bin(ctx, BinaryOp::kClampMin, nx, Scalar(0.0)));
  return Bin(ctx, BinaryOp::kAdd, l, m);
}

// The optional inputs: weight (third) and pos_weight (fourth).
struct BceInputs {
  const Tensor* weight = nullptr;
  const Tensor* pos_weight = nullptr;
};

absl::StatusOr<BceInputs> CheckBce(std::span<const Tensor> in) {
  const Tensor& x = in[0];
  const Tensor& y = in[1];
  if (x.shape() != y.shape()) {
    auto torch_size = [](const Tensor& t) {
      return absl::StrCat("torch.Size(", device::ShapeToString(t.shape()), ")");
    };
    return absl::InvalidArgumentError(absl::StrCat(
        "Target size (", torch_size(y), ") must be the same as input size (", torch_size(x), ")"));
  }
  TD_RETURN_IF_ERROR(FloatInputs(x, y));
  BceInputs b;
  if (in.size() > 2) b.weight = &in[2];
  if (in.size() > 3) b.pos_weight = &in[3];
  return b;
}

// (pos_weight - 1) * target + 1, or nothing without pos_weight.
absl::StatusOr<Tensor> LogWeight(const device::Context& ctx, const Tensor& y, const Tensor& pw) {
  TD_ASSIGN_OR_RETURN(Tensor pm1, Bin(ctx, BinaryOp::kSub, pw, Scalar(1.0)));
  TD_ASSIGN_OR_RETURN(Tensor t, Bin(ctx, BinaryOp::kMul, pm1, y));
  return Bin(ctx, BinaryOp::kAdd, t, Scalar(1.0));
}

absl::StatusOr<Tensor> BceWithLogits(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(Reduction r, nn::ReductionAttr(c.attrs));
  TD_ASSIGN_OR_RETURN(BceInputs b, CheckBce(c.inputs));
  const Tensor& x = c.inputs[0];
  const Tensor& y = c.inputs[1];
  TD_ASSIGN_OR_RETURN(Tensor sp, SoftplusNeg(c.ctx, x));
  if (b.pos_weight != nullptr) {
    TD_ASSIGN_OR_RETURN(Tensor lw, LogWeight(c.ctx, y, *b.pos_weight));
    TD_ASSIGN_OR_RETURN(sp, Bin(c.ctx, BinaryOp::kMul, lw, sp));
  }
  TD_ASSIGN_OR_RETURN(Tensor one_minus_y, Bin(c.ctx, BinaryOp::kSub, Scalar(1.0), y));
  TD_ASSIGN_OR_RETURN(Tensor lin, Bin(c.ctx, BinaryOp::kMul, one_minus_y, x));
  TD_ASSIGN_OR_RETURN(Tensor loss, Bin(c.ctx, BinaryOp::kAdd, lin, sp));
  if (b.weight != nullptr) {
    TD_ASSIGN_OR_RETURN(loss, Bin(c.ctx, BinaryOp::kMul, loss, *b.weight));
  }
  if (loss.shape() != x.shape()) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight and pos_weight must broadcast to the input's shape ",
                     device::ShapeToString(x.shape()), ", but the loss has shape ",
                     device::ShapeToString(loss.shape())));
  }
  return ApplyReduction(c.ctx, loss, r);
}

// d input = w ((1 - y) - L sigmoid(-x)) grad; d target = w (-x + (pw - 1)
// softplus(-x)) grad, with L = (pw - 1) y + 1 (1 without pos_weight).
// weight and pos_weight take no gradient, as in PyTorch.
absl::StatusOr<std::vector<Tensor>> BceWithLogitsBackward(const GradCall& gc) {
  TD_ASSIGN_OR_RETURN(Reduction r, nn::ReductionAttr(gc.attrs));
  TD_ASSIGN_OR_RETURN(BceInputs b, CheckBce(gc.inputs));
  const Tensor& x = gc.inputs[0];
  const Tensor& y = gc.inputs[1];
  TD_ASSIGN_OR_RETURN(Tensor g, SpreadGrad(gc.ctx, gc.grads[0], r, x.numel()));
  if (b.weight != nullptr) {
    TD_ASSIGN_OR_RETURN(g, Bin(gc.ctx, BinaryOp::kMul, g, *b.weight));
  }
  std::vector<Tensor> out(gc.inputs.size());
  if (gc.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(Tensor nx, Un(gc.ctx, device::UnaryOp::kNeg, x));
    TD_ASSIGN_OR_RETURN(Tensor s, Un(gc.ctx, device::UnaryOp::kSigmoid, nx));
    if (b.pos_weight != nullptr) {
      TD_ASSIGN_OR_RETURN(Tensor lw, LogWeight(gc.ctx, y, *b.pos_weight));
      TD_ASSIGN_OR_RETURN(s, Bin(gc.ctx, BinaryOp::kMul, lw, s));
    }
    TD_ASSIGN_OR_RETURN(Tensor one_minus_y, Bin(gc.ctx, BinaryOp::kSub, Scalar(1.0), y));
    TD_ASSIGN_OR_RETURN(Tensor d, Bin(gc.ctx, BinaryOp::kSub, one_minus_y, s));
    TD_ASSIGN_OR_RETURN(Tensor dg, Bin(gc.ctx, BinaryOp::kMul, d, g));
    TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(gc, dg, gc.input_shapes[0]));
  }
  if (gc.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor d, Un(gc.ctx, device::UnaryOp::kNeg, x));
    if (b.pos_weight != nullptr) {
      TD_ASSIGN_OR_RETURN(Tensor sp, SoftplusNeg(gc.ctx, x));
      TD_ASSIGN_OR_RETURN(Tensor pm1, Bin(gc.ctx, BinaryOp::kSub, *b.pos_weight, Scalar(1.0)));
      TD_ASSIGN_OR_RETURN(Tensor t, Bin(gc.ctx, BinaryOp::kMul, pm1, sp));
      TD_ASSIGN_OR_RETURN(d, Bin(gc.ctx, BinaryOp::kAdd, d, t));
    }
    TD_ASSIGN_OR_RETURN(Tensor dg, Bin(gc.ctx, BinaryOp::kMul, d, g));
    TD_ASSIGN_OR_RETURN(out[1], grad::SumTo(gc, dg, gc.input_shapes[1]));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "binary_cross_entropy_with_logits",
    .doc = "Binary cross-entropy of logits as torch.nn.functional."
           "binary_cross_entropy_with_logits: input and target of one shape, optional weight "
           "and pos_weight (broadcast; to give pos_weight alone pass a weight of 1); reduction "
           "mean, sum or none.",
    .inputs = {"input", "target", "weight?", "pos_weight?"},
    .attrs = {nn::ReductionAttrDef()},
    .forward = Single(BceWithLogits),
    .derivative = Derivative{.grad_fn = "BinaryCrossEntropyWithLogitsBackward0",
                             .backward = &BceWithLogitsBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
