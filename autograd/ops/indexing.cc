// Indexing ops built on the Gather, Scatter and Nonzero primitives:
// index_select, gather, scatter and scatter_add (and their in-place forms),
// masked_fill, masked_select, index_get and index_put (x[mask], x[idx] and
// their assignments), tril and triu, and one_hot.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
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
using device::Context;
using device::Device;
using device::DType;
using device::ReduceOp;
using device::Scalar;
using device::ScatterMode;
using device::Shape;
using device::ShapeToString;
using device::Tensor;

AttrDef DimAttr() {
  return IntAttr("dim", std::nullopt, "a dimension (negative counts from the end)");
}

// ---- shared pieces --------------------------------------------------------------

// The value of a one-element tensor as an int64.
absl::StatusOr<int64_t> ReadInt(const Context& ctx, const Tensor& t) {
  TD_ASSIGN_OR_RETURN(Tensor i, device::To(ctx, t, DType::kInt64));
  TD_ASSIGN_OR_RETURN(std::string bytes, device::ToHost(ctx, i));
  int64_t v = 0;
  std::memcpy(&v, bytes.data(), sizeof(v));
  return v;
}

// min or max of a non-empty tensor.
absl::StatusOr<int64_t> Extreme(const Context& ctx, ReduceOp op, const Tensor& t) {
  TD_ASSIGN_OR_RETURN(Tensor r, device::ReduceTensor(ctx, op, t, {}, false));
  return ReadInt(ctx, r);
}

absl::Status CheckInt64Index(const char* op, const Tensor& index) {
  if (index.dtype() == DType::kInt64) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(op, "(): Expected dtype int64 for index, but got ",
                                                 device::DTypeName(index.dtype()),
                                                 ": convert it with to(int64)"));
}

absl::Status CheckBoolMask(const char* op, const Tensor& mask) {
  if (mask.dtype() == DType::kBool) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      op, " expected a bool mask, but got a mask with dtype ", device::DTypeName(mask.dtype()),
      ": compare it first, e.g. x > 0, or convert it with to(bool)"));
}

// The primitives accept negative indices (wrapping them); gather, scatter
// and index_select do not, as in PyTorch.
absl::Status CheckNoNegativeIndex(const Context& ctx, const Tensor& index, int64_t dim,
                                  int64_t size) {
  if (index.numel() == 0) return absl::OkStatus();
  TD_ASSIGN_OR_RETURN(const int64_t min, Extreme(ctx, ReduceOp::kMin, index));
  if (min >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("index ", min, " is out of bounds for dimension ", dim, " with size ", size));
}

// t itself, or viewed as [1] when it is 0-dim (gather and scatter treat a
// scalar as a 1-element vector).
absl::StatusOr<Tensor> AtLeast1d(const Tensor& t) {
  if (t.dim() > 0) return t;
  const std::vector<int64_t> one = {1};
  return t.View(one);
}

int64_t SizeAt(const Tensor& t, int64_t dim) { return t.dim() == 0 ? 1 : t.shape()[dim]; }

// Rows of `src` (dim >= 1) picked along `dim` by a 1-D int64 index whose
// values lie in [-size, size): the result has src's shape with dim set to
// index's length.
absl::StatusOr<Tensor> SelectAlong(const Context& ctx, const Tensor& src, int64_t dim,
                                   const Tensor& index) {
  Shape shape = src.shape();
  shape[dim] = index.numel();
  Shape index_shape(src.dim(), 1);
  index_shape[dim] = index.numel();
  TD_ASSIGN_OR_RETURN(Tensor flat, device::Reshape(ctx, index, index_shape));
  TD_ASSIGN_OR_RETURN(Tensor expanded, flat.Expand(shape));
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(shape, src.dtype(), src.device()));
  TD_RETURN_IF_ERROR(out.backend().Gather(src, dim, expanded, out));
  return out;
}

