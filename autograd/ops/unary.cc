// Elementwise functions of one tensor: neg, abs, sign, the float functions
// (exp, log, sqrt, sin, sigmoid, ...), the activations (relu, gelu, silu),
// rounding (floor, ceil, round), logical_not, and clamp. Each is one
// UnaryOpDef line saying which dtypes it takes and how PyTorch refuses the
// others; in-place (exp_) and out= forms come with it where PyTorch has them.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/elementwise_helpers.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::BinaryOp;
using device::DType;
using device::Tensor;
using device::UnaryOp;

// The input dtypes a unary op takes, and what it does with them.
enum class Domain {
  kAny,           // every dtype, kept
  kNoBool,        // integers keep their dtype; bool is refused
  kPromoteFloat,  // integers and bool are computed in the default float dtype
  kFloatOnly,     // integers and bool are refused
  kTruth,         // computed on the input's truth values, giving bool
};

struct UnarySpec {
  std::string name;
  UnaryOp op;
  Domain domain;
  std::string doc;
  // PyTorch's refusal of a dtype outside the domain ($0: its type name).
  std::string refusal;
  bool inplace = true;  // also registers name_
  bool out = true;      // accepts out=
  std::vector<AttrDef> attrs;
  // Picks the primitive from the attributes (gelu's approximate); null: op.
  absl::StatusOr<UnaryOp> (*select)(const Attrs&) = nullptr;
  std::optional<Derivative> derivative;
  bool not_differentiable = false;
};

OpDef UnaryOpDef(UnarySpec spec) {
  const bool inplace = spec.inplace, out = spec.out;
  std::string name = spec.name, doc = std::move(spec.doc);
  std::vector<AttrDef> attrs = spec.attrs;
  std::optional<Derivative> derivative = std::move(spec.derivative);
  const bool not_differentiable = spec.not_differentiable;
  return OpDef{
      .name = std::move(name),
      .doc = std::move(doc),
      .inputs = {"self"},
      .attrs = std::move(attrs),
      .forward = Single([spec = std::move(spec)](const OpCall& c) -> absl::StatusOr<Tensor> {
        Tensor x = c.inputs[0];
        const DType dtype = x.dtype();
        const bool floating = device::IsFloating(dtype);
        const bool refused = (spec.domain == Domain::kNoBool && dtype == DType::kBool) ||
                             (spec.domain == Domain::kFloatOnly && !floating);
        if (refused) return RefuseDType(spec.refusal, dtype);
        if (spec.domain == Domain::kPromoteFloat && !floating) {
          TD_ASSIGN_OR_RETURN(x, device::To(c.ctx, x, device::kDefaultFloat));
        } else if (spec.domain == Domain::kTruth) {
          TD_ASSIGN_OR_RETURN(x, device::To(c.ctx, x, DType::kBool));
        }
        UnaryOp op = spec.op;
        if (spec.select != nullptr) {
          TD_ASSIGN_OR_RETURN(op, spec.select(c.attrs));
        }
        return device::UnaryOpTensor(c.ctx, op, x, c.into);
      }),
      .inplace_variant = inplace,
      .supports_out = out,
      .derivative = std::move(derivative),
      .not_differentiable = not_differentiable,
  };
}

absl::StatusOr<UnaryOp> GeluVariant(const Attrs& attrs) {
  const std::string& approximate = attrs.String("approximate");
  if (approximate == "none") return UnaryOp::kGelu;
  if (approximate == "tanh") return UnaryOp::kGeluTanh;
  return absl::InvalidArgumentError(
      absl::StrCat("approximate argument must be either none or tanh. (got '", approximate, "')"));
}

AttrDef ApproximateAttr() {
  return {"approximate", AttrType::kString, AttrValue(std::string("none")), false,
          "\"none\" (exact, with erf) or \"tanh\" (the tanh approximation)"};
}

// ---- local derivatives d(op)/dx, given x and y = op(x) -------------------

