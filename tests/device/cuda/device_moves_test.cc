// Moving tensors between the CPU and cuda:0, in-process: every dtype both
// ways bit for bit (NaN, infinities, -0.0 and large integers included),
// strided and empty tensors, to(device, dtype) in one call, the *_like and
// new_* factories with and without device=, factories with device=, copy_
// across devices, mixing devices as an error, gradients through to(), and
// the blitz's "CUDA Tensors" step. Skipped where there is no GPU (ctest
// label `gpu`); tests/gpu/cuda_daemon_test.cc checks the printed form
// through a real tensord.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "autograd/dispatch.h"
#include "autograd/engine.h"
#include "device/functional.h"
#include "device/generator.h"
#include "device/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/device/cuda/cuda_test_util.h"

namespace tensord::device::testing {
namespace {

using autograd::AttrValue;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class DeviceMoves : public ::testing::Test {
 protected:
  DeviceMoves() : ctx_(&gen_, Device::Cpu(), Limits{}) {}
  void SetUp() override { TENSORD_SKIP_WITHOUT_CUDA(); }

  Tensor Make(const std::vector<double>& values, std::vector<int64_t> shape,
              DType dtype = DType::kFloat32) {
    absl::StatusOr<Tensor> t = FromHost(ctx_, values.data(), values.size() * sizeof(double), shape,
                                        DType::kFloat64, Device::Cpu());
    EXPECT_TRUE(t.ok()) << t.status();
    absl::StatusOr<Tensor> c = To(ctx_, *t, dtype);
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }

  // Raw bytes, row-major, after moving to the CPU in the tensor's dtype.
  std::string Bytes(const Tensor& t) {
    absl::StatusOr<Tensor> host = To(ctx_, t, t.dtype(), Device::Cpu());
    EXPECT_TRUE(host.ok()) << host.status();
    absl::StatusOr<std::string> b = ToHost(ctx_, *host);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : std::string();
  }

  std::vector<double> Values(const Tensor& t) {
    absl::StatusOr<Tensor> host = To(ctx_, t, t.dtype(), Device::Cpu());
    EXPECT_TRUE(host.ok()) << host.status();
    absl::StatusOr<Tensor> d = To(ctx_, *host, DType::kFloat64);
    EXPECT_TRUE(d.ok()) << d.status();
    absl::StatusOr<std::string> b = ToHost(ctx_, *d);
    EXPECT_TRUE(b.ok()) << b.status();
    std::vector<double> out(d->numel());
    std::memcpy(out.data(), b->data(), b->size());
    return out;
  }

  Tensor ToCuda(const Tensor& t) {
    absl::StatusOr<Tensor> c = To(ctx_, t, t.dtype(), Cuda0());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Tensor();
  }

  absl::StatusOr<autograd::DispatchResult> Run(const std::string& op, std::vector<Tensor> inputs,
                                               std::map<std::string, AttrValue> attrs = {}) {
    return autograd::Dispatch(ctx_, op, inputs, attrs);
  }
  Tensor Run1(const std::string& op, std::vector<Tensor> inputs,
              std::map<std::string, AttrValue> attrs = {}) {
    absl::StatusOr<autograd::DispatchResult> r = Run(op, std::move(inputs), std::move(attrs));
    EXPECT_TRUE(r.ok()) << op << ": " << r.status();
    return r.ok() && !r->outputs.empty() ? r->outputs[0] : Tensor();
  }

  Generator gen_;
  Context ctx_;  // default device: cpu
};

// Values every dtype holds exactly, with the special ones of each kind.
std::vector<double> SpecialValues(DType t) {
  switch (t) {
    case DType::kBool:
      return {0, 1, 1, 0, 1, 0};
    case DType::kInt32:
      return {0, -1, 2147483647, -2147483648.0, 12345, -7};
    case DType::kInt64:
      return {0, -1, 9007199254740992.0, -9007199254740992.0, 1099511627776.0, 3};
    case DType::kFloat16:
      return {kNaN, kInf, -kInf, -0.0, 65504, 5.9604644775390625e-08};
    case DType::kBFloat16:
      return {kNaN, kInf, -kInf, -0.0, 3.3895313892515355e+38, 9.183549615799121e-41};
    default:
      return {kNaN, kInf, -kInf, -0.0, 1e30, 1.401298464324817e-45};
  }
}

TEST_F(DeviceMoves, EveryDTypeRoundTripsBitForBit) {
  for (DType t : kAllDTypes) {
    SCOPED_TRACE(DTypeName(t));
    const Tensor x = Make(SpecialValues(t), {2, 3}, t);
    const Tensor g = ToCuda(x);
    EXPECT_EQ(g.device(), Cuda0());
    EXPECT_EQ(g.dtype(), t);
    EXPECT_EQ(g.shape(), x.shape());
    absl::StatusOr<Tensor> back = To(ctx_, g, t, Device::Cpu());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->device(), Device::Cpu());
    EXPECT_EQ(Bytes(*back), Bytes(x));
  }
}

TEST_F(DeviceMoves, StridedEmptyAndZeroDimTensorsMove) {
  const Tensor m = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  absl::StatusOr<Tensor> mt = m.Transpose(0, 1);
  ASSERT_TRUE(mt.ok());
  EXPECT_THAT(Values(ToCuda(*mt)), ElementsAre(1, 4, 2, 5, 3, 6));
  absl::StatusOr<Tensor> col = m.Slice(1, 1, 3, 1);
  ASSERT_TRUE(col.ok());
  EXPECT_THAT(Values(ToCuda(*col)), ElementsAre(2, 3, 5, 6));
  const Tensor empty = Make({}, {0, 3});
  const Tensor ge = ToCuda(empty);
  EXPECT_EQ(ge.shape(), (Shape{0, 3}));
  EXPECT_THAT(Values(ge), ::testing::IsEmpty());
  const Tensor scalar = Make({2.5}, {});
  const Tensor gs = ToCuda(scalar);
  EXPECT_EQ(gs.dim(), 0);
  EXPECT_THAT(Values(gs), ElementsAre(2.5));
}

TEST_F(DeviceMoves, LargeTensorsMoveBothWays) {
  // 64 MiB: past any staging buffer's size, so it moves in pieces.
  const int64_t n = int64_t{16} << 20;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 100003) * 0.5f;
  const Shape shape = {n};
  absl::StatusOr<Tensor> x =
      FromHost(ctx_, v.data(), v.size() * sizeof(float), shape, DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(Bytes(ToCuda(*x)), Bytes(*x));
}

TEST_F(DeviceMoves, ToDeviceAndDTypeInOneCall) {
  const Tensor x = Make({1.5, -2.25, 3}, {3});
  const Tensor g = Run1("to", {x}, {{"device", std::string("cuda:0")}, {"dtype", DType::kFloat16}});
  EXPECT_EQ(g.device(), Cuda0());
  EXPECT_EQ(g.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(g), ElementsAre(1.5, -2.25, 3));
  const Tensor back = Run1("to", {g}, {{"device", std::string("cpu")}, {"dtype", DType::kFloat64}});
  EXPECT_EQ(back.device(), Device::Cpu());
  EXPECT_EQ(back.dtype(), DType::kFloat64);
  EXPECT_THAT(Values(back), ElementsAre(1.5, -2.25, 3));
  // "cuda" is cuda:0; nothing to change returns self, copy=True a new tensor.
  const Tensor same = Run1("to", {g}, {{"device", std::string("cuda")}});
  EXPECT_TRUE(same.SharesStorageWith(g));
  const Tensor copied = Run1("to", {g}, {{"device", std::string("cuda:0")}, {"copy", true}});
  EXPECT_FALSE(copied.SharesStorageWith(g));
  EXPECT_EQ(copied.device(), Cuda0());
}

TEST_F(DeviceMoves, UnknownDeviceIsAnError) {
  const Tensor x = Make({1}, {1});
  absl::StatusOr<autograd::DispatchResult> r = Run("to", {x}, {{"device", std::string("cuda:77")}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cuda:77"));
}

TEST_F(DeviceMoves, LikeFactoriesTakeADevice) {
  const Tensor x = Make({1, 2, 3, 4, 5, 6}, {2, 3}, DType::kFloat64);
  const std::map<std::string, AttrValue> on_gpu = {{"device", std::string("cuda:0")}};
  for (const char* op : {"zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"}) {
    SCOPED_TRACE(op);
    const Tensor t = Run1(op, {x}, on_gpu);
    EXPECT_EQ(t.device(), Cuda0());
    EXPECT_EQ(t.dtype(), DType::kFloat64);
    EXPECT_EQ(t.shape(), x.shape());
  }
  EXPECT_THAT(Values(Run1("zeros_like", {x}, on_gpu)), ::testing::Each(0.0));
  EXPECT_THAT(Values(Run1("ones_like", {x}, on_gpu)), ::testing::Each(1.0));
  const Tensor full =
      Run1("full_like", {x}, {{"device", std::string("cuda:0")}, {"fill_value", 2.5}});
  EXPECT_EQ(full.device(), Cuda0());
  EXPECT_THAT(Values(full), ::testing::Each(2.5));
  for (double v : Values(Run1("rand_like", {x}, on_gpu))) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 1);
  }
  // Without device= they follow self; device= moves them back.
  const Tensor g = ToCuda(x);
  EXPECT_EQ(Run1("zeros_like", {g}).device(), Cuda0());
  EXPECT_EQ(Run1("ones_like", {g}, {{"device", std::string("cpu")}}).device(), Device::Cpu());
  EXPECT_EQ(Run1("ones_like", {g}, {{"dtype", DType::kInt32}}).dtype(), DType::kInt32);
  const Tensor n = Run1("new_ones", {g}, {{"size", std::vector<int64_t>{4}}});
  EXPECT_EQ(n.device(), Cuda0());
  EXPECT_EQ(n.dtype(), DType::kFloat64);
  EXPECT_THAT(Values(n), ElementsAre(1, 1, 1, 1));
  const Tensor f = Run1("new_full", {g}, {{"size", std::vector<int64_t>{2}}, {"fill_value", 7.0}});
  EXPECT_EQ(f.device(), Cuda0());
  EXPECT_THAT(Values(f), ElementsAre(7, 7));
}

TEST_F(DeviceMoves, FactoriesTakeADevice) {
  const std::string cuda = "cuda:0";
  const Tensor z =
      Run1("zeros", {},
           {{"size", std::vector<int64_t>{5, 3}}, {"device", cuda}, {"dtype", DType::kInt64}});
  EXPECT_EQ(z.device(), Cuda0());
  EXPECT_EQ(z.dtype(), DType::kInt64);
  EXPECT_THAT(Values(z), ::testing::Each(0.0));
  const Tensor a = Run1("arange", {}, {{"end", int64_t{5}}, {"device", cuda}});
  EXPECT_EQ(a.device(), Cuda0());
  EXPECT_THAT(Values(a), ElementsAre(0, 1, 2, 3, 4));
  const Tensor e = Run1("eye", {}, {{"n", int64_t{2}}, {"device", cuda}});
  EXPECT_EQ(e.device(), Cuda0());
  EXPECT_THAT(Values(e), ElementsAre(1, 0, 0, 1));
  const Tensor r = Run1("rand", {}, {{"size", std::vector<int64_t>{3}}, {"device", cuda}});
  EXPECT_EQ(r.device(), Cuda0());
}

TEST_F(DeviceMoves, CopyAcrossDevicesBroadcastsAndConverts) {
  const Tensor dst = ToCuda(Make({0, 0, 0, 0, 0, 0}, {2, 3}));
  const Tensor src = Make({1, 2, 3}, {3}, DType::kInt64);  // cpu, broadcast, cast
  ASSERT_TRUE(Run("copy_", {dst, src}).ok());
  EXPECT_THAT(Values(dst), ElementsAre(1, 2, 3, 1, 2, 3));
  const Tensor host = Make({0, 0, 0, 0}, {2, 2}, DType::kFloat64);
  ASSERT_TRUE(Run("copy_", {host, ToCuda(Make({1.5, 2.5}, {2}))}).ok());
  EXPECT_THAT(Values(host), ElementsAre(1.5, 2.5, 1.5, 2.5));
}

TEST_F(DeviceMoves, MixingDevicesIsAnError) {
  const Tensor x = Make({1, 2}, {2});
  const Tensor g = ToCuda(x);
  absl::StatusOr<autograd::DispatchResult> r = Run("add", {x, g});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("same device"));
  EXPECT_THAT(r.status().message(), HasSubstr("cuda:0"));
  EXPECT_THAT(r.status().message(), HasSubstr("cpu"));
  EXPECT_FALSE(Run("matmul", {Make({1, 2, 3, 4}, {2, 2}), ToCuda(Make({1, 2}, {2}))}).ok());
}