// The row-major positions of the true elements of `mask`, as int64 [count].
absl::StatusOr<Tensor> TruePositions(const Context& ctx, const Tensor& mask) {
  const std::vector<int64_t> all = {mask.numel()};
  TD_ASSIGN_OR_RETURN(Tensor flat, device::Reshape(ctx, mask, all));
  TD_ASSIGN_OR_RETURN(const int64_t count, flat.backend().CountNonzero(flat));
  const std::vector<int64_t> shape = {count, 1};
  TD_ASSIGN_OR_RETURN(Tensor coords, ctx.Empty(shape, DType::kInt64, mask.device()));
  TD_RETURN_IF_ERROR(flat.backend().Nonzero(flat, coords));
  const std::vector<int64_t> vec = {count};
  return coords.View(vec);
}

// ---- index_select / gather --------------------------------------------------------

absl::StatusOr<Tensor> IndexSelect(const Context& ctx, const Tensor& self, int64_t dim,
                                   const Tensor& index) {
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, index));
  if (index.dtype() != DType::kInt64 && index.dtype() != DType::kInt32) {
    return absl::InvalidArgumentError(
        absl::StrCat("index_select(): Expected dtype int32 or int64 for index, but got ",
                     device::DTypeName(index.dtype()), ": convert it with to(int64)"));
  }
  if (index.dim() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("index_select(): Index is supposed to be a vector, but got shape ",
                     ShapeToString(index.shape()), ": flatten it first"));
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, self.dim()));
  TD_ASSIGN_OR_RETURN(Tensor idx, device::To(ctx, index, DType::kInt64));
  TD_RETURN_IF_ERROR(CheckNoNegativeIndex(ctx, idx, d, SizeAt(self, d)));
  TD_ASSIGN_OR_RETURN(Tensor src, AtLeast1d(self));
  TD_ASSIGN_OR_RETURN(Tensor out, SelectAlong(ctx, src, d, idx));
  if (self.dim() == 0 && out.numel() == 1) return out.View(Shape{});
  return out;
}

// ---- derivatives -------------------------------------------------------------

// d gather(self, dim, index) = zeros.scatter_add(dim, index, grad).
absl::StatusOr<std::vector<Tensor>> GatherBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  TD_ASSIGN_OR_RETURN(Tensor z, grad::Zeros(g));
  TD_ASSIGN_OR_RETURN(out[0], grad::Op(g, "scatter_add", {z, g.inputs[1], g.grads[0]},
                                       {{"dim", g.attrs.Int("dim")}}));
  return out;
}

// d index_select(self, dim, index): the index laid along dim and broadcast
// to grad's shape, then a scatter_add into zeros.
absl::StatusOr<std::vector<Tensor>> IndexSelectBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  const int64_t rank = g.grads[0].dim();
  const int64_t dim = rank == 0 ? 0 : (g.attrs.Int("dim") % rank + rank) % rank;
  std::vector<int64_t> along(std::max<int64_t>(rank, 1), 1);
  along[dim] = g.inputs[1].numel();
  TD_ASSIGN_OR_RETURN(Tensor idx, grad::Op(g, "reshape", {g.inputs[1]}, {{"size", along}}));
  TD_ASSIGN_OR_RETURN(
      Tensor idx_full,
      grad::Op(
          g, "expand", {idx},
          {{"size", std::vector<int64_t>(g.grads[0].shape().begin(), g.grads[0].shape().end())}}));
  TD_ASSIGN_OR_RETURN(Tensor z, grad::Zeros(g));
  TD_ASSIGN_OR_RETURN(out[0],
                      grad::Op(g, "scatter_add", {z, idx_full, g.grads[0]}, {{"dim", dim}}));
  return out;
}

// d scatter(self, dim, index, src) = (grad with the written places zeroed,
// grad gathered at index); scatter_add keeps all of grad for self.
BackwardFn ScatterBackward(bool add) {
  return [add](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    std::vector<Tensor> out(g.input_shapes.size());
    const std::map<std::string, AttrValue> dim = {{"dim", g.attrs.Int("dim")}};
    if (g.needs_grad[0]) {
      if (add) {
        out[0] = g.grads[0];
      } else {
        std::map<std::string, AttrValue> zero = dim;
        zero["value"] = 0.0;
        TD_ASSIGN_OR_RETURN(out[0], grad::Op(g, "scatter", {g.grads[0], g.inputs[1]}, zero));
      }
    }
    if (out.size() > 2 && g.needs_grad[2]) {
      TD_ASSIGN_OR_RETURN(out[2], grad::Op(g, "gather", {g.grads[0], g.inputs[1]}, dim));
    }
    return out;
  };
}

