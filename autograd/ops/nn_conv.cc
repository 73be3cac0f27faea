// conv2d as torch.nn.functional.conv2d (stride, padding, dilation, groups,
// optional bias; batched [N, C, H, W] or unbatched [C, H, W] input).
//
// Forward is im2col + GEMM: the zero-padded input seen as windows
// [N, C, kh, kw, OH, OW] (a strided view) is copied once into a contiguous
// column buffer, and each group's product weight [Og, C/g*kh*kw] @
// columns [N, C/g*kh*kw, OH*OW] writes straight into the output
// [N, O, OH*OW] (batched over N with the weight's batch stride 0, so no
// operand is copied or transposed). Backward: grad_weight is grad @
// columns^T summed over N, grad_input is weight^T @ grad added back through
// the same windows (col2im), grad_bias a sum.
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/nn_helpers.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::Tensor;
using nn::Pair;

constexpr absl::string_view kDims = "match the convolution dimensions";

// The checked geometry of one call.
struct ConvGeometry {
  Pair stride, padding, dilation, kernel, out;
  int64_t groups;
  int64_t n, c, h, w, o;
  bool batched;
};

std::string Dims(const Tensor& t) { return device::ShapeToString(t.shape()); }

absl::StatusOr<ConvGeometry> Geometry(const Tensor& x, const Tensor& weight, const Tensor* bias,
                                      const Attrs& attrs) {
  ConvGeometry g;
  TD_ASSIGN_OR_RETURN(g.stride, nn::PairAttr(attrs, "stride", kDims));
  TD_ASSIGN_OR_RETURN(g.padding, nn::PairAttr(attrs, "padding", kDims));
  TD_ASSIGN_OR_RETURN(g.dilation, nn::PairAttr(attrs, "dilation", kDims));
  g.groups = attrs.Int("groups");
  if (x.dim() != 3 && x.dim() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
        Dims(x)));
  }
  if (weight.dim() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight should have at least three dimensions: conv2d expects a 4-D weight "
                     "[out_channels, in_channels/groups, kH, kW], but got weight of size ",
                     Dims(weight)));
  }
  if (g.padding[0] < 0 || g.padding[1] < 0) {
    return absl::InvalidArgumentError("negative padding is not supported");
  }
  if (g.stride[0] <= 0 || g.stride[1] <= 0) {
    return absl::InvalidArgumentError("non-positive stride is not supported");
  }
  if (g.dilation[0] <= 0 || g.dilation[1] <= 0) {
    return absl::InvalidArgumentError("non-positive dilation is not supported");
  }
  if (g.groups <= 0) return absl::InvalidArgumentError("non-positive groups is not supported");
  TD_RETURN_IF_ERROR(device::CheckSameDevice(x, weight));
  TD_RETURN_IF_ERROR(nn::SameDType(x, weight));
  if (x.dtype() == device::DType::kBool) {
    return absl::InvalidArgumentError(
        "\"slow_conv2d_cpu\" not implemented for 'Bool': convert the input and weight with to()");
  }
  g.batched = x.dim() == 4;
  const int64_t lead = g.batched ? 1 : 0;
  g.n = g.batched ? x.shape()[0] : 1;
  g.c = x.shape()[lead];
  g.h = x.shape()[lead + 1];
  g.w = x.shape()[lead + 2];
  g.o = weight.shape()[0];
  g.kernel = {weight.shape()[2], weight.shape()[3]};
  if (g.o % g.groups != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Given groups=", g.groups, ", expected weight to be divisible by ", g.groups,
                     " at dimension 0, but got weight of size [", Dims(weight), "] instead"));
  }
  if (weight.shape()[1] * g.groups != g.c) {
    return absl::InvalidArgumentError(
        absl::StrCat("Given groups=", g.groups, ", weight of size ", Dims(weight),
                     ", expected input", Dims(x), " to have ", weight.shape()[1] * g.groups,
                     " channels, but got ", g.c, " channels instead"));
  }
  if (bias != nullptr) {
    TD_RETURN_IF_ERROR(device::CheckSameDevice(x, *bias));
    TD_RETURN_IF_ERROR(nn::SameDType(x, *bias));
    if (bias->dim() != 1 || bias->shape()[0] != g.o) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Given weight of size ", Dims(weight), ", expected bias to be 1-dimensional with ", g.o,
          " elements, but got bias of size ", Dims(*bias), " instead"));
    }
  }
  const int64_t hp = g.h + 2 * g.padding[0], wp = g.w + 2 * g.padding[1];
  const int64_t kh = g.dilation[0] * (g.kernel[0] - 1) + 1;
  const int64_t kw = g.dilation[1] * (g.kernel[1] - 1) + 1;
  if (hp < kh || wp < kw) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Calculated padded input size per channel: (", hp, " x ", wp, "). Kernel size: (", kh,
        " x ", kw, "). Kernel size can't be greater than actual input size"));
  }
  g.out = {(hp - kh) / g.stride[0] + 1, (wp - kw) / g.stride[1] + 1};
  return g;
}

