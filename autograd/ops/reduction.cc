// Reductions with PyTorch's semantics: sum, prod, mean, max/min (with and
// without a dim), amax/amin, argmax/argmin, var/std, norm, logsumexp,
// all/any and the cumulative cumsum/cumprod. Dims may be negative; keepdim
// keeps reduced dims with size 1. Statistics that need floating point (var,
// std, norm, logsumexp) are computed in float64 and rounded into the
// result's dtype, so float16 and bfloat16 lose nothing on the way.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::BinaryOp;
using device::DType;
using device::ReduceOp;
using device::Scalar;
using device::Shape;
using device::Tensor;
using device::UnaryOp;

// ---- shared attribute declarations -------------------------------------------

AttrDef DimsAttr(bool required = false) {
  return {"dim", AttrType::kInts, std::nullopt, !required,
          required ? "dims to reduce" : "dims to reduce (default: all)"};
}
AttrDef OneDimAttr(bool required) {
  return {"dim", AttrType::kInt, std::nullopt, !required,
          required ? "the dim to work along" : "the dim to reduce (default: all, flattened)"};
}
AttrDef KeepdimAttr() { return BoolAttr("keepdim", false, "keep reduced dims with size 1"); }

std::vector<AttrDef> ReduceAttrs() {
  return {DimsAttr(), KeepdimAttr(), DTypeAttr("compute and return in this dtype")};
}

// ---- shared pieces of the forwards -------------------------------------------

std::vector<int64_t> Dims(const OpCall& c) {
  return c.attrs.Has("dim") ? c.attrs.Ints("dim") : std::vector<int64_t>{};
}
bool Keepdim(const OpCall& c) { return c.attrs.Bool("keepdim"); }

// `dims` wrapped, sorted and unique (every dim when empty), as the
// reduction primitives take them. A 0-dim tensor accepts dim 0 and -1 and
// reduces nothing.
absl::StatusOr<std::vector<int64_t>> WrapDims(const Tensor& in, std::span<const int64_t> dims) {
  std::vector<int64_t> wrapped;
  if (dims.empty()) {
    for (int64_t d = 0; d < in.dim(); ++d) wrapped.push_back(d);
    return wrapped;
  }
  for (int64_t d : dims) {
    TD_ASSIGN_OR_RETURN(const int64_t w, device::WrapDim(d, in.dim()));
    if (in.dim() == 0) continue;
    if (std::find(wrapped.begin(), wrapped.end(), w) != wrapped.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dim ", w, " appears multiple times in the list of dims"));
    }
    wrapped.push_back(w);
  }
  std::sort(wrapped.begin(), wrapped.end());
  return wrapped;
}

// The number of elements folded into each result element.
int64_t ReducedCount(const Tensor& in, std::span<const int64_t> wrapped) {
  int64_t n = 1;
  for (int64_t d : wrapped) n *= in.shape()[d];
  return n;
}

Shape ReducedShape(const Tensor& in, std::span<const int64_t> wrapped, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const bool reduced = std::binary_search(wrapped.begin(), wrapped.end(), d);
    if (!reduced) {
      out.push_back(in.shape()[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// PyTorch refuses max-like reductions with nothing to pick from.
absl::Status CheckPickable(absl::string_view name, const Tensor& in,
                           std::span<const int64_t> wrapped, bool all_dims) {
  if (all_dims && in.numel() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name,
        "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
        "reduction dim with the 'dim' argument."));
  }
  for (int64_t d : wrapped) {
    if (in.shape()[d] == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "(): Expected reduction dim ", d, " to have non-zero size."));
    }
  }
  return absl::OkStatus();
}

absl::Status RejectBool(absl::string_view name, const Tensor& in) {
  if (in.dtype() != DType::kBool) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, "(): not implemented for bool inputs; convert with to(int64) first"));
}

// Sum-like result dtype: the dtype attr, else floats keep theirs and
// integers and bool widen to int64.
DType WidenedDType(const OpCall& c, const Tensor& self) {
  return c.attrs.DType("dtype").value_or(device::IsFloating(self.dtype()) ? self.dtype()
                                                                          : DType::kInt64);
}

absl::StatusOr<Tensor> ToFloat64(const OpCall& c, const Tensor& t) {
  return device::To(c.ctx, t, DType::kFloat64);
}

absl::StatusOr<Tensor> Binary(const OpCall& c, BinaryOp op, const device::Operand& a,
                              const device::Operand& b) {
  return device::BinaryOpTensor(c.ctx, op, a, b);
}
absl::StatusOr<Tensor> Unary(const OpCall& c, UnaryOp op, const Tensor& a) {
  return device::UnaryOpTensor(c.ctx, op, a);
}
absl::StatusOr<Tensor> Sum(const OpCall& c, const Tensor& t, std::span<const int64_t> dims,
                           bool keepdim) {
  return device::ReduceTensor(c.ctx, ReduceOp::kSum, t, dims, keepdim);
}