// d masked_fill(self, mask, value) = (grad with the masked places zeroed,
// the sum of grad over them for a 0-dim value tensor).
absl::StatusOr<std::vector<Tensor>> MaskedFillBackward(const GradCall& g) {
  std::vector<Tensor> out(g.input_shapes.size());
  const Tensor& mask = g.inputs[1];
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(Tensor d, grad::Op(g, "masked_fill", {g.grads[0], mask}, {{"value", 0.0}}));
    TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(g, d, g.input_shapes[0]));
  }
  if (out.size() > 2 && g.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(Tensor m, grad::AsGradType(g, mask));
    TD_ASSIGN_OR_RETURN(Tensor picked, grad::Mul(g, g.grads[0], m));
    TD_ASSIGN_OR_RETURN(Tensor total, grad::Op(g, "sum", {picked}));
    TD_ASSIGN_OR_RETURN(out[2], grad::SumTo(g, total, g.input_shapes[2]));
  }
  return out;
}

// d masked_select(self, mask): grad written back at the mask's places.
absl::StatusOr<std::vector<Tensor>> MaskedSelectBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  TD_ASSIGN_OR_RETURN(Tensor z, grad::Zeros(g));
  TD_ASSIGN_OR_RETURN(Tensor mz, grad::AsGradType(g, g.inputs[1]));
  TD_ASSIGN_OR_RETURN(Tensor wide, grad::Op(g, "add", {z, mz}));  // the broadcast shape
  TD_ASSIGN_OR_RETURN(Tensor base, grad::Mul(g, wide, 0.0));
  TD_ASSIGN_OR_RETURN(
      Tensor mask,
      grad::Op(g, "expand", {g.inputs[1]},
               {{"size", std::vector<int64_t>(base.shape().begin(), base.shape().end())}}));
  TD_ASSIGN_OR_RETURN(Tensor put, grad::Op(g, "index_put", {base, mask, g.grads[0]}));
  TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(g, put, g.input_shapes[0]));
  return out;
}

// d index_get(self, indices) = zeros with grad added at indices.
absl::StatusOr<std::vector<Tensor>> IndexGetBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  TD_ASSIGN_OR_RETURN(Tensor z, grad::Zeros(g));
  TD_ASSIGN_OR_RETURN(
      out[0], grad::Op(g, "index_put", {z, g.inputs[1], g.grads[0]}, {{"accumulate", true}}));
  return out;
}

// d index_put(self, indices, values) = (grad, zeroed at indices unless
// accumulating; grad at indices, summed to values' shape).
absl::StatusOr<std::vector<Tensor>> IndexPutBackward(const GradCall& g) {
  std::vector<Tensor> out(g.input_shapes.size());
  if (g.needs_grad[0]) {
    if (g.attrs.Bool("accumulate")) {
      out[0] = g.grads[0];
    } else {
      TD_ASSIGN_OR_RETURN(out[0],
                          grad::Op(g, "index_put", {g.grads[0], g.inputs[1]}, {{"value", 0.0}}));
    }
  }
  if (out.size() > 2 && g.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(Tensor picked, grad::Op(g, "index_get", {g.grads[0], g.inputs[1]}));
    TD_ASSIGN_OR_RETURN(out[2], grad::SumTo(g, picked, g.input_shapes[2]));
  }
  return out;
}

BackwardFn TriangleBackward(const char* op) {
  return [op](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
    TD_ASSIGN_OR_RETURN(Tensor dx,
                        grad::Op(g, op, {g.grads[0]}, {{"diagonal", g.attrs.Int("diagonal")}}));
    return std::vector<Tensor>{dx};
  };
}

TENSORD_REGISTER_OP(OpDef{
    .name = "index_select",
    .doc = "The entries of self at the positions `index` (a 1-D int64 or int32 tensor) along "
           "dim.",
    .inputs = {"self", "index"},
    .attrs = {DimAttr()},
    .forward = Single([](const OpCall& c) {
      return IndexSelect(c.ctx, c.inputs[0], c.attrs.Int("dim"), c.inputs[1]);
    }),
    .derivative = Derivative{.grad_fn = "IndexSelectBackward0",
                             .backward = &IndexSelectBackward,
                             .saves_inputs = true},
});