// d(-x) = -grad.
absl::StatusOr<std::vector<Tensor>> NegBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Neg(g, g.grads[0]));
  return std::vector<Tensor>{dx};
}
absl::StatusOr<Tensor> AbsLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  return grad::Op(g, "sign", {x});
}
absl::StatusOr<Tensor> ExpLocal(const GradCall&, const Tensor&, const Tensor& y) { return y; }
absl::StatusOr<Tensor> LogLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  return grad::Op(g, "reciprocal", {x});
}
absl::StatusOr<Tensor> SqrtLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor two_y, grad::Mul(g, y, 2.0));
  return grad::Op(g, "reciprocal", {two_y});
}
absl::StatusOr<Tensor> SinLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  return grad::Op(g, "cos", {x});
}
absl::StatusOr<Tensor> CosLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  TD_ASSIGN_OR_RETURN(Tensor s, grad::Op(g, "sin", {x}));
  return grad::Neg(g, s);
}
// 1 - y^2
absl::StatusOr<Tensor> TanhLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor y2, grad::Mul(g, y, y));
  return grad::OneMinus(g, y2);
}
// y (1 - y)
absl::StatusOr<Tensor> SigmoidLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor one_minus, grad::OneMinus(g, y));
  return grad::Mul(g, y, one_minus);
}
// 1 where y > 0, else 0
absl::StatusOr<Tensor> ReluLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor pos, grad::Op(g, "gt", {y}, {{"other", 0.0}}));
  return grad::Op(g, "to", {pos}, {{"dtype", y.dtype()}});
}

// Step functions (floor, ceil, round, sign): zero almost everywhere.
absl::StatusOr<Tensor> ZeroLocal(const GradCall& g, const Tensor&, const Tensor&) {
  return grad::Zeros(g);
}
absl::StatusOr<Tensor> Expm1Local(const GradCall& g, const Tensor&, const Tensor& y) {
  return grad::Op(g, "add", {y}, {{"other", 1.0}});
}
absl::StatusOr<Tensor> Log1pLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  TD_ASSIGN_OR_RETURN(Tensor x1, grad::Op(g, "add", {x}, {{"other", 1.0}}));
  return grad::Op(g, "reciprocal", {x1});
}
// -y^3 / 2
absl::StatusOr<Tensor> RsqrtLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor y2, grad::Mul(g, y, y));
  TD_ASSIGN_OR_RETURN(Tensor y3, grad::Mul(g, y2, y));
  return grad::Mul(g, y3, -0.5);
}
// -y^2
absl::StatusOr<Tensor> ReciprocalLocal(const GradCall& g, const Tensor&, const Tensor& y) {
  TD_ASSIGN_OR_RETURN(Tensor y2, grad::Mul(g, y, y));
  return grad::Neg(g, y2);
}
// s (1 + x (1 - s)), s = sigmoid(x)
absl::StatusOr<Tensor> SiluLocal(const GradCall& g, const Tensor& x, const Tensor&) {
  TD_ASSIGN_OR_RETURN(Tensor s, grad::Op(g, "sigmoid", {x}));
  TD_ASSIGN_OR_RETURN(Tensor one_minus, grad::OneMinus(g, s));
  TD_ASSIGN_OR_RETURN(Tensor t, grad::Mul(g, x, one_minus));
  TD_ASSIGN_OR_RETURN(Tensor t1, grad::Op(g, "add", {t}, {{"other", 1.0}}));
  return grad::Mul(g, s, t1);
}

