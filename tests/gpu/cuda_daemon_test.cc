// cuda:0 through a real tensord, as clients see it: the blitz's "CUDA
// Tensors" step printed as PyTorch prints it (through the C++ client and
// through tensorctl), tensors on cuda:0 across sessions, and running out of
// device memory: RESOURCE_EXHAUSTED for the asking session only, which can
// allocate again once it frees, while another session's tensors stay
// intact. Skipped where there is no GPU (ctest label `gpu`).
//
// The daemon is $TENSORD_BINARY (else this build's tensord) and finds the
// CUDA module as tensord does ($TENSORD_CUDA_MODULE, then beside itself).
#include <chrono>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "client/error.h"
#include "client/tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/device/cuda/cuda_test_util.h"
#include "tests/integration/daemon_fixture.h"

namespace tensord::testing {
namespace {

using client::Error;
using client::Options;
using client::Session;
using client::SessionConfig;
using client::Tensor;
using ::testing::HasSubstr;

constexpr int kResourceExhausted = 8;  // grpc::StatusCode::RESOURCE_EXHAUSTED

std::string Repr(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

std::vector<float> Floats(const Tensor& t) {
  const client::RawTensor raw = t.FetchRaw();
  std::vector<float> out(raw.data.size() / sizeof(float));
  std::memcpy(out.data(), raw.data.data(), out.size() * sizeof(float));
  return out;
}

class CudaDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    TENSORD_SKIP_WITHOUT_CUDA();
    daemon_ = std::make_unique<TensordDaemon>(Flags());
  }
  // New tensors on the CPU unless asked for elsewhere, as in PyTorch (the
  // daemon's own default, --device auto, would put them on cuda:0).
  virtual std::vector<std::string> Flags() const { return {"--device=cpu"}; }

  Session Open() const { return Session::Open(SessionConfig{.address = daemon_->address()}); }

  ProcessResult Ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), TensorctlBinary());
    return RunProcess(args, {{"TENSORD_ADDR", daemon_->address()}, {"TENSORD_SESSION", "gpu"}});
  }
  std::string CtlOk(std::vector<std::string> args) const {
    const ProcessResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err << "\ndaemon log:\n" << daemon_->log();
    return r.out;
  }

  std::unique_ptr<TensordDaemon> daemon_;
};

// y = torch.ones_like(x, device=device); x = x.to(device); z = x + y
// print(z); print(z.to("cpu", torch.double))
TEST_F(CudaDaemon, BlitzCudaTensorsStepPrintsAsPyTorch) {
  Session s = Open();
  Tensor x = s.tensor("[0.9551]");
  Tensor y = s.ones_like(x, Options{.device = "cuda"});
  x = x.to("cuda");
  Tensor z = x + y;
  EXPECT_EQ(z.device(), "cuda:0");
  EXPECT_EQ(Repr(z), "tensor([1.9551], device='cuda:0')");
  EXPECT_EQ(Repr(z.to("cpu", "torch.double")), "tensor([1.9551], dtype=torch.float64)");
  // Other dtypes and shapes print their device last, as PyTorch does.
  EXPECT_EQ(Repr(s.zeros({2, 2}, Options{.dtype = "long", .device = "cuda:0"})),
            "tensor([[0, 0],\n        [0, 0]], device='cuda:0')");
  EXPECT_EQ(Repr(s.tensor("[1.5, 2.5]", Options{.dtype = "double", .device = "cuda:0"})),
            "tensor([1.5000, 2.5000], device='cuda:0', dtype=torch.float64)");
}

TEST_F(CudaDaemon, BlitzCudaTensorsStepThroughTensorctl) {
  CtlOk({"tensor", "x", "[0.9551]"});
  CtlOk({"exec", "ones_like", "x", "device=cuda", "-o", "y"});
  CtlOk({"exec", "to", "x", "device=cuda", "-o", "x"});
  CtlOk({"exec", "add", "x", "y", "-o", "z"});
  EXPECT_EQ(CtlOk({"show", "z"}), "tensor([1.9551], device='cuda:0')\n");
  CtlOk({"exec", "to", "z", "device=cpu", "dtype=torch.double", "-o", "d"});
  EXPECT_EQ(CtlOk({"show", "d"}), "tensor([1.9551], dtype=torch.float64)\n");
  EXPECT_THAT(CtlOk({"describe", "z"}), HasSubstr("cuda:0"));
}

