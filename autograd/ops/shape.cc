// Shape ops: flatten and unflatten (views where possible), repeat, cat and
// stack (new tensors, with PyTorch's type promotion), and split and chunk,
// whose variable number of outputs are views of the input.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Shape;
using device::ShapeToString;
using device::Tensor;

AttrDef DimAttr(int64_t def, std::string doc = "a dimension (negative counts from the end)") {
  return IntAttr("dim", def, std::move(doc));
}

// ---- flatten / unflatten -----------------------------------------------------

absl::StatusOr<Tensor> Flatten(const device::Context& ctx, const Tensor& self, int64_t start_dim,
                               int64_t end_dim) {
  if (self.dim() == 0) {
    TD_RETURN_IF_ERROR(device::WrapDim(start_dim, 0).status());
    TD_RETURN_IF_ERROR(device::WrapDim(end_dim, 0).status());
    const std::vector<int64_t> one = {1};
    return device::Reshape(ctx, self, one);
  }
  TD_ASSIGN_OR_RETURN(const int64_t start, device::WrapDim(start_dim, self.dim()));
  TD_ASSIGN_OR_RETURN(const int64_t end, device::WrapDim(end_dim, self.dim()));
  if (start > end) {
    return absl::InvalidArgumentError(
        absl::StrCat("flatten() has invalid args: start_dim cannot come after end_dim (", start,
                     " > ", end, ")"));
  }
  if (start == end) return self;
  Shape shape(self.shape().begin(), self.shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= self.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), self.shape().begin() + end + 1, self.shape().end());
  return device::Reshape(ctx, self, shape);
}

// ---- derivatives -------------------------------------------------------------

// d repeat: grad seen as [r0, s0, r1, s1, ...] (self padded with leading
// 1s to the repeats' length), summed over the r dims.
absl::StatusOr<std::vector<Tensor>> RepeatBackward(const GradCall& g) {
  const std::vector<int64_t>& reps = g.attrs.Ints("repeats");
  const device::Shape& in = g.input_shapes[0];
  std::vector<int64_t> padded(reps.size() - in.size(), 1);
  padded.insert(padded.end(), in.begin(), in.end());
  std::vector<int64_t> split, reps_dims;
  for (size_t i = 0; i < reps.size(); ++i) {
    reps_dims.push_back(static_cast<int64_t>(split.size()));
    split.push_back(reps[i]);
    split.push_back(padded[i]);
  }
  TD_ASSIGN_OR_RETURN(Tensor t, grad::Op(g, "reshape", {g.grads[0]}, {{"size", split}}));
  if (!reps_dims.empty()) {
    TD_ASSIGN_OR_RETURN(t, grad::Op(g, "sum", {t}, {{"dim", reps_dims}}));
  }
  TD_ASSIGN_OR_RETURN(
      t, grad::Op(g, "reshape", {t}, {{"size", std::vector<int64_t>(in.begin(), in.end())}}));
  return std::vector<Tensor>{t};
}

// d cat: each input's slice of grad along dim (1-D empty inputs, which cat
// skips, get an empty gradient).
absl::StatusOr<std::vector<Tensor>> CatBackward(const GradCall& g) {
  const int64_t rank = g.grads[0].dim();
  const int64_t dim = (g.attrs.Int("dim") % rank + rank) % rank;
  std::vector<Tensor> out(g.input_shapes.size());
  int64_t offset = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const device::Shape& shape = g.input_shapes[i];
    if (shape.size() == 1 && shape[0] == 0 && rank != 1) {
      TD_ASSIGN_OR_RETURN(out[i], grad::Zeros(g, i));
      continue;
    }
    const int64_t size = shape[dim];
    if (g.needs_grad[i]) {
      TD_ASSIGN_OR_RETURN(out[i], grad::Op(g, "narrow", {g.grads[0]},
                                           {{"dim", dim}, {"start", offset}, {"length", size}}));
    }
    offset += size;
  }
  return out;
}

// d stack: each input's index along the new dim.
absl::StatusOr<std::vector<Tensor>> StackBackward(const GradCall& g) {
  std::vector<Tensor> out(g.input_shapes.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!g.needs_grad[i]) continue;
    TD_ASSIGN_OR_RETURN(
        out[i], grad::Op(g, "select", {g.grads[0]},
                         {{"dim", g.attrs.Int("dim")}, {"index", static_cast<int64_t>(i)}}));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "flatten",
    .doc = "Merges dims start_dim..end_dim into one: a view when the data allows, else a copy "
           "(a 0-dim tensor becomes 1-D).",
    .inputs = {"self"},
    .attrs = {IntAttr("start_dim", 0, "first dim to merge"),
              IntAttr("end_dim", -1, "last dim to merge")},
    .forward = Single([](const OpCall& c) {
      return Flatten(c.ctx, c.inputs[0], c.attrs.Int("start_dim"), c.attrs.Int("end_dim"));
    }),
    .derivative = grad::ViewDerivative("ReshapeAliasBackward0", "flatten"),
});

