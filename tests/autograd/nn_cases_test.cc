// Cases for the neural-network ops: linear, conv2d, the poolings and the
// losses. Every case runs through the autograd engine on "wave" inputs
// (sin(0.37 i + phase) in float32) and checks the outputs, the grad_fn name
// and the input gradients of sum(out * wave(out.shape, 0.5)) against
// PyTorch 1.13: the expected values are in nn_expected.inc, written by
// tests/conformance/nn_ops_expected.py, which runs the same cases in
// PyTorch. Error cases check PyTorch's messages.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

#include "tests/autograd/nn_expected.inc"

using device::DType;
using device::Tensor;
using ::testing::HasSubstr;

using Doubles = std::vector<double>;
using Transform = std::function<double(double)>;

Doubles WaveValues(const std::vector<int64_t>& shape, double phase) {
  Doubles v(static_cast<size_t>(device::Numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37 * static_cast<double>(i) + phase);
  return v;
}

// One tensor input of a case: a wave (phase 0.3 * position, as the script
// makes it) with an optional transform, or fixed values (targets).
struct In {
  std::vector<int64_t> shape;
  Transform prep = nullptr;
  bool frozen = false;        // takes no gradient
  std::vector<double> fixed;  // fixed values instead of a wave
  DType fixed_dtype = DType::kInt64;
  double phase = -1;  // the wave's phase when not 0.3 * position
};

struct Expected {
  std::vector<const Doubles*> outputs;
  const char* grad_fn;
  std::vector<const Doubles*> grads;  // per input; nullptr: not checked
};

class NnCases : public OpTest {
 protected:
  void ExpectNear(const Doubles& got, const Doubles& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 2e-5 + 2e-5 * std::fabs(want[i])) << what << " element " << i;
    }
  }

  void Check(const std::string& op, const std::vector<In>& ins,
             const std::map<std::string, AttrValue>& attrs, const Expected& e) {
    std::vector<Variable> vars;
    for (size_t i = 0; i < ins.size(); ++i) {
      if (!ins[i].fixed.empty()) {
        vars.push_back(Variable{Make(ins[i].fixed, ins[i].shape, ins[i].fixed_dtype), nullptr});
        continue;
      }
      const double phase = ins[i].phase >= 0 ? ins[i].phase : 0.3 * static_cast<double>(i);
      Doubles v = WaveValues(ins[i].shape, phase);
      // The script transforms the float32 wave, so round first.
      Tensor t = Make(v, ins[i].shape);
      if (ins[i].prep) {
        v = OpTest::Values(t);
        for (double& x : v) x = ins[i].prep(x);
        t = Make(v, ins[i].shape);
      }
      Variable var{t, nullptr};
      if (!ins[i].frozen && !e.grads.empty()) {
        ASSERT_TRUE(SetRequiresGrad(var, true).ok());
      }
      vars.push_back(var);
    }
    absl::StatusOr<CallResult> r = Call(ctx_, op, vars, attrs, nullptr, true);
    ASSERT_TRUE(r.ok()) << r.status();
    last_inputs_ = vars;
    ASSERT_EQ(r->outputs.size(), e.outputs.size());
    for (size_t j = 0; j < e.outputs.size(); ++j) {
      ExpectNear(OpTest::Values(r->outputs[j].tensor), *e.outputs[j], op + " output");
    }
    if (e.grads.empty()) return;
    const Variable& out = r->outputs[0];
    EXPECT_EQ(out.grad_fn_name(), e.grad_fn);
    const Tensor w = Make(WaveValues(out.tensor.shape(), 0.5), out.tensor.shape());
    absl::Status b = Backward(ctx_, out, {.gradient = w});
    ASSERT_TRUE(b.ok()) << b;
    for (size_t i = 0; i < e.grads.size(); ++i) {
      if (e.grads[i] == nullptr) continue;
      ASSERT_TRUE(vars[i].meta != nullptr && vars[i].meta->grad.has_value()) << "input " << i;
      ExpectNear(OpTest::Values(*vars[i].meta->grad), *e.grads[i],
                 op + " grad of input " + std::to_string(i));
    }
  }

  absl::Status Error(const std::string& op, std::vector<Tensor> inputs,
                     std::map<std::string, AttrValue> attrs = {}) {
    absl::StatusOr<DispatchResult> r = Run(op, std::move(inputs), std::move(attrs));
    return r.status();
  }

  std::vector<Variable> last_inputs_;  // of the last Check

  Tensor Ones(std::vector<int64_t> shape, DType dtype = DType::kFloat32) {
    return Make(Doubles(static_cast<size_t>(device::Numel(shape)), 1.0), shape, dtype);
  }
};