absl::StatusOr<Tensor> Gather(const Context& ctx, const Tensor& self, int64_t dim,
                              const Tensor& index) {
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, index));
  TD_RETURN_IF_ERROR(CheckInt64Index("gather", index));
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, self.dim()));
  TD_ASSIGN_OR_RETURN(Tensor src, AtLeast1d(self));
  TD_ASSIGN_OR_RETURN(Tensor idx, AtLeast1d(index));
  if (idx.dim() != src.dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Index tensor must have the same number of dimensions as input tensor: index ",
                     ShapeToString(index.shape()), ", input ", ShapeToString(self.shape())));
  }
  for (int64_t k = 0; k < src.dim(); ++k) {
    if (k != d && idx.shape()[k] > src.shape()[k]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Size does not match at dimension ", k, " expected index ", ShapeToString(index.shape()),
          " to be smaller than self ", ShapeToString(self.shape()), " apart from dimension ", d));
    }
  }
  TD_RETURN_IF_ERROR(CheckNoNegativeIndex(ctx, idx, d, src.shape()[d]));
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(idx.shape(), self.dtype(), self.device()));
  TD_RETURN_IF_ERROR(out.backend().Gather(src, d, idx, out));
  return out.View(index.shape());
}

TENSORD_REGISTER_OP(OpDef{
    .name = "gather",
    .doc = "torch.gather: out[i][j] = self[index[i][j]][j] for dim 0 (likewise for other dims); "
           "index is int64 with self's number of dims.",
    .inputs = {"self", "index"},
    .attrs = {DimAttr()},
    .forward = Single([](const OpCall& c) {
      return Gather(c.ctx, c.inputs[0], c.attrs.Int("dim"), c.inputs[1]);
    }),
    .derivative = Derivative{.grad_fn = "GatherBackward0",
                             .backward = &GatherBackward,
                             .saves_inputs = true},
});

// ---- scatter / scatter_add -------------------------------------------------------------

// A copy of self with src (or `value` everywhere) scattered into it along dim.
absl::StatusOr<Tensor> Scatter(const Context& ctx, ScatterMode mode, const char* name,
                               const Tensor& self, int64_t dim, const Tensor& index,
                               const Tensor* src, const std::optional<Scalar>& value) {
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, index));
  TD_RETURN_IF_ERROR(CheckInt64Index(name, index));
  if ((src == nullptr) == !value.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " needs exactly one source: a src tensor input or the attribute value=<number>"));
  }
  if (src != nullptr) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(self, *src));
    if (src->dtype() != self.dtype()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scatter(): Expected self.dtype to be equal to src.dtype, but got ",
                       device::DTypeName(self.dtype()), " and ", device::DTypeName(src->dtype()),
                       ": convert src with to()"));
    }
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, self.dim()));
  TD_ASSIGN_OR_RETURN(Tensor out, device::Clone(ctx, self));
  TD_ASSIGN_OR_RETURN(Tensor dst, AtLeast1d(out));
  TD_ASSIGN_OR_RETURN(Tensor idx, AtLeast1d(index));
  if (idx.dim() != dst.dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Index tensor must have the same number of dimensions as self tensor: index ",
                     ShapeToString(index.shape()), ", self ", ShapeToString(self.shape())));
  }
  Tensor from;
  if (src != nullptr) {
    TD_ASSIGN_OR_RETURN(from, AtLeast1d(*src));
    if (from.dim() != dst.dim()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Index tensor must have the same number of dimensions as src tensor: index ",
                       ShapeToString(index.shape()), ", src ", ShapeToString(src->shape())));
    }
  }
  for (int64_t k = 0; k < dst.dim(); ++k) {
    const bool fits_self = k == d || idx.shape()[k] <= dst.shape()[k];
    const bool fits_src = src == nullptr || idx.shape()[k] <= from.shape()[k];
    if (!fits_self || !fits_src) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Expected index ", ShapeToString(index.shape()), " to be smaller than self ",
          ShapeToString(self.shape()), " apart from dimension ", d,
          src != nullptr
              ? absl::StrCat(" and to be smaller size than src ", ShapeToString(src->shape()))
              : ""));
    }
  }
  TD_RETURN_IF_ERROR(CheckNoNegativeIndex(ctx, idx, d, dst.shape()[d]));
  if (src != nullptr) {
    for (int64_t k = 0; k < from.dim(); ++k) {  // only the part index covers
      TD_ASSIGN_OR_RETURN(from, from.Slice(k, 0, idx.shape()[k], 1));
    }
  } else {
    TD_ASSIGN_OR_RETURN(Tensor v, device::ScalarTensor(ctx, *value, self.dtype(), self.device()));
    TD_ASSIGN_OR_RETURN(from, v.Expand(idx.shape()));
  }
  TD_RETURN_IF_ERROR(dst.backend().Scatter(mode, d, idx, from, dst));
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "scatter",
    .doc = "torch.scatter: a copy of self with self[index[i][j]][j] = src[i][j] for dim 0 "
           "(likewise for other dims), or = value when the attribute value is given instead of "
           "src. Duplicate indices: the last write in row-major order wins.",
    .inputs = {"self", "index", "src?"},
    .attrs = {DimAttr(),
              ScalarAttr("value", std::nullopt, "a number to scatter instead of src", true)},
    .forward = Single([](const OpCall& c) {
      std::optional<Scalar> value;
      if (c.attrs.Has("value")) value = c.attrs.Scalar("value");
      return Scatter(c.ctx, ScatterMode::kAssign, "scatter", c.inputs[0], c.attrs.Int("dim"),
                     c.inputs[1], c.inputs.size() > 2 ? &c.inputs[2] : nullptr, value);
    }),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "ScatterBackward0",
                             .backward = ScatterBackward(false),
                             .saves_inputs = true},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "scatter_add",
    .doc = "torch.scatter_add: a copy of self with self[index[i][j]][j] += src[i][j] for dim 0 "
           "(likewise for other dims).",
    .inputs = {"self", "index", "src"},
    .attrs = {DimAttr()},
    .forward = Single([](const OpCall& c) {
      return Scatter(c.ctx, ScatterMode::kAdd, "scatter_add", c.inputs[0], c.attrs.Int("dim"),
                     c.inputs[1], &c.inputs[2], std::nullopt);
    }),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "ScatterAddBackward0",
                             .backward = ScatterBackward(true),
                             .saves_inputs = true},
});

