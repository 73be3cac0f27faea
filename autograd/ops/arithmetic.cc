// Broadcasting binary arithmetic with PyTorch's type promotion: add, sub,
// mul, div (with rounding_mode), floor_divide, remainder, pow, maximum,
// minimum and atan2. Each is one BinaryOpDef line; ops with attributes or
// special cases of their own add a body.
#include <utility>

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
using device::Operand;
using device::Tensor;
using device::UnaryOp;

constexpr char kBoolSubBoth[] =
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead.";
constexpr char kBoolSubOne[] =
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead.";

bool IsBool(const Operand& o) {
  return o.tensor != nullptr ? o.tensor->dtype() == DType::kBool : o.scalar.is_bool();
}

AttrDef AlphaAttr() { return ScalarAttr("alpha", AttrValue(int64_t{1}), "multiplier for other"); }

// add and sub: self op alpha * other.
absl::StatusOr<Tensor> AddLike(const OpCall& c, BinaryOp op, const Operand& given, DType dtype) {
  Operand other = given;
  if (op == BinaryOp::kSub) {
    const bool self_bool = c.inputs[0].dtype() == DType::kBool, other_bool = IsBool(other);
    if (self_bool && other_bool) return absl::InvalidArgumentError(kBoolSubBoth);
    if (self_bool || other_bool) return absl::InvalidArgumentError(kBoolSubOne);
  }
  const device::Scalar alpha = c.attrs.Scalar("alpha");
  if (alpha.is_floating() && !device::IsFloating(dtype)) {
    return absl::InvalidArgumentError(
        "for integral input tensors, argument alpha must not be a floating point number");
  }
  Tensor scaled;
  if (alpha.ToDouble() != 1.0) {
    if (other.tensor != nullptr) {
      TD_ASSIGN_OR_RETURN(scaled,
                          device::BinaryOpTensor(c.ctx, BinaryOp::kMul, other, alpha, dtype));
      other = Operand(scaled);
    } else {
      other = Operand(device::Scalar(other.scalar.ToDouble() * alpha.ToDouble()));
    }
  }
  return device::BinaryOpTensor(c.ctx, op, c.inputs[0], other, dtype, c.into);
}

AttrDef RoundingModeAttr() {
  return {"rounding_mode", AttrType::kString, std::nullopt, true,
          "None (true division), \"trunc\" (toward zero) or \"floor\" (toward -inf)"};
}

// torch.div: true division into a float dtype, or integer-preserving
// division rounded as rounding_mode says.
absl::StatusOr<Tensor> Div(const OpCall& c, BinaryOp, const Operand& other, DType dtype) {
  if (!c.attrs.Has("rounding_mode")) {
    if (!device::IsFloating(dtype)) dtype = device::kDefaultFloat;
    return device::BinaryOpTensor(c.ctx, BinaryOp::kDiv, c.inputs[0], other, dtype);
  }
  const std::string& mode = c.attrs.String("rounding_mode");
  if (mode != "trunc" && mode != "floor") {
    return absl::InvalidArgumentError(absl::StrCat(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", mode,
        "'"));
  }
  const bool trunc = mode == "trunc";
  if (dtype == DType::kBool) {
    return RefuseDType(trunc ? "\"div_trunc_cpu\" not implemented for '$0'"
                             : "\"div_floor_cpu\" not implemented for '$0'",
                       dtype);
  }
  return device::BinaryOpTensor(c.ctx, trunc ? BinaryOp::kDivTrunc : BinaryOp::kDivFloor,
                                c.inputs[0], other, dtype);
}