// The cases register with the op-case registry through OP_CASE's coverage
// flag; their bodies run on NnCases.
#define NN_CASE(op, name)                                                                    \
  [[maybe_unused]] static const bool kCovered##name =                                        \
      ::tensord::autograd::testing::Cover(::tensord::autograd::testing::CoveredOps(), {op}); \
  TEST_F(NnCases, name)
#define NN_ERROR_CASE(name, ...)                                                                \
  [[maybe_unused]] static const bool kErrorCovered##name = ::tensord::autograd::testing::Cover( \
      ::tensord::autograd::testing::ErrorCoveredOps(), {__VA_ARGS__});                          \
  TEST_F(NnCases, name)

using Dims = std::vector<int64_t>;

// ---- linear ----

NN_CASE("linear", LinearMatchesTorch) {
  Check("linear", {{{3, 4}}, {{5, 4}}, {{5}}}, {},
        {{&kLinear2dOut}, kLinear2dGradFn, {&kLinear2dGrad0, &kLinear2dGrad1, &kLinear2dGrad2}});
  Check("linear", {{{4}}, {{5, 4}}}, {},
        {{&kLinear1dOut}, kLinear1dGradFn, {&kLinear1dGrad0, &kLinear1dGrad1}});
  Check("linear", {{{2, 3, 4}}, {{5, 4}}, {{5}}}, {},
        {{&kLinear3dOut}, kLinear3dGradFn, {&kLinear3dGrad0, &kLinear3dGrad1, &kLinear3dGrad2}});
}

