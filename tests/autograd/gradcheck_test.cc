// gradcheck for every backward rule: each op with a derivative has cases in
// grad_cases.cc, and its analytical gradients (through the engine, in
// float64) must match central finite differences of L = sum(op(x...) * w)
// for a fixed random w. An op that gains a derivative without a case fails
// the suite.
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
#include "tests/autograd/grad_cases.h"
#include "tests/autograd/op_test_util.h"

namespace tensord::autograd::testing {
namespace {

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
  for (const GradCase& c : GradCases()) covered.insert(c.op);
  for (const OpDef* op : OpRegistry::Global().List()) {
    // In-place variants run their functional op's rule.
    if (!op->derivative.has_value() || !op->inplace_of.empty()) continue;
    EXPECT_TRUE(covered.contains(op->name))
        << op->name << " has a backward rule but no gradcheck case: add one to GradCases() in "
        << "tests/autograd/grad_cases.cc";
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
  for (const GradCase& c : GradCases()) {
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
