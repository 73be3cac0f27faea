// Factories: empty, zeros, ones, full, rand, randn, arange, linspace and
// eye, with the *_like and new_* forms (PyTorch's dtype and device defaults
// for each), and manual_seed for the session's generator.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/ops/op_helpers.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/half.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Tensor;

// Fills a freshly allocated tensor.
using Filler = std::function<absl::Status(const OpCall&, const Tensor&)>;

// Which dtype a factory gets when the caller names none.
using DefaultDType = std::function<DType(const OpCall&)>;

DType FloatDefault(const OpCall&) { return device::kDefaultFloat; }

absl::Status RequireFloating(DType dtype) {
  if (device::IsFloating(dtype)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("only implemented for floating-point dtypes, got ",
                                                 device::DTypeName(dtype),
                                                 ": pass dtype=float32 or float64"));
}

absl::StatusOr<std::vector<Tensor>> Make(const OpCall& call, std::span<const int64_t> shape,
                                         DType dtype, device::Device dev, const Filler& fill) {
  TD_ASSIGN_OR_RETURN(Tensor t, call.ctx.Empty(shape, dtype, dev));
  TD_RETURN_IF_ERROR(fill(call, t));
  return std::vector<Tensor>{t};
}

// Registers NAME(size), NAME_like(self) and, if `with_new`, new_NAME(self, size).
void RegisterFactory(const std::string& name, const std::string& what, Filler fill,
                     std::vector<AttrDef> extra, DefaultDType default_dtype, bool with_new) {
  auto attrs = [&](bool with_size) {
    std::vector<AttrDef> a;
    if (with_size) a.push_back(SizeAttr());
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(DTypeAttr());
    a.push_back(DeviceAttr());
    return a;
  };
  OpRegistry& reg = OpRegistry::Global();
  reg.Register(OpDef{
      .name = name,
      .doc = absl::StrCat("A new tensor of the given size ", what, "."),
      .inputs = {},
      .attrs = attrs(true),
      .forward = [=](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
        return Make(c, c.attrs.Ints("size"), c.attrs.DType("dtype").value_or(default_dtype(c)), dev,
                    fill);
      },
      .not_differentiable = true,
  });
  reg.Register(OpDef{
      .name = name + "_like",
      .doc = absl::StrCat("A new tensor with self's size, dtype and device ", what, "."),
      .inputs = {"self"},
      .attrs = attrs(false),
      .forward = [=](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, self.device()));
        return Make(c, self.shape(), c.attrs.DType("dtype").value_or(self.dtype()), dev, fill);
      },
      .not_differentiable = true,
  });
  if (!with_new) return;
  reg.Register(OpDef{
      .name = "new_" + name,
      .doc =
          absl::StrCat("A new tensor of the given size with self's dtype and device ", what, "."),
      .inputs = {"self"},
      .attrs = attrs(true),
      .forward = [=](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, self.device()));
        return Make(c, c.attrs.Ints("size"), c.attrs.DType("dtype").value_or(self.dtype()), dev,
                    fill);
      },
      .not_differentiable = true,
  });
}

absl::Status FillWith(const Tensor& t, const device::Scalar& v) { return t.backend().Fill(t, v); }

absl::Status FillRandom(device::RandomOp kind, const OpCall& c, const Tensor& t) {
  TD_RETURN_IF_ERROR(RequireFloating(t.dtype()));
  return t.backend().Random(kind, 0.0, 1.0, c.ctx.generator(), t);
}

// torch.full infers its dtype from the fill value: bool, int64 or float32.
DType FullDefault(const OpCall& c) { return c.attrs.Scalar("fill_value").dtype(); }

