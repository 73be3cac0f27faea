// 2-D pooling as torch.nn.functional: max_pool2d (with indices),
// avg_pool2d and adaptive_avg_pool2d, on [N, C, H, W] or [C, H, W] input.
//
// The pooling windows are strided views of the (padded) input: max pooling
// copies them once into [N, C, OH, OW, kh*kw] and takes the first maximum
// of each row (NaN wins, as in PyTorch); its backward scatters the gradient
// to the flat input positions of those maxima. Average pooling sums the
// window view directly and adds the gradient back through the same views.
// Adaptive average pooling is P_h @ x @ P_w^T with averaging matrices built
// from PyTorch's window bounds.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/ops/nn_helpers.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Tensor;
using nn::Pair;

struct PoolGeometry {
  Pair kernel, stride, padding, dilation, out;
  Pair pad_after;  // padding below/right that ceil_mode's last windows reach into
  int64_t n, c, h, w;
  bool batched;
};

// PyTorch's pooling_output_shape.
int64_t OutputSize(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation,
                   bool ceil_mode) {
  const int64_t num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

absl::StatusOr<Pair> PoolPair(const Attrs& attrs, const std::string& name, const char* op) {
  const std::vector<int64_t>& v = attrs.Ints(name);
  if (v.size() == 1) return Pair{v[0], v[0]};
  if (v.size() == 2) return Pair{v[0], v[1]};
  return absl::InvalidArgumentError(
      absl::StrCat(op, ": ", name, " must either be a single int, or a tuple of two ints, but got ",
                   name, "=[", absl::StrJoin(v, ", "), "]"));
}

absl::StatusOr<PoolGeometry> Geometry(const Tensor& x, const Attrs& attrs, const char* op,
                                      bool has_dilation) {
  PoolGeometry g;
  TD_ASSIGN_OR_RETURN(g.kernel, PoolPair(attrs, "kernel_size", op));
  g.stride = g.kernel;
  if (attrs.Has("stride") && !attrs.Ints("stride").empty()) {
    TD_ASSIGN_OR_RETURN(g.stride, PoolPair(attrs, "stride", op));
  }
  TD_ASSIGN_OR_RETURN(g.padding, PoolPair(attrs, "padding", op));
  g.dilation = {1, 1};
  if (has_dilation) {
    TD_ASSIGN_OR_RETURN(g.dilation, PoolPair(attrs, "dilation", op));
  }
  const bool ceil_mode = attrs.Bool("ceil_mode");
  if (x.dim() != 3 && x.dim() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size ",
        device::ShapeToString(x.shape())));
  }
  if (!device::IsFloating(x.dtype())) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", op, "\" not implemented for '", device::ScalarTypeName(x.dtype()),
                     "': convert the input to a floating-point dtype with to()"));
  }
  if (g.kernel[0] <= 0 || g.kernel[1] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kernel size should be greater than zero, but got kH: ", g.kernel[0],
                     " kW: ", g.kernel[1]));
  }
  if (g.stride[0] == 0 || g.stride[1] == 0) {
    return absl::InvalidArgumentError("stride should not be zero");
  }
  if (g.stride[0] < 0 || g.stride[1] < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stride should be greater than zero, but got dH: ", g.stride[0], " dW: ", g.stride[1]));
  }
  if (g.dilation[0] <= 0 || g.dilation[1] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dilation should be greater than zero, but got dilationH: ", g.dilation[0],
                     " dilationW: ", g.dilation[1]));
  }
  for (int i = 0; i < 2; ++i) {
    if (g.padding[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("pad must be non-negative, but got pad: ", g.padding[i]));
    }
    if (g.padding[i] > g.kernel[i] / 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("pad should be at most half of kernel size, but got pad=", g.padding[i],
                       " and kernel_size=", g.kernel[i]));
    }
  }
  g.batched = x.dim() == 4;
  const int64_t lead = g.batched ? 1 : 0;
  g.n = g.batched ? x.shape()[0] : 1;
  g.c = x.shape()[lead];
  g.h = x.shape()[lead + 1];
  g.w = x.shape()[lead + 2];
  if (g.c == 0 || g.h == 0 || g.w == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size ",
        device::ShapeToString(x.shape())));
  }
  const Pair in = {g.h, g.w};
  for (int i = 0; i < 2; ++i) {
    g.out[i] = OutputSize(in[i], g.kernel[i], g.padding[i], g.stride[i], g.dilation[i], ceil_mode);
    const int64_t reach = (g.out[i] - 1) * g.stride[i] + g.dilation[i] * (g.kernel[i] - 1) + 1;
    g.pad_after[i] = std::max<int64_t>(g.padding[i], reach - in[i] - g.padding[i]);
  }
  if (g.out[0] < 1 || g.out[1] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Given input size: (", g.c, "x", g.h, "x", g.w, "). Calculated output size: (",
                     g.c, "x", g.out[0], "x", g.out[1], "). Output size is too small"));
  }
  return g;
}