std::vector<Tensor> One(Tensor t) { return {std::move(t)}; }

// ---- sum, prod, mean ---------------------------------------------------------

ForwardFn SumLike(ReduceOp op) {
  return [op](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor& self = c.inputs[0];
    TD_ASSIGN_OR_RETURN(Tensor out, device::ReduceTensor(c.ctx, op, self, Dims(c), Keepdim(c),
                                                         WidenedDType(c, self)));
    return One(out);
  };
}

// d sum = grad broadcast back over the reduced dims.
absl::StatusOr<std::vector<Tensor>> SumBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::ExpandReduced(g, g.grads[0]));
  return std::vector<Tensor>{dx};
}

// d mean = grad / count, broadcast back.
absl::StatusOr<std::vector<Tensor>> MeanBackward(const GradCall& g) {
  const int64_t in_numel = device::Numel(g.input_shapes[0]);
  const int64_t out_numel = g.grads[0].numel();
  TD_ASSIGN_OR_RETURN(Tensor expanded, grad::ExpandReduced(g, g.grads[0]));
  const double count = out_numel == 0 ? 0.0 : static_cast<double>(in_numel) / out_numel;
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Op(g, "div", {expanded}, {{"other", count}}));
  return std::vector<Tensor>{dx};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "sum",
    .doc = "Sum of elements over dims; integer and bool inputs sum to int64.",
    .inputs = {"self"},
    .attrs = ReduceAttrs(),
    .forward = SumLike(ReduceOp::kSum),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "SumBackward0",
                             .grad_fn_dim = "SumBackward1",
                             .backward = &SumBackward},
});

absl::StatusOr<std::vector<Tensor>> ProdBackward(const GradCall& g);  // below, with max/min

TENSORD_REGISTER_OP(OpDef{
    .name = "prod",
    .doc = "Product of elements over dims; integer and bool inputs multiply in int64.",
    .inputs = {"self"},
    .attrs = ReduceAttrs(),
    .forward = SumLike(ReduceOp::kProd),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "ProdBackward0",
                             .grad_fn_dim = "ProdBackward1",
                             .backward = &ProdBackward,
                             .saves_inputs = true},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "mean",
    .doc = "Mean of elements over dims; floating-point inputs only (or pass dtype).",
    .inputs = {"self"},
    .attrs = ReduceAttrs(),
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      const Tensor& self = c.inputs[0];
      const DType dtype = c.attrs.DType("dtype").value_or(self.dtype());
      if (!device::IsFloating(dtype)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            "or complex dtype. Got: ",
            device::DTypeName(dtype), " (pass dtype=float32 or convert with to())"));
      }
      TD_ASSIGN_OR_RETURN(Tensor sum, device::ReduceTensor(c.ctx, ReduceOp::kSum, self, Dims(c),
                                                           Keepdim(c), dtype));
      const int64_t count = sum.numel() == 0 ? 0 : self.numel() / sum.numel();
      TD_ASSIGN_OR_RETURN(Tensor out,
                          device::BinaryOpTensor(c.ctx, BinaryOp::kDiv, sum,
                                                 Scalar(static_cast<double>(count)), dtype));
      return One(out);
    },
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "MeanBackward0",
                             .grad_fn_dim = "MeanBackward1",
                             .backward = &MeanBackward},
});

// ---- max, min, amax, amin, argmax, argmin ------------------------------------

// ---- derivatives of the picking and statistical reductions --------------------

// 1 / k where x equals the picked value (k: how many do in the reduced
// group), 0 elsewhere: how PyTorch shares the gradient of a pick among ties.
absl::StatusOr<Tensor> ShareAmongEqual(const GradCall& g, const Tensor& x, const Tensor& picked,
                                       const std::vector<int64_t>& dims) {
  TD_ASSIGN_OR_RETURN(Tensor hit, grad::Op(g, "eq", {x, picked}));
  TD_ASSIGN_OR_RETURN(Tensor mask, grad::AsGradType(g, hit));
  TD_ASSIGN_OR_RETURN(Tensor count, grad::Op(g, "sum", {mask}, {{"dim", dims}, {"keepdim", true}}));
  TD_ASSIGN_OR_RETURN(Tensor count_full, grad::ExpandOver(g, count, dims, true));
  return grad::Div(g, mask, count_full);
}