// ---- masked_fill / masked_select -------------------------------------------------------

absl::StatusOr<Tensor> MaskedFill(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  const Tensor& mask = c.inputs[1];
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, mask));
  TD_RETURN_IF_ERROR(CheckBoolMask("masked_fill", mask));
  const bool has_tensor = c.inputs.size() > 2, has_scalar = c.attrs.Has("value");
  if (has_tensor == has_scalar) {
    return absl::InvalidArgumentError(
        "masked_fill needs exactly one fill value: a 0-dim value tensor input or the attribute "
        "value=<number>");
  }
  Tensor value;
  if (has_tensor) {
    const Tensor& v = c.inputs[2];
    if (v.dim() != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ", v.dim(),
          " dimension(s): pass a number as value= or a 0-dim tensor"));
    }
    TD_ASSIGN_OR_RETURN(value, device::To(c.ctx, v, self.dtype(), self.device()));
  } else {
    TD_ASSIGN_OR_RETURN(
        value, device::ScalarTensor(c.ctx, c.attrs.Scalar("value"), self.dtype(), self.device()));
  }
  return device::WhereTensor(c.ctx, mask, value, self);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "masked_fill",
    .doc = "self with value where the bool mask (broadcast against self) is true; value is the "
           "attribute value=<number> or a 0-dim tensor input, cast to self's dtype.",
    .inputs = {"self", "mask", "value?"},
    .attrs = {ScalarAttr("value", std::nullopt, "the fill value (or pass a 0-dim tensor)", true)},
    .forward = Single(MaskedFill),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "MaskedFillBackward0",
                             .backward = &MaskedFillBackward,
                             .saves_inputs = true},
});