Tensor Batched(const Tensor& x, bool batched) {
  if (batched) return x;
  device::Shape shape = {1};
  device::Strides strides = {0};
  shape.insert(shape.end(), x.shape().begin(), x.shape().end());
  strides.insert(strides.end(), x.strides().begin(), x.strides().end());
  return x.WithMeta(std::move(shape), std::move(strides), x.offset());
}

// A [N, C, OH, OW] result (or [C, OH, OW] for unbatched input).
device::Shape OutShape(const PoolGeometry& g) {
  if (g.batched) return {g.n, g.c, g.out[0], g.out[1]};
  return {g.c, g.out[0], g.out[1]};
}

// ---- max_pool2d ----

// The maxima [N, C, OH, OW] and their flat input indices (h * W + w), as
// max_pool2d_with_indices.
absl::StatusOr<std::pair<Tensor, Tensor>> MaxPool(const device::Context& ctx, const Tensor& x,
                                                  const PoolGeometry& g, bool want_indices) {
  const Tensor x4 = Batched(x, g.batched);
  const double lowest = -std::numeric_limits<double>::infinity();
  TD_ASSIGN_OR_RETURN(Tensor padded,
                      nn::Pad(ctx, x4, g.padding, g.pad_after, device::Scalar(lowest)));
  // Two passes over strided views, no copy of the windows: the first
  // maximum of each window row ([N, C, kh, OH, OW, kw] reduced over kw),
  // then the first maximum of those rows (over kh). Taking the first row
  // that holds the window's maximum, and that row's first, gives the
  // window's first maximum in row-major order, NaN winning.
  const Tensor windows = nn::Windows(padded, g.kernel, g.stride, g.dilation, g.out, true);
  const device::Strides& ws = windows.strides();
  const int64_t kh = g.kernel[0], kw = g.kernel[1], kk = kh * kw;
  const device::Shape shape = OutShape(g);
  if (!want_indices) {
    // The values alone: an elementwise maximum over the kernel positions'
    // strided views (NaN propagates, as the first-maximum rule picks NaN).
    const std::vector<int64_t> out4 = {g.n, g.c, g.out[0], g.out[1]};
    const device::Strides at_strides = {ws[0], ws[1], ws[2], ws[3]};
    TD_ASSIGN_OR_RETURN(Tensor values, nn::EmptyLike(ctx, x, out4));
    device::Backend& backend = values.backend();
    for (int64_t i = 0; i < kh; ++i) {
      for (int64_t j = 0; j < kw; ++j) {
        const Tensor at =
            windows.WithMeta(out4, at_strides, windows.offset() + i * ws[4] + j * ws[5]);
        if (i == 0 && j == 0) {
          TD_RETURN_IF_ERROR(backend.Copy(at, values));
        } else {
          TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kMaximum, values, at, values));
        }
      }
    }
    return std::make_pair(values.WithMeta(shape, device::ContiguousStrides(shape), 0), Tensor());
  }
  const Tensor by_row =
      windows.WithMeta({g.n, g.c, kh, g.out[0], g.out[1], kw},
                       {ws[0], ws[1], ws[4], ws[2], ws[3], ws[5]}, windows.offset());
  const std::vector<int64_t> row_max = {g.n, g.c, kh, g.out[0], g.out[1], 1};
  TD_ASSIGN_OR_RETURN(Tensor row_values, nn::EmptyLike(ctx, x, row_max));
  TD_ASSIGN_OR_RETURN(Tensor row_slot, ctx.Empty(row_max, DType::kInt64, x.device()));
  device::Backend& backend = row_values.backend();
  TD_RETURN_IF_ERROR(backend.ArgReduce(device::ReduceOp::kMax, by_row, 5, row_values, row_slot));
  const std::vector<int64_t> rows = {g.n, g.c, kh, g.out[0], g.out[1]};
  const std::vector<int64_t> reduced = {g.n, g.c, 1, g.out[0], g.out[1]};
  const device::Strides row_strides = device::ContiguousStrides(rows);
  TD_ASSIGN_OR_RETURN(Tensor values, nn::EmptyLike(ctx, x, reduced));
  TD_ASSIGN_OR_RETURN(Tensor slot_h, ctx.Empty(reduced, DType::kInt64, x.device()));
  TD_RETURN_IF_ERROR(backend.ArgReduce(
      device::ReduceOp::kMax, row_values.WithMeta(rows, row_strides, 0), 2, values, slot_h));
  const Tensor out_values = values.WithMeta(shape, device::ContiguousStrides(shape), 0);
  // The window slot i * kw + j of each maximum.
  TD_ASSIGN_OR_RETURN(Tensor slot_w, ctx.Empty(reduced, DType::kInt64, x.device()));
  TD_RETURN_IF_ERROR(backend.Gather(row_slot.WithMeta(rows, row_strides, 0), 2, slot_h, slot_w));
  TD_ASSIGN_OR_RETURN(Tensor slot_hw, device::BinaryOpTensor(ctx, device::BinaryOp::kMul, slot_h,
                                                             device::Scalar(kw)));
  TD_ASSIGN_OR_RETURN(Tensor slot_all,
                      device::BinaryOpTensor(ctx, device::BinaryOp::kAdd, slot_hw, slot_w));
  const std::vector<int64_t> slot_shape = {g.n, g.c, g.out[0], g.out[1], 1};
  const Tensor slot =
      slot_all.WithMeta(slot_shape, device::ContiguousStrides(slot_shape), slot_all.offset());
  const std::vector<int64_t> all_slots = {g.n, g.c, g.out[0], g.out[1], kk};
  // Window slot -> flat input position, from a small table made on the host.
  std::vector<int64_t> table(static_cast<size_t>(g.out[0] * g.out[1] * kk));
  size_t at = 0;
  for (int64_t oh = 0; oh < g.out[0]; ++oh) {
    for (int64_t ow = 0; ow < g.out[1]; ++ow) {
      for (int64_t i = 0; i < g.kernel[0]; ++i) {
        for (int64_t j = 0; j < g.kernel[1]; ++j) {
          const int64_t h = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
          const int64_t w = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
          // A padding slot is chosen only when its whole window is -inf or
          // padding; PyTorch then reports the window's first real position.
          const int64_t hc = std::clamp<int64_t>(h, 0, g.h - 1);
          const int64_t wc = std::clamp<int64_t>(w, 0, g.w - 1);
          table[at++] = hc * g.w + wc;
        }
      }
    }
  }
  const std::vector<int64_t> table_shape = {1, 1, g.out[0], g.out[1], kk};
  TD_ASSIGN_OR_RETURN(Tensor positions,
                      device::FromHost(ctx, table.data(), table.size() * sizeof(int64_t),
                                       table_shape, DType::kInt64, x.device()));
  TD_ASSIGN_OR_RETURN(Tensor expanded, positions.Expand(all_slots));
  TD_ASSIGN_OR_RETURN(Tensor indices, ctx.Empty(slot_shape, DType::kInt64, x.device()));
  TD_RETURN_IF_ERROR(backend.Gather(expanded, 4, slot, indices));
  return std::make_pair(out_values, indices.WithMeta(shape, device::ContiguousStrides(shape), 0));
}

