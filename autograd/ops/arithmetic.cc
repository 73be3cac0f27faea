// Elementwise arithmetic: add, sub, mul, div with broadcasting and PyTorch's
// type promotion, a tensor or a Python number as the other operand, in-place
// (add_) and out= forms; and neg.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::BinaryOp;
using device::DType;
using device::Operand;
using device::Tensor;

// The second operand: the second input tensor, or the "other" attribute.
absl::StatusOr<Operand> Other(const OpCall& c) {
  const bool has_tensor = c.inputs.size() > 1, has_scalar = c.attrs.Has("other");
  if (has_tensor == has_scalar) {
    return absl::InvalidArgumentError(
        "needs exactly one second operand: a second input tensor or the attribute other=<number>");
  }
  if (has_tensor) return Operand(c.inputs[1]);
  return Operand(c.attrs.Scalar("other"));
}

AttrDef OtherAttr() {
  return ScalarAttr("other", std::nullopt, "a number to use instead of a second tensor", true);
}

// add and sub: self + alpha * other.
OpDef AddLike(std::string name, BinaryOp op, std::string doc) {
  return OpDef{
      .name = name,
      .doc = std::move(doc),
      .inputs = {"self", "other?"},
      .attrs = {OtherAttr(), ScalarAttr("alpha", AttrValue(int64_t{1}),
                                        "multiplier for other")},
      .forward = [name, op](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        TD_ASSIGN_OR_RETURN(Operand other, Other(c));
        const device::Scalar alpha = c.attrs.Scalar("alpha");
        const DType result = device::ResultType({c.inputs[0], other});
        if (alpha.is_floating() && !device::IsFloating(result)) {
          return absl::InvalidArgumentError(
              "for integral input tensors, argument alpha must not be a floating point number");
        }
        Tensor scaled;
        if (alpha.ToDouble() != 1.0) {
          if (other.tensor != nullptr) {
            TD_ASSIGN_OR_RETURN(scaled, device::BinaryOpTensor(c.ctx, BinaryOp::kMul, other,
                                                               alpha, result));
            other = Operand(scaled);
          } else {
            other = Operand(device::Scalar(other.scalar.ToDouble() * alpha.ToDouble()));
          }
        }
        TD_ASSIGN_OR_RETURN(Tensor out,
                            device::BinaryOpTensor(c.ctx, op, c.inputs[0], other, result));
        return std::vector<Tensor>{out};
      },
      .inplace_variant = true,
      .supports_out = true,
  };
}

OpDef Simple(std::string name, BinaryOp op, std::string doc, bool true_division) {
  return OpDef{
      .name = name,
      .doc = std::move(doc),
      .inputs = {"self", "other?"},
      .attrs = {OtherAttr()},
      .forward = [name, op, true_division](const OpCall& c)
          -> absl::StatusOr<std::vector<Tensor>> {
        TD_ASSIGN_OR_RETURN(Operand other, Other(c));
        DType dtype = device::ResultType({c.inputs[0], other});
        // Integers divide into the default float dtype, as torch.div does.
        if (true_division && !device::IsFloating(dtype)) dtype = device::kDefaultFloat;
        TD_ASSIGN_OR_RETURN(Tensor out,
                            device::BinaryOpTensor(c.ctx, op, c.inputs[0], other, dtype));
        return std::vector<Tensor>{out};
      },
      .inplace_variant = true,
      .supports_out = true,
  };
}

TENSORD_REGISTER_OP(AddLike("add", BinaryOp::kAdd,
                            "self + alpha * other, broadcasting, with PyTorch's type promotion."));
TENSORD_REGISTER_OP(AddLike("sub", BinaryOp::kSub,
                            "self - alpha * other, broadcasting, with PyTorch's type promotion."));
TENSORD_REGISTER_OP(Simple("mul", BinaryOp::kMul, "self * other, broadcasting.", false));
TENSORD_REGISTER_OP(Simple("div", BinaryOp::kDiv,
                           "self / other (true division: integers give float32), broadcasting.",
                           true));

TENSORD_REGISTER_OP(OpDef{
    .name = "neg",
    .doc = "-self.",
    .inputs = {"self"},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      TD_ASSIGN_OR_RETURN(Tensor out,
                          device::UnaryOpTensor(c.ctx, device::UnaryOp::kNeg, c.inputs[0]));
      return std::vector<Tensor>{out};
    },
    .inplace_variant = true,
    .supports_out = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
