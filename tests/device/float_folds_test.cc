// Tests of the float32 folds: every implementation this CPU runs (plain C++,
// AVX2, AVX-512) gives bit-identical results, sums are accurate against a
// double reference, and max/min propagate NaN.
#include "device/cpu/float_folds.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

TEST(FloatFolds, ImplementationsAgreeBitForBit) {
  const auto impls = internal::SupportedFloatFolds();
  ASSERT_FALSE(impls.empty());
  EXPECT_STREQ(impls.front().name, "generic");
  // Lengths around the lane count (32) and the flush block (512).
  for (int64_t n : {0, 1, 31, 32, 33, 511, 512, 513, 1000, 100003}) {
    const std::vector<float> x = Random(n, static_cast<uint32_t>(n));
    const auto& ref = impls.front();
    for (const auto& impl : impls) {
      EXPECT_EQ(impl.sum(0.25, x.data(), n), ref.sum(0.25, x.data(), n)) << impl.name << " " << n;
      EXPECT_EQ(impl.max(-kInf, x.data(), n), ref.max(-kInf, x.data(), n)) << impl.name << n;
      EXPECT_EQ(impl.min(kInf, x.data(), n), ref.min(kInf, x.data(), n)) << impl.name << n;
    }
  }
}

TEST(FloatFolds, SumsAreAccurate) {
  for (const auto& impl : internal::SupportedFloatFolds()) {
    const std::vector<float> x = Random(1 << 20, 7);
    double want = 0, magnitude = 0;
    for (float v : x) {
      want += v;
      magnitude += std::fabs(v);
    }
    // Each element goes through at most 15 float roundings (relative error
    // 2^-24 each) before its lane reaches double.
    EXPECT_NEAR(impl.sum(0.0, x.data(), static_cast<int64_t>(x.size())), want,
                15 * 0x1p-24 * magnitude)
        << impl.name;
    // 1 then 2^20 values of 2^-24: a float accumulator stays at 1; lanes
    // flushed to double every 16 elements lose only the 15 beside the 1.
    std::vector<float> tiny((1 << 20) + 1, 0x1p-24f);
    tiny[0] = 1.0f;
    EXPECT_NEAR(impl.sum(0.0, tiny.data(), static_cast<int64_t>(tiny.size())), 1.0625, 15 * 0x1p-24)
        << impl.name;
    // init is added, not ignored.
    EXPECT_EQ(impl.sum(3.0, x.data(), 0), 3.0) << impl.name;
    const float ones[3] = {1, 1, 1};
    EXPECT_EQ(impl.sum(0.5, ones, 3), 3.5) << impl.name;
  }
}

TEST(FloatFolds, MaxMinFindExtremesAndPropagateNaN) {
  for (const auto& impl : internal::SupportedFloatFolds()) {
    std::vector<float> x = Random(1000, 3);
    x[617] = 1000.0f;
    x[5] = -1000.0f;
    const int64_t n = static_cast<int64_t>(x.size());
    EXPECT_EQ(impl.max(-kInf, x.data(), n), 1000.0f) << impl.name;
    EXPECT_EQ(impl.min(kInf, x.data(), n), -1000.0f) << impl.name;
    // init takes part.
    EXPECT_EQ(impl.max(5000.0f, x.data(), n), 5000.0f) << impl.name;
    EXPECT_EQ(impl.min(-5000.0f, x.data(), n), -5000.0f) << impl.name;
    // NaN anywhere (a SIMD lane, the tail, or init) gives NaN.
    for (int64_t at : {0, 31, 500, 999}) {
      std::vector<float> y = x;
      y[at] = kNaN;
      EXPECT_TRUE(std::isnan(impl.max(-kInf, y.data(), n))) << impl.name << " " << at;
      EXPECT_TRUE(std::isnan(impl.min(kInf, y.data(), n))) << impl.name << " " << at;
    }
    EXPECT_TRUE(std::isnan(impl.max(kNaN, x.data(), n))) << impl.name;
    // Infinities are values, not NaN.
    x[100] = kInf;
    EXPECT_EQ(impl.max(-kInf, x.data(), n), kInf) << impl.name;
  }
}

}  // namespace
}  // namespace tensord::device::cpu