// torch.pow. A scalar exponent takes PyTorch's shortcuts where they differ
// from std::pow at special values (sqrt(-0) is -0, pow(-0, 0.5) is +0), and
// an integer base may not take a negative integer scalar exponent.
absl::StatusOr<Tensor> Pow(const OpCall& c, BinaryOp op, const Operand& exponent, DType dtype) {
  if (exponent.tensor == nullptr) {
    const device::Scalar e = exponent.scalar;
    const DType base = c.inputs[0].dtype();
    if (!device::IsFloating(base) && !e.is_floating() && e.ToInt() < 0) {
      return absl::InvalidArgumentError("Integers to negative integer powers are not allowed.");
    }
    if (device::IsFloating(dtype)) {
      struct Shortcut {
        double exponent;
        UnaryOp op;
      };
      for (const Shortcut& s : {Shortcut{0.5, UnaryOp::kSqrt}, Shortcut{-0.5, UnaryOp::kRsqrt},
                                Shortcut{-1.0, UnaryOp::kReciprocal}}) {
        if (e.ToDouble() != s.exponent) continue;
        TD_ASSIGN_OR_RETURN(Tensor x, device::To(c.ctx, c.inputs[0], dtype));
        return device::UnaryOpTensor(c.ctx, s.op, x);
      }
    }
  }
  return device::BinaryOpTensor(c.ctx, op, c.inputs[0], exponent, dtype);
}

// ---- derivatives -------------------------------------------------------------

// The second operand as a tensor the rules can compute with: input 1, or
// the number in the `other` attribute as a 0-dim tensor.
absl::StatusOr<Tensor> OtherOf(const GradCall& g, const std::string& name = "other") {
  if (g.inputs.size() > 1 && g.inputs[1].defined()) return g.inputs[1];
  return device::ScalarTensor(g.ctx, g.attrs.Scalar(name), g.grads[0].dtype(), g.grads[0].device());
}
bool HasOtherTensor(const GradCall& g) { return g.input_shapes.size() > 1; }

// Gradients of self and (when a tensor) other, each summed back to its
// input's shape.
absl::StatusOr<std::vector<Tensor>> Both(const GradCall& g, const Tensor& dself,
                                         const Tensor& dother) {
  std::vector<Tensor> out(g.input_shapes.size());
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(g, dself, g.input_shapes[0]));
  }
  if (HasOtherTensor(g) && g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(out[1], grad::SumTo(g, dother, g.input_shapes[1]));
  }
  return out;
}

// d(self + alpha other) = (grad, alpha grad); sub negates alpha.
BackwardFn AddLikeBackward(double sign) {
  return [sign](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    const double alpha = sign * g.attrs.Scalar("alpha").ToDouble();
    Tensor dother = g.grads[0];
    if (HasOtherTensor(g) && alpha != 1.0) {
      TD_ASSIGN_OR_RETURN(dother, grad::Mul(g, g.grads[0], alpha));
    }
    return Both(g, g.grads[0], dother);
  };
}

absl::StatusOr<std::vector<Tensor>> MulBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor other, OtherOf(g));
  TD_ASSIGN_OR_RETURN(Tensor dself, grad::Mul(g, g.grads[0], other));
  Tensor dother;
  if (HasOtherTensor(g)) {
    TD_ASSIGN_OR_RETURN(dother, grad::Mul(g, g.grads[0], g.inputs[0]));
  }
  return Both(g, dself, dother);
}

// d(self / other) = (grad / other, -grad self / other^2).
absl::StatusOr<std::vector<Tensor>> DivBackward(const GradCall& g) {
  if (g.attrs.Has("rounding_mode")) {
    return absl::UnimplementedError(
        "the derivative of div with a rounding_mode is not implemented: it is zero almost "
        "everywhere; detach() the inputs");
  }
  TD_ASSIGN_OR_RETURN(Tensor other, OtherOf(g));
  TD_ASSIGN_OR_RETURN(Tensor dself, grad::Div(g, g.grads[0], other));
  Tensor dother;
  if (HasOtherTensor(g)) {
    TD_ASSIGN_OR_RETURN(Tensor q, grad::Div(g, dself, other));    // grad / other^2
    TD_ASSIGN_OR_RETURN(Tensor p, grad::Mul(g, q, g.inputs[0]));  // grad self / other^2
    TD_ASSIGN_OR_RETURN(dother, grad::Neg(g, p));
  }
  return Both(g, dself, dother);
}