NN_ERROR_CASE(LinearRejectsBadShapes, "linear") {
  // F.linear(torch.ones(2,3), torch.ones(4,5))
  EXPECT_THAT(Error("linear", {Ones({2, 3}), Ones({4, 5})}).message(),
              HasSubstr("mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"));
  // F.linear(torch.ones(2,3), torch.ones(4,3), torch.ones(3))
  absl::Status s = Error("linear", {Ones({2, 3}), Ones({4, 3}), Ones({3})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("The expanded size of the tensor (4) must match the existing "
                                     "size (3) at non-singleton dimension 1.  Target sizes: [2, "
                                     "4].  Tensor sizes: [3]"));
  // F.linear(torch.ones(2,3), torch.ones(4,3).double())
  EXPECT_THAT(Error("linear", {Ones({2, 3}), Ones({4, 3}, DType::kFloat64)}).message(),
              HasSubstr("expected scalar type Float but found Double"));
  EXPECT_THAT(Error("linear", {Ones({2, 3}), Ones({3})}).message(),
              HasSubstr("weight must be a 2-D matrix"));
}

// ---- conv2d ----

NN_CASE("conv2d", Conv2dMatchesTorch) {
  Check(
      "conv2d", {{{2, 3, 5, 5}}, {{4, 3, 3, 3}}, {{4}}}, {},
      {{&kConvBasicOut}, kConvBasicGradFn, {&kConvBasicGrad0, &kConvBasicGrad1, &kConvBasicGrad2}});
  Check("conv2d", {{{2, 3, 6, 5}}, {{2, 3, 3, 2}}},
        {{"stride", Dims{2, 1}}, {"padding", Dims{1, 2}}},
        {{&kConvStridedOut}, kConvStridedGradFn, {&kConvStridedGrad0, &kConvStridedGrad1}});
  Check("conv2d", {{{1, 4, 6, 6}}, {{6, 2, 2, 3}}, {{6}}},
        {{"padding", int64_t{1}}, {"dilation", int64_t{2}}, {"groups", int64_t{2}}},
        {{&kConvGroupsOut},
         kConvGroupsGradFn,
         {&kConvGroupsGrad0, &kConvGroupsGrad1, &kConvGroupsGrad2}});
  Check("conv2d", {{{2, 4, 4}}, {{3, 2, 3, 3}}}, {{"padding", int64_t{1}}},
        {{&kConvUnbatchedOut}, kConvUnbatchedGradFn, {&kConvUnbatchedGrad0, &kConvUnbatchedGrad1}});
}

NN_CASE("conv2d", Conv2dWritesOutAndTakesIntegers) {
  // F.conv2d(torch.arange(16).view(1,1,4,4), torch.ones(1,1,2,2, dtype=torch.long))
  Tensor x =
      Make({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {1, 1, 4, 4}, DType::kInt64);
  Tensor y = Run1("conv2d", {x, Ones({1, 1, 2, 2}, DType::kInt64)});
  EXPECT_EQ(y.dtype(), DType::kInt64);
  EXPECT_EQ(OpTest::Values(y), (Doubles{10, 14, 18, 26, 30, 34, 42, 46, 50}));
  Tensor out = Make(Doubles(9, 0.0), {1, 1, 3, 3});
  auto r =
      Run("conv2d", {Run1("to", {x}, {{"dtype", DType::kFloat32}}), Ones({1, 1, 2, 2})}, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(device::SameView(r->outputs[0], out));
  EXPECT_EQ(OpTest::Values(out), (Doubles{10, 14, 18, 26, 30, 34, 42, 46, 50}));
}

NN_ERROR_CASE(Conv2dRejectsBadShapes, "conv2d") {
  // F.conv2d(torch.ones(64,3,28,28), torch.ones(6,1,5,5)) and friends.
  absl::Status s = Error("conv2d", {Ones({64, 3, 28, 28}), Ones({6, 1, 5, 5})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Given groups=1, weight of size [6, 1, 5, 5], expected "
                                     "input[64, 3, 28, 28] to have 1 channels, but got 3 "
                                     "channels instead"));
  EXPECT_THAT(Error("conv2d", {Ones({3, 28}), Ones({6, 1, 5, 5})}).message(),
              HasSubstr("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input "
                        "of size: [3, 28]"));
  EXPECT_THAT(Error("conv2d", {Ones({1, 1, 3, 3}), Ones({6, 1, 5, 5})}).message(),
              HasSubstr("Calculated padded input size per channel: (3 x 3). Kernel size: (5 x "
                        "5). Kernel size can't be greater than actual input size"));
  const Tensor x = Ones({1, 1, 8, 8}), w = Ones({6, 1, 5, 5});
  EXPECT_THAT(Error("conv2d", {x, w}, {{"padding", int64_t{-1}}}).message(),
              HasSubstr("negative padding is not supported"));
  EXPECT_THAT(Error("conv2d", {x, w}, {{"stride", int64_t{0}}}).message(),
              HasSubstr("non-positive stride is not supported"));
  EXPECT_THAT(Error("conv2d", {x, w}, {{"dilation", int64_t{0}}}).message(),
              HasSubstr("non-positive dilation is not supported"));
  EXPECT_THAT(
      Error("conv2d", {Ones({1, 4, 8, 8}), Ones({6, 2, 3, 3})}, {{"groups", int64_t{4}}}).message(),
      HasSubstr("Given groups=4, expected weight to be divisible by 4 at dimension 0, "
                "but got weight of size [[6, 2, 3, 3]] instead"));
  EXPECT_THAT(
      Error("conv2d", {Ones({1, 4, 8, 8}), Ones({6, 2, 3, 3})}, {{"groups", int64_t{0}}}).message(),
      HasSubstr("non-positive groups is not supported"));
  EXPECT_THAT(Error("conv2d", {Ones({1, 4, 8, 8}), Ones({6, 4, 3, 3}), Ones({5})}).message(),
              HasSubstr("Given weight of size [6, 4, 3, 3], expected bias to be 1-dimensional "
                        "with 6 elements, but got bias of size [5] instead"));
  EXPECT_THAT(Error("conv2d", {Ones({1, 4, 8, 8}), Ones({6, 4, 3, 3}, DType::kFloat64)}).message(),
              HasSubstr("expected scalar type Float but found Double"));
  EXPECT_THAT(Error("conv2d", {Ones({1, 4, 8, 8}), Ones({6, 4, 3, 3})}, {{"stride", Dims{1, 2, 3}}})
                  .message(),
              HasSubstr("expected stride to be a single integer value or a list of 2 values to "
                        "match the convolution dimensions, but got stride=[1, 2, 3]"));
}

// ---- pooling ----

NN_CASE("max_pool2d", MaxPool2dMatchesTorch) {
  Check("max_pool2d", {{{2, 2, 4, 6}}}, {{"kernel_size", int64_t{2}}, {"return_indices", true}},
        {{&kMaxpoolOut0, &kMaxpoolOut1}, kMaxpoolGradFn, {&kMaxpoolGrad0}});
  Check("max_pool2d", {{{1, 2, 5, 6}}},
        {{"kernel_size", int64_t{3}},
         {"stride", int64_t{2}},
         {"padding", int64_t{1}},
         {"ceil_mode", true},
         {"return_indices", true}},
        {{&kMaxpoolPadOut0, &kMaxpoolPadOut1}, kMaxpoolPadGradFn, {&kMaxpoolPadGrad0}});
  Check("max_pool2d", {{{2, 5, 5}}},
        {{"kernel_size", Dims{2, 3}},
         {"stride", int64_t{1}},
         {"dilation", Dims{2, 1}},
         {"return_indices", true}},
        {{&kMaxpoolDilOut0, &kMaxpoolDilOut1}, kMaxpoolDilGradFn, {&kMaxpoolDilGrad0}});
  // Without return_indices: one output, and backward finds the maxima again.
  Check("max_pool2d", {{{2, 2, 4, 6}}}, {{"kernel_size", int64_t{2}}},
        {{&kMaxpoolOut0}, kMaxpoolGradFn, {&kMaxpoolGrad0}});
}

NN_ERROR_CASE(MaxPool2dRejectsBadWindows, "max_pool2d") {
  const Tensor x = Ones({1, 1, 4, 4});
  // F.max_pool2d(torch.ones(1,1,4,4), 5) etc.
  EXPECT_THAT(Error("max_pool2d", {x}, {{"kernel_size", int64_t{5}}}).message(),
              HasSubstr("Given input size: (1x4x4). Calculated output size: (1x0x0). Output "
                        "size is too small"));
  EXPECT_THAT(
      Error("max_pool2d", {x}, {{"kernel_size", int64_t{2}}, {"padding", int64_t{2}}}).message(),
      HasSubstr("pad should be at most half of kernel size, but got pad=2 and kernel_size=2"));
  EXPECT_THAT(
      Error("max_pool2d", {x}, {{"kernel_size", int64_t{2}}, {"stride", int64_t{0}}}).message(),
      HasSubstr("stride should not be zero"));
  EXPECT_THAT(
      Error("max_pool2d", {x}, {{"kernel_size", int64_t{2}}, {"padding", int64_t{-1}}}).message(),
      HasSubstr("pad must be non-negative, but got pad: -1"));
  EXPECT_THAT(Error("max_pool2d", {Ones({4, 4})}, {{"kernel_size", int64_t{2}}}).message(),
              HasSubstr("non-empty 3D or 4D (batch mode) tensor expected for input"));
  EXPECT_THAT(
      Error("max_pool2d", {Ones({1, 1, 4, 4}, DType::kInt64)}, {{"kernel_size", int64_t{2}}})
          .message(),
      HasSubstr("\"max_pool2d\" not implemented for 'Long'"));
  EXPECT_EQ(Error("max_pool2d", {x}, {{"kernel_size", int64_t{0}}}).code(),
            absl::StatusCode::kInvalidArgument);
}

NN_CASE("avg_pool2d", AvgPool2dMatchesTorch) {
  Check("avg_pool2d", {{{2, 2, 4, 6}}}, {{"kernel_size", int64_t{2}}},
        {{&kAvgpoolOut}, kAvgpoolGradFn, {&kAvgpoolGrad0}});
  const std::map<std::string, AttrValue> padded = {{"kernel_size", int64_t{3}},
                                                   {"stride", int64_t{2}},
                                                   {"padding", int64_t{1}},
                                                   {"ceil_mode", true}};
  std::map<std::string, AttrValue> excluded = padded;
  excluded["count_include_pad"] = false;
  Check("avg_pool2d", {{{1, 2, 5, 6}}}, excluded,
        {{&kAvgpoolPadOut}, kAvgpoolPadGradFn, {&kAvgpoolPadGrad0}});
  Check("avg_pool2d", {{{1, 2, 5, 6}}}, padded,
        {{&kAvgpoolPadInclOut}, kAvgpoolPadInclGradFn, {&kAvgpoolPadInclGrad0}});
  Check("avg_pool2d", {{{2, 4, 7}}},
        {{"kernel_size", Dims{2, 3}}, {"stride", Dims{1, 2}}, {"divisor_override", int64_t{4}}},
        {{&kAvgpoolDivOut}, kAvgpoolDivGradFn, {&kAvgpoolDivGrad0}});
}

NN_ERROR_CASE(AvgPool2dRejectsBadWindows, "avg_pool2d") {
  const Tensor x = Ones({1, 1, 4, 4});
  EXPECT_THAT(Error("avg_pool2d", {x}, {{"kernel_size", int64_t{5}}}).message(),
              HasSubstr("Output size is too small"));
  EXPECT_THAT(
      Error("avg_pool2d", {x}, {{"kernel_size", int64_t{2}}, {"padding", int64_t{2}}}).message(),
      HasSubstr("pad should be at most half of kernel size, but got pad=2 and kernel_size=2"));
  EXPECT_THAT(
      Error("avg_pool2d", {x}, {{"kernel_size", int64_t{2}}, {"divisor_override", int64_t{0}}})
          .message(),
      HasSubstr("divisor must be not zero"));
  EXPECT_THAT(Error("avg_pool2d", {Ones({4, 4})}, {{"kernel_size", int64_t{2}}}).message(),
              HasSubstr("3D or 4D"));
}

NN_CASE("adaptive_avg_pool2d", AdaptiveAvgPool2dMatchesTorch) {
  Check("adaptive_avg_pool2d", {{{1, 2, 5, 7}}}, {{"output_size", Dims{3, 4}}},
        {{&kAdaptiveOut}, kAdaptiveGradFn, {&kAdaptiveGrad0}});
  Check("adaptive_avg_pool2d", {{{2, 3, 3}}}, {{"output_size", int64_t{1}}},
        {{&kAdaptive1Out}, kAdaptive1GradFn, {&kAdaptive1Grad0}});
}

NN_ERROR_CASE(AdaptiveAvgPool2dRejectsBadShapes, "adaptive_avg_pool2d") {
  EXPECT_THAT(Error("adaptive_avg_pool2d", {Ones({4, 4})}, {{"output_size", int64_t{2}}}).message(),
              HasSubstr("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4, 4]"));
  EXPECT_THAT(Error("adaptive_avg_pool2d", {Ones({1, 1, 4, 4})}, {{"output_size", Dims{2, 2, 2}}})
                  .message(),
              HasSubstr("adaptive_avg_pool2d: output_size must be 2"));
  EXPECT_THAT(Error("adaptive_avg_pool2d", {Make({}, {1, 1, 0, 4})}, {{"output_size", int64_t{2}}})
                  .message(),
              HasSubstr("Expected input to have non-zero size for non-batch dimensions, but "
                        "input has sizes [1, 1, 0, 4] with dimension 2 being empty"));
}

// ---- losses ----

const std::vector<double> kTargets = {2, 0, 4, 1};
const std::vector<double> kClassWeights = {0.5, 1.0, 2.0, 1.5, 0.25};

NN_CASE("nll_loss", NllLossMatchesTorch) {
  const In target{{4}, nullptr, true, kTargets};
  Check("nll_loss", {{{4, 5}}, target}, {},
        {{&kNllMeanOut}, kNllMeanGradFn, {&kNllMeanGrad0, nullptr}});
  // The class weights are an input that takes no gradient: fixed float values.
  Tensor w = Make(kClassWeights, {5});
  {
    Variable x{Make(WaveValues({4, 5}, 0), {4, 5}), nullptr};
    ASSERT_TRUE(SetRequiresGrad(x, true).ok());
    Variable t{Make(kTargets, {4}, DType::kInt64), nullptr};
    auto r = Call(ctx_, "nll_loss", std::vector<Variable>{x, t, Variable{w, nullptr}},
                  {{"ignore_index", int64_t{1}}}, nullptr, true);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectNear(OpTest::Values(r->outputs[0].tensor), kNllWeightIgnoreOut, "weighted nll");
    ASSERT_TRUE(Backward(ctx_, r->outputs[0], {.gradient = Make(WaveValues({}, 0.5), {})}).ok());
    ExpectNear(OpTest::Values(*x.meta->grad), kNllWeightIgnoreGrad0, "weighted nll grad");
  }
  Check("nll_loss", {{{4, 5}}, target},
        {{"reduction", std::string("none")}, {"ignore_index", int64_t{0}}},
        {{&kNllNoneOut}, kNllNoneGradFn, {&kNllNoneGrad0, nullptr}});
  Check("nll_loss", {{{5}}, In{{}, nullptr, true, {3}}}, {{"reduction", std::string("sum")}},
        {{&kNllSum1dOut}, kNllSum1dGradFn, {&kNllSum1dGrad0, nullptr}});
  Check("nll_loss", {{{2, 3, 2, 2}}, In{{2, 2, 2}, nullptr, true, {1, 0, 2, 2, 0, 1, 1, 2}}}, {},
        {{&kNllNdOut}, kNllNdGradFn, {&kNllNdGrad0, nullptr}});
}

NN_CASE("cross_entropy", CrossEntropyMatchesTorch) {
  const In target{{4}, nullptr, true, kTargets};
  Check("cross_entropy", {{{4, 5}}, target}, {},
        {{&kCeMeanOut}, kCeMeanGradFn, {&kCeMeanGrad0, nullptr}});
  Check("cross_entropy", {{{4, 5}}, target}, {{"reduction", std::string("sum")}},
        {{&kCeSumOut}, kCeSumGradFn, {&kCeSumGrad0, nullptr}});
  Check("cross_entropy", {{{4, 5}}, target},
        {{"reduction", std::string("none")}, {"label_smoothing", 0.1}},
        {{&kCeNoneSmoothOut}, kCeNoneSmoothGradFn, {&kCeNoneSmoothGrad0, nullptr}});
  Variable x{Make(WaveValues({4, 5}, 0), {4, 5}), nullptr};
  ASSERT_TRUE(SetRequiresGrad(x, true).ok());
  Variable t{Make(kTargets, {4}, DType::kInt64), nullptr};
  Variable w{Make(kClassWeights, {5}), nullptr};
  auto r = Call(ctx_, "cross_entropy", std::vector<Variable>{x, t, w},
                {{"ignore_index", int64_t{4}}, {"label_smoothing", 0.2}}, nullptr, true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outputs[0].grad_fn_name(), kCeWeightSmoothGradFn);
  ExpectNear(OpTest::Values(r->outputs[0].tensor), kCeWeightSmoothOut, "weighted smoothed ce");
  ASSERT_TRUE(Backward(ctx_, r->outputs[0], {.gradient = Make(WaveValues({}, 0.5), {})}).ok());
  ExpectNear(OpTest::Values(*x.meta->grad), kCeWeightSmoothGrad0, "weighted smoothed ce grad");
}

NN_ERROR_CASE(ClassLossesRejectBadTargets, "cross_entropy", "nll_loss") {
  const Tensor x = Ones({4, 10});
  // F.cross_entropy(torch.randn(4,10), torch.tensor([1,10,2,3]))
  absl::Status s = Error("cross_entropy", {x, Make({1, 10, 2, 3}, {4}, DType::kInt64)});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Target 10 is out of bounds."));
  EXPECT_THAT(Error("cross_entropy", {x, Make({1, -1, 2, 3}, {4}, DType::kInt64)}).message(),
              HasSubstr("Target -1 is out of bounds."));
  EXPECT_THAT(Error("nll_loss", {x, Make({1, 11, 2, 3}, {4}, DType::kInt64)}).message(),
              HasSubstr("Target 11 is out of bounds."));
  EXPECT_THAT(Error("cross_entropy", {x, Make({1, 1, 2}, {3}, DType::kInt64)}).message(),
              HasSubstr("Expected input batch_size (4) to match target batch_size (3)."));
  EXPECT_THAT(Error("cross_entropy", {x, Make({1, 1, 2, 3}, {4})}).message(),
              HasSubstr("expected scalar type Long but found Float"));
  EXPECT_THAT(Error("nll_loss", {x, Make({1, 1, 2, 3}, {4}, DType::kInt64), Ones({9})}).message(),
              HasSubstr("weight tensor should be defined either for all 10 classes or no classes "
                        "but got weight tensor of shape: [9]"));
  EXPECT_THAT(Error("nll_loss", {x, Make({1, 1, 2, 3}, {4}, DType::kInt64)},
                    {{"reduction", std::string("foo")}})
                  .message(),
              HasSubstr("foo is not a valid value for reduction"));
  EXPECT_THAT(Error("cross_entropy", {x, Make({1, 1, 2, 3}, {4}, DType::kInt64)},
                    {{"label_smoothing", 1.5}})
                  .message(),
              HasSubstr("label_smoothing must be between 0.0 and 1.0. Got: 1.5"));
  // An ignored target may lie outside the classes.
  EXPECT_TRUE(Run("cross_entropy", {x, Make({1, -100, 2, 3}, {4}, DType::kInt64)}).ok());
}

NN_CASE("mse_loss", MseLossMatchesTorch) {
  Check("mse_loss", {{{3, 4}}, {{3, 4}}}, {},
        {{&kMseMeanOut}, kMseMeanGradFn, {&kMseMeanGrad0, &kMseMeanGrad1}});
  Check("mse_loss", {{{2, 3}}, {{2, 3}}}, {{"reduction", std::string("none")}},
        {{&kMseNoneOut}, kMseNoneGradFn, {&kMseNoneGrad0, &kMseNoneGrad1}});
}

NN_ERROR_CASE(MseLossRejectsBadShapes, "mse_loss") {
  EXPECT_THAT(Error("mse_loss", {Ones({4, 10}), Ones({4, 9})}).message(),
              HasSubstr("the size of tensor a (10) must match the size of tensor b (9) at "
                        "non-singleton dimension 1"));
  EXPECT_THAT(Error("mse_loss", {Ones({4, 10}), Ones({4, 10})}, {{"reduction", std::string("x")}})
                  .message(),
              HasSubstr("x is not a valid value for reduction"));
}

const Transform kTimes3 = [](double x) { return x * 3; };
const Transform kUnit = [](double y) { return (y + 1) / 2; };
const Transform kAbs = [](double w) { return std::fabs(w); };
const Transform kAbsHalf = [](double p) { return std::fabs(p) + 0.5; };

NN_CASE("binary_cross_entropy_with_logits", BceWithLogitsMatchesTorch) {
  const char* op = "binary_cross_entropy_with_logits";
  Check(op, {{{3, 4}, kTimes3}, {{3, 4}, kUnit}}, {},
        {{&kBceMeanOut}, kBceMeanGradFn, {&kBceMeanGrad0, &kBceMeanGrad1}});
  Check(op, {{{2, 3}, kTimes3}, {{2, 3}, kUnit}}, {{"reduction", std::string("none")}},
        {{&kBceNoneOut}, kBceNoneGradFn, {&kBceNoneGrad0, &kBceNoneGrad1}});
  Check(op, {{{3, 4}, kTimes3}, {{3, 4}, kUnit}, {{4}, kAbs, true}, {{4}, kAbsHalf, true}},
        {{"reduction", std::string("sum")}},
        {{&kBceWeightsOut}, kBceWeightsGradFn, {&kBceWeightsGrad0, &kBceWeightsGrad1}});
}

NN_ERROR_CASE(BceWithLogitsRejectsBadShapes, "binary_cross_entropy_with_logits") {
  EXPECT_THAT(Error("binary_cross_entropy_with_logits", {Ones({4, 10}), Ones({4, 9})}).message(),
              HasSubstr("Target size (torch.Size([4, 9])) must be the same as input size "
                        "(torch.Size([4, 10]))"));
}

// ---- normalization ----

NN_CASE("layer_norm", LayerNormMatchesTorch) {
  Check("layer_norm", {{{2, 3, 4}}, {{4}}, {{4}}}, {{"normalized_shape", Dims{4}}},
        {{&kLnOut}, kLnGradFn, {&kLnGrad0, &kLnGrad1, &kLnGrad2}});
  Check("layer_norm", {{{2, 3, 4}}}, {{"normalized_shape", Dims{3, 4}}, {"eps", 1e-3}},
        {{&kLnPlainOut}, kLnPlainGradFn, {&kLnPlainGrad0}});
}

NN_ERROR_CASE(LayerNormRejectsBadShapes, "layer_norm") {
  // F.layer_norm(torch.ones(2,3,8,7), (8,))
  EXPECT_THAT(Error("layer_norm", {Ones({2, 3, 8, 7})}, {{"normalized_shape", Dims{8}}}).message(),
              HasSubstr("Given normalized_shape=[8], expected input with shape [*, 8], but got "
                        "input of size[2, 3, 8, 7]"));
  EXPECT_THAT(
      Error("layer_norm", {Ones({2, 4}), Ones({3})}, {{"normalized_shape", Dims{4}}}).message(),
      HasSubstr("Expected weight to be of same shape as normalized_shape, but got weight of "
                "shape [3] and normalized_shape = [4]"));
}

NN_CASE("batch_norm", BatchNormMatchesTorch) {
  const In running_mean{{2}, nullptr, true, {0.1, -0.2}, DType::kFloat32};
  const In running_var{{2}, nullptr, true, {0.5, 2.0}, DType::kFloat32};
  const In weight{.shape = {2}, .phase = 0.3}, bias{.shape = {2}, .phase = 0.6};
  Check("batch_norm", {{{3, 2, 2, 2}}, running_mean, running_var, weight, bias},
        {{"training", true}, {"momentum", 0.3}},
        {{&kBnTrainOut},
         kBnTrainGradFn,
         {&kBnTrainGrad0, nullptr, nullptr, &kBnTrainGrad1, &kBnTrainGrad2}});
  // The running statistics were updated in place.
  ExpectNear(OpTest::Values(last_inputs_[1].tensor), kBnTrainRunningMean, "running_mean");
  ExpectNear(OpTest::Values(last_inputs_[2].tensor), kBnTrainRunningVar, "running_var");
  Check("batch_norm", {{{3, 2, 2, 2}}, running_mean, running_var, weight, bias}, {},
        {{&kBnEvalOut},
         kBnEvalGradFn,
         {&kBnEvalGrad0, nullptr, nullptr, &kBnEvalGrad1, &kBnEvalGrad2}});
  Check("batch_norm", {{{4, 3}}}, {{"training", true}, {"running_stats", false}},
        {{&kBnPlainOut}, kBnPlainGradFn, {&kBnPlainGrad0}});
}

NN_ERROR_CASE(BatchNormRejectsBadInputs, "batch_norm") {
  // F.batch_norm(torch.ones(1,3), None, None, training=True)
  EXPECT_THAT(
      Error("batch_norm", {Ones({1, 3})}, {{"training", true}, {"running_stats", false}}).message(),
      HasSubstr("Expected more than 1 value per channel when training, got input size "
                "[1, 3]"));
  // F.batch_norm(torch.ones(2,3), torch.zeros(4), torch.ones(4))
  EXPECT_THAT(Error("batch_norm", {Ones({2, 3}), Ones({4}), Ones({4})}).message(),
              HasSubstr("running_mean should contain 3 elements not 4"));
  EXPECT_EQ(Error("batch_norm", {Ones({2, 3})}).code(), absl::StatusCode::kInvalidArgument);
}

// ---- embedding and dropout ----

NN_CASE("embedding", EmbeddingMatchesTorch) {
  const In index{{2, 3}, nullptr, true, {1, 3, 0, 3, 3, 4}};
  Check("embedding", {index, {.shape = {5, 3}, .phase = 0}}, {{"padding_idx", int64_t{3}}},
        {{&kEmbOut}, kEmbGradFn, {nullptr, &kEmbGrad0}});
}

NN_ERROR_CASE(EmbeddingRejectsBadIndices, "embedding") {
  // F.embedding(torch.tensor([5]), torch.ones(5, 3))
  absl::Status s = Error("embedding", {Make({5}, {1}, DType::kInt64), Ones({5, 3})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("index out of range in self"));
  EXPECT_THAT(Error("embedding", {Make({1}, {1}), Ones({5, 3})}).message(),
              HasSubstr("Expected tensor for argument #1 'indices' to have one of the following "
                        "scalar types: Long, Int; but got torch.FloatTensor instead"));
  EXPECT_THAT(Error("embedding", {Make({1}, {1}, DType::kInt64), Ones({5, 3})},
                    {{"padding_idx", int64_t{5}}})
                  .message(),
              HasSubstr("Padding_idx must be within num_embeddings"));
}

NN_CASE("dropout", DropoutIsSeededAndScales) {
  Tensor x = Ones({1000});
  gen_.ManualSeed(7);
  auto a = Run("dropout", {x}, {{"p", 0.25}});
  gen_.ManualSeed(7);
  auto b = Run("dropout", {x}, {{"p", 0.25}});
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  ASSERT_EQ(a->outputs.size(), 2u);
  EXPECT_EQ(OpTest::Values(a->outputs[0]), OpTest::Values(b->outputs[0]));
  int kept = 0;
  const Doubles out = OpTest::Values(a->outputs[0]), mask = OpTest::Values(a->outputs[1]);
  for (size_t i = 0; i < out.size(); ++i) {
    // Kept elements are scaled by 1 / (1 - p); the mask says which.
    EXPECT_NEAR(out[i], mask[i] != 0 ? 1 / 0.75 : 0, 1e-6);
    kept += mask[i] != 0;
  }
  EXPECT_GT(kept, 700);
  EXPECT_LT(kept, 800);
  // Backward: grad * mask / (1 - p).
  Variable v{x, nullptr};
  ASSERT_TRUE(SetRequiresGrad(v, true).ok());
  auto r = Call(ctx_, "dropout", std::vector<Variable>{v}, {{"p", 0.25}}, nullptr, true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outputs[0].grad_fn_name(), "MulBackward0");
  ASSERT_TRUE(Backward(ctx_, r->outputs[0], {.gradient = Ones({1000})}).ok());
  EXPECT_EQ(OpTest::Values(*v.meta->grad), OpTest::Values(r->outputs[0].tensor));
  // Eval passes the input through.
  auto e = Run("dropout", {x}, {{"training", false}});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->outputs.size(), 1u);
  EXPECT_TRUE(device::SameView(e->outputs[0], x));
}

NN_ERROR_CASE(DropoutRejectsBadP, "dropout") {
  // F.dropout(torch.ones(3), 1.5)
  EXPECT_THAT(Error("dropout", {Ones({3})}, {{"p", 1.5}}).message(),
              HasSubstr("dropout probability has to be between 0 and 1, but got 1.5"));
}

}  // namespace
}  // namespace tensord::autograd::testing
