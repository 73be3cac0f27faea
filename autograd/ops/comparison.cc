// Ops that produce or consume masks: the comparisons eq, ne, lt, le, gt, ge
// (a tensor against a tensor or a number, compared in the promoted dtype),
// logical_and/or/xor (nonzero is true), all giving bool; and where, which
// picks between two tensors or numbers by a bool condition.
#include <string>

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
using device::Operand;
using device::Tensor;

TENSORD_REGISTER_OP(BinaryOpDef({.name = "eq",
                                 .op = BinaryOp::kEq,
                                 .doc = "self == other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "ne",
                                 .op = BinaryOp::kNe,
                                 .doc = "self != other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "lt",
                                 .op = BinaryOp::kLt,
                                 .doc = "self < other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "le",
                                 .op = BinaryOp::kLe,
                                 .doc = "self <= other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "gt",
                                 .op = BinaryOp::kGt,
                                 .doc = "self > other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "ge",
                                 .op = BinaryOp::kGe,
                                 .doc = "self >= other (bool).",
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "logical_and",
                                 .op = BinaryOp::kLogicalAnd,
                                 .doc = "Both nonzero (bool).",
                                 .compute = Compute::kBool,
                                 .scalar_other = false,
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "logical_or",
                                 .op = BinaryOp::kLogicalOr,
                                 .doc = "Either nonzero (bool).",
                                 .compute = Compute::kBool,
                                 .scalar_other = false,
                                 .inplace = false,
                                 .not_differentiable = true}));
TENSORD_REGISTER_OP(BinaryOpDef({.name = "logical_xor",
                                 .op = BinaryOp::kLogicalXor,
                                 .doc = "Exactly one nonzero (bool).",
                                 .compute = Compute::kBool,
                                 .scalar_other = false,
                                 .inplace = false,
                                 .not_differentiable = true}));

// torch.where(condition, self, other). self and other are each a tensor
// input or a number attribute of that name; tensors fill, in order, the
// places not given as numbers.
absl::StatusOr<Tensor> Where(const OpCall& c) {
  size_t next = 1;
  auto take = [&](const std::string& name) -> absl::StatusOr<Operand> {
    if (c.attrs.Has(name)) return Operand(c.attrs.Scalar(name));
    if (next < c.inputs.size()) return Operand(c.inputs[next++]);
    return absl::InvalidArgumentError(
        absl::StrCat("where needs ", name, ": pass it as an input tensor or as the attribute ",
                     name, "=<number>"));
  };
  TD_ASSIGN_OR_RETURN(Operand self, take("self"));
  TD_ASSIGN_OR_RETURN(Operand other, take("other"));
  if (next != c.inputs.size()) {
    return absl::InvalidArgumentError(
        "where takes condition and two values, but got more: drop the extra tensor or the "
        "self=/other= attribute it duplicates");
  }
  return device::WhereTensor(c.ctx, c.inputs[0], self, other);
}

// d where(c, self, other) = (where(c, grad, 0), where(c, 0, grad)), each
// for the operands that are tensors, summed to their shapes.
absl::StatusOr<std::vector<Tensor>> WhereBackward(const GradCall& g) {
  std::vector<Tensor> out(g.input_shapes.size());
  const Tensor& cond = g.inputs[0];
  size_t next = 1;
  for (const char* name : {"self", "other"}) {
    if (g.attrs.Has(name) || next >= g.input_shapes.size()) continue;
    const size_t i = next++;
    if (!g.needs_grad[i]) continue;
    const bool is_self = std::string(name) == "self";
    TD_ASSIGN_OR_RETURN(
        Tensor d, grad::Op(g, "where", {cond, g.grads[0]}, {{is_self ? "other" : "self", 0.0}}));
    TD_ASSIGN_OR_RETURN(out[i], grad::SumTo(g, d, g.input_shapes[i]));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "where",
    .doc = "self where condition (bool) is true, else other; all three broadcast and the "
           "values promote like a binary op.",
    .inputs = {"condition", "self?", "other?"},
    .attrs = {ScalarAttr("self", std::nullopt, "a number to use instead of a self tensor", true),
              ScalarAttr("other", std::nullopt, "a number to use instead of an other tensor",
                         true)},
    .forward = Single(&Where),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "WhereBackward0",
                             .backward = &WhereBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