absl::StatusOr<std::vector<Tensor>> MaxPool2d(const OpCall& c) {
  TD_ASSIGN_OR_RETURN(PoolGeometry g, Geometry(c.inputs[0], c.attrs, "max_pool2d", true));
  const bool indices = c.attrs.Bool("return_indices");
  TD_ASSIGN_OR_RETURN(auto r, MaxPool(c.ctx, c.inputs[0], g, indices));
  if (indices) return std::vector<Tensor>{r.first, r.second};
  return std::vector<Tensor>{r.first};
}

// The backward without saved indices: each window's gradient goes to its
// first element equal to the saved maximum (or its first NaN), found with
// elementwise passes over the kernel positions' strided views, in
// row-major order.
absl::StatusOr<std::vector<Tensor>> RouteToFirstMaxima(const GradCall& gc, const PoolGeometry& g) {
  const Tensor& x = gc.inputs[0];
  const std::vector<int64_t> out4 = {g.n, g.c, g.out[0], g.out[1]};
  const device::Strides contiguous = device::ContiguousStrides(out4);
  TD_ASSIGN_OR_RETURN(Tensor m, device::Contiguous(gc.ctx, gc.outputs[0]));
  TD_ASSIGN_OR_RETURN(Tensor grad, device::Contiguous(gc.ctx, gc.grads[0]));
  const Tensor m4 = m.WithMeta(out4, contiguous, m.offset());
  const Tensor g4 = grad.WithMeta(out4, contiguous, grad.offset());
  const Tensor x4 = Batched(x, g.batched);
  const double lowest = -std::numeric_limits<double>::infinity();
  TD_ASSIGN_OR_RETURN(Tensor padded,
                      nn::Pad(gc.ctx, x4, g.padding, g.pad_after, device::Scalar(lowest)));
  const Tensor windows = nn::Windows(padded, g.kernel, g.stride, g.dilation, g.out, true);
  const device::Strides& ws = windows.strides();
  const std::vector<int64_t> padded_shape = padded.shape();
  TD_ASSIGN_OR_RETURN(Tensor dxp, gc.ctx.Empty(padded_shape, grad.dtype(), grad.device()));
  device::Backend& backend = dxp.backend();
  TD_RETURN_IF_ERROR(backend.Fill(dxp, device::Scalar(0)));
  const device::Strides& ds = dxp.strides();
  const device::Strides dx_at = {ds[0], ds[1], g.stride[0] * ds[2], g.stride[1] * ds[3]};
  TD_ASSIGN_OR_RETURN(Tensor found, gc.ctx.Empty(out4, DType::kBool, x.device()));
  TD_ASSIGN_OR_RETURN(Tensor hit, gc.ctx.Empty(out4, DType::kBool, x.device()));
  TD_ASSIGN_OR_RETURN(Tensor nan, gc.ctx.Empty(out4, DType::kBool, x.device()));
  TD_ASSIGN_OR_RETURN(Tensor take, gc.ctx.Empty(out4, DType::kBool, x.device()));
  TD_ASSIGN_OR_RETURN(Tensor part, gc.ctx.Empty(out4, grad.dtype(), grad.device()));
  TD_ASSIGN_OR_RETURN(Tensor zero,
                      device::ScalarTensor(gc.ctx, device::Scalar(0), grad.dtype(), grad.device()));
  TD_ASSIGN_OR_RETURN(Tensor zeros, zero.Expand(out4));
  TD_RETURN_IF_ERROR(backend.Fill(found, device::Scalar(false)));
  for (int64_t i = 0; i < g.kernel[0]; ++i) {
    for (int64_t j = 0; j < g.kernel[1]; ++j) {
      const Tensor xk = windows.WithMeta(out4, {ws[0], ws[1], ws[2], ws[3]},
                                         windows.offset() + i * ws[4] + j * ws[5]);
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kEq, xk, m4, hit));
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kNe, xk, xk, nan));
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kLogicalOr, hit, nan, hit));
      // The first hit of each window: a hit where none was found before.
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kGt, hit, found, take));
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kLogicalOr, found, hit, found));
      TD_RETURN_IF_ERROR(backend.Where(take, g4, zeros, part));
      const Tensor dk = dxp.WithMeta(
          out4, dx_at, dxp.offset() + i * g.dilation[0] * ds[2] + j * g.dilation[1] * ds[3]);
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kAdd, dk, part, dk));
    }
  }
  const int64_t offset = g.padding[0] * ds[2] + g.padding[1] * ds[3];
  if (g.batched) return std::vector<Tensor>{dxp.WithMeta(x.shape(), ds, offset)};
  return std::vector<Tensor>{dxp.WithMeta(x.shape(), {ds[1], ds[2], ds[3]}, offset)};
}