// Gradient shared evenly among the elements equal to the picked value
// (amax, amin, max/min over everything), as PyTorch does.
absl::StatusOr<std::vector<Tensor>> EvenlyToPicked(const GradCall& g) {
  const std::vector<int64_t> dims = grad::ReducedDims(g);
  const bool keepdim = g.attrs.Has("keepdim") && g.attrs.Bool("keepdim");
  TD_ASSIGN_OR_RETURN(Tensor y, grad::ExpandOver(g, g.outputs[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor share, ShareAmongEqual(g, g.inputs[0], y, dims));
  TD_ASSIGN_OR_RETURN(Tensor gy, grad::ExpandOver(g, g.grads[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, gy, share));
  return std::vector<Tensor>{dx};
}

// max/min with dim: the gradient goes to the index each value came from.
absl::StatusOr<std::vector<Tensor>> ToIndices(const GradCall& g) {
  if (!g.attrs.Has("dim")) return EvenlyToPicked(g);
  const std::vector<int64_t> dims = grad::ReducedDims(g);
  const device::Shape& in = g.input_shapes[0];
  std::vector<int64_t> kept(in.begin(), in.end());
  if (!kept.empty()) kept[dims[0]] = 1;
  TD_ASSIGN_OR_RETURN(Tensor gk, grad::Op(g, "reshape", {g.grads[0]}, {{"size", kept}}));
  TD_ASSIGN_OR_RETURN(Tensor ik, grad::Op(g, "reshape", {g.outputs[1]}, {{"size", kept}}));
  TD_ASSIGN_OR_RETURN(Tensor zeros, grad::Zeros(g));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Op(g, "scatter", {zeros, ik, gk},
                                          {{"dim", dims.empty() ? int64_t{0} : dims[0]}}));
  return std::vector<Tensor>{dx};
}

// var: grad 2 (x - mean) / (N - correction); std divides that by 2 std.
BackwardFn VarStdBackward(bool take_sqrt) {
  return [take_sqrt](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    const std::vector<int64_t> dims = grad::ReducedDims(g);
    const bool keepdim = g.attrs.Bool("keepdim");
    const Tensor& x = g.inputs[0];
    const int64_t n = device::Numel(g.input_shapes[0]) / std::max<int64_t>(1, g.grads[0].numel());
    const int64_t correction =
        g.attrs.Has("correction") ? g.attrs.Int("correction") : (g.attrs.Bool("unbiased") ? 1 : 0);
    TD_ASSIGN_OR_RETURN(Tensor mean, grad::Op(g, "mean", {x}, {{"dim", dims}, {"keepdim", true}}));
    TD_ASSIGN_OR_RETURN(Tensor dev, grad::Op(g, "sub", {x, mean}));
    TD_ASSIGN_OR_RETURN(Tensor gy, grad::ExpandOver(g, g.grads[0], dims, keepdim));
    double scale = 2.0 / static_cast<double>(n - correction);
    Tensor local = dev;
    if (take_sqrt) {
      scale = 1.0 / static_cast<double>(n - correction);
      TD_ASSIGN_OR_RETURN(Tensor sd, grad::ExpandOver(g, g.outputs[0], dims, keepdim));
      TD_ASSIGN_OR_RETURN(local, grad::Div(g, dev, sd));
    }
    TD_ASSIGN_OR_RETURN(Tensor t, grad::Mul(g, gy, local));
    TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, t, scale));
    return std::vector<Tensor>{dx};
  };
}

