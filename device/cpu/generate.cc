// Kernels that produce values instead of reading inputs: Arange and the
// random fills (uniform, normal). Random values are drawn in row-major order
// of out's shape, so a seed gives the same tensor whatever out's strides.
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/kernels.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/strided_loop.h"

namespace tensord::device::cpu {
namespace {

// The largest T below x (x finite).
template <typename T>
T NextBelow(T x) {
  if constexpr (kIsReducedFloat<T>) {
    T r = x;
    const bool negative = (x.bits & 0x8000) != 0;
    const bool zero = (x.bits & 0x7fff) == 0;
    r.bits = zero ? 0x8001 : negative ? x.bits + 1 : x.bits - 1;
    return r;
  } else {
    return std::nextafter(x, -std::numeric_limits<T>::infinity());
  }
}

// A uniform draw in [0, 1): 24 bits for float32 and the 16-bit floats, 53
// for float64.
template <typename T>
double Uniform01(Generator& gen) {
  if constexpr (std::is_same_v<T, double>) {
    return gen.NextDouble();
  } else {
    return gen.NextFloat();
  }
}

// Normal draws by Box-Muller: each pair of uniforms gives two values, the
// second kept for the next element.
template <typename T>
class NormalSource {
 public:
  explicit NormalSource(Generator& gen) : gen_(gen) {}
  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - Uniform01<T>(gen_);  // (0, 1]: log(u1) is finite
    const double u2 = Uniform01<T>(gen_);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  Generator& gen_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

template <typename T>
void FillUniform(double low, double high, Generator& gen, const HostView& out) {
  const bool nonempty = high > low;
  const T high_t = Cast<T>(high);
  const T below_high = NextBelow(high_t);
  MapInOrder<T>(
      [&]() {
        const T v = Cast<T>(low + (high - low) * Uniform01<T>(gen));
        // Rounding to T may reach `high`; keep the range half-open.
        if (nonempty && static_cast<double>(Cast<ComputeType<T>>(v)) >= high) return below_high;
        return v;
      },
      out);
}

template <typename T>
void FillNormal(double mean, double std, Generator& gen, const HostView& out) {
  NormalSource<T> source(gen);
  MapInOrder<T>([&]() { return Cast<T>(mean + std * source.Next()); }, out);
}

}  // namespace

absl::Status ArangeKernel(const Scalar& start, const Scalar& step, const HostView& out) {
  return DispatchDType(out.dtype, [&]<typename T>() -> absl::Status {
    T* o = out.as<T>();
    const int64_t n = out.numel();
    if constexpr (kIsFloat<T>) {
      const double s = start.ToDouble(), d = step.ToDouble();
      for (int64_t i = 0; i < n; ++i) o[i] = Cast<T>(s + static_cast<double>(i) * d);
    } else if constexpr (kIsInt<T>) {
      const int64_t s = start.ToInt(), d = step.ToInt();
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(WrapAdd(s, WrapMul(i, d)));
    } else {
      return absl::InvalidArgumentError(
          "arange(): not implemented for 'bool' tensors: use an integer or floating-point dtype");
    }
    return absl::OkStatus();
  });
}

absl::Status RandomKernel(RandomOp op, double p0, double p1, Generator& gen, const HostView& out) {
  return DispatchDType(out.dtype, [&]<typename T>() -> absl::Status {
    if constexpr (!kIsFloat<T>) {
      return absl::InvalidArgumentError(absl::StrCat(
          op == RandomOp::kUniform ? "uniform_" : "normal_", "(): not implemented for '",
          std::string(DTypeName(out.dtype)), "' tensors: use a floating-point dtype"));
    } else {
      if (op == RandomOp::kUniform) {
        FillUniform<T>(p0, p1, gen, out);
      } else {
        FillNormal<T>(p0, p1, gen, out);
      }
      return absl::OkStatus();
    }
  });
}

}  // namespace tensord::device::cpu