const bool kRegistered = [] {
  RegisterFactory(
      "empty", "with uninitialized values",
      [](const OpCall&, const Tensor&) { return absl::OkStatus(); }, {}, FloatDefault, true);
  RegisterFactory(
      "zeros", "filled with 0", [](const OpCall&, const Tensor& t) { return FillWith(t, 0); }, {},
      FloatDefault, true);
  RegisterFactory(
      "ones", "filled with 1", [](const OpCall&, const Tensor& t) { return FillWith(t, 1); }, {},
      FloatDefault, true);
  RegisterFactory(
      "full", "filled with fill_value",
      [](const OpCall& c, const Tensor& t) { return FillWith(t, c.attrs.Scalar("fill_value")); },
      {ScalarAttr("fill_value", std::nullopt, "the value of every element")}, FullDefault, true);
  RegisterFactory(
      "rand", "of values drawn uniformly from [0, 1) by the session's generator",
      [](const OpCall& c, const Tensor& t) { return FillRandom(device::RandomOp::kUniform, c, t); },
      {}, FloatDefault, false);
  RegisterFactory(
      "randn", "of values drawn from the standard normal distribution by the session's generator",
      [](const OpCall& c, const Tensor& t) { return FillRandom(device::RandomOp::kNormal, c, t); },
      {}, FloatDefault, false);
  return true;
}();

absl::StatusOr<std::vector<Tensor>> Arange(const OpCall& c) {
  const device::Scalar start = c.attrs.Scalar("start");
  const device::Scalar end = c.attrs.Scalar("end");
  const device::Scalar step = c.attrs.Scalar("step");
  const bool all_int = !start.is_floating() && !end.is_floating() && !step.is_floating();
  const DType dtype =
      c.attrs.DType("dtype").value_or(all_int ? DType::kInt64 : device::kDefaultFloat);
  const double s = start.ToDouble(), e = end.ToDouble(), st = step.ToDouble();
  if (st == 0) return absl::InvalidArgumentError("step must be nonzero");
  if (!std::isfinite(s) || !std::isfinite(e)) {
    return absl::InvalidArgumentError("unsupported range: start and end must be finite");
  }
  if ((st > 0 && e < s) || (st < 0 && e > s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("upper bound and larger bound inconsistent with step sign (start ", s,
                     ", end ", e, ", step ", st, ")"));
  }
  const double n = all_int ? static_cast<double>((end.ToInt() - start.ToInt() + step.ToInt() -
                                                  (step.ToInt() > 0 ? 1 : -1)) /
                                                 step.ToInt())
                           : std::ceil((e - s) / st);
  if (n > 9.0e18) return absl::InvalidArgumentError("the range has too many elements");
  TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
  const std::vector<int64_t> shape = {static_cast<int64_t>(n)};
  TD_ASSIGN_OR_RETURN(Tensor t, c.ctx.Empty(shape, dtype, dev));
  TD_RETURN_IF_ERROR(t.backend().Arange(start, step, t));
  return std::vector<Tensor>{t};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "arange",
    .doc = "Values from start (inclusive) to end (exclusive) spaced by step; int64 when all "
           "three are integers, else float32.",
    .attrs = {ScalarAttr("end", std::nullopt, "end of the range (exclusive)"),
              ScalarAttr("start", AttrValue(int64_t{0}), "start of the range"),
              ScalarAttr("step", AttrValue(int64_t{1}), "gap between values"), DTypeAttr(),
              DeviceAttr()},
    .forward = Arange,
    .not_differentiable = true,
});

// ---- linspace ----------------------------------------------------------------
//
// Values are computed on the host exactly as PyTorch 1.13's CPU kernel does
// (AVX2 build): step = (end - start) / (steps - 1); element i is
// start + step * i below steps / 2 and end - step * (steps - 1 - i) from
// there on, each a fused multiply-add for float32/float64. The kernel works
// in pairs of 32-byte vectors: each vector's first element uses that rule and
// the rest add step * j to it (unfused); the tail past the last full pair uses
// the rule. Integers compute in double and truncate; float16/bfloat16 round
// after every operation.

template <typename T>
constexpr bool kReduced = std::is_same_v<T, device::Half> || std::is_same_v<T, device::BFloat16>;