// d ||x||_p: p = 2: x / norm; p = 1: sign(x); p = +-inf: sign(x) shared
// among the extreme |x|; otherwise x |x|^(p-2) / norm^(p-1).
absl::StatusOr<std::vector<Tensor>> NormBackward(const GradCall& g) {
  const std::vector<int64_t> dims = grad::ReducedDims(g);
  const bool keepdim = g.attrs.Bool("keepdim");
  const double p = g.attrs.Float("p");
  const Tensor& x = g.inputs[0];
  TD_ASSIGN_OR_RETURN(Tensor gy, grad::ExpandOver(g, g.grads[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor norm, grad::ExpandOver(g, g.outputs[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor sign, grad::Op(g, "sign", {x}));
  Tensor local;
  if (p == 1.0) {
    local = sign;
  } else if (std::isinf(p)) {
    TD_ASSIGN_OR_RETURN(Tensor ax, grad::Op(g, "abs", {x}));
    TD_ASSIGN_OR_RETURN(Tensor share, ShareAmongEqual(g, ax, norm, dims));
    TD_ASSIGN_OR_RETURN(local, grad::Mul(g, sign, share));
  } else if (p == 2.0) {
    TD_ASSIGN_OR_RETURN(local, grad::Div(g, x, norm));
  } else {
    TD_ASSIGN_OR_RETURN(Tensor ax, grad::Op(g, "abs", {x}));
    TD_ASSIGN_OR_RETURN(Tensor axp, grad::Op(g, "pow", {ax}, {{"exponent", p - 2}}));
    TD_ASSIGN_OR_RETURN(Tensor num, grad::Mul(g, x, axp));
    TD_ASSIGN_OR_RETURN(Tensor den, grad::Op(g, "pow", {norm}, {{"exponent", p - 1}}));
    TD_ASSIGN_OR_RETURN(local, grad::Div(g, num, den));
  }
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, gy, local));
  return std::vector<Tensor>{dx};
}

// d logsumexp = grad exp(x - out).
absl::StatusOr<std::vector<Tensor>> LogsumexpBackward(const GradCall& g) {
  const std::vector<int64_t> dims = grad::ReducedDims(g);
  const bool keepdim = g.attrs.Bool("keepdim");
  TD_ASSIGN_OR_RETURN(Tensor out, grad::ExpandOver(g, g.outputs[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor gy, grad::ExpandOver(g, g.grads[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor d, grad::Op(g, "sub", {g.inputs[0], out}));
  TD_ASSIGN_OR_RETURN(Tensor e, grad::Op(g, "exp", {d}));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, gy, e));
  return std::vector<Tensor>{dx};
}

// d prod, zero-safe: with P the product of the nonzero elements and z the
// count of zeros in each reduced group, d/dx_i is P / x_i when z = 0; at
// the zero when z = 1 it is P; everything else is 0.
absl::StatusOr<std::vector<Tensor>> ProdBackward(const GradCall& g) {
  const std::vector<int64_t> dims = grad::ReducedDims(g);
  const bool keepdim = g.attrs.Has("keepdim") && g.attrs.Bool("keepdim");
  const Tensor& x = g.inputs[0];
  const std::map<std::string, AttrValue> group = {{"dim", dims}, {"keepdim", true}};
  TD_ASSIGN_OR_RETURN(Tensor is_zero, grad::Op(g, "eq", {x}, {{"other", 0.0}}));
  TD_ASSIGN_OR_RETURN(Tensor zf, grad::AsGradType(g, is_zero));
  TD_ASSIGN_OR_RETURN(Tensor zc, grad::Op(g, "sum", {zf}, group));
  TD_ASSIGN_OR_RETURN(Tensor zcount, grad::ExpandOver(g, zc, dims, true));
  TD_ASSIGN_OR_RETURN(Tensor xs, grad::Op(g, "masked_fill", {x, is_zero}, {{"value", 1.0}}));
  TD_ASSIGN_OR_RETURN(Tensor p1, grad::Op(g, "prod", {xs}, group));
  TD_ASSIGN_OR_RETURN(Tensor p, grad::ExpandOver(g, p1, dims, true));
  TD_ASSIGN_OR_RETURN(Tensor ratio, grad::Div(g, p, xs));
  TD_ASSIGN_OR_RETURN(Tensor no_zero, grad::Op(g, "eq", {zcount}, {{"other", 0.0}}));
  TD_ASSIGN_OR_RETURN(Tensor one_zero, grad::Op(g, "eq", {zcount}, {{"other", 1.0}}));
  TD_ASSIGN_OR_RETURN(Tensor at_nonzero, grad::Op(g, "where", {no_zero, ratio}, {{"other", 0.0}}));
  TD_ASSIGN_OR_RETURN(Tensor at_zero, grad::Op(g, "where", {one_zero, p}, {{"other", 0.0}}));
  TD_ASSIGN_OR_RETURN(Tensor local, grad::Op(g, "where", {is_zero, at_zero, at_nonzero}));
  TD_ASSIGN_OR_RETURN(Tensor gy, grad::ExpandOver(g, g.grads[0], dims, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, gy, local));
  return std::vector<Tensor>{dx};
}

// d cumprod along dim for inputs without zeros: the reversed cumulative sum
// of grad * out, divided by x. Zeros are refused rather than answered wrong.
absl::StatusOr<std::vector<Tensor>> CumprodBackward(const GradCall& g) {
  const int64_t dim = g.attrs.Int("dim");
  const Tensor& x = g.inputs[0];
  TD_ASSIGN_OR_RETURN(Tensor is_zero, grad::Op(g, "eq", {x}, {{"other", 0.0}}));
  TD_ASSIGN_OR_RETURN(Tensor any_zero, grad::Op(g, "any", {is_zero}));
  TD_ASSIGN_OR_RETURN(std::string flag, device::ToHost(g.ctx, any_zero));
  if (!flag.empty() && flag[0] != 0) {
    return absl::UnimplementedError(
        "the derivative of cumprod is not implemented for inputs that contain zeros yet");
  }
  TD_ASSIGN_OR_RETURN(Tensor go, grad::Mul(g, g.grads[0], g.outputs[0]));
  TD_ASSIGN_OR_RETURN(
      Tensor total,
      grad::Op(g, "sum", {go}, {{"dim", std::vector<int64_t>{dim}}, {"keepdim", true}}));
  TD_ASSIGN_OR_RETURN(Tensor run, grad::Op(g, "cumsum", {go}, {{"dim", dim}}));
  TD_ASSIGN_OR_RETURN(Tensor rest, grad::Op(g, "sub", {total, run}));
  TD_ASSIGN_OR_RETURN(Tensor rev, grad::Op(g, "add", {rest, go}));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Div(g, rev, x));
  return std::vector<Tensor>{dx};
}

// d cumsum along dim: the reversed cumulative sum of grad,
// sum(grad) - cumsum(grad) + grad.
absl::StatusOr<std::vector<Tensor>> CumsumBackward(const GradCall& g) {
  const int64_t dim = g.attrs.Int("dim");
  TD_ASSIGN_OR_RETURN(
      Tensor total,
      grad::Op(g, "sum", {g.grads[0]}, {{"dim", std::vector<int64_t>{dim}}, {"keepdim", true}}));
  TD_ASSIGN_OR_RETURN(Tensor run, grad::Op(g, "cumsum", {g.grads[0]}, {{"dim", dim}}));
  TD_ASSIGN_OR_RETURN(Tensor rest, grad::Op(g, "sub", {total, run}));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Op(g, "add", {rest, g.grads[0]}));
  return std::vector<Tensor>{dx};
}

// torch.max(x) -> 0-dim value; torch.max(x, dim) -> (values, indices).
ForwardFn MaxMin(ReduceOp op, const char* name) {
  return [op, name](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor& self = c.inputs[0];
    if (!c.attrs.Has("dim")) {
      TD_RETURN_IF_ERROR(CheckPickable(name, self, {}, /*all_dims=*/true));
      TD_ASSIGN_OR_RETURN(Tensor v, device::ReduceTensor(c.ctx, op, self, {}, false));
      return One(v);
    }
    TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped,
                        WrapDims(self, std::vector<int64_t>{c.attrs.Int("dim")}));
    TD_RETURN_IF_ERROR(CheckPickable(name, self, wrapped, /*all_dims=*/false));
    TD_ASSIGN_OR_RETURN(auto vi,
                        device::ArgReduceTensor(c.ctx, op, self, c.attrs.Int("dim"), Keepdim(c)));
    return std::vector<Tensor>{vi.first, vi.second};
  };
}

OpDef MaxMinDef(const char* name, ReduceOp op, const char* what) {
  return OpDef{
      .name = name,
      .doc = absl::StrCat("The ", what,
                          " element as a 0-dim tensor; with dim, (values, indices) along that "
                          "dim, the first occurrence winning ties and NaN propagating."),
      .inputs = {"self"},
      .attrs = {OneDimAttr(false), KeepdimAttr()},
      .forward = MaxMin(op, name),
      .num_outputs = 2,
      .derivative =
          Derivative{.grad_fn = op == ReduceOp::kMax ? "MaxBackward1" : "MinBackward1",
                     .grad_fn_dim = op == ReduceOp::kMax ? "MaxBackward0" : "MinBackward0",
                     .backward = &ToIndices,
                     .saves_inputs = true,
                     .saves_outputs = true},
  };
}
TENSORD_REGISTER_OP(MaxMinDef("max", ReduceOp::kMax, "largest"));
TENSORD_REGISTER_OP(MaxMinDef("min", ReduceOp::kMin, "smallest"));

OpDef AmaxDef(const char* name, ReduceOp op, const char* what) {
  return OpDef{
      .name = name,
      .doc = absl::StrCat("The ", what, " element over dims (default: all); NaN propagates."),
      .inputs = {"self"},
      .attrs = {DimsAttr(), KeepdimAttr()},
      .forward = [op, name](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        const std::vector<int64_t> dims = Dims(c);
        TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped, WrapDims(self, dims));
        TD_RETURN_IF_ERROR(CheckPickable(name, self, wrapped, dims.empty()));
        TD_ASSIGN_OR_RETURN(Tensor out, device::ReduceTensor(c.ctx, op, self, dims, Keepdim(c)));
        return One(out);
      },
      .supports_out = true,
      .derivative = Derivative{.grad_fn = op == ReduceOp::kMax ? "AmaxBackward0" : "AminBackward0",
                               .backward = &EvenlyToPicked,
                               .saves_inputs = true,
                               .saves_outputs = true},
  };
}
TENSORD_REGISTER_OP(AmaxDef("amax", ReduceOp::kMax, "largest"));
TENSORD_REGISTER_OP(AmaxDef("amin", ReduceOp::kMin, "smallest"));

