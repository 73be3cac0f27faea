// gradcheck for every backward rule: each op with a derivative has cases
// here, and its analytical gradients (through the engine, in float64) must
// match central finite differences of L = sum(op(x...) * w) for a fixed
// random w. An op that gains a derivative without a case fails the suite.
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/op_registry.h"
#include "gtest/gtest.h"
#include "tests/autograd/op_test_util.h"

namespace tensord::autograd::testing {
namespace {

enum class Domain { kAny, kPositive, kAwayFromZero };

// An input that takes no gradient (a mask, an index): given values and dtype.
struct Fixed {
  std::vector<double> values;
  device::DType dtype = device::DType::kInt64;
};

struct GradCase {
  std::string op;
  std::vector<std::vector<int64_t>> shapes;  // one per tensor input
  std::map<std::string, AttrValue> attrs;
  Domain values = Domain::kAny;
  std::map<size_t, Fixed> fixed;  // inputs by position that are not differentiated
  // In-place ops: run on a copy of input 0 (x * 1, not a leaf), as a leaf
  // that requires grad refuses in-place writes.
  bool on_copy = false;
  // Ops whose backward refuses, as PyTorch's does: the expected message.
  std::string refuses;
};

using Dims = std::vector<int64_t>;

const std::vector<GradCase>& Cases() {
  static const auto* cases = new std::vector<GradCase>{
      {"add", {{2, 3}, {3}}, {{"alpha", 0.5}}},
      {"add", {{2, 3}}, {{"other", 2.5}}},
      {"sub", {{2, 1}, {2, 3}}, {{"alpha", 2.0}}},
      {"sub", {{3}}, {{"other", 1.5}}},
      {"mul", {{2, 3}, {2, 1}}},
      {"mul", {{4}}, {{"other", -3.0}}},
      {"div", {{2, 3}, {3}}, {}, Domain::kPositive},
      {"div", {{3}}, {{"other", 4.0}}},
      {"pow", {{3}}, {{"exponent", 2.5}}, Domain::kPositive},
      {"pow", {{2, 3}, {3}}, {}, Domain::kPositive},
      {"neg", {{2, 2}}},
      {"abs", {{5}}, {}, Domain::kAwayFromZero},
      {"exp", {{2, 3}}},
      {"log", {{4}}, {}, Domain::kPositive},
      {"sqrt", {{4}}, {}, Domain::kPositive},
      {"sin", {{4}}},
      {"cos", {{4}}},
      {"tanh", {{2, 3}}},
      {"sigmoid", {{2, 3}}},
      {"relu", {{6}}, {}, Domain::kAwayFromZero},
      {"sum", {{2, 3}}},
      {"sum", {{2, 3, 2}}, {{"dim", Dims{0, 2}}}},
      {"sum", {{2, 3}}, {{"dim", Dims{-1}}, {"keepdim", true}}},
      {"mean", {{2, 3}}},
      {"mean", {{2, 3, 2}}, {{"dim", Dims{1}}, {"keepdim", true}}},
      {"matmul", {{2, 3}, {3, 4}}},
      {"mm", {{3, 2}, {2, 2}}},
      {"view", {{2, 3}}, {{"size", Dims{3, 2}}}},
      {"reshape", {{2, 3}}, {{"size", Dims{6}}}},
      {"transpose", {{2, 3, 4}}, {{"dim0", int64_t{0}}, {"dim1", int64_t{2}}}},
      {"t", {{2, 3}}},
      {"floor", {{5}}},
      {"ceil", {{5}}},
      {"round", {{5}}},
      {"sign", {{5}}, {}, Domain::kAwayFromZero},
      {"expm1", {{4}}},
      {"log1p", {{4}}, {}, Domain::kPositive},
      {"rsqrt", {{4}}, {}, Domain::kPositive},
      {"reciprocal", {{4}}, {}, Domain::kAwayFromZero},
      {"silu", {{2, 3}}},
      {"clamp", {{8}}, {{"min", -0.5}, {"max", 0.5}}},
      {"clamp", {{8}}, {{"min", 0.1}}},
      {"atan2", {{2, 3}, {3}}, {}, Domain::kAwayFromZero},
      {"maximum", {{2, 3}, {2, 3}}},
      {"minimum", {{2, 3}, {3}}},
      {"remainder", {{2, 3}, {2, 3}}, {}, Domain::kPositive},
      {"remainder", {{4}}, {{"other", 0.3}}, Domain::kPositive},
      {"where",
       {{2, 3}, {2, 3}, {3}},
       {},
       Domain::kAny,
       {{0, {{1, 0, 1, 0, 0, 1}, device::DType::kBool}}}},
      {"where",
       {{2, 3}, {2, 3}},
       {{"other", 1.5}},
       Domain::kAny,
       {{0, {{1, 0, 1, 0, 0, 1}, device::DType::kBool}}}},
      {"amax", {{3, 4}}},
      {"amax", {{3, 4}}, {{"dim", Dims{1}}, {"keepdim", true}}},
      {"amin", {{3, 4}}, {{"dim", Dims{0}}}},
      {"max", {{3, 4}}},
      {"max", {{3, 4}}, {{"dim", int64_t{1}}}},
      {"min", {{3, 4}}, {{"dim", int64_t{0}}, {"keepdim", true}}},
      {"var", {{3, 4}}},
      {"var", {{3, 4}}, {{"dim", Dims{1}}, {"unbiased", false}}},
      {"std", {{3, 4}}, {{"dim", Dims{0}}, {"keepdim", true}}},
      {"norm", {{3, 4}}},
      {"norm", {{3, 4}}, {{"p", 1.0}, {"dim", Dims{1}}}, Domain::kAwayFromZero},
      {"norm", {{3, 4}}, {{"p", std::numeric_limits<double>::infinity()}}},
      {"norm", {{3, 4}}, {{"p", 3.0}, {"dim", Dims{0}}}},
      {"logsumexp", {{3, 4}}, {{"dim", Dims{1}}}},
      {"cumsum", {{3, 4}}, {{"dim", int64_t{1}}}},
      {"softmax", {{3, 4}}, {{"dim", int64_t{1}}}},
      {"log_softmax", {{3, 4}}, {{"dim", int64_t{0}}}},
      {"matmul", {{3}, {3}}},
      {"matmul", {{2, 3}, {3}}},
      {"matmul", {{3}, {3, 2}}},
      {"matmul", {{2, 2, 3}, {3, 4}}},
      {"matmul", {{3}, {2, 3, 2}}},
      {"bmm", {{2, 2, 3}, {2, 3, 2}}},
      {"mv", {{2, 3}, {3}}},
      {"dot", {{4}, {4}}},
      {"outer", {{3}, {2}}},
      {"addmm", {{2, 4}, {2, 3}, {3, 4}}, {{"beta", 0.5}, {"alpha", 2.0}}},
      {"addmm", {{4}, {2, 3}, {3, 4}}},
      {"select", {{3, 4}}, {{"dim", int64_t{1}}, {"index", int64_t{-1}}}},
      {"slice", {{5, 2}}, {{"dim", int64_t{0}}, {"start", int64_t{1}}, {"step", int64_t{2}}}},
      {"index", {{3, 4}}, {{"spec", std::string("1:, ::2")}}},
      {"permute", {{2, 3, 4}}, {{"dims", Dims{2, 0, 1}}}},
      {"narrow", {{3, 4}}, {{"dim", int64_t{1}}, {"start", int64_t{1}}, {"length", int64_t{2}}}},
      {"unsqueeze", {{3}}, {{"dim", int64_t{0}}}},
      {"squeeze", {{3, 1, 2}}},
      {"squeeze", {{3, 1, 2}}, {{"dim", int64_t{1}}}},
      {"expand", {{3, 1}}, {{"size", Dims{2, 3, 4}}}},
      {"expand_as",
       {{1, 4}, {3, 4}},
       {},
       Domain::kAny,
       {{1, {std::vector<double>(12, 0.0), device::DType::kFloat64}}}},
      {"contiguous", {{3, 4}}},
      {"clone", {{3, 4}}},
      {"flatten", {{2, 3, 2}}, {{"start_dim", int64_t{1}}}},
      {"unflatten", {{2, 6}}, {{"dim", int64_t{1}}, {"sizes", Dims{3, 2}}}},
      {"repeat", {{2, 3}}, {{"repeats", Dims{2, 1, 3}}}},
      {"cat", {{2, 3}, {1, 3}}, {{"dim", int64_t{0}}}},
      {"cat", {{2, 3}, {2, 1}}, {{"dim", int64_t{-1}}}},
      {"stack", {{2, 3}, {2, 3}}, {{"dim", int64_t{1}}}},
      {"split", {{5, 2}}, {{"split_size", int64_t{2}}}},
      {"chunk", {{2, 6}}, {{"chunks", int64_t{3}}, {"dim", int64_t{1}}}},
      {.op = "t_", .shapes = {{2, 3}}, .on_copy = true},
      {"to", {{3}}, {{"dtype", device::DType::kFloat64}}},
      {.op = "copy_", .shapes = {{2, 3}, {3}}, .on_copy = true},
      {.op = "fill_", .shapes = {{3}}, .attrs = {{"value", 2.0}}, .on_copy = true},
      {.op = "zero_", .shapes = {{3}}, .on_copy = true},
      {"index_select", {{4, 3}, {2}}, {{"dim", int64_t{0}}}, Domain::kAny, {{1, {{3, 1}}}}},
      {"gather",
       {{3, 4}, {3, 2}},
       {{"dim", int64_t{1}}},
       Domain::kAny,
       {{1, {{0, 3, 1, 1, 2, 0}}}}},
      {"scatter",
       {{3, 4}, {3, 2}, {3, 2}},
       {{"dim", int64_t{1}}},
       Domain::kAny,
       {{1, {{0, 3, 1, 2, 2, 0}}}}},
      {"scatter_add",
       {{3, 4}, {3, 2}, {3, 2}},
       {{"dim", int64_t{1}}},
       Domain::kAny,
       {{1, {{0, 0, 1, 1, 2, 3}}}}},
      {"masked_fill",
       {{2, 3}, {2, 3}},
       {{"value", 0.5}},
       Domain::kAny,
       {{1, {{1, 0, 0, 1, 1, 0}, device::DType::kBool}}}},
      {"masked_fill",
       {{2, 3}, {3}, {}},
       {},
       Domain::kAny,
       {{1, {{1, 0, 1}, device::DType::kBool}}}},
      {"masked_select",
       {{2, 3}, {2, 3}},
       {},
       Domain::kAny,
       {{1, {{1, 0, 0, 1, 1, 0}, device::DType::kBool}}}},
      {"index_get", {{4, 3}, {2}}, {}, Domain::kAny, {{1, {{3, 0}}}}},
      {"index_put", {{4, 3}, {2}, {2, 3}}, {}, Domain::kAny, {{1, {{3, 0}}}}},
      {"index_put", {{4, 3}, {2}, {3}}, {{"accumulate", true}}, Domain::kAny, {{1, {{1, 1}}}}},
      {"tril", {{3, 3}}},
      {"triu", {{3, 4}}, {{"diagonal", int64_t{1}}}},
      {"prod", {{3, 4}}, {}, Domain::kAwayFromZero},
      {"prod", {{3, 4}}, {{"dim", Dims{1}}, {"keepdim", true}}, Domain::kAwayFromZero},
      {"cumprod", {{3, 4}}, {{"dim", int64_t{1}}}, Domain::kAwayFromZero},
      {"gelu", {{2, 3}}},
      {"gelu", {{2, 3}}, {{"approximate", std::string("tanh")}}},
      {.op = "floor_divide",
       .shapes = {{3}},
       .attrs = {{"other", 2.0}},
       .refuses = "derivative for aten::floor_divide is not implemented"},
  };
  return *cases;
}

class GradCheck : public OpTest {
 protected:
  std::vector<double> Random(int64_t n, Domain kind) {
    std::uniform_real_distribution<double> any(-1.0, 1.0), pos(0.5, 2.0), mag(0.2, 1.0);
    std::vector<double> v(n);
    for (double& x : v) {
      switch (kind) {
        case Domain::kAny:
          x = any(rng_);
          break;
        case Domain::kPositive:
          x = pos(rng_);
          break;
        case Domain::kAwayFromZero:
          x = mag(rng_) * (any(rng_) < 0 ? -1 : 1);
          break;
      }
    }
    return v;
  }

