// Moving and converting data: to(dtype, device), copy_, fill_ and zero_.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;

TENSORD_REGISTER_OP(OpDef{
    .name = "to",
    .doc = "self converted to dtype and/or moved to device; self itself when nothing changes "
           "(unless copy=True).",
    .inputs = {"self"},
    .attrs = {DTypeAttr("target dtype (default: unchanged)"), DeviceAttr(),
              BoolAttr("copy", false, "always return a new tensor")},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, self.device()));
      TD_ASSIGN_OR_RETURN(Tensor out,
                          device::To(c.ctx, self, c.attrs.DType("dtype").value_or(self.dtype()), dev));
      if (c.attrs.Bool("copy") && out.SharesStorageWith(self)) return device::Clone(c.ctx, self);
      return out;
    }),
});

TENSORD_REGISTER_OP(OpDef{
    .name = "copy_",
    .doc = "Copies src into self (broadcasting src, converting dtype and device).",
    .inputs = {"self", "src"},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      TD_RETURN_IF_ERROR(device::CopyInto(c.ctx, c.inputs[1], c.inputs[0]));
      return c.inputs[0];
    }),
    .kind = OpKind::kWritesSelf,
});

TENSORD_REGISTER_OP(OpDef{
    .name = "fill_",
    .doc = "Sets every element of self to value.",
    .inputs = {"self"},
    .attrs = {ScalarAttr("value", std::nullopt, "the value")},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      self.storage().BumpVersion();
      TD_RETURN_IF_ERROR(self.backend().Fill(self, c.attrs.Scalar("value")));
      return self;
    }),
    .kind = OpKind::kWritesSelf,
});

TENSORD_REGISTER_OP(OpDef{
    .name = "zero_",
    .doc = "Sets every element of self to 0.",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
      const Tensor& self = c.inputs[0];
      self.storage().BumpVersion();
      TD_RETURN_IF_ERROR(self.backend().Fill(self, 0));
      return self;
    }),
    .kind = OpKind::kWritesSelf,
});

}  // namespace
}  // namespace tensord::autograd::ops
