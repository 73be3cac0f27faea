// Tests of ExpF against double-precision exp: within 1 ulp over a sweep of
// float bit patterns, and expf's special values.
#include "device/cpu/fast_math.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

TEST(FastMath, ExpWithinOneUlpAcrossTheRange) {
  double worst = 0;
  float worst_x = 0;
  // Every 4099th bit pattern, both signs: about a million inputs.
  for (uint64_t b = 0; b <= 0xffffffffu; b += 4099) {
    const uint32_t bits = static_cast<uint32_t>(b);
    float x;
    std::memcpy(&x, &bits, sizeof x);
    if (std::isnan(x)) continue;
    const double exact = std::exp(static_cast<double>(x));
    const float want = static_cast<float>(exact);
    const float got = ExpF(x);
    if (std::isinf(want) || want == 0.0f) {
      // Overflow and underflow land where expf's do, give or take the last
      // subnormal step.
      ASSERT_TRUE(got == want || (want == 0.0f && got <= 0x1p-149f)) << x << " gave " << got;
      continue;
    }
    const double ulp = std::nextafter(want, std::numeric_limits<float>::infinity()) - want;
    const double err = std::fabs(static_cast<double>(got) - exact) / ulp;
    if (err > worst) {
      worst = err;
      worst_x = x;
    }
  }
  EXPECT_LE(worst, 1.0) << "at x = " << worst_x;
}

TEST(FastMath, ExpSpecialValues) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ExpF(0.0f), 1.0f);
  EXPECT_EQ(ExpF(-0.0f), 1.0f);
  EXPECT_EQ(ExpF(kInf), kInf);
  EXPECT_EQ(ExpF(-kInf), 0.0f);
  EXPECT_EQ(ExpF(89.0f), kInf);
  EXPECT_EQ(ExpF(1000.0f), kInf);
  EXPECT_EQ(ExpF(-1000.0f), 0.0f);
  EXPECT_TRUE(std::isnan(ExpF(std::numeric_limits<float>::quiet_NaN())));
  // The largest finite result and a subnormal one, as expf gives them.
  EXPECT_EQ(ExpF(88.72f), std::exp(88.72f));
  EXPECT_GT(ExpF(-100.0f), 0.0f);
  EXPECT_LT(ExpF(-100.0f), std::numeric_limits<float>::min());
  EXPECT_NEAR(ExpF(-100.0f), std::exp(-100.0), 0x1p-149);
}

}  // namespace
}  // namespace tensord::device::cpu
