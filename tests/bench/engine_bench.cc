// Benchmarks of the engine in-process (no RPC): each case runs one op of the
// registry through the dispatcher, as the daemon does for a request.
// tests/bench/compare_torch.py runs the same cases in PyTorch in the same
// run and prints the ratios; the case names here are its keys.
#include <map>
#include <string>
#include <vector>

#include "autograd/dispatch.h"
#include "autograd/engine.h"
#include "benchmark/benchmark.h"
#include "device/context.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord {
namespace {

using autograd::AttrValue;
using device::Tensor;

// Set when a case could not run, so that the process exits non-zero (Google
// Benchmark itself exits 0 after SkipWithError).
bool g_failed = false;

void Fail(benchmark::State& state, const absl::Status& s) {
  g_failed = true;
  state.SkipWithError(std::string(s.message()).c_str());
}

struct Case {
  std::string name;  // key shared with compare_torch.py
  std::string op;
  std::vector<std::vector<int64_t>> inputs;  // shapes of random float32 inputs
  std::map<std::string, AttrValue> attrs;
  bool out = false;  // write into a preallocated out= tensor
};

std::vector<Case> Cases() {
  const std::vector<int64_t> big = {16 << 20};
  return {
      {"tiny_add_5x3", "add", {{5, 3}, {5, 3}}, {}},
      {"add_16M", "add", {big, big}, {}},
      {"add_16M_out", "add", {big, big}, {}, true},
      {"mul_16M", "mul", {big, big}, {}},
      {"mul_16M_out", "mul", {big, big}, {}, true},
      {"exp_16M", "exp", {big}, {}},
      {"exp_16M_out", "exp", {big}, {}, true},
      {"sum_16M", "sum", {big}, {}},
      {"mean_16M", "mean", {big}, {}},
      {"amax_16M", "amax", {big}, {}},
      {"softmax_4096x4096", "softmax", {{4096, 4096}}, {{"dim", int64_t{-1}}}},
      {"matmul_1024", "matmul", {{1024, 1024}, {1024, 1024}}, {}},
      {"matmul_2048", "matmul", {{2048, 2048}, {2048, 2048}}, {}},
  };
}

void Run(benchmark::State& state, const Case& c) {
  device::Generator gen(0);
  const device::Context ctx(&gen, device::Device::Cpu(), device::Limits{});
  std::vector<Tensor> inputs;
  for (const auto& shape : c.inputs) {
    std::map<std::string, AttrValue> attrs{{"size", shape}};
    auto r = autograd::Dispatch(ctx, "rand", {}, attrs);
    if (!r.ok()) return Fail(state, r.status());
    inputs.push_back(r->outputs[0]);
  }
  Tensor out;
  const Tensor* out_ptr = nullptr;
  if (c.out) {
    auto first = autograd::Dispatch(ctx, c.op, inputs, c.attrs);
    if (!first.ok()) return Fail(state, first.status());
    out = first->outputs[0];
    out_ptr = &out;
  }
  for (auto _ : state) {
    auto r = autograd::Dispatch(ctx, c.op, inputs, c.attrs, out_ptr);
    if (!r.ok()) return Fail(state, r.status());
    benchmark::DoNotOptimize(r->outputs.data());
  }
}

// The blitz's autograd loop: x = ones(2, 2, requires_grad); y = x + 2;
// z = y * y * 3; out = z.mean(); out.backward().
void AutogradLoop(benchmark::State& state) {
  device::Generator gen(0);
  const device::Context ctx(&gen, device::Device::Cpu(), device::Limits{});
  auto ones = device::Full(ctx, std::vector<int64_t>{2, 2}, device::Scalar(1.0),
                           device::DType::kFloat32, device::Device::Cpu());
  if (!ones.ok()) return Fail(state, ones.status());
  auto call = [&](const char* op, std::vector<autograd::Variable> in,
                  std::map<std::string, AttrValue> attrs) -> absl::StatusOr<autograd::Variable> {
    auto r = autograd::Call(ctx, op, in, attrs, nullptr, /*grad_enabled=*/true);
    if (!r.ok()) return r.status();
    return r->outputs[0];
  };
  for (auto _ : state) {
    autograd::Variable x{*ones, nullptr};
    if (auto s = autograd::SetRequiresGrad(x, true); !s.ok()) return Fail(state, s);
    auto y = call("add", {x}, {{"other", int64_t{2}}});
    if (!y.ok()) return Fail(state, y.status());
    auto yy = call("mul", {*y, *y}, {});
    if (!yy.ok()) return Fail(state, yy.status());
    auto z = call("mul", {*yy}, {{"other", int64_t{3}}});
    if (!z.ok()) return Fail(state, z.status());
    auto out = call("mean", {*z}, {});
    if (!out.ok()) return Fail(state, out.status());
    if (auto s = autograd::Backward(ctx, *out, {}); !s.ok()) return Fail(state, s);
    benchmark::DoNotOptimize(x.meta->grad);
  }
}

// The blitz's LeNet on a batch of 64 28x28 images: conv 1->6 5x5, relu, max
// pool 2, conv 6->16 5x5, relu, max pool 2, flatten, linear 256->120->84->10
// (relu between), cross_entropy, backward. Parameter gradients are dropped
// after each step (PyTorch: p.grad = None), so none accumulates.
void LeNetStep(benchmark::State& state) {
  device::Generator gen(0);
  const device::Context ctx(&gen, device::Device::Cpu(), device::Limits{});
  auto rand = [&](std::vector<int64_t> shape, double scale) -> absl::StatusOr<Tensor> {
    auto r = autograd::Dispatch(ctx, "randn", {}, {{"size", shape}});
    if (!r.ok()) return r.status();
    return device::BinaryOpTensor(ctx, device::BinaryOp::kMul, r->outputs[0],
                                  device::Scalar(scale));
  };
  std::vector<autograd::Variable> params;
  for (const auto& [shape, scale] : std::vector<std::pair<std::vector<int64_t>, double>>{
           {{6, 1, 5, 5}, 0.2}, {{6}, 0.1}, {{16, 6, 5, 5}, 0.08}, {{16}, 0.1},
           {{120, 256}, 0.06}, {{120}, 0.1}, {{84, 120}, 0.09}, {{84}, 0.1},
           {{10, 84}, 0.1}, {{10}, 0.1}}) {
    auto t = rand(shape, scale);
    if (!t.ok()) return Fail(state, t.status());
    autograd::Variable v{*t, nullptr};
    if (auto s = autograd::SetRequiresGrad(v, true); !s.ok()) return Fail(state, s);
    params.push_back(v);
  }
  auto x = autograd::Dispatch(ctx, "rand", {}, {{"size", std::vector<int64_t>{64, 1, 28, 28}}});
  auto y = autograd::Dispatch(ctx, "randint", {},
                              {{"high", int64_t{10}}, {"size", std::vector<int64_t>{64}}});
  if (!x.ok()) return Fail(state, x.status());
  if (!y.ok()) return Fail(state, y.status());
  const autograd::Variable input{x->outputs[0], nullptr}, target{y->outputs[0], nullptr};
  auto call = [&](const char* op, std::vector<autograd::Variable> in,
                  std::map<std::string, AttrValue> attrs = {}) -> absl::StatusOr<autograd::Variable> {
    auto r = autograd::Call(ctx, op, in, attrs, nullptr, /*grad_enabled=*/true);
    if (!r.ok()) return r.status();
    return r->outputs[0];
  };
  auto step = [&]() -> absl::Status {
    absl::StatusOr<autograd::Variable> h = input;
    for (int layer = 0; layer < 2; ++layer) {
      h = call("conv2d", {*h, params[2 * layer], params[2 * layer + 1]});
      if (h.ok()) h = call("relu", {*h});
      if (h.ok()) h = call("max_pool2d", {*h}, {{"kernel_size", int64_t{2}}});
      if (!h.ok()) return h.status();
    }
    h = call("flatten", {*h}, {{"start_dim", int64_t{1}}});
    for (int layer = 2; layer < 5 && h.ok(); ++layer) {
      h = call("linear", {*h, params[2 * layer], params[2 * layer + 1]});
      if (h.ok() && layer < 4) h = call("relu", {*h});
    }
    if (h.ok()) h = call("cross_entropy", {*h, target});
    if (!h.ok()) return h.status();
    TD_RETURN_IF_ERROR(autograd::Backward(ctx, *h, {}));
    for (autograd::Variable& p : params) p.meta->grad.reset();
    return absl::OkStatus();
  };
  for (auto _ : state) {
    if (auto s = step(); !s.ok()) return Fail(state, s);
  }
}

const bool kRegistered = [] {
  benchmark::RegisterBenchmark("autograd_blitz_loop", AutogradLoop)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("lenet_fwd_bwd_b64", LeNetStep)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  for (const Case& c : Cases()) {
    benchmark::RegisterBenchmark(c.name.c_str(), [c](benchmark::State& s) { Run(s, c); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace tensord

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return tensord::g_failed ? 1 : 0;
}
