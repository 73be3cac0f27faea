// Random ops drawn from the session's generator (so deterministic after
// manual_seed): randint, randperm, bernoulli, and the in-place fills
// normal_ and uniform_. rand and randn live with the other factories.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Tensor;

AttrDef FloatAttr(std::string name, double def, std::string doc) {
  return {std::move(name), AttrType::kFloat, def, false, std::move(doc)};
}

absl::Status RequireFloating(absl::string_view op, const Tensor& t) {
  if (device::IsFloating(t.dtype())) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      op, "(): not implemented for '", device::DTypeName(t.dtype()),
      "' tensors: it fills floating-point tensors only; convert with to(float32) first"));
}

// The largest finite value of a floating dtype.
double FloatMax(DType t) {
  switch (t) {
    case DType::kFloat16:
      return 65504.0;
    case DType::kBFloat16:
      return 3.3895313892515355e38;
    case DType::kFloat32:
      return std::numeric_limits<float>::max();
    default:
      return std::numeric_limits<double>::max();
  }
}

// The integers exactly representable in a floating dtype: [-2^digits, 2^digits].
int64_t FloatDigits(DType t) {
  switch (t) {
    case DType::kFloat16:
      return 11;
    case DType::kBFloat16:
      return 8;
    case DType::kFloat32:
      return 24;
    default:
      return 53;
  }
}

// [min, max] of an integer dtype or bool.
std::pair<int64_t, int64_t> IntRange(DType t) {
  switch (t) {
    case DType::kBool:
      return {0, 1};
    case DType::kInt32:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

// Copies host int64 values into `out` (any dtype, values cast as to() does).
absl::Status Int64sInto(const OpCall& c, const std::vector<int64_t>& values, const Tensor& out) {
  TD_ASSIGN_OR_RETURN(Tensor ints,
                      device::FromHost(c.ctx, values.data(), values.size() * sizeof(int64_t),
                                       out.shape(), DType::kInt64, out.device()));
  return device::CopyInto(c.ctx, ints, out);
}

// ---- randint -------------------------------------------------------------------

absl::StatusOr<Tensor> Randint(const OpCall& c) {
  const int64_t low = c.attrs.Int("low"), high = c.attrs.Int("high");
  if (low >= high) {
    return absl::InvalidArgumentError(
        absl::StrCat("random_ expects 'from' to be less than 'to', but got from=", low,
                     " >= to=", high, ": pass high > low (high is exclusive)"));
  }
  const DType dtype = c.attrs.DType("dtype").value_or(DType::kInt64);
  if (!device::IsFloating(dtype)) {
    const auto [lo, hi] = IntRange(dtype);
    if (low < lo) {
      return absl::InvalidArgumentError(absl::StrCat("from is out of bounds for ",
                                                     device::DTypeName(dtype), ": it holds [", lo,
                                                     ", ", hi, "]"));
    }
    if (high - 1 > hi) {
      return absl::InvalidArgumentError(absl::StrCat("to - 1 is out of bounds for ",
                                                     device::DTypeName(dtype), ": it holds [", lo,
                                                     ", ", hi, "]"));
    }
  }
  TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
  TD_ASSIGN_OR_RETURN(Tensor out, c.ctx.Empty(c.attrs.Ints("size"), dtype, dev));
  // high - low as unsigned: the span of any int64 pair fits.
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  device::Generator& gen = c.ctx.generator();
  std::vector<int64_t> values(static_cast<size_t>(out.numel()));
  for (int64_t& v : values) {
    v = static_cast<int64_t>(static_cast<uint64_t>(low) + gen.Next() % range);
  }
  TD_RETURN_IF_ERROR(Int64sInto(c, values, out));
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "randint",
    .doc = "A tensor of the given size of integers drawn uniformly from [low, high) by the "
           "session's generator (int64 unless dtype is given).",
    .attrs = {IntAttr("high", std::nullopt, "one above the largest value drawn"),
              IntAttr("low", 0, "the smallest value drawn"), SizeAttr(),
              DTypeAttr("element type (default: int64)"), DeviceAttr()},
    .forward = Single(Randint),
    .not_differentiable = true,
});

// ---- randperm ------------------------------------------------------------------

absl::StatusOr<Tensor> Randperm(const OpCall& c) {
  const int64_t n = c.attrs.Int("n");
  if (n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("n must be non-negative, got ", n, ": randperm(n) permutes 0..n-1"));
  }
  const DType dtype = c.attrs.DType("dtype").value_or(DType::kInt64);
  if (dtype == DType::kBool) {
    return absl::InvalidArgumentError(
        "\"randperm\" not implemented for 'Bool': use an integer or floating-point dtype");
  }
  // Every value 0..n-1 must be representable (PyTorch allows n - 1 = 2^digits).
  const int64_t most =
      device::IsFloating(dtype) ? (int64_t{1} << FloatDigits(dtype)) : IntRange(dtype).second;
  if (n > 0 && n - 1 > most) {
    return absl::InvalidArgumentError(absl::StrCat("n cannot be greater than ", most, " + 1 for ",
                                                   device::DTypeName(dtype),
                                                   " type: use a wider dtype such as int64"));
  }
  TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
  const std::vector<int64_t> shape = {n};
  TD_ASSIGN_OR_RETURN(Tensor out, c.ctx.Empty(shape, dtype, dev));
  // Fisher-Yates: position i takes a uniformly chosen one of the i + 1
  // values not yet placed after it.
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  device::Generator& gen = c.ctx.generator();
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(gen.Next() % static_cast<uint64_t>(i + 1));
    std::swap(perm[i], perm[j]);
  }
  TD_RETURN_IF_ERROR(Int64sInto(c, perm, out));
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "randperm",
    .doc = "A random permutation of 0..n-1 drawn by the session's generator (int64 unless "
           "dtype is given; not bool).",
    .attrs = {IntAttr("n", std::nullopt, "how many values (>= 0)"),
              DTypeAttr("element type (default: int64)"), DeviceAttr()},
    .forward = Single(Randperm),
    .not_differentiable = true,
});

