#include "autograd/dispatch.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/op_registry.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd {
namespace {

using device::Tensor;

absl::Status CheckArity(const OpDef& op, size_t given) {
  // "name..." takes any number of tensors, "name?" zero or one.
  size_t required = 0, most = 0;
  for (const std::string& in : op.inputs) {
    if (absl::EndsWith(in, "...")) {
      most = SIZE_MAX;
    } else if (absl::EndsWith(in, "?")) {
      ++most;
    } else {
      ++required;
      ++most;
    }
  }
  if (given >= required && given <= most) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      op.name, "() takes ", required == most ? "" : "at least ", required, " tensor input",
      required == 1 ? "" : "s", " (", absl::StrJoin(op.inputs, ", "), ") but ", given,
      given == 1 ? " was" : " were", " given"));
}

// The result of an op written into an existing tensor, as PyTorch's
// in-place and out= forms do: same shape, and a dtype the result can be
// cast to.
absl::Status CheckWritable(const OpDef& op, const Tensor& result, const Tensor& dst,
                           absl::string_view what) {
  if (!device::CanCast(result.dtype(), dst.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat(
        op.name, ": result type ", device::DTypeName(result.dtype()),
        " can't be cast to the desired output type ", device::DTypeName(dst.dtype()), " of ",
        what, ": convert it first with to()"));
  }
  return absl::OkStatus();
}

// A tensor some of whose elements share memory (an expanded view) cannot be
// written in place: the result would depend on the write order.
absl::Status CheckNoInternalOverlap(const OpDef& op, const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.strides()[d] == 0 && t.shape()[d] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          op.name, ": unsupported operation: more than one element of the written-to tensor "
                   "refers to a single memory location. Please clone() the tensor before "
                   "performing the operation."));
    }
  }
  return absl::OkStatus();
}

// Errors name the op and what it was given: "add([5, 3] float32, [4, 2]
// float32): ...", keeping the code.
absl::Status Annotate(const OpDef& op, std::span<const Tensor> inputs, const absl::Status& s) {
  std::vector<std::string> args;
  for (const Tensor& t : inputs) {
    args.push_back(absl::StrCat(device::ShapeToString(t.shape()), " ",
                                device::DTypeName(t.dtype())));
  }
  return absl::Status(s.code(), absl::StrCat(op.name, "(", absl::StrJoin(args, ", "), "): ",
                                             s.message()));
}

}  // namespace

absl::StatusOr<DispatchResult> Dispatch(const device::Context& ctx, absl::string_view name,
                                        std::span<const Tensor> inputs,
                                        const std::map<std::string, AttrValue>& given,
                                        const Tensor* out) {
  TD_ASSIGN_OR_RETURN(const OpDef* op, OpRegistry::Global().Find(name));
  TD_RETURN_IF_ERROR(CheckArity(*op, inputs.size()));
  TD_ASSIGN_OR_RETURN(Attrs attrs, Attrs::Bind(op->name, op->attrs, given));
  if (out != nullptr && !op->supports_out) {
    return absl::InvalidArgumentError(absl::StrCat(op->name, "() does not take out="));
  }
  const OpDef* fwd = op;
  if (!op->inplace_of.empty()) {
    TD_ASSIGN_OR_RETURN(fwd, OpRegistry::Global().Find(op->inplace_of));
  }
  // The tensor this call writes into, if any. It is checked before the op
  // runs, because the op may write into it directly (OpCall::into).
  const Tensor* target = out;
  if (!op->inplace_of.empty() || op->kind == OpKind::kWritesSelf) target = &inputs[0];
  if (target != nullptr) TD_RETURN_IF_ERROR(CheckNoInternalOverlap(*op, *target));
  absl::StatusOr<std::vector<Tensor>> forward =
      fwd->forward(OpCall{ctx, inputs, attrs, op->kind == OpKind::kWritesSelf ? nullptr : target});
  if (!forward.ok()) return Annotate(*op, inputs, forward.status());
  std::vector<Tensor> results = *std::move(forward);

  DispatchResult r;
  if (!op->inplace_of.empty()) {
    const Tensor& self = inputs[0];
    if (results[0].shape() != self.shape()) {
      return absl::InvalidArgumentError(absl::StrCat(
          op->name, ": output with shape ", device::ShapeToString(self.shape()),
          " doesn't match the broadcast shape ", device::ShapeToString(results[0].shape())));
    }
    TD_RETURN_IF_ERROR(CheckWritable(*op, results[0], self, "the tensor written in place"));
    if (!device::SameView(results[0], self)) {
      TD_RETURN_IF_ERROR(device::CopyInto(ctx, results[0], self));
    }
    r.target = DispatchResult::Target::kSelf;
    r.outputs = {self};
    return r;
  }
  if (out != nullptr) {
    TD_RETURN_IF_ERROR(CheckWritable(*op, results[0], *out, "out="));
    if (device::SameView(results[0], *out)) {
      r.outputs = {*out};
    } else if (results[0].shape() == out->shape()) {
      TD_RETURN_IF_ERROR(device::CopyInto(ctx, results[0], *out));
      r.outputs = {*out};
    } else {
      // PyTorch resizes out= to the result's shape.
      TD_ASSIGN_OR_RETURN(Tensor resized, device::To(ctx, results[0], out->dtype(), out->device()));
      r.outputs = {resized};
    }
    r.target = DispatchResult::Target::kOut;
    return r;
  }
  if (op->kind == OpKind::kWritesSelf || op->kind == OpKind::kRebindsSelf) {
    r.target = DispatchResult::Target::kSelf;
  }
  r.outputs = std::move(results);
  return r;
}

}  // namespace tensord::autograd
