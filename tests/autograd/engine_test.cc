// Tests of the autograd engine in-process: the blitz's autograd section
// (values and grad_fn names from PyTorch 1.13), accumulation, retain_graph,
// retain_grad, no_grad, detach, version counters, memory, and every bad
// input with PyTorch's kind of message.
#include "autograd/engine.h"

#include <memory>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "device/memory_stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autograd/op_test_util.h"

namespace tensord::autograd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EngineTest : public OpTest {
 protected:
  Variable Leaf(const std::vector<double>& v, std::vector<int64_t> shape,
                device::DType dtype = device::DType::kFloat32) {
    Variable x{Make(v, std::move(shape), dtype), nullptr};
    EXPECT_TRUE(SetRequiresGrad(x, true).ok());
    return x;
  }
  absl::StatusOr<Variable> Try(const std::string& op, std::vector<Variable> in,
                               std::map<std::string, AttrValue> attrs = {}, bool grad = true) {
    absl::StatusOr<CallResult> r = Call(ctx_, op, in, attrs, nullptr, grad);
    if (!r.ok()) return r.status();
    return r->outputs.at(0);
  }
  Variable C(const std::string& op, std::vector<Variable> in,
             std::map<std::string, AttrValue> attrs = {}, bool grad = true) {
    absl::StatusOr<Variable> v = Try(op, std::move(in), std::move(attrs), grad);
    EXPECT_TRUE(v.ok()) << op << ": " << v.status();
    return v.ok() ? *v : Variable{};
  }
  std::vector<double> Grad(const Variable& v) {
    if (v.meta == nullptr || !v.meta->grad.has_value()) return {};
    return Values(*v.meta->grad);
  }
};

