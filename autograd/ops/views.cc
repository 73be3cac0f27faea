// View ops: results share storage with their input, so writes through one
// are seen through the other (view, select, slice, narrow, index strings,
// transpose, t, t_, permute, expand, expand_as, squeeze, unsqueeze); plus
// reshape, contiguous and clone, which copy only when they must (or always,
// for clone).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/indexing.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;

AttrDef DimAttr(std::string name = "dim") {
  return IntAttr(std::move(name), std::nullopt, "a dimension (negative counts from the end)");
}

OpDef ViewOp(std::string name, std::string doc, std::vector<AttrDef> attrs, ForwardFn fwd,
             std::optional<Derivative> derivative = std::nullopt) {
  return OpDef{.name = std::move(name),
               .doc = std::move(doc),
               .inputs = {"self"},
               .attrs = std::move(attrs),
               .forward = std::move(fwd),
               .is_view = true,
               .derivative = std::move(derivative)};
}

// ---- derivatives -------------------------------------------------------------

// d expand = grad summed back over the broadcast dims.
absl::StatusOr<std::vector<Tensor>> ExpandBackward(const GradCall& g) {
  std::vector<Tensor> out(g.input_shapes.size());
  TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(g, g.grads[0], g.input_shapes[0]));
  return out;
}

// Basic indexing is a chain of views; PyTorch's node is the last one that
// does something (full slices and ... do nothing).
std::string IndexName(std::span<const Tensor>, const Attrs& attrs) {
  absl::StatusOr<std::vector<device::IndexItem>> items = device::ParseIndex(attrs.String("spec"));
  if (!items.ok()) return "SliceBackward0";
  for (auto it = items->rbegin(); it != items->rend(); ++it) {
    using Kind = device::IndexItem::Kind;
    const bool full = it->kind == Kind::kSlice && !it->start && !it->stop && !it->step;
    if (full || it->kind == Kind::kEllipsis) continue;
    if (it->kind == Kind::kInteger) return "SelectBackward0";
    if (it->kind == Kind::kNone) return "UnsqueezeBackward0";
    return "SliceBackward0";
  }
  return "AliasBackward0";
}

Derivative IndexDerivative() {
  Derivative d = grad::ViewDerivative("SliceBackward0", "index");
  d.grad_fn_for = &IndexName;
  return d;
}

Derivative SqueezeDerivative() {
  Derivative d = grad::ViewDerivative("SqueezeBackward0", "squeeze");
  d.grad_fn_dim = "SqueezeBackward1";
  return d;
}

// clone, contiguous: the gradient passes through.
absl::StatusOr<std::vector<Tensor>> Identity(const GradCall& g) {
  return std::vector<Tensor>{g.grads[0]};
}

// d view(x, shape) = grad viewed back in x's shape.
absl::StatusOr<std::vector<Tensor>> ReshapeBackward(const GradCall& g) {
  const device::Shape& in = g.input_shapes[0];
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Op(g, "reshape", {g.grads[0]},
                                          {{"size", std::vector<int64_t>(in.begin(), in.end())}}));
  return std::vector<Tensor>{dx};
}
Derivative ReshapeDerivative() {
  return Derivative{.grad_fn = "ViewBackward0", .backward = &ReshapeBackward};
}

absl::StatusOr<std::vector<Tensor>> TransposeBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor dx,
                      grad::Op(g, "transpose", {g.grads[0]},
                               {{"dim0", g.attrs.Int("dim0")}, {"dim1", g.attrs.Int("dim1")}}));
  return std::vector<Tensor>{dx};
}

absl::StatusOr<std::vector<Tensor>> TBackward(const GradCall& g) {
  TD_ASSIGN_OR_RETURN(Tensor dx, grad::Op(g, "t", {g.grads[0]}));
  return std::vector<Tensor>{dx};
}

absl::StatusOr<Tensor> T(const Tensor& self) {
  if (self.dim() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("t() expects a tensor with <= 2 dimensions, but self is ", self.dim(),
                     "D: use transpose(dim0, dim1) or permute"));
  }
  if (self.dim() < 2) return self;
  return self.Transpose(0, 1);
}

