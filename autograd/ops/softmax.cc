// softmax and log_softmax along one dim. Both subtract the max along the
// dim before exponentiating, so large inputs stay finite. float16 and
// bfloat16 are computed in float32 (as PyTorch does) and rounded on store;
// float32 and float64 are computed in their own dtype.
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::BinaryOp;
using device::DType;
using device::ReduceOp;
using device::Tensor;
using device::UnaryOp;

// softmax = exp(z) / sum(exp(z)); log_softmax = z - log(sum(exp(z))), with
// z = x - max(x) along dim. A row of all -inf (or holding +inf or NaN)
// gives NaN, as in PyTorch.
ForwardFn Softmax(bool log, const char* name) {
  return [log, name](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
    const Tensor& self = c.inputs[0];
    const DType dtype = c.attrs.DType("dtype").value_or(self.dtype());
    if (!device::IsFloating(dtype)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "(): expected a floating-point input but got ",
                       device::DTypeName(dtype), "; pass dtype=float32 or convert with to()"));
    }
    const int64_t dim = c.attrs.Int("dim");
    TD_RETURN_IF_ERROR(device::WrapDim(dim, self.dim()).status());
    if (self.numel() == 0) {
      TD_ASSIGN_OR_RETURN(Tensor empty, c.ctx.Empty(self.shape(), dtype, self.device()));
      return std::vector<Tensor>{empty};
    }
    const std::vector<int64_t> dims = {dim};
    const DType compute = dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
    TD_ASSIGN_OR_RETURN(Tensor x, device::To(c.ctx, self, compute));
    TD_ASSIGN_OR_RETURN(Tensor m, device::ReduceTensor(c.ctx, ReduceOp::kMax, x, dims, true));
    TD_ASSIGN_OR_RETURN(Tensor z, device::BinaryOpTensor(c.ctx, BinaryOp::kSub, x, m));
    // z is a fresh contiguous tensor, so the rest runs in place in its memory
    // (log_softmax keeps z and exponentiates into a copy).
    device::Backend& backend = z.backend();
    Tensor e = z;
    if (log) {
      TD_ASSIGN_OR_RETURN(e, device::UnaryOpTensor(c.ctx, UnaryOp::kExp, z));
    } else {
      TD_RETURN_IF_ERROR(backend.Unary(UnaryOp::kExp, z, z));
    }
    TD_ASSIGN_OR_RETURN(Tensor s, device::ReduceTensor(c.ctx, ReduceOp::kSum, e, dims, true));
    if (log) {
      TD_ASSIGN_OR_RETURN(Tensor log_s, device::UnaryOpTensor(c.ctx, UnaryOp::kLog, s));
      TD_ASSIGN_OR_RETURN(Tensor log_s_full, log_s.Expand(z.shape()));
      TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kSub, z, log_s_full, z));
    } else {
      TD_ASSIGN_OR_RETURN(Tensor s_full, s.Expand(z.shape()));
      TD_RETURN_IF_ERROR(backend.Binary(BinaryOp::kDiv, z, s_full, z));
    }
    TD_ASSIGN_OR_RETURN(Tensor out, device::To(c.ctx, z, dtype));
    return std::vector<Tensor>{out};
  };
}

// d softmax = y (grad - sum(grad y)); d log_softmax = grad - exp(y) sum(grad),
// sums along dim.
BackwardFn SoftmaxBackward(bool log) {
  return [log](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    const std::map<std::string, AttrValue> along = {
        {"dim", std::vector<int64_t>{g.attrs.Int("dim")}}, {"keepdim", true}};
    const Tensor& y = g.outputs[0];
    Tensor dx;
    if (log) {
      TD_ASSIGN_OR_RETURN(Tensor s, grad::Op(g, "sum", {g.grads[0]}, along));
      TD_ASSIGN_OR_RETURN(Tensor p, grad::Op(g, "exp", {y}));
      TD_ASSIGN_OR_RETURN(Tensor ps, grad::Mul(g, p, s));
      TD_ASSIGN_OR_RETURN(dx, grad::Op(g, "sub", {g.grads[0], ps}));
    } else {
      TD_ASSIGN_OR_RETURN(Tensor gy, grad::Mul(g, g.grads[0], y));
      TD_ASSIGN_OR_RETURN(Tensor s, grad::Op(g, "sum", {gy}, along));
      TD_ASSIGN_OR_RETURN(Tensor d, grad::Op(g, "sub", {g.grads[0], s}));
      TD_ASSIGN_OR_RETURN(dx, grad::Mul(g, y, d));
    }
    return std::vector<Tensor>{dx};
  };
}

OpDef SoftmaxDef(const char* name, bool log, const char* doc) {
  return OpDef{
      .name = name,
      .doc = doc,
      .inputs = {"self"},
      .attrs = {{"dim", AttrType::kInt, std::nullopt, false, "the dim to normalize along"},
                DTypeAttr("cast the input to this dtype first (needed for integer inputs)")},
      .forward = Softmax(log, name),
      .supports_out = true,
      .derivative = Derivative{.grad_fn = log ? "LogSoftmaxBackward0" : "SoftmaxBackward0",
                               .backward = SoftmaxBackward(log),
                               .saves_outputs = true},
  };
}

TENSORD_REGISTER_OP(SoftmaxDef("softmax", false,
                               "exp(x) / sum(exp(x)) along dim; floating-point inputs (or pass "
                               "dtype)."));
TENSORD_REGISTER_OP(SoftmaxDef("log_softmax", true,
                               "log(softmax(x)) along dim, computed stably; floating-point "
                               "inputs (or pass dtype)."));

}  // namespace
}  // namespace tensord::autograd::ops