TEST_F(EngineTest, BlitzAutogradSection) {
  // x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3;
  // out = z.mean(); out.backward(); x.grad is 4.5 everywhere.
  Variable x = Leaf({1, 1, 1, 1}, {2, 2});
  Variable y = C("add", {x}, {{"other", int64_t{2}}});
  EXPECT_EQ(y.grad_fn_name(), "AddBackward0");
  EXPECT_FALSE(y.is_leaf());
  // (y * y) * 3, with 3 as a number.
  Variable z = C("mul", {C("mul", {y, y})}, {{"other", int64_t{3}}});
  EXPECT_EQ(z.grad_fn_name(), "MulBackward0");
  Variable out = C("mean", {z});
  EXPECT_EQ(out.grad_fn_name(), "MeanBackward0");
  EXPECT_THAT(Values(out.tensor), ElementsAre(27));
  ASSERT_TRUE(Backward(ctx_, out, {}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(4.5, 4.5, 4.5, 4.5));
  // Non-leaves keep no grad unless retained.
  EXPECT_FALSE(y.meta->grad.has_value());
}

TEST_F(EngineTest, VectorJacobianProduct) {
  // x = [1, 2, 3]; y = x * 2 doubled until its norm passes 1000 (10 times
  // more here: 2^11 x); y.backward(v) gives x.grad = 2^11 v.
  Variable x = Leaf({1, 2, 3}, {3});
  Variable y = C("mul", {x}, {{"other", int64_t{2}}});
  for (int i = 0; i < 10; ++i) y = C("mul", {y}, {{"other", int64_t{2}}});
  ASSERT_FALSE(Backward(ctx_, y, {}).ok());  // not a scalar: needs a gradient
  const device::Tensor v = Make({0.1, 1.0, 0.0001}, {3});
  ASSERT_TRUE(Backward(ctx_, y, {.gradient = v}).ok());
  const std::vector<double> g = Grad(x);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_FLOAT_EQ(g[0], 204.8f);
  EXPECT_FLOAT_EQ(g[1], 2048.0f);
  EXPECT_FLOAT_EQ(g[2], 0.2048f);
}

TEST_F(EngineTest, GradsAccumulateAndRetainGraphAllowsASecondPass) {
  Variable x = Leaf({1, 2}, {2});
  Variable s = C("sum", {C("mul", {x, x})});
  EXPECT_EQ(s.grad_fn_name(), "SumBackward0");
  ASSERT_TRUE(Backward(ctx_, s, {.retain_graph = true}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(2, 4));
  ASSERT_TRUE(Backward(ctx_, s, {}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(4, 8));
  // The graph's saved tensors are gone now: MulBackward0 cannot run again.
  absl::Status again = Backward(ctx_, s, {});
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.message()),
              HasSubstr("Trying to backward through the graph a second time"));
  // A graph that saved nothing (add) can run again, as in PyTorch.
  Variable t = C("sum", {C("add", {x, x})});
  ASSERT_TRUE(Backward(ctx_, t, {}).ok());
  ASSERT_TRUE(Backward(ctx_, t, {}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(8, 12));
  // grad = None, then a fresh gradient.
  x.meta->grad.reset();
  ASSERT_TRUE(Backward(ctx_, t, {}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(2, 2));
}

TEST_F(EngineTest, BroadcastingAndDimReductions) {
  // (a * b).sum(dim=1) with a [2, 3] and b [3]: da = b, db = a summed over rows.
  Variable a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Variable b = Leaf({10, 20, 30}, {3});
  Variable s = C("sum", {C("mul", {a, b})}, {{"dim", std::vector<int64_t>{1}}});
  EXPECT_EQ(s.grad_fn_name(), "SumBackward1");
  ASSERT_TRUE(Backward(ctx_, s, {.gradient = Make({1, 2}, {2})}).ok());
  EXPECT_THAT(Grad(a), ElementsAre(10, 20, 30, 20, 40, 60));
  EXPECT_THAT(Grad(b), ElementsAre(9, 12, 15));
}

TEST_F(EngineTest, RetainGradDetachAndNoGrad) {
  Variable x = Leaf({1, 2}, {2});
  Variable y = C("mul", {x}, {{"other", int64_t{3}}});
  ASSERT_TRUE(RetainGrad(y).ok());
  Variable s = C("sum", {C("mul", {y, y})});
  ASSERT_TRUE(Backward(ctx_, s, {}).ok());
  EXPECT_THAT(Grad(y), ElementsAre(6, 12));  // 2y
  EXPECT_THAT(Grad(x), ElementsAre(18, 36));
  // no_grad: results do not require grad and record nothing.
  Variable n = C("mul", {x, x}, {}, /*grad=*/false);
  EXPECT_FALSE(n.requires_grad());
  EXPECT_EQ(n.grad_fn_name(), "");
  // detach: same data, out of the graph.
  Variable d = Detach(y);
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.tensor.SharesStorageWith(y.tensor));
  // Integer results of float inputs never require grad (comparisons).
  Variable gt = C("gt", {x}, {{"other", 1.0}});
  EXPECT_FALSE(gt.requires_grad());
}

TEST_F(EngineTest, InPlaceChangeOfASavedTensorFailsBackward) {
  // b = a * 1; c = b * b; b.add_(1); c.sum().backward() must fail.
  Variable a = Leaf({1, 1, 1, 1}, {2, 2});
  Variable b = C("mul", {a}, {{"other", int64_t{1}}});
  Variable c = C("mul", {b, b});
  absl::StatusOr<CallResult> w =
      Call(ctx_, "add_", std::vector<Variable>{b}, {{"other", int64_t{1}}}, nullptr, true);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->outputs[0].grad_fn_name(), "AddBackward0");  // history rebased
  absl::Status s = Backward(ctx_, C("sum", {c}), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("one of the variables needed for gradient computation has been "
                        "modified by an inplace operation: [torch.FloatTensor [2, 2]]"));
  // An in-place op on a non-leaf rebases its history: d/da sum((a * 2) *= 3) = 6.
  Variable e = C("mul", {a}, {{"other", int64_t{2}}});
  ASSERT_TRUE(
      Call(ctx_, "mul_", std::vector<Variable>{e}, {{"other", int64_t{3}}}, nullptr, true).ok());
  ASSERT_TRUE(Backward(ctx_, C("sum", {e}), {}).ok());
  EXPECT_THAT(Grad(a), ElementsAre(6, 6, 6, 6));
}

TEST_F(EngineTest, BadInputGetsPreciseErrors) {
  Variable plain{Make({1, 2}, {2}), nullptr};
  absl::Status s = Backward(ctx_, plain, {});
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("element 0 of tensors does not require grad and does not have a grad_fn"));
  Variable x = Leaf({1, 2, 3}, {3});
  Variable y = C("mul", {x}, {{"other", int64_t{2}}});
  s = Backward(ctx_, y, {});
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("grad can be implicitly created only for scalar outputs"));
  s = Backward(ctx_, y, {.gradient = Make({1, 1}, {2})});
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and "
                        "output[0] has a shape of torch.Size([3])."));
  s = Backward(ctx_, y, {.gradient = Make({1, 1, 1}, {3}, device::DType::kInt64)});
  EXPECT_THAT(std::string(s.message()), HasSubstr("must be floating point, got int64"));
  // A float64 gradient is converted, as PyTorch does.
  EXPECT_TRUE(Backward(ctx_, y, {.gradient = Make({1, 1, 1}, {3}, device::DType::kFloat64)}).ok());
  Variable i{Make({1, 2}, {2}, device::DType::kInt64), nullptr};
  s = SetRequiresGrad(i, true);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("only Tensors of floating point dtype can require gradients"));
  absl::StatusOr<CallResult> r =
      Call(ctx_, "add_", std::vector<Variable>{x}, {{"other", 1.0}}, nullptr, true);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("a leaf Variable that requires grad is being used in an in-place "
                        "operation."));
  // The same under no_grad is allowed.
  EXPECT_TRUE(Call(ctx_, "add_", std::vector<Variable>{x}, {{"other", 1.0}}, nullptr, false).ok());
  // out= with grad.
  Variable o{Make({0, 0, 0}, {3}), nullptr};
  r = Call(ctx_, "add", std::vector<Variable>{x, x}, {}, &o, true);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("don't support automatic differentiation"));
  // requires_grad_(False) on a non-leaf.
  s = SetRequiresGrad(y, false);
  EXPECT_THAT(std::string(s.message()), HasSubstr("only change requires_grad flags of leaf"));
}