TEST_F(DeviceMoves, GradientsFlowBackThroughTo) {
  using autograd::Variable;
  // x on the CPU, used on cuda:0: x.grad arrives on the CPU.
  Variable x{Make({1, -2, 3}, {3}), nullptr};
  ASSERT_TRUE(autograd::SetRequiresGrad(x, true).ok());
  auto call = [&](const std::string& op, std::vector<Variable> in,
                  std::map<std::string, AttrValue> attrs = {}) {
    absl::StatusOr<autograd::CallResult> r = autograd::Call(ctx_, op, in, attrs, nullptr, true);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status();
    return r.ok() ? r->outputs[0] : Variable{};
  };
  Variable y = call("to", {x}, {{"device", std::string("cuda:0")}});
  EXPECT_EQ(y.tensor.device(), Cuda0());
  EXPECT_EQ(y.grad_fn_name(), "ToCopyBackward0");
  Variable loss = call("sum", {call("mul", {y, y})});
  ASSERT_TRUE(autograd::Backward(ctx_, loss, {}).ok());
  ASSERT_TRUE(x.meta->grad.has_value());
  EXPECT_EQ(x.meta->grad->device(), Device::Cpu());
  EXPECT_THAT(Values(*x.meta->grad), ElementsAre(2, -4, 6));

  // A leaf on cuda:0 moved to the CPU as float64: its grad is float32 on cuda:0.
  Variable g{ToCuda(Make({0.5, 4}, {2})), nullptr};
  ASSERT_TRUE(autograd::SetRequiresGrad(g, true).ok());
  Variable h = call("to", {g}, {{"device", std::string("cpu")}, {"dtype", DType::kFloat64}});
  EXPECT_EQ(h.tensor.device(), Device::Cpu());
  ASSERT_TRUE(autograd::Backward(ctx_, call("sum", {call("mul", {h, h})}), {}).ok());
  ASSERT_TRUE(g.meta->grad.has_value());
  EXPECT_EQ(g.meta->grad->device(), Cuda0());
  EXPECT_EQ(g.meta->grad->dtype(), DType::kFloat32);
  EXPECT_THAT(Values(*g.meta->grad), ElementsAre(1, 8));
}