// d gelu: Phi(x) + x phi(x) (Phi recovered as gelu(x) / x, 1/2 at 0); the
// tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2), t = tanh(k (x + c x^3)).
absl::StatusOr<std::vector<Tensor>> GeluBackward(const GradCall& g) {
  const Tensor &x = g.inputs[0], &y = g.outputs[0];
  Tensor local;
  if (g.attrs.String("approximate") == "tanh") {
    constexpr double kK = 0.7978845608028654, kC = 0.044715;  // sqrt(2 / pi)
    TD_ASSIGN_OR_RETURN(Tensor x2, grad::Mul(g, x, x));
    TD_ASSIGN_OR_RETURN(Tensor x3, grad::Mul(g, x2, x));
    TD_ASSIGN_OR_RETURN(Tensor cx3, grad::Mul(g, x3, kC));
    TD_ASSIGN_OR_RETURN(Tensor inner, grad::Op(g, "add", {x, cx3}));
    TD_ASSIGN_OR_RETURN(Tensor kin, grad::Mul(g, inner, kK));
    TD_ASSIGN_OR_RETURN(Tensor t, grad::Op(g, "tanh", {kin}));
    TD_ASSIGN_OR_RETURN(Tensor t1, grad::Op(g, "add", {t}, {{"other", 1.0}}));
    TD_ASSIGN_OR_RETURN(Tensor a, grad::Mul(g, t1, 0.5));
    TD_ASSIGN_OR_RETURN(Tensor t2, grad::Mul(g, t, t));
    TD_ASSIGN_OR_RETURN(Tensor sech2, grad::OneMinus(g, t2));
    TD_ASSIGN_OR_RETURN(Tensor c3x2, grad::Mul(g, x2, 3 * kC));
    TD_ASSIGN_OR_RETURN(Tensor dinner, grad::Op(g, "add", {c3x2}, {{"other", 1.0}}));
    TD_ASSIGN_OR_RETURN(Tensor b0, grad::Mul(g, sech2, dinner));
    TD_ASSIGN_OR_RETURN(Tensor b1, grad::Mul(g, b0, x));
    TD_ASSIGN_OR_RETURN(Tensor b, grad::Mul(g, b1, 0.5 * kK));
    TD_ASSIGN_OR_RETURN(local, grad::Op(g, "add", {a, b}));
  } else {
    constexpr double kInvSqrt2Pi = 0.3989422804014327;
    TD_ASSIGN_OR_RETURN(Tensor is_zero, grad::Op(g, "eq", {x}, {{"other", 0.0}}));
    TD_ASSIGN_OR_RETURN(Tensor safe_x, grad::Op(g, "masked_fill", {x, is_zero}, {{"value", 1.0}}));
    TD_ASSIGN_OR_RETURN(Tensor ratio, grad::Div(g, y, safe_x));
    TD_ASSIGN_OR_RETURN(Tensor cdf, grad::Op(g, "masked_fill", {ratio, is_zero}, {{"value", 0.5}}));
    TD_ASSIGN_OR_RETURN(Tensor x2, grad::Mul(g, x, x));
    TD_ASSIGN_OR_RETURN(Tensor e, grad::Mul(g, x2, -0.5));
    TD_ASSIGN_OR_RETURN(Tensor ex, grad::Op(g, "exp", {e}));
    TD_ASSIGN_OR_RETURN(Tensor pdf, grad::Mul(g, ex, kInvSqrt2Pi));
    TD_ASSIGN_OR_RETURN(Tensor xpdf, grad::Mul(g, x, pdf));
    TD_ASSIGN_OR_RETURN(local, grad::Op(g, "add", {cdf, xpdf}));
  }
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, g.grads[0], local));
  return std::vector<Tensor>{dx};
}

// PyTorch's refusal by a kernel that is not compiled for a dtype.
std::string NotImplemented(absl::string_view kernel) {
  return absl::StrCat("\"", kernel, "\" not implemented for '$0'");
}

