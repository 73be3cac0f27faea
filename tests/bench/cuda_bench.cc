// GPU benchmarks, each run beside its reference in the same process, with
// the ratio and the target it must reach:
//   matmul 8192 x 8192, float32 and bfloat16: tensord's CUDA backend (the
//     Matmul primitive, and the matmul op through the registry) against
//     cublasGemmEx called directly here (float32 without TF32, as tensord's
//     default; bfloat16 accumulating in float32). Target >= 0.9.
//   add of two 256M-element float32 tensors: the Binary primitive (and the
//     add op) against a device-to-device cudaMemcpy of 1 GiB. Bandwidth
//     counts bytes read plus bytes written: 3 x 1 GiB per add (two inputs
//     read, one output written), 2 x 1 GiB per copy. Target >= 0.8.
//   pipelined tiny ops through RPC (c = a + b on [5, 3] tensors, 1000 ops
//     between syncs, as remote_bench's tiny_op_pipelined): a session on
//     cuda:0 against one on the CPU, both in one tensord this benchmark
//     starts. Target >= 0.8.
// Times are wall-clock between two cudaDeviceSynchronize calls around a
// loop (best of three loops), so the backend's streams and cuBLAS's are
// timed alike.
//
//   cuda_bench [--tensord=PATH] [--quick]
//
// --quick runs small sizes briefly (a smoke test: the figures mean little).
// Prints a table and one machine-readable line per figure:
//   BENCH|name|tensord|reference|unit|ratio|target|PASS or MISS
// Exits 0, printing "no CUDA device: skipped", on a host without a GPU;
// non-zero only when a measurement could not run.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "autograd/dispatch.h"
#include "client/tensor.h"
#include "device/backend.h"
#include "device/context.h"
#include "device/cuda_module.h"
#include "device/functional.h"
#include "device/generator.h"
#include "device/registry.h"
#include "tests/bench/bench_servers.h"

namespace tensord::bench {
namespace {

using Clock = std::chrono::steady_clock;
using device::DType;
using device::Tensor;

const device::Device kCuda0{device::Device::Type::kCuda, 0};

struct Figure {
  std::string name, unit;
  double tensord = 0, reference = 0, target = 0;
};
std::vector<Figure> g_figures;

void Check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(absl::StrCat(what, ": ", cudaGetErrorString(e)));
}
void Check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(absl::StrCat(what, ": ", cublasGetStatusString(s)));
  }
}
void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(absl::StrCat(what, ": ", s.ToString()));
}
template <typename T>
T Value(absl::StatusOr<T> v, const std::string& what) {
  Check(v.status(), what);
  return *std::move(v);
}

// Seconds per call of `f`: the best of three timed loops of `iters` calls,
// after two untimed calls.
double SecondsPerCall(int iters, const std::function<void()>& f) {
  f();
  f();
  Check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    const auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i) f();
    Check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / iters);
  }
  return best;
}

class Gpu {
 public:
  Gpu() : ctx_(&gen_, kCuda0, device::Limits{.max_tensor_bytes = int64_t{1} << 40}) {
    backend_ = Value(device::FindBackend(kCuda0), "the cuda:0 backend");
    Check(cublasCreate(&blas_), "cublasCreate");
  }
  ~Gpu() { cublasDestroy(blas_); }

  // Uniform [-1, 1) values in `dtype` on cuda:0.
  Tensor Random(std::vector<int64_t> shape, DType dtype) {
    Tensor f = Value(ctx_.Empty(shape, DType::kFloat32, kCuda0), "allocating");
    Check(backend_->Random(device::RandomOp::kUniform, -1, 1, gen_, f), "Random");
    if (dtype == DType::kFloat32) return f;
    return Value(device::To(ctx_, f, dtype), "casting");
  }
  Tensor Empty(std::vector<int64_t> shape, DType dtype) {
    return Value(ctx_.Empty(shape, dtype, kCuda0), "allocating");
  }