TENSORD_REGISTER_OP(ViewOp("view", "The same data with another shape (one size may be -1).",
                           {SizeAttr()}, Single([](const OpCall& c) {
                             return c.inputs[0].View(c.attrs.Ints("size"));
                           }),
                           ReshapeDerivative()));

TENSORD_REGISTER_OP(OpDef{
    .name = "reshape",
    .doc = "Like view, but copies when the data cannot be viewed in the new shape.",
    .inputs = {"self"},
    .attrs = {SizeAttr()},
    .forward = Single([](const OpCall& c) {
      return device::Reshape(c.ctx, c.inputs[0], c.attrs.Ints("size"));
    }),
    .derivative = ReshapeDerivative(),
});

TENSORD_REGISTER_OP(ViewOp("select", "Index `index` along `dim`, removing that dim.",
                           {DimAttr(), IntAttr("index", std::nullopt, "position along dim")},
                           Single([](const OpCall& c) {
                             return c.inputs[0].Select(c.attrs.Int("dim"), c.attrs.Int("index"));
                           }),
                           grad::ViewDerivative("SelectBackward0", "select")));

TENSORD_REGISTER_OP(ViewOp(
    "slice",
    "Elements start:end:step along dim, as Python slices (negative bounds count from "
    "the end).",
    {IntAttr("dim", 0, "dimension to slice"), IntAttr("start", 0, "first index"),
     IntAttr("end", INT64_MAX, "end index (exclusive)"), IntAttr("step", 1, "positive step")},
    Single([](const OpCall& c) {
      return c.inputs[0].Slice(c.attrs.Int("dim"), c.attrs.Int("start"), c.attrs.Int("end"),
                               c.attrs.Int("step"));
    }),
    grad::ViewDerivative("SliceBackward0", "slice")));

TENSORD_REGISTER_OP(
    ViewOp("index",
           "Basic indexing as Python writes it inside x[...]: \":, 1\", \"1:3, ::2\", "
           "\"..., -1\", \"None\".",
           {{"spec", AttrType::kString, std::nullopt, false, "the index expression"}},
           Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
             TD_ASSIGN_OR_RETURN(auto items, device::ParseIndex(c.attrs.String("spec")));
             return device::ApplyIndex(c.inputs[0], items);
           }),
           IndexDerivative()));

TENSORD_REGISTER_OP(OpDef{
    .name = "detach",
    .doc = "The same data, cut out of the autograd graph: the result does not require grad.",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) -> absl::StatusOr<Tensor> { return c.inputs[0]; }),
    .is_view = true,
    .not_differentiable = true,
});

TENSORD_REGISTER_OP(ViewOp("transpose", "Swaps dims dim0 and dim1.",
                           {DimAttr("dim0"), DimAttr("dim1")}, Single([](const OpCall& c) {
                             return c.inputs[0].Transpose(c.attrs.Int("dim0"), c.attrs.Int("dim1"));
                           }),
                           Derivative{.grad_fn = "TransposeBackward0",
                                      .backward = &TransposeBackward}));

TENSORD_REGISTER_OP(ViewOp("t", "Transpose of a tensor of at most 2 dims.", {},
                           Single([](const OpCall& c) { return T(c.inputs[0]); }),
                           Derivative{.grad_fn = "TBackward0", .backward = &TBackward}));

TENSORD_REGISTER_OP(OpDef{
    .name = "t_",
    .doc = "In-place t(): self's handle becomes its transpose (other views are unchanged).",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) { return T(c.inputs[0]); }),
    .kind = OpKind::kRebindsSelf,
    .is_view = true,
    .derivative = Derivative{.grad_fn = "TBackward1", .backward = &TBackward},
});

TENSORD_REGISTER_OP(ViewOp(
    "permute", "Reorders dims.", {{"dims", AttrType::kInts, std::nullopt, false, "the new order"}},
    Single([](const OpCall& c) { return c.inputs[0].Permute(c.attrs.Ints("dims")); }),
    grad::ViewDerivative("PermuteBackward0", "permute")));

