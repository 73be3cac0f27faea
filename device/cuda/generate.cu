// Arange and the random fills (uniform, normal) on CUDA. Random draws are
// a pure function of (seed, element index): Philox4x32-10 keyed by the seed
// the backend passes, counting with the element's row-major position in
// out's shape, so a seed gives the same tensor on every run, whatever out's
// strides and however the launch is split. Values follow the CPU backend
// (device/cpu/generate.cc): uniform in [p0, p1), computed in double and
// kept below p1 after rounding to the dtype; normal by Box-Muller, mean p0
// and standard deviation p1; 24 random bits for float32 and the 16-bit
// floats, 53 for float64.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cuda/kernel_util.cuh"
#include "device/cuda/kernels.h"
#include "device/cuda/offset_calc.h"
#include "device/cuda/philox.h"
#include "device/status_macros.h"

namespace tensord::device::cuda {
namespace {

template <typename T>
__global__ void __launch_bounds__(kThreads)
    ArangeFloatKernel(int64_t n, T* out, int64_t stride, double start, double step) {
  const int64_t grid = static_cast<int64_t>(gridDim.x) * kThreads;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += grid) {
    out[i * stride] = ops::Cast<T>(start + static_cast<double>(i) * step);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    ArangeIntKernel(int64_t n, T* out, int64_t stride, int64_t start, int64_t step) {
  const int64_t grid = static_cast<int64_t>(gridDim.x) * kThreads;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += grid) {
    out[i * stride] = static_cast<T>(ops::WrapAdd(start, ops::WrapMul(i, step)));
  }
}

// The largest T below x (x finite), as device/cpu/generate.cc.
template <typename T>
T NextBelow(T x) {
  if constexpr (ops::kIsReducedFloat<T>) {
    T r = x;
    const bool negative = (x.bits & 0x8000) != 0;
    const bool zero = (x.bits & 0x7fff) == 0;
    r.bits = zero ? 0x8001 : negative ? x.bits + 1 : x.bits - 1;
    return r;
  } else {
    return std::nextafter(x, -std::numeric_limits<T>::infinity());
  }
}

template <typename T>
struct RandomArgs {
  uint32_t n;
  OffsetCalc<2> calc;  // (out, row-major position)
  T* out;
  int64_t position_base;
  uint64_t seed;
  bool normal;
  double p0, p1;  // uniform: low, high; normal: mean, std
  bool nonempty;  // uniform: high > low
  T below_high;   // uniform: the largest T below high
};

template <typename T>
__global__ void __launch_bounds__(kThreads) RandomFillKernel(RandomArgs<T> a) {
  const uint32_t step = gridDim.x * kThreads;
  for (uint32_t i = blockIdx.x * kThreads + threadIdx.x; i < a.n; i += step) {
    const Offsets<2> off = a.calc.Get(i);
    const PhiloxBlock w =
        PhiloxForElement(a.seed, static_cast<uint64_t>(a.position_base + off.v[1]));
    T v;
    if (!a.normal) {
      const double u = std::is_same_v<T, double> ? Uniform53(w.v[0], w.v[1]) : Uniform24(w.v[0]);
      v = ops::Cast<T>(a.p0 + (a.p1 - a.p0) * u);
      // Rounding to T may reach `high`; keep the range half-open.
      if (a.nonempty && static_cast<double>(ops::Cast<ComputeType<T>>(v)) >= a.p1) {
        v = a.below_high;
      }
    } else {
      double z;
      if constexpr (std::is_same_v<T, double>) {
        const double u1 = 1.0 - Uniform53(w.v[0], w.v[1]);  // (0, 1]: log(u1) is finite
        const double u2 = Uniform53(w.v[2], w.v[3]);
        z = sqrt(-2.0 * log(u1)) * cospi(2.0 * u2);
      } else {
        const float u1 = 1.0f - Uniform24(w.v[0]);
        const float u2 = Uniform24(w.v[1]);
        z = sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
      }
      v = ops::Cast<T>(a.p0 + a.p1 * z);
    }
    a.out[off.v[0]] = v;
  }
}

}  // namespace

absl::Status ArangeKernel(const Launch& l, const Scalar& start, const Scalar& step,
                          const DeviceView& out) {
  return DispatchDType(out.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (ops::kIsBool<T>) {
      return absl::InvalidArgumentError(
          "arange(): not implemented for 'bool' tensors: use an integer or floating-point dtype");
    } else {
      const int64_t n = out.numel();
      if (n == 0) return absl::OkStatus();
      const int64_t stride = out.strides.empty() ? 1 : out.strides[0];
      T* o = static_cast<T*>(out.data);
      if constexpr (ops::kIsFloat<T>) {
        ArangeFloatKernel<T><<<GridFor(n, kThreads), kThreads, 0, l.stream>>>(
            n, o, stride, start.ToDouble(), step.ToDouble());
      } else {
        ArangeIntKernel<T><<<GridFor(n, kThreads), kThreads, 0, l.stream>>>(
            n, o, stride, start.ToInt(), step.ToInt());
      }
      return LaunchStatus("ArangeKernel");
    }
  });
}

absl::Status RandomKernel(const Launch& l, RandomOp op, double p0, double p1, uint64_t seed,
                          const DeviceView& out) {
  return DispatchDType(out.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!ops::kIsFloat<T>) {
      return absl::InvalidArgumentError(absl::StrCat(
          op == RandomOp::kUniform ? "uniform_" : "normal_", "(): not implemented for '",
          DTypeString(out.dtype), "' tensors: use a floating-point dtype"));
    } else {
      if (out.numel() == 0) return absl::OkStatus();
      RandomArgs<T> a{};
      a.out = static_cast<T*>(out.data);
      a.seed = seed;
      a.normal = op == RandomOp::kNormal;
      a.p0 = p0;
      a.p1 = p1;
      if (!a.normal) {
        a.nonempty = p1 > p0;
        a.below_high = NextBelow(ops::Cast<T>(p1));
      }
      const Strides position = ContiguousStrides(out.shape);
      const std::span<const int64_t> strides[2] = {out.strides, position};
      // Row-major order (no reordering), so positions count in walk order.
      const DimLayout layout = CollapseDims(out.shape, strides, /*reorder=*/false);
      T* base = a.out;
      return ForEachChunk(layout, [&](const std::vector<int64_t>& off, const DimLayout& piece) {
        a.n = static_cast<uint32_t>(Numel(piece.sizes));
        a.calc = OffsetCalc<2>(piece);
        a.out = base + off[0];
        a.position_base = off[1];
        RandomFillKernel<T><<<GridFor(a.n, kThreads), kThreads, 0, l.stream>>>(a);
        return LaunchStatus("RandomFillKernel");
      });
    }
  });
}

}  // namespace tensord::device::cuda
