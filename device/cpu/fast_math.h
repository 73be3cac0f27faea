// Float math written in plain arithmetic and selects, so that loops over it
// vectorize (libm's expf is an opaque call the vectorizer cannot see into).
#ifndef TENSORD_DEVICE_CPU_FAST_MATH_H_
#define TENSORD_DEVICE_CPU_FAST_MATH_H_

#include <algorithm>
#include <bit>
#include <cstdint>

namespace tensord::device::cpu {

// e^x for float, within 1 ulp of the exact value everywhere (tested against
// double-precision exp), with expf's special values: exp(-inf) = 0,
// exp(inf) = inf, overflow to inf above ~88.72, subnormal results down to
// ~-103.97, NaN in NaN out. The method is the classic one: x = n ln2 + r
// with |r| <= ln2/2, a degree-7 polynomial for e^r, and 2^n built from its
// exponent bits (in two halves, so subnormal and overflowing results round
// correctly).
inline float ExpF(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // few bits, so n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Past these bounds the result is already inf or 0; clamping keeps n small.
  const float xc = std::min(std::max(x, -104.0f), 89.0f);
  const float t = xc * kLog2e + kRound;
  const float n = t - kRound;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = (p * (r * r) + r) + 1.0f;
  const int32_t n1 = ni >> 1;
  const int32_t n2 = ni - n1;
  const float y =
      er * std::bit_cast<float>((n1 + 127) << 23) * std::bit_cast<float>((n2 + 127) << 23);
  return x != x ? x : y;
}

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_FAST_MATH_H_