OpDef ArgDef(const char* name, ReduceOp op, const char* what) {
  return OpDef{
      .name = name,
      .doc = absl::StrCat("int64 index of the ", what,
                          " element along dim (first occurrence; a NaN wins); without dim, "
                          "into the flattened tensor."),
      .inputs = {"self"},
      .attrs = {OneDimAttr(false), KeepdimAttr()},
      .forward = [op, name](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        TD_RETURN_IF_ERROR(RejectBool(name, self));
        if (c.attrs.Has("dim")) {
          TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped,
                              WrapDims(self, std::vector<int64_t>{c.attrs.Int("dim")}));
          TD_RETURN_IF_ERROR(CheckPickable(name, self, wrapped, /*all_dims=*/false));
          TD_ASSIGN_OR_RETURN(
              auto vi, device::ArgReduceTensor(c.ctx, op, self, c.attrs.Int("dim"), Keepdim(c)));
          return One(vi.second);
        }
        if (self.numel() == 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              name, "(): Expected reduction dim to be specified for input.numel() == 0."));
        }
        const std::vector<int64_t> flat = {-1};
        TD_ASSIGN_OR_RETURN(Tensor flattened, device::Reshape(c.ctx, self, flat));
        TD_ASSIGN_OR_RETURN(auto vi, device::ArgReduceTensor(c.ctx, op, flattened, 0, false));
        const Shape shape = Keepdim(c) ? Shape(self.dim(), 1) : Shape{};
        TD_ASSIGN_OR_RETURN(Tensor out, vi.second.View(shape));
        return One(out);
      },
      .supports_out = true,
      .not_differentiable = true,
  };
}
TENSORD_REGISTER_OP(ArgDef("argmax", ReduceOp::kMax, "largest"));
TENSORD_REGISTER_OP(ArgDef("argmin", ReduceOp::kMin, "smallest"));