TENSORD_REGISTER_OP(ViewOp("expand",
                           "Broadcasts size-1 dims to a larger size without copying (-1 keeps "
                           "a dim).",
                           {SizeAttr()}, Single([](const OpCall& c) {
                             return c.inputs[0].Expand(c.attrs.Ints("size"));
                           }),
                           Derivative{.grad_fn = "ExpandBackward0", .backward = &ExpandBackward}));

TENSORD_REGISTER_OP(OpDef{
    .name = "expand_as",
    .doc = "self expanded to other's shape without copying (expand(other.size())).",
    .inputs = {"self", "other"},
    .forward = Single([](const OpCall& c) { return c.inputs[0].Expand(c.inputs[1].shape()); }),
    .is_view = true,
    .derivative = Derivative{.grad_fn = "ExpandBackward0", .backward = &ExpandBackward},
});

// torch.narrow: `length` elements of dim from `start` (negative counts from
// the end; start may equal the size when length is 0).
absl::StatusOr<Tensor> Narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  if (self.dim() == 0) {
    return absl::InvalidArgumentError(
        "narrow() cannot be applied to a 0-dim tensor: unsqueeze it first");
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, self.dim()));
  const int64_t size = self.shape()[d];
  if (length < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("narrow(): length must be non-negative, but got ", length));
  }
  if (start < -size || start > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("narrow(): start out of range (expected to be in range of [", -size, ", ",
                     size, "], but got ", start, ")"));
  }
  if (start < 0) start += size;
  if (start > size - length) {
    return absl::InvalidArgumentError(absl::StrCat("start (", start, ") + length (", length,
                                                   ") exceeds dimension size (", size, ")."));
  }
  return self.Slice(d, start, start + length, 1);
}

TENSORD_REGISTER_OP(ViewOp(
    "narrow", "`length` elements along dim starting at `start` (negative counts from the end).",
    {DimAttr(), IntAttr("start", std::nullopt, "first index (negative counts from the end)"),
     IntAttr("length", std::nullopt, "number of elements, at least 0")},
    Single([](const OpCall& c) {
      return Narrow(c.inputs[0], c.attrs.Int("dim"), c.attrs.Int("start"), c.attrs.Int("length"));
    }),
    grad::ViewDerivative("SliceBackward0", "narrow")));

TENSORD_REGISTER_OP(ViewOp("unsqueeze", "Inserts a dim of size 1.", {DimAttr()},
                           Single([](const OpCall& c) {
                             return c.inputs[0].Unsqueeze(c.attrs.Int("dim"));
                           }),
                           grad::ViewDerivative("UnsqueezeBackward0", "unsqueeze")));

TENSORD_REGISTER_OP(ViewOp("squeeze", "Removes dims of size 1 (only `dim` when given).",
                           {{"dim", AttrType::kInt, std::nullopt, true,
                             "the dim to squeeze (default: all size-1 dims)"}},
                           Single([](const OpCall& c) -> absl::StatusOr<Tensor> {
                             if (c.attrs.Has("dim")) return c.inputs[0].Squeeze(c.attrs.Int("dim"));
                             device::Shape shape;
                             for (int64_t s : c.inputs[0].shape()) {
                               if (s != 1) shape.push_back(s);
                             }
                             return device::Reshape(c.ctx, c.inputs[0], shape);
                           }),
                           SqueezeDerivative()));

TENSORD_REGISTER_OP(OpDef{
    .name = "contiguous",
    .doc = "self if already contiguous in memory, else a contiguous copy.",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) { return device::Contiguous(c.ctx, c.inputs[0]); }),
    .derivative = Derivative{.grad_fn = "CloneBackward0", .backward = &Identity},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "clone",
    .doc = "A copy with its own storage.",
    .inputs = {"self"},
    .forward = Single([](const OpCall& c) { return device::Clone(c.ctx, c.inputs[0]); }),
    .derivative = Derivative{.grad_fn = "CloneBackward0", .backward = &Identity},
});

}  // namespace
}  // namespace tensord::autograd::ops