  // L = sum(op(inputs) * w), computed without a graph.
  double Loss(const GradCase& c, std::vector<device::Tensor> inputs, const device::Tensor& w) {
    if (c.on_copy) inputs[0] = Run1("clone", {inputs[0]});
    device::Tensor out = Run1(c.op, inputs, c.attrs);
    return Values(Run1("sum", {Run1("mul", {out, w})}))[0];
  }

  std::mt19937_64 rng_{12345};
};

TEST_F(GradCheck, EveryDerivativeHasACase) {
  std::set<std::string> covered;
  for (const GradCase& c : Cases()) covered.insert(c.op);
  for (const OpDef* op : OpRegistry::Global().List()) {
    // In-place variants run their functional op's rule.
    if (!op->derivative.has_value() || !op->inplace_of.empty()) continue;
    EXPECT_TRUE(covered.contains(op->name))
        << op->name << " has a backward rule but no gradcheck case: add one to Cases()";
  }
}

// Every op either has a derivative or is marked not differentiable, so a new
// op cannot silently leave autograd behind.
TEST_F(GradCheck, EveryOpIsClassified) {
  for (const OpDef* op : OpRegistry::Global().List()) {
    if (!op->inplace_of.empty()) continue;
    EXPECT_TRUE(op->derivative.has_value() || op->not_differentiable)
        << op->name << " has neither a derivative nor not_differentiable";
  }
}

TEST_F(GradCheck, AnalyticalGradientsMatchFiniteDifferences) {
  constexpr double kEps = 1e-6;
  for (const GradCase& c : Cases()) {
    SCOPED_TRACE(c.op);
    std::vector<std::vector<double>> values;
    std::vector<Variable> vars;
    std::vector<device::Tensor> tensors;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      const auto& shape = c.shapes[i];
      if (auto f = c.fixed.find(i); f != c.fixed.end()) {
        values.push_back({});
        tensors.push_back(Make(f->second.values, shape, f->second.dtype));
        vars.push_back(Variable{tensors.back(), nullptr});
        continue;
      }
      values.push_back(Random(device::Numel(shape), c.values));
      tensors.push_back(Make(values.back(), shape, device::DType::kFloat64));
      Variable v{tensors.back(), nullptr};
      ASSERT_TRUE(SetRequiresGrad(v, true).ok());
      vars.push_back(v);
    }
    std::vector<Variable> call_inputs = vars;
    if (c.on_copy) {
      absl::StatusOr<CallResult> copy =
          Call(ctx_, "mul", std::vector<Variable>{vars[0]}, {{"other", 1.0}}, nullptr, true);
      ASSERT_TRUE(copy.ok()) << copy.status();
      call_inputs[0] = copy->outputs[0];
    }
    absl::StatusOr<CallResult> r = Call(ctx_, c.op, call_inputs, c.attrs, nullptr, true);
    ASSERT_TRUE(r.ok()) << r.status();
    const Variable& out = r->outputs.at(0);
    ASSERT_TRUE(out.requires_grad());
    const device::Tensor w =
        Make(Random(out.tensor.numel(), Domain::kAny), out.tensor.shape(), device::DType::kFloat64);
    absl::Status b = Backward(ctx_, out, {.gradient = w});
    if (!c.refuses.empty()) {
      EXPECT_EQ(b.code(), absl::StatusCode::kUnimplemented);
      EXPECT_NE(b.message().find(c.refuses), absl::string_view::npos) << b;
      continue;
    }
    ASSERT_TRUE(b.ok()) << b;
    for (size_t i = 0; i < vars.size(); ++i) {
      if (c.fixed.contains(i)) continue;
      ASSERT_TRUE(vars[i].meta->grad.has_value()) << "input " << i;
      const std::vector<double> analytical = Values(*vars[i].meta->grad);
      ASSERT_EQ(analytical.size(), values[i].size());
      for (size_t k = 0; k < values[i].size(); ++k) {
        std::vector<device::Tensor> plus = tensors, minus = tensors;
        std::vector<double> vp = values[i], vm = values[i];
        vp[k] += kEps;
        vm[k] -= kEps;
        plus[i] = Make(vp, c.shapes[i], device::DType::kFloat64);
        minus[i] = Make(vm, c.shapes[i], device::DType::kFloat64);
        const double numerical = (Loss(c, plus, w) - Loss(c, minus, w)) / (2 * kEps);
        EXPECT_NEAR(analytical[k], numerical, 1e-5 + 1e-4 * std::fabs(numerical))
            << "input " << i << " element " << k;
      }
    }
  }
}

}  // namespace
}  // namespace tensord::autograd::testing
