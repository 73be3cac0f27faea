#include "autograd/ops/elementwise_helpers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "autograd/ops/op_helpers.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {

using device::DType;
using device::Operand;
using device::Tensor;

absl::Status RefuseDType(absl::string_view message, DType t) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::Substitute(message, device::ScalarTypeName(t)),
                   ": convert the input with to() to a dtype the op supports"));
}

namespace {

// The second operand: the second input tensor, or the attribute `name`.
absl::StatusOr<Operand> Other(const OpCall& c, const std::string& name) {
  const bool has_tensor = c.inputs.size() > 1, has_scalar = c.attrs.Has(name);
  if (has_tensor == has_scalar) {
    return absl::InvalidArgumentError(
        absl::StrCat("needs exactly one second operand: a second input tensor or the attribute ",
                     name, "=<number>"));
  }
  if (has_tensor) return Operand(c.inputs[1]);
  return Operand(c.attrs.Scalar(name));
}

absl::StatusOr<Tensor> DefaultBody(const OpCall& c, device::BinaryOp op, const Operand& other,
                                   DType dtype) {
  return device::BinaryOpTensor(c.ctx, op, c.inputs[0], other, dtype, c.into);
}

}  // namespace

OpDef BinaryOpDef(BinarySpec spec) {
  std::vector<AttrDef> attrs;
  std::vector<std::string> inputs = {"self", spec.other};
  if (spec.scalar_other) {
    inputs[1] += "?";
    attrs.push_back(
        ScalarAttr(spec.other, std::nullopt, "a number to use instead of a second tensor", true));
  }
  attrs.insert(attrs.end(), spec.attrs.begin(), spec.attrs.end());
  const bool inplace = spec.inplace, out = spec.out;
  std::string name = spec.name, doc = std::move(spec.doc);
  std::optional<Derivative> derivative = std::move(spec.derivative);
  const bool not_differentiable = spec.not_differentiable;
  return OpDef{
      .name = std::move(name),
      .doc = std::move(doc),
      .inputs = std::move(inputs),
      .attrs = std::move(attrs),
      .forward = Single([spec = std::move(spec)](const OpCall& c) -> absl::StatusOr<Tensor> {
        TD_ASSIGN_OR_RETURN(Operand other, Other(c, spec.other));
        DType dtype = device::ResultType({c.inputs[0], other});
        if (spec.compute == Compute::kFloat && !device::IsFloating(dtype)) {
          dtype = device::kDefaultFloat;
        } else if (spec.compute == Compute::kBool) {
          dtype = DType::kBool;
        }
        if (dtype == DType::kBool && spec.bool_kernel != nullptr) {
          return RefuseDType(absl::StrCat("\"", spec.bool_kernel, "\" not implemented for '$0'"),
                             dtype);
        }
        return (spec.body != nullptr ? spec.body : &DefaultBody)(c, spec.op, other, dtype);
      }),
      .inplace_variant = inplace,
      .supports_out = out,
      .derivative = std::move(derivative),
      .not_differentiable = not_differentiable,
  };
}

}  // namespace tensord::autograd::ops
