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

const bool kRegistered = [] {
  benchmark::RegisterBenchmark("autograd_blitz_loop", AutogradLoop)
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