absl::StatusOr<std::vector<Tensor>> MaxPool2dBackward(const GradCall& gc) {
  const Tensor& x = gc.inputs[0];
  TD_ASSIGN_OR_RETURN(PoolGeometry g, Geometry(x, gc.attrs, "max_pool2d", true));
  if (gc.outputs.size() < 2 || !gc.outputs[1].defined()) return RouteToFirstMaxima(gc, g);
  const Tensor& indices = gc.outputs[1];
  const int64_t l = g.out[0] * g.out[1];
  TD_ASSIGN_OR_RETURN(Tensor grad, device::Contiguous(gc.ctx, gc.grads[0]));
  TD_ASSIGN_OR_RETURN(Tensor index, device::Contiguous(gc.ctx, indices));
  TD_ASSIGN_OR_RETURN(Tensor dx, gc.ctx.Empty(x.shape(), grad.dtype(), grad.device()));
  device::Backend& backend = dx.backend();
  TD_RETURN_IF_ERROR(backend.Fill(dx, device::Scalar(0)));
  const std::vector<int64_t> flat = {g.n, g.c, g.h * g.w};
  const std::vector<int64_t> outs = {g.n, g.c, l};
  TD_RETURN_IF_ERROR(
      backend.Scatter(device::ScatterMode::kAdd, 2,
                      index.WithMeta(outs, device::ContiguousStrides(outs), index.offset()),
                      grad.WithMeta(outs, device::ContiguousStrides(outs), grad.offset()),
                      dx.WithMeta(flat, device::ContiguousStrides(flat), 0)));
  return std::vector<Tensor>{dx};
}

