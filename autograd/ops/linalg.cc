// Matrix products: matmul (torch.matmul's 1-D, 2-D and batched rules) and mm.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;

TENSORD_REGISTER_OP(OpDef{
    .name = "matmul",
    .doc = "Matrix product with torch.matmul's rules: dot for 1-D x 1-D, matrix-vector, and "
           "broadcast batches for more dims. float32/float64 go through BLAS.",
    .inputs = {"self", "other"},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      TD_ASSIGN_OR_RETURN(Tensor out, device::Matmul(c.ctx, c.inputs[0], c.inputs[1]));
      return std::vector<Tensor>{out};
    },
    .supports_out = true,
});

TENSORD_REGISTER_OP(OpDef{
    .name = "mm",
    .doc = "Product of two 2-D matrices.",
    .inputs = {"self", "mat2"},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      if (c.inputs[0].dim() != 2 || c.inputs[1].dim() != 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            "expected 2-D matrices, got ", device::ShapeToString(c.inputs[0].shape()),
            " and ", device::ShapeToString(c.inputs[1].shape()), ": use matmul for other ranks"));
      }
      TD_ASSIGN_OR_RETURN(Tensor out, device::Matmul(c.ctx, c.inputs[0], c.inputs[1]));
      return std::vector<Tensor>{out};
    },
    .supports_out = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