// double -> integer truncating toward zero; NaN and out-of-range values give
// the integer minimum, as x86 (and so PyTorch) converts them.
template <typename I>
I TruncateToInt(double v) {
  constexpr double kLo = static_cast<double>(std::numeric_limits<I>::min());
  if (v >= kLo && v < -kLo) return static_cast<I>(v);
  return std::numeric_limits<I>::min();
}

template <typename T>
class LinspaceRule {
 public:
  LinspaceRule(const device::Scalar& start, const device::Scalar& end, int64_t steps)
      : steps_(steps), halfway_(steps / 2) {
    if constexpr (kReduced<T>) {
      start_ = static_cast<float>(T(static_cast<float>(start.ToDouble())));
      end_ = static_cast<float>(T(static_cast<float>(end.ToDouble())));
      const float diff = Round(end_ - start_);
      step_ = Round(diff / Round(static_cast<float>(steps - 1)));
    } else if constexpr (std::is_floating_point_v<T>) {
      start_ = static_cast<T>(start.ToDouble());
      end_ = static_cast<T>(end.ToDouble());
      step_ = (end_ - start_) / static_cast<T>(steps - 1);
    } else {
      start_ = static_cast<double>(start.To<T>());
      end_ = static_cast<double>(end.To<T>());
      step_ = (end_ - start_) / static_cast<double>(steps - 1);
    }
  }

  // Element i by the scalar rule.
  T At(int64_t i) const {
    if constexpr (kReduced<T>) {
      return i < halfway_ ? T(start_ + Round(step_ * Round(static_cast<float>(i))))
                          : T(end_ - Round(step_ * Round(static_cast<float>(steps_ - i - 1))));
    } else if constexpr (std::is_floating_point_v<T>) {
      return i < halfway_ ? std::fma(step_, static_cast<T>(i), start_)
                          : std::fma(-step_, static_cast<T>(steps_ - i - 1), end_);
    } else {
      return TruncateToInt<T>(i < halfway_
                                  ? std::fma(step_, static_cast<double>(i), start_)
                                  : std::fma(-step_, static_cast<double>(steps_ - i - 1), end_));
    }
  }

  // Element j of a vector whose first element is `base`.
  T InVector(T base, int64_t j) const {
    if constexpr (kReduced<T>) {
      return T(static_cast<float>(base) + Round(Round(static_cast<float>(j)) * step_));
    } else if constexpr (std::is_floating_point_v<T>) {
      const T offset = step_ * static_cast<T>(j);
      return base + offset;
    } else {
      return TruncateToInt<T>(static_cast<double>(base) + static_cast<double>(j) * step_);
    }
  }

 private:
  using Compute = std::conditional_t<kReduced<T>, float,
                                     std::conditional_t<std::is_floating_point_v<T>, T, double>>;
  static float Round(float v) { return static_cast<float>(T(v)); }

  int64_t steps_, halfway_;
  Compute start_{}, end_{}, step_{};
};

template <typename T>
void LinspaceFill(const device::Scalar& start, const device::Scalar& end, int64_t steps, T* out) {
  if (steps == 0) return;
  if (steps == 1) {
    if constexpr (kReduced<T>) {
      out[0] = T(static_cast<float>(start.ToDouble()));
    } else {
      out[0] = start.To<T>();
    }
    return;
  }
  const LinspaceRule<T> rule(start, end, steps);
  constexpr int64_t kVector = 32 / static_cast<int64_t>(sizeof(T));
  int64_t i = 0;
  for (; i + 2 * kVector <= steps; i += 2 * kVector) {
    for (int64_t v = i; v < i + 2 * kVector; v += kVector) {
      const T base = rule.At(v);
      out[v] = base;
      for (int64_t j = 1; j < kVector; ++j) out[v + j] = rule.InVector(base, j);
    }
  }
  for (; i < steps; ++i) out[i] = rule.At(i);
}