// ---- bernoulli -----------------------------------------------------------------

// The smallest and largest element of `t` as doubles (NaN if any is NaN).
absl::StatusOr<std::pair<double, double>> MinMax(const OpCall& c, const Tensor& t) {
  double result[2];
  const device::ReduceOp ops[2] = {device::ReduceOp::kMin, device::ReduceOp::kMax};
  for (int i = 0; i < 2; ++i) {
    TD_ASSIGN_OR_RETURN(Tensor r,
                        device::ReduceTensor(c.ctx, ops[i], t, {}, false, DType::kFloat64));
    TD_ASSIGN_OR_RETURN(std::string bytes, device::ToHost(c.ctx, r));
    std::memcpy(&result[i], bytes.data(), sizeof(double));
  }
  return std::make_pair(result[0], result[1]);
}

absl::StatusOr<Tensor> Bernoulli(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  TD_ASSIGN_OR_RETURN(Tensor u, c.ctx.Empty(self.shape(), DType::kFloat64, self.device()));
  TD_RETURN_IF_ERROR(
      u.backend().Random(device::RandomOp::kUniform, 0.0, 1.0, c.ctx.generator(), u));
  absl::StatusOr<Tensor> hits;
  if (c.attrs.Has("p")) {
    const double p = c.attrs.Float("p");
    if (!(p >= 0.0 && p <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bernoulli_ expects p to be in [0, 1], but got p=", p));
    }
    hits = device::BinaryOpTensor(c.ctx, device::BinaryOp::kLt, u, device::Scalar(p));
  } else {
    if (!device::IsFloating(self.dtype())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bernoulli(): the probabilities must be a floating-point tensor, got ",
          device::DTypeName(self.dtype()), ": convert them with to(float32), or pass p"));
    }
    if (self.numel() > 0) {
      TD_ASSIGN_OR_RETURN(auto range, MinMax(c, self));
      if (!(range.first >= 0.0 && range.second <= 1.0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false: the probabilities "
            "range over [",
            range.first, ", ", range.second, "]; clamp them into [0, 1]"));
      }
    }
    hits = device::BinaryOpTensor(c.ctx, device::BinaryOp::kLt, u, self, DType::kFloat64);
  }
  if (!hits.ok()) return hits.status();
  return device::To(c.ctx, *hits, self.dtype());
}

TENSORD_REGISTER_OP(OpDef{
    .name = "bernoulli",
    .doc = "Draws 0 or 1 for each element with self's dtype and shape: 1 with probability "
           "self[i] (a floating tensor with values in [0, 1]), or with probability p when p "
           "is given (then self may have any dtype).",
    .inputs = {"self"},
    .attrs = {AttrDef{"p", AttrType::kFloat, std::nullopt, true,
                      "one probability in [0, 1] for every element (default: self's values)"}},
    .forward = Single(Bernoulli),
    .not_differentiable = true,
});

// ---- normal_ and uniform_ ------------------------------------------------------

absl::StatusOr<Tensor> Normal(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  TD_RETURN_IF_ERROR(RequireFloating("normal_", self));
  const double mean = c.attrs.Float("mean"), std = c.attrs.Float("std");
  if (!(std >= 0.0)) {
    return absl::InvalidArgumentError(absl::StrCat("normal expects std >= 0.0, but found std ", std,
                                                   ": pass a non-negative std"));
  }
  self.storage().BumpVersion();
  TD_RETURN_IF_ERROR(
      self.backend().Random(device::RandomOp::kNormal, mean, std, c.ctx.generator(), self));
  return self;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "normal_",
    .doc = "Fills self (floating point) in place with values drawn from the normal "
           "distribution N(mean, std^2) by the session's generator.",
    .inputs = {"self"},
    .attrs = {FloatAttr("mean", 0.0, "the mean"),
              FloatAttr("std", 1.0, "the standard deviation (>= 0)")},
    .forward = Single(Normal),
    .kind = OpKind::kWritesSelf,
    .not_differentiable = true,
});

absl::StatusOr<Tensor> Uniform(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  TD_RETURN_IF_ERROR(RequireFloating("uniform_", self));
  const double from = c.attrs.Float("from"), to = c.attrs.Float("to");
  const double max = FloatMax(self.dtype());
  const absl::string_view name = device::DTypeName(self.dtype());
  if (!(from >= -max && from <= max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("from is out of bounds for ", name, ": pass a finite value within +-", max));
  }
  if (!(to >= -max && to <= max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("to is out of bounds for ", name, ": pass a finite value within +-", max));
  }
  if (from > to) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to));
  }
  if (to - from > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uniform_ expects to-from <= std::numeric_limits<", name, ">::max(), but found to=", to,
        " and from=", from, " which result in to-from to exceed the limit"));
  }
  self.storage().BumpVersion();
  TD_RETURN_IF_ERROR(
      self.backend().Random(device::RandomOp::kUniform, from, to, c.ctx.generator(), self));
  return self;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "uniform_",
    .doc = "Fills self (floating point) in place with values drawn uniformly from [from, to) "
           "by the session's generator.",
    .inputs = {"self"},
    .attrs = {FloatAttr("from", 0.0, "the lower bound (inclusive)"),
              FloatAttr("to", 1.0, "the upper bound (exclusive, >= from)")},
    .forward = Single(Uniform),
    .kind = OpKind::kWritesSelf,
    .not_differentiable = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