absl::StatusOr<Tensor> MaskedSelect(const Context& ctx, const Tensor& self, const Tensor& mask) {
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, mask));
  if (mask.dtype() != DType::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(
        "masked_select: expected BoolTensor for mask, but got ", device::DTypeName(mask.dtype()),
        ": compare it first, e.g. x > 0, or convert it with to(bool)"));
  }
  TD_ASSIGN_OR_RETURN(Shape shape, device::BroadcastShapes(self.shape(), mask.shape()));
  TD_ASSIGN_OR_RETURN(Tensor values, self.Expand(shape));
  TD_ASSIGN_OR_RETURN(Tensor where, mask.Expand(shape));
  const std::vector<int64_t> all = {device::Numel(shape)};
  TD_ASSIGN_OR_RETURN(Tensor flat, device::Reshape(ctx, values, all));
  TD_ASSIGN_OR_RETURN(Tensor positions, TruePositions(ctx, where));
  return SelectAlong(ctx, flat, 0, positions);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "masked_select",
    .doc = "The elements of self where the bool mask (broadcast against self) is true, as a "
           "1-D tensor in row-major order.",
    .inputs = {"self", "mask"},
    .forward = Single([](const OpCall& c) {
      return MaskedSelect(c.ctx, c.inputs[0], c.inputs[1]);
    }),
    .derivative = Derivative{.grad_fn = "MaskedSelectBackward0",
                             .backward = &MaskedSelectBackward,
                             .saves_inputs = true},
});

// ---- index_get / index_put: x[indices] and x[indices] = values -----------------------

// Where x[indices] reads or writes: `rows` is self (or a view of it) whose
// dim 0 is indexed by the 1-D int64 `positions`, and `shape` is the shape
// of x[indices].
struct AdvancedIndex {
  Tensor rows;
  Tensor positions;
  Shape shape;
};

absl::StatusOr<AdvancedIndex> ResolveIndex(const Context& ctx, const Tensor& self,
                                           const Tensor& indices) {
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, indices));
  AdvancedIndex r;
  if (indices.dtype() == DType::kBool) {
    // A mask over self's leading dims: they collapse into one dim of the
    // true positions.
    const int64_t k = indices.dim();
    if (k > self.dim()) {
      return absl::InvalidArgumentError(
          absl::StrCat("too many indices for tensor of dimension ", self.dim(), ": the mask ",
                       ShapeToString(indices.shape()), " has more dims than the indexed tensor ",
                       ShapeToString(self.shape())));
    }
    for (int64_t i = 0; i < k; ++i) {
      if (indices.shape()[i] != self.shape()[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("The shape of the mask ", ShapeToString(indices.shape()), " at index ", i,
                         " does not match the shape of the indexed tensor ",
                         ShapeToString(self.shape()), " at index ", i));
      }
    }
    Shape rows_shape = {1};
    for (int64_t i = 0; i < k; ++i) rows_shape[0] *= self.shape()[i];
    rows_shape.insert(rows_shape.end(), self.shape().begin() + k, self.shape().end());
    TD_ASSIGN_OR_RETURN(r.rows, device::Reshape(ctx, self, rows_shape));
    TD_ASSIGN_OR_RETURN(r.positions, TruePositions(ctx, indices));
    r.shape = rows_shape;
    r.shape[0] = r.positions.numel();
    return r;
  }
  if (indices.dtype() != DType::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensors used as indices must be long, byte or bool tensors, but got ",
                     device::DTypeName(indices.dtype()), ": convert it with to(int64)"));
  }
  if (self.dim() == 0) {
    return absl::InvalidArgumentError(
        "too many indices for tensor of dimension 0: an int64 index needs at least one dim to "
        "index");
  }
  r.rows = self;
  const std::vector<int64_t> all = {indices.numel()};
  TD_ASSIGN_OR_RETURN(r.positions, device::Reshape(ctx, indices, all));
  r.shape = indices.shape();
  r.shape.insert(r.shape.end(), self.shape().begin() + 1, self.shape().end());
  return r;
}

absl::StatusOr<Tensor> IndexGet(const Context& ctx, const Tensor& self, const Tensor& indices) {
  TD_ASSIGN_OR_RETURN(AdvancedIndex ix, ResolveIndex(ctx, self, indices));
  TD_ASSIGN_OR_RETURN(Tensor out, SelectAlong(ctx, ix.rows, 0, ix.positions));
  return out.View(ix.shape);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "index_get",
    .doc = "x[indices] with a tensor index: a bool mask over self's leading dims (x[mask], 1-D "
           "over the true positions), or an int64 tensor indexing dim 0 (x[idx]; negative "
           "values count from the end). A copy.",
    .inputs = {"self", "indices"},
    .forward = Single([](const OpCall& c) { return IndexGet(c.ctx, c.inputs[0], c.inputs[1]); }),
    .derivative = Derivative{.grad_fn = "IndexBackward0",
                             .backward = &IndexGetBackward,
                             .saves_inputs = true},
});

