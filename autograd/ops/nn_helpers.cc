#include "autograd/ops/nn_helpers.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device/backend.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops::nn {

using device::Tensor;

absl::StatusOr<Pair> PairAttr(const Attrs& attrs, const std::string& name, absl::string_view what) {
  const std::vector<int64_t>& v = attrs.Ints(name);
  if (v.size() == 1) return Pair{v[0], v[0]};
  if (v.size() == 2) return Pair{v[0], v[1]};
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", name, " to be a single integer value or a list of 2 values to ",
                   what, ", but got ", name, "=[", absl::StrJoin(v, ", "), "]"));
}

absl::Status SameDType(const Tensor& expected, const Tensor& found) {
  if (expected.dtype() == found.dtype()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("expected scalar type ", device::ScalarTypeName(expected.dtype()), " but found ",
                   device::ScalarTypeName(found.dtype()), ": convert one operand with to()"));
}

Tensor Windows(const Tensor& x, Pair kernel, Pair stride, Pair dilation, Pair out,
               bool kernel_last) {
  const device::Strides& s = x.strides();
  const int64_t kh = dilation[0] * s[2], kw = dilation[1] * s[3];
  const int64_t oh = stride[0] * s[2], ow = stride[1] * s[3];
  const int64_t n = x.shape()[0], c = x.shape()[1];
  if (kernel_last) {
    return x.WithMeta({n, c, out[0], out[1], kernel[0], kernel[1]}, {s[0], s[1], oh, ow, kh, kw},
                      x.offset());
  }
  return x.WithMeta({n, c, kernel[0], kernel[1], out[0], out[1]}, {s[0], s[1], kh, kw, oh, ow},
                    x.offset());
}

absl::StatusOr<Tensor> EmptyLike(const device::Context& ctx, const Tensor& t,
                                 std::span<const int64_t> shape) {
  return ctx.Empty(shape, t.dtype(), t.device());
}

absl::StatusOr<Tensor> Pad(const device::Context& ctx, const Tensor& x, Pair before, Pair after,
                           const device::Scalar& fill) {
  if (before[0] == 0 && before[1] == 0 && after[0] == 0 && after[1] == 0) return x;
  const int64_t h = x.shape()[2], w = x.shape()[3];
  const std::vector<int64_t> shape = {x.shape()[0], x.shape()[1], h + before[0] + after[0],
                                      w + before[1] + after[1]};
  TD_ASSIGN_OR_RETURN(Tensor padded, EmptyLike(ctx, x, shape));
  device::Backend& backend = padded.backend();
  TD_RETURN_IF_ERROR(backend.Fill(padded, fill));
  const device::Strides& s = padded.strides();
  const Tensor inner =
      padded.WithMeta(x.shape(), s, padded.offset() + before[0] * s[2] + before[1] * s[3]);
  TD_RETURN_IF_ERROR(backend.Copy(x, inner));
  return padded;
}

absl::Status AddWindows(const Tensor& cols, const Tensor& dst, Pair kernel, Pair stride,
                        Pair dilation) {
  const device::Strides& cs = cols.strides();
  const device::Strides& ds = dst.strides();
  const device::Shape shape = {cols.shape()[0], cols.shape()[1], cols.shape()[4], cols.shape()[5]};
  const device::Strides dst_strides = {ds[0], ds[1], stride[0] * ds[2], stride[1] * ds[3]};
  const device::Strides col_strides = {cs[0], cs[1], cs[4], cs[5]};
  device::Backend& backend = dst.backend();
  for (int64_t i = 0; i < kernel[0]; ++i) {
    for (int64_t j = 0; j < kernel[1]; ++j) {
      const Tensor d = dst.WithMeta(
          shape, dst_strides, dst.offset() + i * dilation[0] * ds[2] + j * dilation[1] * ds[3]);
      const Tensor c = cols.WithMeta(shape, col_strides, cols.offset() + i * cs[2] + j * cs[3]);
      TD_RETURN_IF_ERROR(backend.Binary(device::BinaryOp::kAdd, d, c, d));
    }
  }
  return absl::OkStatus();
}

Tensor T(const Tensor& t, int64_t d0, int64_t d1) {
  device::Shape shape = t.shape();
  device::Strides strides = t.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return t.WithMeta(std::move(shape), std::move(strides), t.offset());
}

absl::StatusOr<Tensor> Mm(const device::Context& ctx, const Tensor& a, const Tensor& b,
                          const Tensor* out) {
  Tensor c;
  if (out != nullptr) {
    c = *out;
  } else {
    TD_ASSIGN_OR_RETURN(c, EmptyLike(ctx, a, std::vector<int64_t>{a.shape()[0], b.shape()[1]}));
  }
  auto batch = [](const Tensor& t) {
    return t.WithMeta({1, t.shape()[0], t.shape()[1]}, {0, t.strides()[0], t.strides()[1]},
                      t.offset());
  };
  TD_RETURN_IF_ERROR(c.backend().Matmul(batch(a), batch(b), batch(c)));
  return c;
}

absl::StatusOr<Tensor> SumKeep(const device::Context& ctx, const Tensor& t,
                               std::vector<int64_t> dims) {
  device::Shape shape = t.shape();
  for (int64_t d : dims) shape[d] = 1;
  TD_ASSIGN_OR_RETURN(Tensor out, EmptyLike(ctx, t, shape));
  TD_RETURN_IF_ERROR(t.backend().Reduce(device::ReduceOp::kSum, t, dims, out));
  return out;
}

absl::StatusOr<Reduction> ReductionAttr(const Attrs& attrs) {
  const std::string& r = attrs.String("reduction");
  if (r == "mean") return Reduction::kMean;
  if (r == "sum") return Reduction::kSum;
  if (r == "none") return Reduction::kNone;
  return absl::InvalidArgumentError(absl::StrCat(r, " is not a valid value for reduction"));
}

AttrDef ReductionAttrDef() {
  return {"reduction", AttrType::kString, AttrValue(std::string("mean")), false,
          "mean, sum or none"};
}

}  // namespace tensord::autograd::ops::nn