// The blitz's "CUDA Tensors" step with x = torch.tensor([0.9551]):
//   y = torch.ones_like(x, device=device); x = x.to(device); z = x + y
//   print(z)                            # tensor([1.9551], device='cuda:0')
//   print(z.to("cpu", torch.double))    # tensor([1.9551], dtype=torch.float64)
TEST_F(DeviceMoves, BlitzCudaTensorsStep) {
  Tensor x = Make({0.9551}, {1});
  const Tensor y = Run1("ones_like", {x}, {{"device", std::string("cuda")}});
  x = Run1("to", {x}, {{"device", std::string("cuda")}});
  const Tensor z = Run1("add", {x, y});
  EXPECT_EQ(z.device(), Cuda0());
  EXPECT_EQ(z.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(z), ElementsAre(static_cast<double>(0.9551f + 1.0f)));
  const Tensor d = Run1("to", {z}, {{"device", std::string("cpu")}, {"dtype", DType::kFloat64}});
  EXPECT_EQ(d.device(), Device::Cpu());
  EXPECT_EQ(d.dtype(), DType::kFloat64);
  EXPECT_THAT(Values(d), ElementsAre(static_cast<double>(0.9551f + 1.0f)));
}

TEST_F(DeviceMoves, DevicesAreListed) {
  const std::vector<Device> devices = ListDevices();
  EXPECT_THAT(devices, ::testing::Contains(Device::Cpu()));
  EXPECT_THAT(devices, ::testing::Contains(Cuda0()));
}

}  // namespace
}  // namespace tensord::device::testing