// The input as [N, C, H, W] (unbatched input gains N = 1).
Tensor Batched(const Tensor& x, const ConvGeometry& g) {
  if (g.batched) return x;
  device::Shape shape = {1};
  device::Strides strides = {0};
  shape.insert(shape.end(), x.shape().begin(), x.shape().end());
  strides.insert(strides.end(), x.strides().begin(), x.strides().end());
  return x.WithMeta(std::move(shape), std::move(strides), x.offset());
}

// The column buffer [N, C, kh, kw, OH, OW] of the zero-padded input.
absl::StatusOr<Tensor> Columns(const device::Context& ctx, const Tensor& x4,
                               const ConvGeometry& g) {
  TD_ASSIGN_OR_RETURN(Tensor padded, nn::Pad(ctx, x4, g.padding, g.padding, device::Scalar(0)));
  const Tensor windows = nn::Windows(padded, g.kernel, g.stride, g.dilation, g.out, false);
  TD_ASSIGN_OR_RETURN(Tensor cols, nn::EmptyLike(ctx, x4, windows.shape()));
  TD_RETURN_IF_ERROR(cols.backend().Copy(windows, cols));
  return cols;
}

// Group g's slice of a [N, G*rows, cols] tensor as [N, rows, cols].
Tensor GroupSlice(const Tensor& t, int64_t group, int64_t rows, int64_t cols) {
  const device::Strides& s = t.strides();
  return t.WithMeta({t.shape()[0], rows, cols}, {s[0], s[1], s[2]},
                    t.offset() + group * rows * s[1]);
}

// The [O, K] weight as group g's [N, Og, K] operand (batch stride 0).
Tensor WeightGroup(const Tensor& w2, int64_t group, int64_t og, int64_t n) {
  const device::Strides& s = w2.strides();
  return w2.WithMeta({n, og, w2.shape()[1]}, {0, s[0], s[1]}, w2.offset() + group * og * s[0]);
}