absl::StatusOr<Tensor> IndexPut(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  const bool has_tensor = c.inputs.size() > 2, has_scalar = c.attrs.Has("value");
  if (has_tensor == has_scalar) {
    return absl::InvalidArgumentError(
        "index_put needs exactly one source: a values tensor input or the attribute "
        "value=<number>");
  }
  TD_ASSIGN_OR_RETURN(Tensor out, device::Clone(c.ctx, self));
  TD_ASSIGN_OR_RETURN(AdvancedIndex ix, ResolveIndex(c.ctx, out, c.inputs[1]));
  Tensor values;
  if (has_tensor) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(self, c.inputs[2]));
    TD_ASSIGN_OR_RETURN(values, device::To(c.ctx, c.inputs[2], self.dtype()));
  } else {
    TD_ASSIGN_OR_RETURN(
        values, device::ScalarTensor(c.ctx, c.attrs.Scalar("value"), self.dtype(), self.device()));
  }
  absl::StatusOr<Tensor> broadcast = values.Expand(ix.shape);
  if (!broadcast.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape mismatch: value tensor of shape ", ShapeToString(values.shape()),
                     " cannot be broadcast to indexing result of shape ", ShapeToString(ix.shape)));
  }
  // Scatter along dim 0 of rows: one source row per position.
  Shape src_shape = ix.rows.shape();
  src_shape[0] = ix.positions.numel();
  TD_ASSIGN_OR_RETURN(Tensor src, device::Reshape(c.ctx, *broadcast, src_shape));
  Shape index_shape(src_shape.size(), 1);
  index_shape[0] = src_shape[0];
  TD_ASSIGN_OR_RETURN(Tensor column, ix.positions.View(index_shape));
  TD_ASSIGN_OR_RETURN(Tensor index, column.Expand(src_shape));
  const ScatterMode mode = c.attrs.Bool("accumulate") ? ScatterMode::kAdd : ScatterMode::kAssign;
  TD_RETURN_IF_ERROR(ix.rows.backend().Scatter(mode, 0, index, src, ix.rows));
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "index_put",
    .doc = "x[indices] = values (a copy; index_put_ writes self): indices as in index_get, "
           "values broadcast to x[indices]'s shape and cast to self's dtype, or the attribute "
           "value=<number>. With accumulate, values are added (duplicates add up); without it, "
           "the last duplicate in row-major order wins.",
    .inputs = {"self", "indices", "values?"},
    .attrs = {BoolAttr("accumulate", false, "add to the indexed elements instead of assigning"),
              ScalarAttr("value", std::nullopt, "a number to write instead of a values tensor",
                         true)},
    .forward = Single(IndexPut),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "IndexPutBackward0",
                             .backward = &IndexPutBackward,
                             .saves_inputs = true},
});

// ---- tril / triu --------------------------------------------------------------------------

// 0, 1, ..., n - 1 as int64.
absl::StatusOr<Tensor> Positions(const Context& ctx, int64_t n, Device device) {
  const std::vector<int64_t> shape = {n};
  TD_ASSIGN_OR_RETURN(Tensor t, ctx.Empty(shape, DType::kInt64, device));
  TD_RETURN_IF_ERROR(t.backend().Arange(Scalar(int64_t{0}), Scalar(int64_t{1}), t));
  return t;
}