absl::StatusOr<std::vector<Tensor>> Linspace(const OpCall& c) {
  const int64_t steps = c.attrs.Int("steps");
  if (steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("number of steps must be non-negative, got ", steps));
  }
  const DType dtype = c.attrs.DType("dtype").value_or(device::kDefaultFloat);
  if (dtype == DType::kBool) {
    return absl::InvalidArgumentError(
        "\"linspace_cpu\" not implemented for 'Bool': use an integer or floating-point dtype");
  }
  TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
  const std::vector<int64_t> shape = {steps};
  TD_ASSIGN_OR_RETURN(Tensor t, c.ctx.Empty(shape, dtype, dev));
  std::string host(t.nbytes(), '\0');
  device::DispatchDType(dtype, [&]<typename T>() {
    if constexpr (!std::is_same_v<T, bool>) {
      LinspaceFill<T>(c.attrs.Scalar("start"), c.attrs.Scalar("end"), steps,
                      reinterpret_cast<T*>(host.data()));
    }
  });
  TD_RETURN_IF_ERROR(t.backend().CopyFromHost(host.data(), t));
  return std::vector<Tensor>{t};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "linspace",
    .doc = "steps values evenly spaced from start to end, both included (float32 unless dtype "
           "is given; integer dtypes truncate). Values match PyTorch's CPU kernel bit for bit.",
    .attrs = {ScalarAttr("start", std::nullopt, "the first value"),
              ScalarAttr("end", std::nullopt, "the last value"),
              IntAttr("steps", std::nullopt, "how many values (>= 0)"),
              DTypeAttr("element type (default: float32; not bool)"), DeviceAttr()},
    .forward = Linspace,
    .not_differentiable = true,
});

// ---- eye -----------------------------------------------------------------------

absl::StatusOr<std::vector<Tensor>> Eye(const OpCall& c) {
  const int64_t n = c.attrs.Int("n");
  const int64_t m = c.attrs.Has("m") ? c.attrs.Int("m") : n;
  if (n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("n must be greater or equal to 0, got ", n));
  }
  if (m < 0) {
    return absl::InvalidArgumentError(absl::StrCat("m must be greater or equal to 0, got ", m));
  }
  TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, c.ctx.default_device()));
  const std::vector<int64_t> shape = {n, m};
  TD_ASSIGN_OR_RETURN(
      Tensor t,
      device::Full(c.ctx, shape, 0, c.attrs.DType("dtype").value_or(device::kDefaultFloat), dev));
  const int64_t diagonal = std::min(n, m);
  if (diagonal > 0) {
    // The diagonal of the contiguous [n, m] result: a view with stride m + 1.
    const Tensor diag = t.WithMeta({diagonal}, {m + 1}, t.offset());
    TD_RETURN_IF_ERROR(diag.backend().Fill(diag, 1));
  }
  return std::vector<Tensor>{t};
}

TENSORD_REGISTER_OP(OpDef{
    .name = "eye",
    .doc = "A 2-D [n, m] tensor with ones on the diagonal and zeros elsewhere (float32 unless "
           "dtype is given).",
    .attrs = {IntAttr("n", std::nullopt, "number of rows (>= 0)"),
              AttrDef{"m", AttrType::kInt, std::nullopt, true, "number of columns (default: n)"},
              DTypeAttr("element type (default: float32)"), DeviceAttr()},
    .forward = Eye,
    .not_differentiable = true,
});

TENSORD_REGISTER_OP(OpDef{
    .name = "manual_seed",
    .doc = "Seeds the session's random generator (torch.manual_seed).",
    .attrs = {IntAttr("seed", std::nullopt, "the seed")},
    .forward = [](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
      c.ctx.generator().ManualSeed(static_cast<uint64_t>(c.attrs.Int("seed")));
      return std::vector<Tensor>{};
    },
    .num_outputs = 0,
    .not_differentiable = true,
});

}  // namespace
}  // namespace tensord::autograd::ops