absl::StatusOr<Tensor> Unflatten(const Tensor& self, int64_t dim,
                                 const std::vector<int64_t>& sizes) {
  if (self.dim() == 0) {
    return absl::InvalidArgumentError(
        "unflatten() cannot be applied to a 0-dim tensor: it has no dim to split");
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, self.dim()));
  if (sizes.empty()) {
    return absl::InvalidArgumentError("unflatten: sizes must be non-empty");
  }
  absl::StatusOr<Shape> inferred = device::InferSize(sizes, self.shape()[d]);
  if (!inferred.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unflatten: Provided sizes ", ShapeToString(sizes),
                     " don't multiply up to the size of dim ", d, " (", self.shape()[d],
                     ") in the input tensor (at most one size may be -1)"));
  }
  Shape shape(self.shape().begin(), self.shape().begin() + d);
  shape.insert(shape.end(), inferred->begin(), inferred->end());
  shape.insert(shape.end(), self.shape().begin() + d + 1, self.shape().end());
  return self.View(shape);  // splitting one dim is always a view
}

TENSORD_REGISTER_OP(OpDef{
    .name = "unflatten",
    .doc = "Splits dim into the given sizes (one may be -1); a view.",
    .inputs = {"self"},
    .attrs = {IntAttr("dim", std::nullopt, "the dim to split (negative counts from the end)"),
              {"sizes", AttrType::kInts, std::nullopt, false, "the new sizes of dim"}},
    .forward = Single([](const OpCall& c) {
      return Unflatten(c.inputs[0], c.attrs.Int("dim"), c.attrs.Ints("sizes"));
    }),
    .is_view = true,
    .derivative = grad::ViewDerivative("ViewBackward0", "unflatten"),
});

// ---- repeat ---------------------------------------------------------------------

// Tiles self: dims are padded with leading 1s to len(repeats), then dim i
// is repeated repeats[i] times. Always a new tensor.
absl::StatusOr<Tensor> Repeat(const device::Context& ctx, const Tensor& self,
                              const std::vector<int64_t>& repeats) {
  if (static_cast<int64_t>(repeats.size()) < self.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Number of dimensions of repeat dims (", repeats.size(),
        ") can not be smaller than number of dimensions of tensor (", self.dim(), ")"));
  }
  for (int64_t r : repeats) {
    if (r < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("repeat: repeats must be non-negative, but got ", ShapeToString(repeats)));
    }
  }
  Tensor x = self;
  while (x.dim() < static_cast<int64_t>(repeats.size())) {
    TD_ASSIGN_OR_RETURN(x, x.Unsqueeze(0));
  }
  // [s0, s1, ...] -> [1, s0, 1, s1, ...] -> expanded to [r0, s0, r1, s1, ...].
  Shape tiled, result;
  for (size_t i = 0; i < repeats.size(); ++i) {
    TD_ASSIGN_OR_RETURN(x, x.Unsqueeze(static_cast<int64_t>(2 * i)));
    const int64_t size = x.shape()[2 * i + 1];
    int64_t repeated = 0;
    if (__builtin_mul_overflow(repeats[i], size, &repeated)) {
      return absl::InvalidArgumentError(
          absl::StrCat("repeat: repeating dim ", i, " (size ", size, ") ", repeats[i],
                       " times overflows int64: use smaller repeats"));
    }
    tiled.push_back(repeats[i]);
    tiled.push_back(size);
    result.push_back(repeated);
  }
  TD_RETURN_IF_ERROR(device::CheckedNumel(tiled).status());
  TD_ASSIGN_OR_RETURN(Tensor expanded, x.Expand(tiled));
  TD_ASSIGN_OR_RETURN(Tensor copy, device::Clone(ctx, expanded));
  return copy.View(result);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "repeat",
    .doc = "Tiles self repeats[i] times along dim i (leading dims are added when repeats is "
           "longer than self's dims); a copy.",
    .inputs = {"self"},
    .attrs = {{"repeats", AttrType::kInts, std::nullopt, false, "times to repeat each dim"}},
    .forward = Single([](const OpCall& c) {
      return Repeat(c.ctx, c.inputs[0], c.attrs.Ints("repeats"));
    }),
    .derivative = Derivative{.grad_fn = "RepeatBackward0", .backward = &RepeatBackward},
});

