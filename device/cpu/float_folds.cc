// The three implementations of float_folds.h and the start-up choice
// between them. kLanes and kSteps fix the summation order for all of them.
#include "device/cpu/float_folds.h"

#include <immintrin.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tensord::device::cpu {
namespace {

constexpr int kLanes = 32;  // float lanes, and double lanes
constexpr int kSteps = 16;  // elements a float lane takes before it is flushed

double FinishSum(double init, const double* wide, const float* x, int64_t j, int64_t n) {
  for (int l = 0; l < kLanes; ++l) init += wide[l];
  for (; j < n; ++j) init += static_cast<double>(x[j]);
  return init;
}

template <bool kMax>
float FinishPick(float init, const float* lanes, bool nan, const float* x, int64_t j, int64_t n) {
  nan |= std::isnan(init);
  for (int l = 0; l < kLanes; ++l)
    init = (kMax ? lanes[l] > init : lanes[l] < init) ? lanes[l] : init;
  for (; j < n; ++j) {
    nan |= std::isnan(x[j]);
    init = (kMax ? x[j] > init : x[j] < init) ? x[j] : init;
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : init;
}

// Plain C++: the reference for the order of operations.
double SumGeneric(double init, const float* x, int64_t n) {
  double wide[kLanes] = {};
  int64_t j = 0;
  while (j + kLanes <= n) {
    float lane[kLanes] = {};
    for (int s = 0; s < kSteps && j + kLanes <= n; ++s, j += kLanes) {
      for (int l = 0; l < kLanes; ++l) lane[l] += x[j + l];
    }
    for (int l = 0; l < kLanes; ++l) wide[l] += static_cast<double>(lane[l]);
  }
  return FinishSum(init, wide, x, j, n);
}

template <bool kMax>
float PickGeneric(float init, const float* x, int64_t n) {
  float lanes[kLanes];
  for (float& l : lanes) l = kMax ? -INFINITY : INFINITY;
  bool nan = false;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float v = x[j + l];
      nan |= std::isnan(v);
      lanes[l] = (kMax ? v > lanes[l] : v < lanes[l]) ? v : lanes[l];
    }
  }
  return FinishPick<kMax>(init, lanes, nan, x, j, n);
}

// AVX2: 4 vectors of 8 float lanes, 8 vectors of 4 double lanes.
__attribute__((target("avx2"))) double SumAvx2(double init, const float* x, int64_t n) {
  __m256d wide[8];
  for (__m256d& w : wide) w = _mm256_setzero_pd();
  int64_t j = 0;
  while (j + kLanes <= n) {
    __m256 lane[4];
    for (__m256& v : lane) v = _mm256_setzero_ps();
    for (int s = 0; s < kSteps && j + kLanes <= n; ++s, j += kLanes) {
      for (int v = 0; v < 4; ++v) lane[v] = _mm256_add_ps(lane[v], _mm256_loadu_ps(x + j + 8 * v));
    }
    for (int v = 0; v < 4; ++v) {
      wide[2 * v] = _mm256_add_pd(wide[2 * v], _mm256_cvtps_pd(_mm256_castps256_ps128(lane[v])));
      wide[2 * v + 1] =
          _mm256_add_pd(wide[2 * v + 1], _mm256_cvtps_pd(_mm256_extractf128_ps(lane[v], 1)));
    }
  }
  alignas(32) double out[kLanes];
  for (int v = 0; v < 8; ++v) _mm256_store_pd(out + 4 * v, wide[v]);
  return FinishSum(init, out, x, j, n);
}

template <bool kMax>
__attribute__((target("avx2"))) float PickAvx2(float init, const float* x, int64_t n) {
  __m256 lanes[4];
  for (__m256& v : lanes) v = _mm256_set1_ps(kMax ? -INFINITY : INFINITY);
  __m256 nan = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int v = 0; v < 4; ++v) {
      const __m256 a = _mm256_loadu_ps(x + j + 8 * v);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
      // max_ps(a, m) returns m when a is NaN; NaN is tracked apart.
      lanes[v] = kMax ? _mm256_max_ps(a, lanes[v]) : _mm256_min_ps(a, lanes[v]);
    }
  }
  alignas(32) float out[kLanes];
  for (int v = 0; v < 4; ++v) _mm256_store_ps(out + 8 * v, lanes[v]);
  return FinishPick<kMax>(init, out, _mm256_movemask_ps(nan) != 0, x, j, n);
}

// AVX-512: 2 vectors of 16 float lanes, 4 vectors of 8 double lanes.
__attribute__((target("avx512f"))) double SumAvx512(double init, const float* x, int64_t n) {
  __m512d wide[4];
  for (__m512d& w : wide) w = _mm512_setzero_pd();
  int64_t j = 0;
  while (j + kLanes <= n) {
    __m512 lane[2];
    for (__m512& v : lane) v = _mm512_setzero_ps();
    for (int s = 0; s < kSteps && j + kLanes <= n; ++s, j += kLanes) {
      for (int v = 0; v < 2; ++v) lane[v] = _mm512_add_ps(lane[v], _mm512_loadu_ps(x + j + 16 * v));
    }
    for (int v = 0; v < 2; ++v) {
      wide[2 * v] = _mm512_add_pd(wide[2 * v], _mm512_cvtps_pd(_mm512_castps512_ps256(lane[v])));
      wide[2 * v + 1] = _mm512_add_pd(
          wide[2 * v + 1],
          _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lane[v]), 1))));
    }
  }
  alignas(64) double out[kLanes];
  for (int v = 0; v < 4; ++v) _mm512_store_pd(out + 8 * v, wide[v]);
  return FinishSum(init, out, x, j, n);
}

template <bool kMax>
__attribute__((target("avx512f"))) float PickAvx512(float init, const float* x, int64_t n) {
  __m512 lanes[2];
  for (__m512& v : lanes) v = _mm512_set1_ps(kMax ? -INFINITY : INFINITY);
  __mmask16 nan = 0;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int v = 0; v < 2; ++v) {
      const __m512 a = _mm512_loadu_ps(x + j + 16 * v);
      nan |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
      lanes[v] = kMax ? _mm512_max_ps(a, lanes[v]) : _mm512_min_ps(a, lanes[v]);
    }
  }
  alignas(64) float out[kLanes];
  for (int v = 0; v < 2; ++v) _mm512_store_ps(out + 16 * v, lanes[v]);
  return FinishPick<kMax>(init, out, nan != 0, x, j, n);
}

}  // namespace

namespace internal {

std::vector<FloatFolds> SupportedFloatFolds() {
  __builtin_cpu_init();
  std::vector<FloatFolds> impls = {
      {"generic", &SumGeneric, &PickGeneric<true>, &PickGeneric<false>}};
  if (__builtin_cpu_supports("avx2")) {
    impls.push_back({"avx2", &SumAvx2, &PickAvx2<true>, &PickAvx2<false>});
  }
  if (__builtin_cpu_supports("avx512f")) {
    impls.push_back({"avx512f", &SumAvx512, &PickAvx512<true>, &PickAvx512<false>});
  }
  return impls;
}

}  // namespace internal

namespace {

// The best implementation this CPU runs.
const internal::FloatFolds& Chosen() {
  static const internal::FloatFolds best = internal::SupportedFloatFolds().back();
  return best;
}

}  // namespace

double SumFloats(double init, const float* x, int64_t n) { return Chosen().sum(init, x, n); }
float MaxFloats(float init, const float* x, int64_t n) { return Chosen().max(init, x, n); }
float MinFloats(float init, const float* x, int64_t n) { return Chosen().min(init, x, n); }

}  // namespace tensord::device::cpu