// Keeps the elements of the last two dims with col - row <= diagonal
// (lower) or >= diagonal (upper); the rest become 0.
absl::StatusOr<Tensor> Triangle(const Context& ctx, const Tensor& self, int64_t diagonal,
                                bool lower) {
  if (self.dim() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        lower ? "tril" : "triu", ": input tensor must have at least 2 dimensions, but got shape ",
        ShapeToString(self.shape())));
  }
  const int64_t m = self.shape()[self.dim() - 2], n = self.shape()[self.dim() - 1];
  diagonal = std::clamp<int64_t>(diagonal, -m - 1, n + 1);  // no overflow below
  TD_ASSIGN_OR_RETURN(Tensor rows, Positions(ctx, m, self.device()));
  TD_ASSIGN_OR_RETURN(Tensor cols, Positions(ctx, n, self.device()));
  const std::vector<int64_t> column = {m, 1};
  TD_ASSIGN_OR_RETURN(Tensor row_col, rows.View(column));
  TD_ASSIGN_OR_RETURN(Tensor shifted,
                      device::BinaryOpTensor(ctx, BinaryOp::kAdd, row_col, Scalar(diagonal)));
  TD_ASSIGN_OR_RETURN(Tensor keep, device::BinaryOpTensor(
                                       ctx, lower ? BinaryOp::kLe : BinaryOp::kGe, cols, shifted));
  TD_ASSIGN_OR_RETURN(Tensor zero,
                      device::ScalarTensor(ctx, Scalar(int64_t{0}), self.dtype(), self.device()));
  return device::WhereTensor(ctx, keep, self, zero);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "tril",
    .doc = "The lower triangle of the last two dims (col - row <= diagonal); the rest is 0.",
    .inputs = {"self"},
    .attrs = {IntAttr("diagonal", 0, "0: the main diagonal; > 0 above it; < 0 below")},
    .forward = Single([](const OpCall& c) {
      return Triangle(c.ctx, c.inputs[0], c.attrs.Int("diagonal"), true);
    }),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "TrilBackward0", .backward = TriangleBackward("tril")},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "triu",
    .doc = "The upper triangle of the last two dims (col - row >= diagonal); the rest is 0.",
    .inputs = {"self"},
    .attrs = {IntAttr("diagonal", 0, "0: the main diagonal; > 0 above it; < 0 below")},
    .forward = Single([](const OpCall& c) {
      return Triangle(c.ctx, c.inputs[0], c.attrs.Int("diagonal"), false);
    }),
    .inplace_variant = true,
    .derivative = Derivative{.grad_fn = "TriuBackward0", .backward = TriangleBackward("triu")},
});

// ---- one_hot ---------------------------------------------------------------------------------

absl::StatusOr<Tensor> OneHot(const Context& ctx, const Tensor& self, int64_t num_classes) {
  if (self.dtype() != DType::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat("one_hot is only applicable to index tensor: expected int64, but got ",
                     device::DTypeName(self.dtype()), ": convert it with to(int64)"));
  }
  Shape shape = self.shape();
  if (self.numel() == 0) {
    if (num_classes <= 0) {
      return absl::InvalidArgumentError(
          "Can not infer total number of classes from empty tensor: pass num_classes");
    }
    shape.push_back(num_classes);
    return device::Full(ctx, shape, Scalar(int64_t{0}), DType::kInt64, self.device());
  }
  TD_ASSIGN_OR_RETURN(const int64_t min, Extreme(ctx, ReduceOp::kMin, self));
  if (min < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Class values must be non-negative, but got ", min, "."));
  }
  TD_ASSIGN_OR_RETURN(const int64_t max, Extreme(ctx, ReduceOp::kMax, self));
  if (num_classes == -1) {
    num_classes = max + 1;
  } else if (num_classes <= max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Class values must be smaller than num_classes: got ", max,
        " with num_classes=", num_classes, "; raise num_classes or pass -1 to infer it"));
  }
  TD_ASSIGN_OR_RETURN(Tensor classes, Positions(ctx, num_classes, self.device()));
  TD_ASSIGN_OR_RETURN(Tensor column, self.Unsqueeze(-1));
  TD_ASSIGN_OR_RETURN(Tensor hot, device::BinaryOpTensor(ctx, BinaryOp::kEq, column, classes));
  return device::To(ctx, hot, DType::kInt64);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "one_hot",
    .doc = "torch.nn.functional.one_hot: int64 self -> int64 of shape self.shape + "
           "[num_classes] with a 1 at each value.",
    .inputs = {"self"},
    .attrs = {IntAttr("num_classes", -1, "number of classes; -1 infers max(self) + 1")},
    .forward = Single([](const OpCall& c) {
      return OneHot(c.ctx, c.inputs[0], c.attrs.Int("num_classes"));
    }),
    .not_differentiable = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