std::vector<AttrDef> PoolAttrs(bool max) {
  std::vector<AttrDef> attrs = {
      {"kernel_size", AttrType::kInts, std::nullopt, false, "window size (one int or [kH, kW])"},
      {"stride", AttrType::kInts, AttrValue(std::vector<int64_t>{}), false,
       "step between windows (one int or [sH, sW]; default: kernel_size)"},
      {"padding", AttrType::kInts, AttrValue(std::vector<int64_t>{0}), false,
       "implicit padding on each side, at most half the kernel"},
  };
  if (max) {
    attrs.push_back({"dilation", AttrType::kInts, AttrValue(std::vector<int64_t>{1}), false,
                     "spacing between window elements"});
  }
  attrs.push_back(BoolAttr("ceil_mode", false, "round the output size up instead of down"));
  if (max) {
    attrs.push_back(BoolAttr("return_indices", false,
                             "also return the flat index (h * W + w) of each maximum"));
  } else {
    attrs.push_back(BoolAttr("count_include_pad", true, "count padding zeros in the average"));
    attrs.push_back({"divisor_override", AttrType::kInt, std::nullopt, true,
                     "divide every window's sum by this instead"});
  }
  return attrs;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "max_pool2d",
    .doc = "2-D max pooling as torch.nn.functional.max_pool2d over [N, C, H, W] or [C, H, W] "
           "floating-point input; with return_indices also the flat index of each maximum.",
    .inputs = {"input"},
    .attrs = PoolAttrs(true),
    .forward = &MaxPool2d,
    .num_outputs = -1,
    .derivative = Derivative{.grad_fn = "MaxPool2DWithIndicesBackward0",
                             .backward = &MaxPool2dBackward,
                             .saves_inputs = true,
                             .saves_outputs = true},
});

// ---- avg_pool2d ----