  void Matmul(int64_t n, DType dtype, int iters) {
    const Tensor a = Random({1, n, n}, dtype), b = Random({1, n, n}, dtype);
    const Tensor out = Empty({1, n, n}, dtype);
    const Tensor a2 = Value(a.View(std::vector<int64_t>{n, n}), "view");
    const Tensor b2 = Value(b.View(std::vector<int64_t>{n, n}), "view");
    const double primitive =
        SecondsPerCall(iters, [&] { Check(backend_->Matmul(a, b, out), "Matmul"); });
    const double op = SecondsPerCall(iters, [&] {
      Check(autograd::Dispatch(ctx_, "matmul", std::vector<Tensor>{a2, b2}, {}).status(), "matmul");
    });
    // cuBLAS on its own copies of the same values.
    const DeviceBuffer ra = CopyOf(a), rb = CopyOf(b), rout(out.nbytes());
    const double cublas = SecondsPerCall(iters, [&] { ReferenceGemm(n, dtype, ra, rb, rout); });
    const double flop = 2.0 * n * n * n;
    const std::string name = absl::StrCat("matmul_", device::DTypeName(dtype), "_", n);
    g_figures.push_back(
        {name + "_primitive", "TFLOP/s", flop / primitive / 1e12, flop / cublas / 1e12, 0.9});
    g_figures.push_back({name + "_op", "TFLOP/s", flop / op / 1e12, flop / cublas / 1e12, 0.9});
  }