TENSORD_REGISTER_OP(UnaryOpDef({.name = "neg",
                                .op = UnaryOp::kNeg,
                                .domain = Domain::kAny,
                                .doc = "-self (the kernel refuses bool as PyTorch does).",
                                .derivative = Derivative{.grad_fn = "NegBackward0",
                                                         .backward = &NegBackward}}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "abs",
                                .op = UnaryOp::kAbs,
                                .domain = Domain::kNoBool,
                                .doc = "|self|.",
                                .refusal = NotImplemented("abs_cpu"),
                                .derivative = grad::Pointwise("AbsBackward0", &AbsLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "sign",
                                .op = UnaryOp::kSign,
                                .domain = Domain::kAny,
                                .doc = "-1, 0 or 1 by the sign of self (0 for NaN).",
                                .derivative = grad::Pointwise("SignBackward0", &ZeroLocal, false,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "exp",
                                .op = UnaryOp::kExp,
                                .domain = Domain::kPromoteFloat,
                                .doc = "e ** self; integers give float32.",
                                .derivative = grad::Pointwise("ExpBackward0", &ExpLocal, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "log",
                                .op = UnaryOp::kLog,
                                .domain = Domain::kPromoteFloat,
                                .doc = "Natural log; integers give float32.",
                                .derivative = grad::Pointwise("LogBackward0", &LogLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "log1p",
                                .op = UnaryOp::kLog1p,
                                .domain = Domain::kPromoteFloat,
                                .doc = "log(1 + self), accurate near 0; integers give float32.",
                                .derivative = grad::Pointwise("Log1PBackward0", &Log1pLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "expm1",
                                .op = UnaryOp::kExpm1,
                                .domain = Domain::kPromoteFloat,
                                .doc = "exp(self) - 1, accurate near 0; integers give float32.",
                                .derivative = grad::Pointwise("Expm1Backward0", &Expm1Local, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "sqrt",
                                .op = UnaryOp::kSqrt,
                                .domain = Domain::kPromoteFloat,
                                .doc = "Square root; integers give float32.",
                                .derivative = grad::Pointwise("SqrtBackward0", &SqrtLocal, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "rsqrt",
                                .op = UnaryOp::kRsqrt,
                                .domain = Domain::kPromoteFloat,
                                .doc = "1 / sqrt(self); integers give float32.",
                                .derivative = grad::Pointwise("RsqrtBackward0", &RsqrtLocal, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "reciprocal",
                                .op = UnaryOp::kReciprocal,
                                .domain = Domain::kPromoteFloat,
                                .doc = "1 / self; integers give float32.",
                                .derivative = grad::Pointwise("ReciprocalBackward0",
                                                              &ReciprocalLocal, false, true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "sin",
                                .op = UnaryOp::kSin,
                                .domain = Domain::kPromoteFloat,
                                .doc = "Sine (radians); integers give float32.",
                                .derivative = grad::Pointwise("SinBackward0", &SinLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "cos",
                                .op = UnaryOp::kCos,
                                .domain = Domain::kPromoteFloat,
                                .doc = "Cosine (radians); integers give float32.",
                                .derivative = grad::Pointwise("CosBackward0", &CosLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "tanh",
                                .op = UnaryOp::kTanh,
                                .domain = Domain::kPromoteFloat,
                                .doc = "Hyperbolic tangent; integers give float32.",
                                .derivative = grad::Pointwise("TanhBackward0", &TanhLocal, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "sigmoid",
                                .op = UnaryOp::kSigmoid,
                                .domain = Domain::kPromoteFloat,
                                .doc = "1 / (1 + exp(-self)); integers give float32.",
                                .derivative = grad::Pointwise("SigmoidBackward0", &SigmoidLocal,
                                                              false, true)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "relu",
                                .op = UnaryOp::kRelu,
                                .domain = Domain::kNoBool,
                                .doc = "max(self, 0); keeps integer dtypes.",
                                .refusal = "Boolean inputs not supported for relu",
                                .out = false,
                                .derivative = grad::Pointwise("ReluBackward0", &ReluLocal, false,
                                                              true)}));
TENSORD_REGISTER_OP(UnaryOpDef(
    {.name = "gelu",
     .op = UnaryOp::kGelu,
     .domain = Domain::kFloatOnly,
     .doc = "self * Phi(self) (torch.nn.functional.gelu); approximate=\"tanh\" for the tanh form.",
     .refusal = NotImplemented("GeluKernelImpl"),
     .inplace = false,
     .attrs = {ApproximateAttr()},
     .select = &GeluVariant,
     .derivative = Derivative{.grad_fn = "GeluBackward0",
                              .backward = &GeluBackward,
                              .saves_inputs = true,
                              .saves_outputs = true}}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "silu",
                                .op = UnaryOp::kSilu,
                                .domain = Domain::kFloatOnly,
                                .doc = "self * sigmoid(self) (torch.nn.functional.silu).",
                                .refusal = NotImplemented("silu_cpu"),
                                .derivative = grad::Pointwise("SiluBackward0", &SiluLocal, true,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "floor",
                                .op = UnaryOp::kFloor,
                                .domain = Domain::kNoBool,
                                .doc = "Round toward -inf; integers are unchanged.",
                                .refusal = NotImplemented("floor_vml_cpu"),
                                .derivative = grad::Pointwise("FloorBackward0", &ZeroLocal, false,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "ceil",
                                .op = UnaryOp::kCeil,
                                .domain = Domain::kNoBool,
                                .doc = "Round toward +inf; integers are unchanged.",
                                .refusal = NotImplemented("ceil_vml_cpu"),
                                .derivative = grad::Pointwise("CeilBackward0", &ZeroLocal, false,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "round",
                                .op = UnaryOp::kRound,
                                .domain = Domain::kNoBool,
                                .doc = "Round half to even; integers are unchanged.",
                                .refusal = NotImplemented("round_vml_cpu"),
                                .derivative = grad::Pointwise("RoundBackward0", &ZeroLocal, false,
                                                              false)}));
TENSORD_REGISTER_OP(UnaryOpDef({.name = "logical_not",
                                .op = UnaryOp::kLogicalNot,
                                .domain = Domain::kTruth,
                                .doc = "True where self is zero (bool result).",
                                .not_differentiable = true}));

// ---- clamp ---------------------------------------------------------------------

// torch.clamp(self, min, max) with Python numbers as bounds: computed in
// the promoted dtype of self and the bounds, as min(max(self, min), max).
absl::StatusOr<Tensor> Clamp(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  const bool has_min = c.attrs.Has("min"), has_max = c.attrs.Has("max");
  if (!has_min && !has_max) {
    return absl::InvalidArgumentError(
        "torch.clamp: At least one of 'min' or 'max' must not be None: pass min=, max= or both");
  }
  device::ResultTypeState state;
  state.AddTensor(self.dtype(), self.dim() == 0);
  if (has_min) state.AddScalar(c.attrs.Scalar("min").dtype());
  if (has_max) state.AddScalar(c.attrs.Scalar("max").dtype());
  const DType dtype = state.Result();
  if (dtype == DType::kBool) {
    return RefuseDType(NotImplemented(has_min && has_max ? "clamp_scalar_cpu"
                                      : has_min          ? "clamp_min_cpu"
                                                         : "clamp_max_cpu"),
                       dtype);
  }
  if (has_min && has_max) {
    const double lo = c.attrs.Scalar("min").ToDouble(), hi = c.attrs.Scalar("max").ToDouble();
    // A NaN bound makes every element NaN (with one bound, a NaN bound is
    // ignored instead), as in PyTorch.
    if (lo != lo || hi != hi) {
      return device::Full(c.ctx, self.shape(), device::Scalar(lo + hi), dtype, self.device());
    }
  }
  TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, self, dtype));
  if (has_min) {
    TD_ASSIGN_OR_RETURN(
        out, device::BinaryOpTensor(c.ctx, BinaryOp::kClampMin, out, c.attrs.Scalar("min"), dtype));
  }
  if (has_max) {
    TD_ASSIGN_OR_RETURN(
        out, device::BinaryOpTensor(c.ctx, BinaryOp::kClampMax, out, c.attrs.Scalar("max"), dtype));
  }
  return out;
}

// d clamp = grad where min <= self <= max (bounds given), else 0.
absl::StatusOr<std::vector<Tensor>> ClampBackward(const GradCall& g) {
  const Tensor& x = g.inputs[0];
  TD_ASSIGN_OR_RETURN(Tensor keep, device::Full(g.ctx, x.shape(), device::Scalar(1.0),
                                                g.grads[0].dtype(), x.device()));
  for (const char* bound : {"min", "max"}) {
    if (!g.attrs.Has(bound)) continue;
    const bool lower = std::string(bound) == "min";
    TD_ASSIGN_OR_RETURN(Tensor inside, grad::Op(g, lower ? "ge" : "le", {x},
                                                {{"other", g.attrs.Scalar(bound).ToDouble()}}));
    TD_ASSIGN_OR_RETURN(Tensor f, grad::Op(g, "to", {inside}, {{"dtype", g.grads[0].dtype()}}));
    TD_ASSIGN_OR_RETURN(keep, grad::Mul(g, keep, f));
  }
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Mul(g, g.grads[0], keep));
  return std::vector<Tensor>{dx};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "clamp",
    .doc = "Limits self to [min, max]; min and max are optional numbers, at least one given.",
    .inputs = {"self"},
    .attrs = {ScalarAttr("min", std::nullopt, "lower bound (a number)", true),
              ScalarAttr("max", std::nullopt, "upper bound (a number)", true)},
    .forward = Single(&Clamp),
    .inplace_variant = true,
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "ClampBackward1",
                             .backward = &ClampBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