// d(self ** e) = (grad e self^(e-1), grad self^e log(self)).
absl::StatusOr<std::vector<Tensor>> PowBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor e, OtherOf(g, "exponent"));
  const Tensor& x = g.inputs[0];
  TD_ASSIGN_OR_RETURN(Tensor e1, grad::Op(g, "sub", {e}, {{"other", 1.0}}));
  TD_ASSIGN_OR_RETURN(Tensor pw, grad::Op(g, "pow", {x, e1}));
  TD_ASSIGN_OR_RETURN(Tensor local, grad::Mul(g, pw, e));
  TD_ASSIGN_OR_RETURN(Tensor dself, grad::Mul(g, g.grads[0], local));
  Tensor dexp;
  if (HasOtherTensor(g)) {
    TD_ASSIGN_OR_RETURN(Tensor logx, grad::Op(g, "log", {x}));
    TD_ASSIGN_OR_RETURN(Tensor t, grad::Mul(g, g.outputs[0], logx));
    TD_ASSIGN_OR_RETURN(dexp, grad::Mul(g, g.grads[0], t));
  }
  return Both(g, dself, dexp);
}

// floor_divide records a node but refuses backward, as PyTorch does.
absl::StatusOr<std::vector<Tensor>> FloorDivideBackward(const GradCall&) {
  return absl::UnimplementedError(
      "derivative for aten::floor_divide is not implemented: detach() its inputs, or use "
      "div(rounding_mode=\"floor\") on tensors that do not require grad");
}

// d(self % other) = (grad, -grad floor(self / other)).
absl::StatusOr<std::vector<Tensor>> RemainderBackward(const GradCall& g) {
  Tensor dother;
  if (HasOtherTensor(g)) {
    TD_ASSIGN_OR_RETURN(Tensor q, grad::Op(g, "div", {g.inputs[0], g.inputs[1]},
                                           {{"rounding_mode", std::string("floor")}}));
    TD_ASSIGN_OR_RETURN(Tensor t, grad::Mul(g, g.grads[0], q));
    TD_ASSIGN_OR_RETURN(dother, grad::Neg(g, t));
  }
  return Both(g, g.grads[0], dother);
}

// d maximum(a, b): grad goes to the larger operand, split in half on ties
// (as PyTorch does); minimum the same with the smaller one.
BackwardFn PickBackward(bool max) {
  return [max](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor &a = g.inputs[0], &b = g.inputs[1];
    const device::DType dt = g.grads[0].dtype();
    TD_ASSIGN_OR_RETURN(Tensor wins, grad::Op(g, max ? "gt" : "lt", {a, b}));
    TD_ASSIGN_OR_RETURN(Tensor ties, grad::Op(g, "eq", {a, b}));
    TD_ASSIGN_OR_RETURN(Tensor w, grad::Op(g, "to", {wins}, {{"dtype", dt}}));
    TD_ASSIGN_OR_RETURN(Tensor t, grad::Op(g, "to", {ties}, {{"dtype", dt}}));
    TD_ASSIGN_OR_RETURN(Tensor half, grad::Mul(g, t, 0.5));
    TD_ASSIGN_OR_RETURN(Tensor share_a, grad::Op(g, "add", {w, half}));
    TD_ASSIGN_OR_RETURN(Tensor share_b, grad::OneMinus(g, share_a));
    TD_ASSIGN_OR_RETURN(Tensor da, grad::Mul(g, g.grads[0], share_a));
    TD_ASSIGN_OR_RETURN(Tensor db, grad::Mul(g, g.grads[0], share_b));
    return Both(g, da, db);
  };
}

// d atan2(y, x) = (grad x / (x^2 + y^2), -grad y / (x^2 + y^2)).
absl::StatusOr<std::vector<Tensor>> Atan2Backward(const GradCall& g) {
  const Tensor &y = g.inputs[0], &x = g.inputs[1];
  TD_ASSIGN_OR_RETURN(Tensor x2, grad::Mul(g, x, x));
  TD_ASSIGN_OR_RETURN(Tensor y2, grad::Mul(g, y, y));
  TD_ASSIGN_OR_RETURN(Tensor r2, grad::Op(g, "add", {x2, y2}));
  TD_ASSIGN_OR_RETURN(Tensor k, grad::Div(g, g.grads[0], r2));
  TD_ASSIGN_OR_RETURN(Tensor dy, grad::Mul(g, k, x));
  TD_ASSIGN_OR_RETURN(Tensor kx, grad::Mul(g, k, y));
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Neg(g, kx));
  return Both(g, dy, dx);
}