// What each window's sum is divided by: one number, or [OH, OW] values
// where windows at the border count fewer elements.
absl::StatusOr<Tensor> Divisors(const device::Context& ctx, const Tensor& x, const Attrs& attrs,
                                const PoolGeometry& g) {
  std::vector<double> d(static_cast<size_t>(g.out[0] * g.out[1]));
  if (attrs.Has("divisor_override")) {
    const int64_t v = attrs.Int("divisor_override");
    if (v == 0) return absl::InvalidArgumentError("divisor must be not zero");
    std::fill(d.begin(), d.end(), static_cast<double>(v));
  } else {
    const bool include_pad = attrs.Bool("count_include_pad");
    size_t at = 0;
    for (int64_t oh = 0; oh < g.out[0]; ++oh) {
      for (int64_t ow = 0; ow < g.out[1]; ++ow) {
        int64_t hs = oh * g.stride[0] - g.padding[0], ws = ow * g.stride[1] - g.padding[1];
        int64_t he = std::min(hs + g.kernel[0], g.h + g.padding[0]);
        int64_t we = std::min(ws + g.kernel[1], g.w + g.padding[1]);
        const int64_t pool = (he - hs) * (we - ws);
        hs = std::max<int64_t>(hs, 0);
        ws = std::max<int64_t>(ws, 0);
        he = std::min(he, g.h);
        we = std::min(we, g.w);
        d[at++] = static_cast<double>(include_pad ? pool : (he - hs) * (we - ws));
      }
    }
  }
  const std::vector<int64_t> shape = {g.out[0], g.out[1]};
  TD_ASSIGN_OR_RETURN(Tensor t, device::FromHost(ctx, d.data(), d.size() * sizeof(double), shape,
                                                 DType::kFloat64, x.device()));
  return device::To(ctx, t, x.dtype());
}

absl::StatusOr<Tensor> AvgPool2d(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  TD_ASSIGN_OR_RETURN(PoolGeometry g, Geometry(x, c.attrs, "avg_pool2d", false));
  TD_ASSIGN_OR_RETURN(Tensor divisors, Divisors(c.ctx, x, c.attrs, g));
  TD_ASSIGN_OR_RETURN(Tensor padded, nn::Pad(c.ctx, Batched(x, g.batched), g.padding, g.pad_after,
                                             device::Scalar(0)));
  const Tensor windows = nn::Windows(padded, g.kernel, g.stride, g.dilation, g.out, true);
  const std::vector<int64_t> reduced = {g.n, g.c, g.out[0], g.out[1], 1, 1};
  TD_ASSIGN_OR_RETURN(Tensor sums, nn::EmptyLike(c.ctx, x, reduced));
  device::Backend& backend = sums.backend();
  const std::vector<int64_t> window_dims = {4, 5};
  TD_RETURN_IF_ERROR(backend.Reduce(device::ReduceOp::kSum, windows, window_dims, sums));
  const std::vector<int64_t> shape4 = {g.n, g.c, g.out[0], g.out[1]};
  const Tensor sums4 = sums.WithMeta(shape4, device::ContiguousStrides(shape4), 0);
  TD_ASSIGN_OR_RETURN(Tensor d, divisors.Expand(shape4));
  TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kDiv, sums4, d, sums4));
  const device::Shape shape = OutShape(g);
  return sums.WithMeta(shape, device::ContiguousStrides(shape), 0);
}

// Each window gets grad / divisor on every element (padding included,
// which is then cut off).
absl::StatusOr<std::vector<Tensor>> AvgPool2dBackward(const GradCall& gc) {
  const Tensor& x = gc.inputs[0];
  TD_ASSIGN_OR_RETURN(PoolGeometry g, Geometry(x, gc.attrs, "avg_pool2d", false));
  TD_ASSIGN_OR_RETURN(Tensor divisors, Divisors(gc.ctx, gc.grads[0], gc.attrs, g));
  const std::vector<int64_t> shape4 = {g.n, g.c, g.out[0], g.out[1]};
  TD_ASSIGN_OR_RETURN(Tensor grad4, device::Reshape(gc.ctx, gc.grads[0], shape4));
  TD_ASSIGN_OR_RETURN(Tensor d, divisors.Expand(shape4));
  TD_ASSIGN_OR_RETURN(Tensor scaled, nn::EmptyLike(gc.ctx, grad4, shape4));
  device::Backend& backend = scaled.backend();
  TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kDiv, grad4, d, scaled));
  const device::Strides& s = scaled.strides();
  const Tensor cols = scaled.WithMeta({g.n, g.c, g.kernel[0], g.kernel[1], g.out[0], g.out[1]},
                                      {s[0], s[1], 0, 0, s[2], s[3]}, 0);
  const std::vector<int64_t> padded = {g.n, g.c, g.h + g.padding[0] + g.pad_after[0],
                                       g.w + g.padding[1] + g.pad_after[1]};
  TD_ASSIGN_OR_RETURN(Tensor dxp, nn::EmptyLike(gc.ctx, grad4, padded));
  TD_RETURN_IF_ERROR(backend.Fill(dxp, device::Scalar(0)));
  TD_RETURN_IF_ERROR(nn::AddWindows(cols, dxp, g.kernel, g.stride, g.dilation));
  const device::Strides& ps = dxp.strides();
  const int64_t offset = g.padding[0] * ps[2] + g.padding[1] * ps[3];
  if (g.batched) return std::vector<Tensor>{dxp.WithMeta(x.shape(), ps, offset)};
  return std::vector<Tensor>{dxp.WithMeta(x.shape(), {ps[1], ps[2], ps[3]}, offset)};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "avg_pool2d",
    .doc = "2-D average pooling as torch.nn.functional.avg_pool2d over [N, C, H, W] or [C, H, "
           "W] floating-point input (count_include_pad, ceil_mode, divisor_override).",
    .inputs = {"input"},
    .attrs = PoolAttrs(false),
    .forward = Single(AvgPool2d),
    .derivative = Derivative{.grad_fn = "AvgPool2DBackward0",
                             .backward = &AvgPool2dBackward,
                             .saves_inputs = true},
});

