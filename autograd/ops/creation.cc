// Factories: empty, zeros, ones, full, rand, randn and arange, with their
// *_like and new_* forms (PyTorch's dtype and device defaults for each), and
// manual_seed for the session's generator.
#include <cmath>
#include <functional>

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

// Fills a freshly allocated tensor.
using Filler = std::function<absl::Status(const OpCall&, const Tensor&)>;

// Which dtype a factory gets when the caller names none.
using DefaultDType = std::function<DType(const OpCall&)>;

DType FloatDefault(const OpCall&) { return device::kDefaultFloat; }

absl::Status RequireFloating(DType dtype) {
  if (device::IsFloating(dtype)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "only implemented for floating-point dtypes, got ", device::DTypeName(dtype),
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
        return Make(c, c.attrs.Ints("size"), c.attrs.DType("dtype").value_or(default_dtype(c)),
                    dev, fill);
      },
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
  });
  if (!with_new) return;
  reg.Register(OpDef{
      .name = "new_" + name,
      .doc = absl::StrCat("A new tensor of the given size with self's dtype and device ", what,
                          "."),
      .inputs = {"self"},
      .attrs = attrs(true),
      .forward = [=](const OpCall& c) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& self = c.inputs[0];
        TD_ASSIGN_OR_RETURN(device::Device dev, DeviceFrom(c.attrs, self.device()));
        return Make(c, c.attrs.Ints("size"), c.attrs.DType("dtype").value_or(self.dtype()), dev,
                    fill);
      },
  });
}

absl::Status FillWith(const Tensor& t, const device::Scalar& v) { return t.backend().Fill(t, v); }

absl::Status FillRandom(device::RandomOp kind, const OpCall& c,
                        const Tensor& t) {
  TD_RETURN_IF_ERROR(RequireFloating(t.dtype()));
  return t.backend().Random(kind, 0.0, 1.0,
                            c.ctx.generator(), t);
}

// torch.full infers its dtype from the fill value: bool, int64 or float32.
DType FullDefault(const OpCall& c) { return c.attrs.Scalar("fill_value").dtype(); }

const bool kRegistered = [] {
  RegisterFactory("empty", "with uninitialized values",
                  [](const OpCall&, const Tensor&) { return absl::OkStatus(); }, {},
                  FloatDefault, true);
  RegisterFactory("zeros", "filled with 0",
                  [](const OpCall&, const Tensor& t) { return FillWith(t, 0); }, {}, FloatDefault,
                  true);
  RegisterFactory("ones", "filled with 1",
                  [](const OpCall&, const Tensor& t) { return FillWith(t, 1); }, {}, FloatDefault,
                  true);
  RegisterFactory(
      "full", "filled with fill_value",
      [](const OpCall& c, const Tensor& t) { return FillWith(t, c.attrs.Scalar("fill_value")); },
      {ScalarAttr("fill_value", std::nullopt, "the value of every element")}, FullDefault, true);
  RegisterFactory(
      "rand", "of values drawn uniformly from [0, 1) by the session's generator",
      [](const OpCall& c, const Tensor& t) {
        return FillRandom(device::RandomOp::kUniform, c, t);
      },
      {}, FloatDefault, false);
  RegisterFactory(
      "randn", "of values drawn from the standard normal distribution by the session's generator",
      [](const OpCall& c, const Tensor& t) {
        return FillRandom(device::RandomOp::kNormal, c, t);
      },
      {}, FloatDefault, false);
  return true;
}();

absl::StatusOr<std::vector<Tensor>> Arange(const OpCall& c) {
  const device::Scalar start = c.attrs.Scalar("start");
  const device::Scalar end = c.attrs.Scalar("end");
  const device::Scalar step = c.attrs.Scalar("step");
  const bool all_int = !start.is_floating() && !end.is_floating() && !step.is_floating();
  const DType dtype = c.attrs.DType("dtype").value_or(all_int ? DType::kInt64
                                                              : device::kDefaultFloat);
  const double s = start.ToDouble(), e = end.ToDouble(), st = step.ToDouble();
  if (st == 0) return absl::InvalidArgumentError("step must be nonzero");
  if (!std::isfinite(s) || !std::isfinite(e)) {
    return absl::InvalidArgumentError("unsupported range: start and end must be finite");
  }
  if ((st > 0 && e < s) || (st < 0 && e > s)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upper bound and larger bound inconsistent with step sign (start ", s, ", end ",
        e, ", step ", st, ")"));
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
});

}  // namespace
}  // namespace tensord::autograd::ops