  void Add(int64_t numel, int iters) {
    const Tensor a = Random({numel}, DType::kFloat32), b = Random({numel}, DType::kFloat32);
    const Tensor out = Empty({numel}, DType::kFloat32);
    const double primitive = SecondsPerCall(
        iters, [&] { Check(backend_->Binary(device::BinaryOp::kAdd, a, b, out), "Binary add"); });
    const double op = SecondsPerCall(iters, [&] {
      Check(autograd::Dispatch(ctx_, "add", std::vector<Tensor>{a, b}, {}).status(), "add");
    });
    const size_t bytes = static_cast<size_t>(numel) * sizeof(float);
    const DeviceBuffer src(bytes), dst(bytes);  // a copy's speed does not depend on the values
    const double copy = SecondsPerCall(iters, [&] {
      Check(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, nullptr),
            "cudaMemcpyAsync");
    });
    const std::string name = absl::StrCat("add_float32_", numel >> 20, "M");
    const double gb = static_cast<double>(bytes) / 1e9;
    g_figures.push_back({name + "_primitive", "GB/s", 3 * gb / primitive, 2 * gb / copy, 0.8});
    g_figures.push_back({name + "_op", "GB/s", 3 * gb / op, 2 * gb / copy, 0.8});
  }

 private:
  // Device memory of the reference side, from cudaMalloc.
  class DeviceBuffer {
   public:
    explicit DeviceBuffer(size_t bytes) { Check(cudaMalloc(&p_, bytes), "cudaMalloc"); }
    DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    ~DeviceBuffer() {
      if (p_ != nullptr) cudaFree(p_);
    }
    DeviceBuffer& operator=(DeviceBuffer&&) = delete;
    void* get() const { return p_; }

   private:
    void* p_ = nullptr;
  };

  // A reference-side copy of a contiguous tensor's bytes (through the host).
  DeviceBuffer CopyOf(const Tensor& t) {
    std::string host(t.nbytes(), '\0');
    Check(backend_->CopyToHost(t, host.data()), "CopyToHost");
    DeviceBuffer d(t.nbytes());
    Check(cudaMemcpy(d.get(), host.data(), host.size(), cudaMemcpyHostToDevice), "cudaMemcpy");
    return d;
  }

  // out = a @ b for row-major [n, n] matrices: column-major b^T a^T.
  void ReferenceGemm(int64_t n, DType dtype, const DeviceBuffer& a, const DeviceBuffer& b,
                     const DeviceBuffer& out) {
    const float alpha = 1, beta = 0;
    const cudaDataType_t t = dtype == DType::kFloat32 ? CUDA_R_32F : CUDA_R_16BF;
    const int m = static_cast<int>(n);
    Check(cublasGemmEx(blas_, CUBLAS_OP_N, CUBLAS_OP_N, m, m, m, &alpha, b.get(), t, m, a.get(), t,
                       m, &beta, out.get(), t, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  }

  device::Generator gen_;
  device::Context ctx_;
  device::Backend* backend_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

// Pipelined c = a + b on `device` through `s`: ops per second over
// `seconds` (whole batches of 1000 ops, each ending with a sync).
double PipelinedOpsPerSecond(const client::Session& s, const std::string& device, double seconds) {
  constexpr int kBatch = 1000;
  const client::Tensor a = s.rand({5, 3}, client::Options{.device = device});
  const client::Tensor b = s.rand({5, 3}, client::Options{.device = device});
  auto batch = [&] {
    for (int i = 0; i < kBatch; ++i) client::Tensor c = a + b;
    s.Sync();
  };
  batch();
  batch();
  int64_t ops = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    batch();
    ops += kBatch;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return static_cast<double>(ops) / elapsed;
}

void Pipelined(double seconds) {
  const std::string address = TensordAddress(Transport::kTcp);
  const client::Session cpu = client::Session::Open(client::SessionConfig{.address = address});
  const client::Session gpu = client::Session::Open(client::SessionConfig{.address = address});
  // Alternate, best of three each, so that both see the same machine.
  double best_cpu = 0, best_gpu = 0;
  for (int round = 0; round < 3; ++round) {
    best_cpu = std::max(best_cpu, PipelinedOpsPerSecond(cpu, "cpu", seconds));
    best_gpu = std::max(best_gpu, PipelinedOpsPerSecond(gpu, "cuda:0", seconds));
  }
  g_figures.push_back({"pipelined_tiny_add_rpc", "ops/s", best_gpu, best_cpu, 0.8});
}

void PrintFigures() {
  std::printf("\n%-34s %14s %14s %-8s %7s %7s\n", "benchmark", "tensord", "reference", "unit",
              "ratio", "target");
  for (const Figure& f : g_figures) {
    const double ratio = f.reference > 0 ? f.tensord / f.reference : 0;
    std::printf("%-34s %14.2f %14.2f %-8s %7.3f %7.2f %s\n", f.name.c_str(), f.tensord, f.reference,
                f.unit.c_str(), ratio, f.target, ratio >= f.target ? "" : "(below)");
  }
  std::printf(
      "references: cublasGemmEx called directly; cudaMemcpy device to device "
      "(bytes read + written); the same tiny ops on the cpu backend\n");
  for (const Figure& f : g_figures) {
    const double ratio = f.reference > 0 ? f.tensord / f.reference : 0;
    std::printf("BENCH|%s|%.4g|%.4g|%s|%.3f|%.2f|%s\n", f.name.c_str(), f.tensord, f.reference,
                f.unit.c_str(), ratio, f.target, ratio >= f.target ? "PASS" : "MISS");
  }
  std::fflush(stdout);
}

bool TakeFlag(std::vector<std::string>& args, const std::string& name, std::string* value) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--" + name + "=", 0) == 0) {
      *value = args[i].substr(name.size() + 3);
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
    if (args[i] == "--" + name) {
      *value = "";
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

int Main(std::vector<std::string> args) {
  std::string tensord = TENSORD_BINARY, ignored;
  if (const char* env = std::getenv("TENSORD_BINARY"); env != nullptr && *env != '\0') {
    tensord = env;
  }
  TakeFlag(args, "tensord", &tensord);
  const bool quick = TakeFlag(args, "quick", &ignored);
  if (!args.empty()) {
    std::fprintf(stderr,
                 "cuda_bench: unknown argument %s\nusage: cuda_bench [--tensord=PATH] "
                 "[--quick]\n",
                 args[0].c_str());
    return 2;
  }
#ifdef TENSORD_CUDA_MODULE_PATH
  // This build's module, unless told otherwise; tensord inherits it.
  setenv("TENSORD_CUDA_MODULE", TENSORD_CUDA_MODULE_PATH, /*overwrite=*/0);
#endif
  absl::StatusOr<int> devices = device::LoadCudaModule();
  if (!devices.ok() || *devices == 0) {
    std::printf("no CUDA device: skipped (%s)\n",
                devices.ok() ? "the CUDA module found 0 devices"
                             : std::string(devices.status().message()).c_str());
    return 0;
  }
  cudaDeviceProp prop{};
  Check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("cuda_bench on %s (%.1f GiB, sm_%d%d)%s\n", prop.name,
              static_cast<double>(prop.totalGlobalMem) / (1 << 30), prop.major, prop.minor,
              quick ? ", --quick: small sizes, figures not meaningful" : "");
  std::fflush(stdout);
  SetTensordBinary(tensord);
  try {
    Gpu gpu;
    const int64_t n = quick ? 1024 : 8192;
    gpu.Matmul(n, DType::kFloat32, quick ? 3 : 10);
    gpu.Matmul(n, DType::kBFloat16, quick ? 3 : 20);
    gpu.Add(quick ? int64_t{16} << 20 : int64_t{256} << 20, quick ? 3 : 20);
    Pipelined(quick ? 0.2 : 1.0);
  } catch (const std::exception& e) {
    PrintFigures();
    std::fprintf(stderr, "cuda_bench: %s\n", e.what());
    StopServers();
    return 1;
  }
  StopServers();
  PrintFigures();
  return 0;
}

}  // namespace
}  // namespace tensord::bench

int main(int argc, char** argv) {
  return tensord::bench::Main(std::vector<std::string>(argv + 1, argv + argc));
}
