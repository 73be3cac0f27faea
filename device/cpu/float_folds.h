// Folds of contiguous float32 rows (sum, max, min) written with SIMD
// intrinsics for AVX-512 and AVX2 and in plain C++ for other CPUs, picked
// once at start-up from what the CPU supports. All three paths compute the
// same thing in the same order, so results do not depend on the CPU:
//  - sums keep 32 float lanes for at most 16 elements each, add them into 32
//    double lanes, and finally add the double lanes into init in lane order
//    (at most 15 float roundings per element, like PyTorch's cascade sum);
//  - max and min propagate NaN, as torch.amax / torch.amin do.
#ifndef TENSORD_DEVICE_CPU_FLOAT_FOLDS_H_
#define TENSORD_DEVICE_CPU_FLOAT_FOLDS_H_

#include <cstdint>
#include <vector>

namespace tensord::device::cpu {

// init + x[0] + ... + x[n-1], summed as described above.
double SumFloats(double init, const float* x, int64_t n);
// The largest of init and x[0..n), or NaN if any of them is NaN.
float MaxFloats(float init, const float* x, int64_t n);
// The smallest of init and x[0..n), or NaN if any of them is NaN.
float MinFloats(float init, const float* x, int64_t n);

namespace internal {

struct FloatFolds {
  const char* name;
  double (*sum)(double, const float*, int64_t);
  float (*max)(float, const float*, int64_t);
  float (*min)(float, const float*, int64_t);
};

// Every implementation this CPU runs, plain C++ first and the one in use
// last; tests check that they agree.
std::vector<FloatFolds> SupportedFloatFolds();

}  // namespace internal

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_FLOAT_FOLDS_H_