// ---- var, std ----------------------------------------------------------------

// Two passes in float64: the mean, then the sum of squared deviations,
// divided by max(0, N - correction) (NaN or inf where that is 0, as torch).
ForwardFn VarStd(bool take_sqrt) {
  return [take_sqrt](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor& self = c.inputs[0];
    if (!device::IsFloating(self.dtype())) {
      return absl::InvalidArgumentError(
          absl::StrCat("std and var only support floating point and complex dtypes; got ",
                       device::DTypeName(self.dtype()), " (convert with to(float32) first)"));
    }
    TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped, WrapDims(self, Dims(c)));
    const int64_t n = ReducedCount(self, wrapped);
    const int64_t correction =
        c.attrs.Has("correction") ? c.attrs.Int("correction") : (c.attrs.Bool("unbiased") ? 1 : 0);
    const double divisor = std::max<double>(0.0, static_cast<double>(n - correction));
    TD_ASSIGN_OR_RETURN(Tensor x, ToFloat64(c, self));
    TD_ASSIGN_OR_RETURN(Tensor total, Sum(c, x, wrapped, true));
    TD_ASSIGN_OR_RETURN(Tensor mean,
                        Binary(c, BinaryOp::kDiv, total, Scalar(static_cast<double>(n))));
    TD_ASSIGN_OR_RETURN(Tensor dev, Binary(c, BinaryOp::kSub, x, mean));
    TD_ASSIGN_OR_RETURN(Tensor sq, Binary(c, BinaryOp::kMul, dev, dev));
    TD_ASSIGN_OR_RETURN(Tensor ss, Sum(c, sq, wrapped, Keepdim(c)));
    TD_ASSIGN_OR_RETURN(Tensor var, Binary(c, BinaryOp::kDiv, ss, Scalar(divisor)));
    if (take_sqrt) {
      TD_ASSIGN_OR_RETURN(var, Unary(c, UnaryOp::kSqrt, var));
    }
    TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, var, self.dtype()));
    return One(out);
  };
}

std::vector<AttrDef> VarAttrs() {
  AttrDef correction = IntAttr("correction", std::nullopt,
                               "subtract this from N in the divisor (overrides unbiased)");
  correction.optional = true;
  return {DimsAttr(), BoolAttr("unbiased", true, "divide by N - 1 (Bessel) instead of N"),
          std::move(correction), KeepdimAttr()};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "var",
    .doc = "Variance over dims (default: all); floating-point inputs only.",
    .inputs = {"self"},
    .attrs = VarAttrs(),
    .forward = VarStd(false),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "VarBackward0",
                             .backward = VarStdBackward(false),
                             .saves_inputs = true},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "std",
    .doc = "Standard deviation over dims (default: all); floating-point inputs only.",
    .inputs = {"self"},
    .attrs = VarAttrs(),
    .forward = VarStd(true),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "StdBackward0",
                             .backward = VarStdBackward(true),
                             .saves_inputs = true,
                             .saves_outputs = true},
});