TEST_F(EngineTest, ProdGradientsAroundZeros) {
  // torch.tensor([2., 0., 3.], requires_grad=True).prod().backward() gives
  // [0., 6., 0.]; with two zeros every gradient is 0.
  Variable x = Leaf({2, 0, 3}, {3});
  ASSERT_TRUE(Backward(ctx_, C("prod", {x}), {}).ok());
  EXPECT_THAT(Grad(x), ElementsAre(0, 6, 0));
  Variable y = Leaf({0, 0, 3}, {3});
  ASSERT_TRUE(Backward(ctx_, C("prod", {y}), {}).ok());
  EXPECT_THAT(Grad(y), ElementsAre(0, 0, 0));
  // cumprod through a zero is refused, not answered wrong.
  Variable z = Leaf({2, 0, 3}, {3});
  absl::Status s = Backward(ctx_, C("sum", {C("cumprod", {z}, {{"dim", int64_t{0}}})}), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
}

TEST_F(EngineTest, GraphIsFreedWithItsLastTensor) {
  Variable x = Leaf({1, 2}, {2});
  std::weak_ptr<Node> node;
  {
    Variable y = C("mul", {x, x});
    node = y.meta->grad_fn;
    EXPECT_FALSE(node.expired());
  }
  EXPECT_TRUE(node.expired());
}

TEST_F(EngineTest, TrainingLoopReturnsToItsMemoryBaseline) {
  auto account = std::make_shared<device::MemoryAccount>();
  device::Context ctx(&gen_, device::Device::Cpu(), device::Limits{}, account);
  auto leaf = [&](std::vector<int64_t> shape) {
    absl::StatusOr<device::Tensor> t = device::Full(ctx, shape, device::Scalar(0.5),
                                                    device::DType::kFloat32, device::Device::Cpu());
    Variable v{*t, nullptr};
    EXPECT_TRUE(SetRequiresGrad(v, true).ok());
    return v;
  };
  Variable w = leaf({8, 4}), b = leaf({4});
  Variable in{*device::Full(ctx, std::vector<int64_t>{16, 8}, device::Scalar(1.0),
                            device::DType::kFloat32, device::Device::Cpu()),
              nullptr};
  auto step = [&] {
    auto run = [&](const std::string& op, std::vector<Variable> vs,
                   std::map<std::string, AttrValue> attrs = {}) {
      absl::StatusOr<CallResult> r = Call(ctx, op, vs, attrs, nullptr, true);
      EXPECT_TRUE(r.ok()) << r.status();
      return r->outputs.at(0);
    };
    Variable h = run("add", {run("mm", {in, w}), b});
    Variable loss = run("mean", {run("mul", {run("relu", {h}), run("relu", {h})})});
    EXPECT_TRUE(Backward(ctx, loss, {}).ok());
    // An optimizer step under no_grad, then zero_grad (grad = None).
    ASSERT_TRUE(w.meta->grad.has_value());
    ASSERT_TRUE(b.meta->grad.has_value());
    absl::StatusOr<CallResult> u =
        Call(ctx, "sub_", std::vector<Variable>{w, Variable{*w.meta->grad, nullptr}},
             {{"alpha", 0.01}}, nullptr, false);
    EXPECT_TRUE(u.ok()) << u.status();
    w.meta->grad.reset();
    b.meta->grad.reset();
  };
  step();
  const int64_t baseline = account->bytes();
  for (int i = 0; i < 1000; ++i) step();
  EXPECT_EQ(account->bytes(), baseline);
}

}  // namespace
}  // namespace tensord::autograd::testing