// ---- cat / stack ----------------------------------------------------------------

// torch.cat: 1-D empty tensors are skipped (PyTorch's legacy rule), the
// result dtype promotes over all inputs.
absl::StatusOr<Tensor> Cat(const device::Context& ctx, std::span<const Tensor> tensors,
                           int64_t dim) {
  if (tensors.empty()) {
    return absl::InvalidArgumentError(
        "torch.cat(): expected a non-empty list of Tensors: pass at least one input");
  }
  device::ResultTypeState promote;
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (t.dim() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("zero-dimensional tensor (at position ", i,
                       ") cannot be concatenated: unsqueeze it first, or use stack"));
    }
    TD_RETURN_IF_ERROR(device::CheckSameDevice(tensors[0], t));
    promote.AddTensor(t.dtype(), false);
    const bool skipped = t.dim() == 1 && t.numel() == 0;
    if (ref == nullptr && !skipped) ref = &t;
  }
  const DType dtype = promote.Result();
  if (ref == nullptr) ref = &tensors[0];
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, ref->dim()));
  Shape shape = ref->shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (&t != ref && t.dim() == 1 && t.numel() == 0) continue;
    if (t.dim() != ref->dim()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Tensors must have same number of dimensions: got ", ref->dim(), " and ", t.dim(),
          " (tensor number ", i, " in the list has shape ", ShapeToString(t.shape()), ")"));
    }
    for (int64_t k = 0; k < t.dim(); ++k) {
      if (k != d && t.shape()[k] != ref->shape()[k]) {
        return absl::InvalidArgumentError(
            absl::StrCat("Sizes of tensors must match except in dimension ", d, ". Expected size ",
                         ref->shape()[k], " but got size ", t.shape()[k], " for tensor number ", i,
                         " in the list."));
      }
    }
    shape[d] += t.shape()[d];
  }
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(shape, dtype, ref->device()));
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (&t != ref && t.dim() == 1 && t.numel() == 0) continue;
    const int64_t n = t.shape()[d];
    TD_ASSIGN_OR_RETURN(Tensor part, out.Slice(d, offset, offset + n, 1));
    TD_RETURN_IF_ERROR(device::CopyInto(ctx, t, part));
    offset += n;
  }
  return out;
}

absl::StatusOr<Tensor> Stack(const device::Context& ctx, std::span<const Tensor> tensors,
                             int64_t dim) {
  if (tensors.empty()) {
    return absl::InvalidArgumentError(
        "stack expects a non-empty TensorList: pass at least one input");
  }
  for (size_t i = 1; i < tensors.size(); ++i) {
    if (tensors[i].shape() != tensors[0].shape()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stack expects each tensor to be equal size, but got ", ShapeToString(tensors[0].shape()),
          " at entry 0 and ", ShapeToString(tensors[i].shape()), " at entry ", i));
    }
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(dim, tensors[0].dim() + 1));
  std::vector<Tensor> unsqueezed;
  for (const Tensor& t : tensors) {
    TD_ASSIGN_OR_RETURN(Tensor u, t.Unsqueeze(d));
    unsqueezed.push_back(std::move(u));
  }
  return Cat(ctx, unsqueezed, d);
}

TENSORD_REGISTER_OP(OpDef{
    .name = "cat",
    .doc = "Concatenates the inputs along dim (all sizes but dim's must match; 1-D empty "
           "tensors are skipped); the dtype promotes as torch.cat's.",
    .inputs = {"tensors..."},
    .attrs = {DimAttr(0)},
    .forward = Single([](const OpCall& c) { return Cat(c.ctx, c.inputs, c.attrs.Int("dim")); }),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "CatBackward0", .backward = &CatBackward},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "stack",
    .doc = "Joins equal-shaped inputs along a new dim; the dtype promotes as torch.stack's.",
    .inputs = {"tensors..."},
    .attrs = {DimAttr(0, "where the new dim goes (negative counts from the end)")},
    .forward = Single([](const OpCall& c) { return Stack(c.ctx, c.inputs, c.attrs.Int("dim")); }),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "StackBackward0", .backward = &StackBackward},
});

// ---- split / chunk ----------------------------------------------------------

// Views of self along d with the given sizes (already checked to sum up).
absl::StatusOr<std::vector<Tensor>> SplitWithSizes(const Tensor& self, int64_t d,
                                                   const std::vector<int64_t>& sizes) {
  std::vector<Tensor> parts;
  int64_t offset = 0;
  for (int64_t n : sizes) {
    TD_ASSIGN_OR_RETURN(Tensor part, self.Slice(d, offset, offset + n, 1));
    parts.push_back(std::move(part));
    offset += n;
  }
  return parts;
}