// ---- norm --------------------------------------------------------------------

// The p-norm of |x| in float64: p = inf/-inf is the max/min (0 when nothing
// is reduced), p = 0 counts nonzeros, p = 1 and 2 directly, any other p as
// exp(log(sum(exp(p * log|x|))) / p).
absl::StatusOr<Tensor> PNorm(const OpCall& c, const Tensor& x, std::span<const int64_t> wrapped,
                             bool keepdim, double p) {
  TD_ASSIGN_OR_RETURN(Tensor a, Unary(c, UnaryOp::kAbs, x));
  if (std::isinf(p)) {
    if (ReducedCount(x, wrapped) == 0) {
      return device::Full(c.ctx, ReducedShape(x, wrapped, keepdim), Scalar(0.0), DType::kFloat64,
                          x.device());
    }
    return device::ReduceTensor(c.ctx, p > 0 ? ReduceOp::kMax : ReduceOp::kMin, a, wrapped,
                                keepdim);
  }
  if (p == 0) {
    TD_ASSIGN_OR_RETURN(Tensor nz, Binary(c, BinaryOp::kNe, a, Scalar(0.0)));
    return device::ReduceTensor(c.ctx, ReduceOp::kSum, nz, wrapped, keepdim, DType::kFloat64);
  }
  if (p == 1) return Sum(c, a, wrapped, keepdim);
  if (p == 2) {
    TD_ASSIGN_OR_RETURN(Tensor sq, Binary(c, BinaryOp::kMul, a, a));
    TD_ASSIGN_OR_RETURN(Tensor ss, Sum(c, sq, wrapped, keepdim));
    return Unary(c, UnaryOp::kSqrt, ss);
  }
  TD_ASSIGN_OR_RETURN(Tensor log_a, Unary(c, UnaryOp::kLog, a));
  TD_ASSIGN_OR_RETURN(Tensor scaled, Binary(c, BinaryOp::kMul, log_a, Scalar(p)));
  TD_ASSIGN_OR_RETURN(Tensor powed, Unary(c, UnaryOp::kExp, scaled));
  TD_ASSIGN_OR_RETURN(Tensor total, Sum(c, powed, wrapped, keepdim));
  TD_ASSIGN_OR_RETURN(Tensor log_total, Unary(c, UnaryOp::kLog, total));
  TD_ASSIGN_OR_RETURN(Tensor root, Binary(c, BinaryOp::kDiv, log_total, Scalar(p)));
  return Unary(c, UnaryOp::kExp, root);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "norm",
    .doc = "Vector p-norm over dims (default: all): p = 2 (default), 1, inf, -inf, 0 or any "
           "other number; floating-point inputs only.",
    .inputs = {"self"},
    .attrs = {{"p", AttrType::kFloat, 2.0, false, "the order: a number, inf or -inf"},
              DimsAttr(),
              KeepdimAttr()},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      const Tensor& self = c.inputs[0];
      if (!device::IsFloating(self.dtype())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "norm(): input dtype should be either floating point or complex. Got ",
            device::DTypeName(self.dtype()), " instead (convert with to(float32) first)."));
      }
      TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped, WrapDims(self, Dims(c)));
      TD_ASSIGN_OR_RETURN(Tensor x, ToFloat64(c, self));
      TD_ASSIGN_OR_RETURN(Tensor norm, PNorm(c, x, wrapped, Keepdim(c), c.attrs.Float("p")));
      TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, norm, self.dtype()));
      return One(out);
    },
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "NormBackward1",
                             .backward = &NormBackward,
                             .saves_inputs = true,
                             .saves_outputs = true},
});

// ---- logsumexp ---------------------------------------------------------------