TENSORD_REGISTER_OP(BinaryOpDef({.name = "add",
                                 .op = BinaryOp::kAdd,
                                 .doc = "self + alpha * other.",
                                 .attrs = {AlphaAttr()},
                                 .body = &AddLike,
                                 .derivative = Derivative{.grad_fn = "AddBackward0",
                                                          .backward = AddLikeBackward(1.0)}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "sub",
                                 .op = BinaryOp::kSub,
                                 .doc = "self - alpha * other.",
                                 .attrs = {AlphaAttr()},
                                 .body = &AddLike,
                                 .derivative = Derivative{.grad_fn = "SubBackward0",
                                                          .backward = AddLikeBackward(-1.0)}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "mul",
                                 .op = BinaryOp::kMul,
                                 .doc = "self * other.",
                                 .derivative = Derivative{.grad_fn = "MulBackward0",
                                                          .backward = &MulBackward,
                                                          .saves_inputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef(
    {.name = "div",
     .op = BinaryOp::kDiv,
     .doc =
         "self / other: true division (integers give float32), or rounded as rounding_mode says.",
     .attrs = {RoundingModeAttr()},
     .body = &Div,
     .derivative = Derivative{
         .grad_fn = "DivBackward0", .backward = &DivBackward, .saves_inputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef(
    {.name = "floor_divide",
     .op = BinaryOp::kDivFloor,
     .doc = "self // other, rounded toward -inf; integers stay integers.",
     .bool_kernel = "div_floor_cpu",
     .derivative = Derivative{.grad_fn = "NotImplemented", .backward = &FloorDivideBackward}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "remainder",
                                 .op = BinaryOp::kRemainder,
                                 .doc = "self % other with the divisor's sign (Python's %).",
                                 .bool_kernel = "remainder_cpu",
                                 .derivative = Derivative{.grad_fn = "RemainderBackward0",
                                                          .grad_fn_tensors = "RemainderBackward1",
                                                          .backward = &RemainderBackward,
                                                          .saves_inputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "pow",
                                 .op = BinaryOp::kPow,
                                 .doc = "self ** exponent (a tensor or a number).",
                                 .other = "exponent",
                                 .bool_kernel = "pow",
                                 .body = &Pow,
                                 .derivative = Derivative{.grad_fn = "PowBackward0",
                                                          .grad_fn_tensors = "PowBackward1",
                                                          .backward = &PowBackward,
                                                          .saves_inputs = true,
                                                          .saves_outputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "maximum",
                                 .op = BinaryOp::kMaximum,
                                 .doc = "Elementwise max of two tensors; NaN wins.",
                                 .scalar_other = false,
                                 .inplace = false,
                                 .derivative = Derivative{.grad_fn = "MaximumBackward0",
                                                          .backward = PickBackward(true),
                                                          .saves_inputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "minimum",
                                 .op = BinaryOp::kMinimum,
                                 .doc = "Elementwise min of two tensors; NaN wins.",
                                 .scalar_other = false,
                                 .inplace = false,
                                 .derivative = Derivative{.grad_fn = "MinimumBackward0",
                                                          .backward = PickBackward(false),
                                                          .saves_inputs = true}}));
TENSORD_REGISTER_OP(BinaryOpDef(
    {.name = "atan2",
     .op = BinaryOp::kAtan2,
     .doc = "atan(self / other) in the quadrant of (other, self); integers give float32.",
     .compute = Compute::kFloat,
     .scalar_other = false,
     .derivative = Derivative{
         .grad_fn = "Atan2Backward0", .backward = &Atan2Backward, .saves_inputs = true}}));

}  // namespace
}  // namespace tensord::autograd::ops