// ---- adaptive_avg_pool2d ----

// The [out, in] matrix averaging PyTorch's adaptive windows
// [floor(i * in / out), ceil((i + 1) * in / out)).
std::vector<double> AdaptiveMatrix(int64_t in, int64_t out) {
  std::vector<double> m(static_cast<size_t>(in * out), 0.0);
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = (i * in) / out;
    const int64_t end = ((i + 1) * in + out - 1) / out;
    for (int64_t j = start; j < end; ++j) m[i * in + j] = 1.0 / static_cast<double>(end - start);
  }
  return m;
}

struct Adaptive {
  Tensor ph, pw;  // [OH, H], [OW, W]
  int64_t nc, h, w, oh, ow;
  device::Shape out_shape;
};

absl::StatusOr<Adaptive> AdaptiveSetup(const device::Context& ctx, const Tensor& x,
                                       const Attrs& attrs) {
  const std::vector<int64_t>& size = attrs.Ints("output_size");
  if (x.dim() != 3 && x.dim() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ",
                     device::ShapeToString(x.shape())));
  }
  if (size.size() != 1 && size.size() != 2) {
    return absl::InvalidArgumentError("adaptive_avg_pool2d: output_size must be 2");
  }
  for (int64_t d = 1; d < x.dim(); ++d) {
    if (x.shape()[d] == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                       "dimensions, but input has sizes ",
                       device::ShapeToString(x.shape()), " with dimension ", d, " being empty"));
    }
  }
  if (!device::IsFloating(x.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"adaptive_avg_pool2d_cpu\" not implemented for '", device::ScalarTypeName(x.dtype()),
        "': convert the input to a floating-point dtype with to()"));
  }
  Adaptive a;
  a.oh = size[0];
  a.ow = size.size() == 2 ? size[1] : size[0];
  if (a.oh < 0 || a.ow < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
        "received {",
        a.oh, ", ", a.ow, "}"));
  }
  a.h = x.shape()[x.dim() - 2];
  a.w = x.shape()[x.dim() - 1];
  a.nc = x.numel() / (a.h * a.w);
  a.out_shape = x.shape();
  a.out_shape[x.dim() - 2] = a.oh;
  a.out_shape[x.dim() - 1] = a.ow;
  const std::vector<double> ph = AdaptiveMatrix(a.h, a.oh), pw = AdaptiveMatrix(a.w, a.ow);
  TD_ASSIGN_OR_RETURN(
      Tensor ph64, device::FromHost(ctx, ph.data(), ph.size() * sizeof(double),
                                    std::vector<int64_t>{a.oh, a.h}, DType::kFloat64, x.device()));
  TD_ASSIGN_OR_RETURN(
      Tensor pw64, device::FromHost(ctx, pw.data(), pw.size() * sizeof(double),
                                    std::vector<int64_t>{a.ow, a.w}, DType::kFloat64, x.device()));
  TD_ASSIGN_OR_RETURN(a.ph, device::To(ctx, ph64, x.dtype()));
  TD_ASSIGN_OR_RETURN(a.pw, device::To(ctx, pw64, x.dtype()));
  return a;
}