absl::StatusOr<Tensor> Conv2d(const OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& weight = c.inputs[1];
  const Tensor* bias = c.inputs.size() > 2 ? &c.inputs[2] : nullptr;
  TD_ASSIGN_OR_RETURN(ConvGeometry g, Geometry(x, weight, bias, c.attrs));
  const Tensor x4 = Batched(x, g);
  const int64_t og = g.o / g.groups, k = weight.numel() / std::max<int64_t>(g.o, 1);
  const int64_t l = g.out[0] * g.out[1];
  device::Shape out_shape = {g.n, g.o, g.out[0], g.out[1]};
  if (!g.batched) out_shape.erase(out_shape.begin());
  Tensor out;
  if (c.into != nullptr && c.into->shape() == out_shape && c.into->dtype() == x.dtype() &&
      c.into->is_contiguous() && c.into->device() == x.device() && !c.into->SharesStorageWith(x) &&
      !c.into->SharesStorageWith(weight)) {
    out = *c.into;
  } else {
    TD_ASSIGN_OR_RETURN(out, nn::EmptyLike(c.ctx, x, out_shape));
  }
  if (out.numel() == 0) return out;
  device::Backend& backend = out.backend();
  if (k == 0) {
    TD_RETURN_IF_ERROR(backend.Fill(out, device::Scalar(0)));
  } else {
    TD_ASSIGN_OR_RETURN(Tensor cols, Columns(c.ctx, x4, g));
    const Tensor cols3 = cols.WithMeta({g.n, g.groups * k, l}, {g.groups * k * l, l, 1}, 0);
    TD_ASSIGN_OR_RETURN(Tensor w, device::Contiguous(c.ctx, weight));
    const Tensor w2 = w.WithMeta({g.o, k}, {k, 1}, w.offset());
    const Tensor out3 = out.WithMeta({g.n, g.o, l}, {g.o * l, l, 1}, out.offset());
    for (int64_t group = 0; group < g.groups; ++group) {
      TD_RETURN_IF_ERROR(backend.Matmul(WeightGroup(w2, group, og, g.n),
                                        GroupSlice(cols3, group, k, l),
                                        GroupSlice(out3, group, og, l)));
    }
  }
  if (bias != nullptr) {
    const Tensor out4 = Batched(out, g);
    const Tensor b = bias->WithMeta(out4.shape(), {0, bias->strides()[0], 0, 0}, bias->offset());
    TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kAdd, out4, b, out4));
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> Conv2dBackward(const GradCall& gc) {
  const Tensor& x = gc.inputs[0];
  const Tensor& weight = gc.inputs[1];
  const Tensor* bias = gc.inputs.size() > 2 ? &gc.inputs[2] : nullptr;
  TD_ASSIGN_OR_RETURN(ConvGeometry g, Geometry(x, weight, bias, gc.attrs));
  std::vector<Tensor> result(gc.inputs.size());
  const int64_t og = g.o / g.groups, k = weight.numel() / std::max<int64_t>(g.o, 1);
  const int64_t l = g.out[0] * g.out[1];
  TD_ASSIGN_OR_RETURN(Tensor grad, device::Contiguous(gc.ctx, gc.grads[0]));
  const Tensor grad3 = grad.WithMeta({g.n, g.o, l}, {g.o * l, l, 1}, grad.offset());
  const Tensor x4 = Batched(x, g);
  device::Backend& backend = grad.backend();
  if (gc.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor dw, nn::EmptyLike(gc.ctx, weight, weight.shape()));
    if (k == 0 || l == 0 || g.n == 0) {
      TD_RETURN_IF_ERROR(backend.Fill(dw, device::Scalar(0)));
    } else {
      TD_ASSIGN_OR_RETURN(Tensor cols, Columns(gc.ctx, x4, g));
      const Tensor cols3 = cols.WithMeta({g.n, g.groups * k, l}, {g.groups * k * l, l, 1}, 0);
      TD_ASSIGN_OR_RETURN(Tensor per_sample,
                          nn::EmptyLike(gc.ctx, weight, std::vector<int64_t>{g.n, g.o, k}));
      for (int64_t group = 0; group < g.groups; ++group) {
        TD_RETURN_IF_ERROR(backend.Matmul(GroupSlice(grad3, group, og, l),
                                          nn::T(GroupSlice(cols3, group, k, l), 1, 2),
                                          GroupSlice(per_sample, group, og, k)));
      }
      const Tensor dw3 = dw.WithMeta({1, g.o, k}, {g.o * k, k, 1}, 0);
      const std::vector<int64_t> batch_dim = {0};
      TD_RETURN_IF_ERROR(backend.Reduce(device::ReduceOp::kSum, per_sample, batch_dim, dw3));
    }
    result[1] = dw;
  }
  if (gc.needs_grad[0]) {
    const Pair padded = {g.h + 2 * g.padding[0], g.w + 2 * g.padding[1]};
    TD_ASSIGN_OR_RETURN(
        Tensor dxp, nn::EmptyLike(gc.ctx, x, std::vector<int64_t>{g.n, g.c, padded[0], padded[1]}));
    TD_RETURN_IF_ERROR(backend.Fill(dxp, device::Scalar(0)));
    if (k > 0 && l > 0 && g.n > 0) {
      TD_ASSIGN_OR_RETURN(Tensor dcols,
                          nn::EmptyLike(gc.ctx, x, std::vector<int64_t>{g.n, g.groups * k, l}));
      TD_ASSIGN_OR_RETURN(Tensor w, device::Contiguous(gc.ctx, weight));
      const Tensor w2 = w.WithMeta({g.o, k}, {k, 1}, w.offset());
      for (int64_t group = 0; group < g.groups; ++group) {
        TD_RETURN_IF_ERROR(backend.Matmul(nn::T(WeightGroup(w2, group, og, g.n), 1, 2),
                                          GroupSlice(grad3, group, og, l),
                                          GroupSlice(dcols, group, k, l)));
      }
      const Tensor cols6 =
          dcols.WithMeta({g.n, g.c, g.kernel[0], g.kernel[1], g.out[0], g.out[1]},
                         device::ContiguousStrides(std::vector<int64_t>{
                             g.n, g.c, g.kernel[0], g.kernel[1], g.out[0], g.out[1]}),
                         0);
      TD_RETURN_IF_ERROR(nn::AddWindows(cols6, dxp, g.kernel, g.stride, g.dilation));
    }
    const device::Strides& s = dxp.strides();
    Tensor dx = dxp.WithMeta({g.n, g.c, g.h, g.w}, s, g.padding[0] * s[2] + g.padding[1] * s[3]);
    if (!g.batched) dx = dx.WithMeta(x.shape(), {s[1], s[2], s[3]}, dx.offset());
    result[0] = dx;
  }
  if (bias != nullptr && gc.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(Tensor db, nn::SumKeep(gc.ctx, grad3, {0, 2}));
    result[2] = db.WithMeta({g.o}, {1}, db.offset());
  }
  return result;
}

// Unbatched input is convolved as a batch of one and squeezed, as PyTorch
// does.
std::string ConvName(std::span<const Tensor> in, const Attrs&) {
  return in[0].dim() == 3 ? "SqueezeBackward1" : "ConvolutionBackward0";
}

TENSORD_REGISTER_OP(OpDef{
    .name = "conv2d",
    .doc = "2-D convolution (cross-correlation) as torch.nn.functional.conv2d: input [N, C, H, W] "
           "or [C, H, W], weight [O, C/groups, kH, kW], optional bias [O]; stride, padding and "
           "dilation are one int or two. Computed as im2col + a matrix product.",
    .inputs = {"input", "weight", "bias?"},
    .attrs = {{"stride", AttrType::kInts, AttrValue(std::vector<int64_t>{1}), false,
               "step between windows (one int or [sH, sW])"},
              {"padding", AttrType::kInts, AttrValue(std::vector<int64_t>{0}), false,
               "zeros added on each side (one int or [pH, pW])"},
              {"dilation", AttrType::kInts, AttrValue(std::vector<int64_t>{1}), false,
               "spacing between kernel elements (one int or [dH, dW])"},
              IntAttr("groups", 1, "split input and output channels into this many groups")},
    .forward = Single(Conv2d),
    .supports_out = true,
    .derivative = Derivative{.grad_fn_for = &ConvName,
                             .backward = &Conv2dBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