// Pieces of split_size along d; the last may be smaller.
std::vector<int64_t> EvenSizes(int64_t dim_size, int64_t split_size) {
  if (split_size == 0) return {dim_size};  // only when dim_size is 0
  const int64_t count = dim_size == 0 ? 1 : (dim_size - 1) / split_size + 1;
  std::vector<int64_t> sizes(count, split_size);
  sizes.back() = dim_size - split_size * (count - 1);
  return sizes;
}

absl::StatusOr<std::vector<Tensor>> Split(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  if (self.dim() == 0) {
    return absl::InvalidArgumentError(
        "split expects at least a 1-dimensional tensor: unsqueeze it first");
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(c.attrs.Int("dim"), self.dim()));
  const int64_t size = self.shape()[d];
  const bool has_size = c.attrs.Has("split_size"), has_sizes = c.attrs.Has("split_sizes");
  if (has_size == has_sizes) {
    return absl::InvalidArgumentError(
        "split needs exactly one of split_size=<int> (pieces of that size) or "
        "split_sizes=<ints> (one size per piece)");
  }
  if (has_sizes) {
    const std::vector<int64_t>& sizes = c.attrs.Ints("split_sizes");
    int64_t sum = 0;
    for (int64_t n : sizes) {
      if (n < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            "split_sizes=",
            ShapeToString(sizes)));
      }
      sum += n;
    }
    if (sum != size) {
      return absl::InvalidArgumentError(
          absl::StrCat("split_with_sizes expects split_sizes to sum exactly to ", size,
                       " (input tensor's size at dimension ", d,
                       "), but got split_sizes=", ShapeToString(sizes)));
    }
    return SplitWithSizes(self, d, sizes);
  }
  const int64_t split_size = c.attrs.Int("split_size");
  if (split_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("split expects split_size be non-negative, but got split_size=", split_size));
  }
  if (split_size == 0 && size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "split_size can only be 0 if dimension size is 0, but got dimension size of ", size));
  }
  return SplitWithSizes(self, d, EvenSizes(size, split_size));
}

TENSORD_REGISTER_OP(OpDef{
    .name = "split",
    .doc = "Views of self along dim: pieces of split_size (the last may be smaller), or one "
           "piece per entry of split_sizes. The number of outputs depends on the arguments.",
    .inputs = {"self"},
    .attrs = {{"split_size", AttrType::kInt, std::nullopt, true, "size of each piece"},
              {"split_sizes", AttrType::kInts, std::nullopt, true,
               "the size of every piece (must sum to the size of dim)"},
              DimAttr(0)},
    .forward = Split,
    .is_view = true,
    .num_outputs = -1,
    .derivative = grad::ViewDerivative("SplitBackward0", "split"),
});

// chunk of an empty dim returns `chunks` empty views; this bounds them.
constexpr int64_t kMaxEmptyChunks = 65536;

absl::StatusOr<std::vector<Tensor>> Chunk(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  const int64_t chunks = c.attrs.Int("chunks");
  if (self.dim() == 0) {
    return absl::InvalidArgumentError(
        "chunk expects at least a 1-dimensional tensor: unsqueeze it first");
  }
  if (chunks <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk expects `chunks` to be greater than 0, got: ", chunks));
  }
  TD_ASSIGN_OR_RETURN(const int64_t d, device::WrapDim(c.attrs.Int("dim"), self.dim()));
  const int64_t size = self.shape()[d];
  const int64_t split_size = size / chunks + (size % chunks != 0 ? 1 : 0);
  if (split_size == 0 && size == 0) {
    // Keep the number of chunks: that many empty views, within reason.
    if (chunks > kMaxEmptyChunks) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunk: splitting an empty dim into ", chunks, " empty chunks exceeds the limit of ",
          kMaxEmptyChunks, " outputs: ask for fewer chunks"));
    }
    return SplitWithSizes(self, d, std::vector<int64_t>(chunks, 0));
  }
  return SplitWithSizes(self, d, EvenSizes(size, split_size));
}

TENSORD_REGISTER_OP(OpDef{
    .name = "chunk",
    .doc = "Splits self into at most `chunks` views of ceil(size / chunks) along dim (fewer when "
           "the size does not allow that many). The number of outputs depends on the arguments.",
    .inputs = {"self"},
    .attrs = {IntAttr("chunks", std::nullopt, "the number of pieces, at least 1"), DimAttr(0)},
    .forward = Chunk,
    .is_view = true,
    .num_outputs = -1,
    .derivative = grad::ViewDerivative("SplitBackward0", "chunk"),
});

}  // namespace
}  // namespace tensord::autograd::ops