TEST_F(CudaDaemon, DevicesAreListed) {
  const std::string out = CtlOk({"devices"});
  EXPECT_THAT(out, HasSubstr("cpu"));
  EXPECT_THAT(out, HasSubstr("cuda:0"));
}

// --device auto (tensord's default): new tensors go to cuda:0 when there is one.
class CudaDaemonAuto : public CudaDaemon {
 protected:
  std::vector<std::string> Flags() const override { return {"--device=auto"}; }
};

TEST_F(CudaDaemonAuto, NewTensorsDefaultToCuda0) {
  Session s = Open();
  EXPECT_EQ(s.default_device(), "cuda:0");
  Tensor r = s.rand({3});
  EXPECT_EQ(r.device(), "cuda:0");
  EXPECT_EQ(s.tensor("[1, 2]").device(), "cuda:0");
  EXPECT_EQ(r.to("cpu").device(), "cpu");
}

TEST_F(CudaDaemon, SessionsShareTheGpu) {
  Session a = Open();
  Session b = Open();
  Tensor ta = a.full({1000}, 3.0, Options{.device = "cuda:0"});
  Tensor tb = b.full({1000}, 4.0, Options{.device = "cuda:0"});
  for (int i = 0; i < 100; ++i) {
    ta = ta + 1.0;
    tb = tb * 1.0;
  }
  EXPECT_THAT(Floats(ta), ::testing::Each(103.0f));
  EXPECT_THAT(Floats(tb), ::testing::Each(4.0f));
}

// A daemon whose per-tensor limit does not stop a request before the GPU does.
class CudaDaemonOutOfMemory : public CudaDaemon {
 protected:
  std::vector<std::string> Flags() const override {
    return {"--device=cpu", "--max_tensor_bytes=" + std::to_string(int64_t{1} << 42)};
  }
};

TEST_F(CudaDaemonOutOfMemory, OneHugeTensorIsResourceExhausted) {
  Session s = Open();
  try {
    Tensor t = s.empty({int64_t{1} << 40}, Options{.dtype = "float32", .device = "cuda:0"});
    s.Sync();
    FAIL() << "a 4 TiB tensor on cuda:0 was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), kResourceExhausted) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("out of memory on cuda:0"));
  }
  // The session goes on.
  EXPECT_THAT(Floats(s.ones({4}, Options{.device = "cuda:0"})), ::testing::Each(1.0f));
}

TEST_F(CudaDaemonOutOfMemory, FillingTheGpuFailsOnlyTheAskingSession) {
  Session keeper = Open();
  Tensor kept = keeper.arange(0, 1 << 20, 1, Options{.dtype = "float32", .device = "cuda:0"});
  keeper.Sync();

  Session hog = Open();
  constexpr int64_t kChunk = int64_t{1} << 29;  // 2 GiB of float32
  std::vector<Tensor> held;
  std::string message;
  int code = 0;
  for (int i = 0; i < 512 && code == 0; ++i) {
    try {
      held.push_back(hog.empty({kChunk}, Options{.dtype = "float32", .device = "cuda:0"}));
      hog.Sync();
    } catch (const Error& e) {
      code = e.code();
      message = e.what();
    }
  }
  ASSERT_EQ(code, kResourceExhausted) << "after " << held.size() << " chunks of 2 GiB: " << message;
  EXPECT_THAT(message, HasSubstr("out of memory on cuda:0"));
  EXPECT_GE(held.size(), 2u) << "the GPU ran out after less than 4 GiB";

  // The other session's tensor is intact and it can still compute.
  const std::vector<float> values = Floats(kept);
  ASSERT_EQ(values.size(), size_t{1} << 20);
  for (size_t i = 0; i < values.size(); i += 4099) EXPECT_EQ(values[i], static_cast<float>(i));
  EXPECT_THAT(Floats(keeper.ones({8}, Options{.device = "cuda:0"}) + 1.0), ::testing::Each(2.0f));

  // Freeing some lets the asking session allocate again.
  held.resize(held.size() / 2);
  hog.Sync();
  Tensor again = hog.full({kChunk}, 1.5, Options{.dtype = "float32", .device = "cuda:0"});
  EXPECT_EQ(again.select(0, kChunk - 1).item(), 1.5);
  held.clear();
  hog.Close();
  EXPECT_EQ(Floats(kept), values);
}

}  // namespace
}  // namespace tensord::testing
