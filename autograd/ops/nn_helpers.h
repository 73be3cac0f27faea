// Pieces shared by the neural-network ops (linear, conv2d, pooling, losses,
// normalization): PyTorch's int-or-pair attributes, windows of an image
// batch as strided views (im2col without index tables), padding, and small
// matrix products and elementwise steps run straight on the backend. The
// NN ops call backend primitives directly, in forward and backward alike,
// because a dispatch per step costs more than the step on LeNet-sized
// tensors; every primitive exists on every backend.
#ifndef TENSORD_AUTOGRAD_OPS_NN_HELPERS_H_
#define TENSORD_AUTOGRAD_OPS_NN_HELPERS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "autograd/attrs.h"
#include "device/context.h"
#include "device/primitives.h"
#include "device/scalar.h"
#include "device/tensor.h"

namespace tensord::autograd::ops::nn {

using Pair = std::array<int64_t, 2>;

// An attribute that holds one int or two (kernel_size, stride, ...). `what`
// ends PyTorch's message: "expected stride to be a single integer value or
// a list of 2 values to match the convolution dimensions, but got
// stride=[1, 2, 3]".
absl::StatusOr<Pair> PairAttr(const Attrs& attrs, const std::string& name, absl::string_view what);

// INVALID_ARGUMENT "expected scalar type Float but found Double" unless
// the two tensors share a dtype.
absl::Status SameDType(const device::Tensor& expected, const device::Tensor& found);

// x [N, C, H, W] seen as windows: [N, C, kh, kw, OH, OW] (kernel dims first,
// as im2col lays them out) or [N, C, OH, OW, kh, kw] (kernel dims last).
// Metadata only; x may have any strides.
device::Tensor Windows(const device::Tensor& x, Pair kernel, Pair stride, Pair dilation, Pair out,
                       bool kernel_last);

// x [N, C, H, W] with `before` rows/cols above/left and `after` rows/cols
// below/right filled with `fill`. Returns x itself when nothing is added.
absl::StatusOr<device::Tensor> Pad(const device::Context& ctx, const device::Tensor& x, Pair before,
                                   Pair after, const device::Scalar& fill);

// The windows' values added back where they came from: dst [N, C, Hp, Wp]
// += cols [N, C, kh, kw, OH, OW] (col2im), one strided add per kernel
// position, so overlapping windows sum.
absl::Status AddWindows(const device::Tensor& cols, const device::Tensor& dst, Pair kernel,
                        Pair stride, Pair dilation);

// A new contiguous tensor of `shape` in t's dtype and device.
absl::StatusOr<device::Tensor> EmptyLike(const device::Context& ctx, const device::Tensor& t,
                                         std::span<const int64_t> shape);
// out (or a new tensor) = a [M, K] @ b [K, N]; any strides, one dtype.
absl::StatusOr<device::Tensor> Mm(const device::Context& ctx, const device::Tensor& a,
                                  const device::Tensor& b, const device::Tensor* out = nullptr);
// t viewed with dims d0 and d1 swapped (never fails for valid dims).
device::Tensor T(const device::Tensor& t, int64_t d0 = 0, int64_t d1 = 1);
// The sum of t over `dims` with those dims kept as 1.
absl::StatusOr<device::Tensor> SumKeep(const device::Context& ctx, const device::Tensor& t,
                                       std::vector<int64_t> dims);

// "mean", "sum" or "none"; anything else is PyTorch's "foo is not a valid
// value for reduction".
enum class Reduction { kNone, kMean, kSum };
absl::StatusOr<Reduction> ReductionAttr(const Attrs& attrs);
AttrDef ReductionAttrDef();

}  // namespace tensord::autograd::ops::nn

#endif  // TENSORD_AUTOGRAD_OPS_NN_HELPERS_H_
