// Reductions: sum and mean over all or some dims, with keepdim and dtype.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Tensor;

std::vector<AttrDef> ReduceAttrs() {
  return {{"dim", AttrType::kInts, std::nullopt, true, "dims to reduce (default: all)"},
          BoolAttr("keepdim", false, "keep reduced dims with size 1"),
          DTypeAttr("compute and return in this dtype")};
}

std::vector<int64_t> Dims(const OpCall& c) {
  return c.attrs.Has("dim") ? c.attrs.Ints("dim") : std::vector<int64_t>{};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "sum",
    .doc = "Sum of elements over dims; integer and bool inputs sum to int64.",
    .inputs = {"self"},
    .attrs = ReduceAttrs(),
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      const Tensor& self = c.inputs[0];
      const DType dtype = c.attrs.DType("dtype").value_or(
          device::IsFloating(self.dtype()) ? self.dtype() : DType::kInt64);
      TD_ASSIGN_OR_RETURN(Tensor out, device::ReduceTensor(c.ctx, device::ReduceOp::kSum, self,
                                                           Dims(c), c.attrs.Bool("keepdim"),
                                                           dtype));
      return std::vector<Tensor>{out};
    },
    .supports_out = true,
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
      TD_ASSIGN_OR_RETURN(Tensor sum, device::ReduceTensor(c.ctx, device::ReduceOp::kSum, self,
                                                           Dims(c), c.attrs.Bool("keepdim"),
                                                           dtype));
      const int64_t count = sum.numel() == 0 ? 0 : self.numel() / sum.numel();
      TD_ASSIGN_OR_RETURN(Tensor out,
                          device::BinaryOpTensor(c.ctx, device::BinaryOp::kDiv, sum,
                                                 device::Scalar(static_cast<double>(count)),
                                                 dtype));
      return std::vector<Tensor>{out};
    },
    .supports_out = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