// m [r, c] as a batch of `n` equal matrices (batch stride 0).
Tensor Repeat(const Tensor& m, int64_t n) {
  return m.WithMeta({n, m.shape()[0], m.shape()[1]}, {0, m.strides()[0], m.strides()[1]},
                    m.offset());
}

// left [r, a] @ x [n, a, b] @ right [b, c] -> [n, r, c].
absl::StatusOr<Tensor> Sandwich(const device::Context& ctx, const Tensor& left, const Tensor& x3,
                                const Tensor& right) {
  const int64_t n = x3.shape()[0];
  TD_ASSIGN_OR_RETURN(
      Tensor t, nn::EmptyLike(ctx, x3, std::vector<int64_t>{n, x3.shape()[1], right.shape()[1]}));
  device::Backend& backend = t.backend();
  TD_RETURN_IF_ERROR(backend.Matmul(x3, Repeat(right, n), t));
  TD_ASSIGN_OR_RETURN(
      Tensor out,
      nn::EmptyLike(ctx, x3, std::vector<int64_t>{n, left.shape()[0], right.shape()[1]}));
  TD_RETURN_IF_ERROR(backend.Matmul(Repeat(left, n), t, out));
  return out;
}

absl::StatusOr<Tensor> AdaptiveAvgPool2d(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  TD_ASSIGN_OR_RETURN(Adaptive a, AdaptiveSetup(c.ctx, x, c.attrs));
  if (x.numel() == 0 || a.oh == 0 || a.ow == 0) return nn::EmptyLike(c.ctx, x, a.out_shape);
  TD_ASSIGN_OR_RETURN(Tensor x3, device::Reshape(c.ctx, x, std::vector<int64_t>{a.nc, a.h, a.w}));
  TD_ASSIGN_OR_RETURN(Tensor out, Sandwich(c.ctx, a.ph, x3, nn::T(a.pw)));
  return out.View(a.out_shape);
}

absl::StatusOr<std::vector<Tensor>> AdaptiveAvgPool2dBackward(const GradCall& gc) {
  const Tensor& x = gc.inputs[0];
  TD_ASSIGN_OR_RETURN(Adaptive a, AdaptiveSetup(gc.ctx, x, gc.attrs));
  if (x.numel() == 0 || a.oh == 0 || a.ow == 0) {
    TD_ASSIGN_OR_RETURN(Tensor z, device::Full(gc.ctx, x.shape(), device::Scalar(0),
                                               gc.grads[0].dtype(), x.device()));
    return std::vector<Tensor>{z};
  }
  TD_ASSIGN_OR_RETURN(Tensor g3,
                      device::Reshape(gc.ctx, gc.grads[0], std::vector<int64_t>{a.nc, a.oh, a.ow}));
  TD_ASSIGN_OR_RETURN(Tensor dx, Sandwich(gc.ctx, nn::T(a.ph), g3, a.pw));
  TD_ASSIGN_OR_RETURN(Tensor shaped, dx.View(x.shape()));
  return std::vector<Tensor>{shaped};
}

// PyTorch reduces to a mean when the output is 1 x 1.
std::string AdaptiveName(std::span<const Tensor>, const Attrs& attrs) {
  const std::vector<int64_t>& s = attrs.Ints("output_size");
  const bool one = !s.empty() && s[0] == 1 && (s.size() == 1 || s[1] == 1);
  return one ? "MeanBackward1" : "AdaptiveAvgPool2DBackward0";
}

TENSORD_REGISTER_OP(OpDef{
    .name = "adaptive_avg_pool2d",
    .doc = "Adaptive 2-D average pooling as torch.nn.functional.adaptive_avg_pool2d: [N, C, H, "
           "W] or [C, H, W] floating-point input to output_size (one int or [OH, OW]).",
    .inputs = {"input"},
    .attrs = {{"output_size", AttrType::kInts, std::nullopt, false,
               "the output's height and width (one int or [OH, OW])"}},
    .forward = Single(AdaptiveAvgPool2d),
    .derivative = Derivative{.grad_fn_for = &AdaptiveName,
                             .backward = &AdaptiveAvgPool2dBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