// log(sum(exp(x - m))) + m with m the max over the dims (0 where it is
// infinite, so all -inf gives -inf and +inf gives +inf), in float64.
TENSORD_REGISTER_OP(OpDef{
    .name = "logsumexp",
    .doc = "log(sum(exp(x))) over dims, computed stably; integer and bool inputs give float32.",
    .inputs = {"self"},
    .attrs = {DimsAttr(/*required=*/true), KeepdimAttr()},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      const Tensor& self = c.inputs[0];
      const DType dtype = device::IsFloating(self.dtype()) ? self.dtype() : device::kDefaultFloat;
      TD_ASSIGN_OR_RETURN(const std::vector<int64_t> wrapped, WrapDims(self, Dims(c)));
      TD_ASSIGN_OR_RETURN(Tensor x, ToFloat64(c, self));
      Tensor result;
      if (x.numel() == 0) {
        TD_ASSIGN_OR_RETURN(Tensor e, Unary(c, UnaryOp::kExp, x));
        TD_ASSIGN_OR_RETURN(Tensor s, Sum(c, e, wrapped, Keepdim(c)));
        TD_ASSIGN_OR_RETURN(result, Unary(c, UnaryOp::kLog, s));
      } else {
        TD_ASSIGN_OR_RETURN(Tensor m, device::ReduceTensor(c.ctx, ReduceOp::kMax, x, wrapped,
                                                           /*keepdim=*/true));
        TD_ASSIGN_OR_RETURN(Tensor m_abs, Unary(c, UnaryOp::kAbs, m));
        TD_ASSIGN_OR_RETURN(Tensor inf, Binary(c, BinaryOp::kEq, m_abs,
                                               Scalar(std::numeric_limits<double>::infinity())));
        TD_ASSIGN_OR_RETURN(Tensor shift, device::WhereTensor(c.ctx, inf, Scalar(0.0), m));
        TD_ASSIGN_OR_RETURN(Tensor z, Binary(c, BinaryOp::kSub, x, shift));
        TD_ASSIGN_OR_RETURN(Tensor e, Unary(c, UnaryOp::kExp, z));
        TD_ASSIGN_OR_RETURN(Tensor s, Sum(c, e, wrapped, /*keepdim=*/true));
        TD_ASSIGN_OR_RETURN(Tensor log_s, Unary(c, UnaryOp::kLog, s));
        TD_ASSIGN_OR_RETURN(Tensor kept, Binary(c, BinaryOp::kAdd, log_s, shift));
        TD_ASSIGN_OR_RETURN(result, kept.View(ReducedShape(x, wrapped, Keepdim(c))));
      }
      TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, result, dtype));
      return One(out);
    },
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "LogsumexpBackward0",
                             .backward = &LogsumexpBackward,
                             .saves_inputs = true,
                             .saves_outputs = true},
});

// ---- all, any ----------------------------------------------------------------

// Elements are tested != 0 (NaN counts as true); all multiplies and any
// adds the resulting bools, so empty reductions give true and false.
ForwardFn AllAny(ReduceOp op) {
  return [op](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor& self = c.inputs[0];
    Tensor truth = self;
    if (self.dtype() != DType::kBool) {
      TD_ASSIGN_OR_RETURN(truth, Binary(c, BinaryOp::kNe, self, Scalar(int64_t{0})));
    }
    TD_ASSIGN_OR_RETURN(Tensor out, device::ReduceTensor(c.ctx, op, truth, Dims(c), Keepdim(c)));
    return One(out);
  };
}

TENSORD_REGISTER_OP(OpDef{
    .name = "all",
    .doc = "Whether every element over dims (default: all) is nonzero; returns bool.",
    .inputs = {"self"},
    .attrs = {DimsAttr(), KeepdimAttr()},
    .forward = AllAny(ReduceOp::kProd),
    .supports_out = true,
    .not_differentiable = true,
});

TENSORD_REGISTER_OP(OpDef{
    .name = "any",
    .doc = "Whether any element over dims (default: all) is nonzero; returns bool.",
    .inputs = {"self"},
    .attrs = {DimsAttr(), KeepdimAttr()},
    .forward = AllAny(ReduceOp::kSum),
    .supports_out = true,
    .not_differentiable = true,
});

// ---- cumsum, cumprod ---------------------------------------------------------

OpDef CumDef(const char* name, ReduceOp op, const char* what) {
  return OpDef{
      .name = name,
      .doc = absl::StrCat("Cumulative ", what,
                          " along dim; integer and bool inputs accumulate in int64."),
      .inputs = {"self"},
      .attrs = {OneDimAttr(true), DTypeAttr("compute and return in this dtype")},
      .forward = [op](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        TD_ASSIGN_OR_RETURN(Tensor out, device::ScanTensor(c.ctx, op, self, c.attrs.Int("dim"),
                                                           WidenedDType(c, self)));
        return One(out);
      },
      .inplace_variant = true,
      .supports_out = true,
      .derivative = op == ReduceOp::kSum
                        ? Derivative{.grad_fn = "CumsumBackward0", .backward = &CumsumBackward}
                        : Derivative{.grad_fn = "CumprodBackward0",
                                     .backward = &CumprodBackward,
                                     .saves_inputs = true,
                                     .saves_outputs = true},
  };
}
TENSORD_REGISTER_OP(CumDef("cumsum", ReduceOp::kSum, "sum"));
TENSORD_REGISTER_OP(CumDef("cumprod", ReduceOp::kProd, "product"));

}  // namespace
}  // namespace tensord::autograd::ops
