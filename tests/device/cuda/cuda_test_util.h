// For tests that need a GPU: loads the CUDA backend module once and says
// whether cuda:0 can run them, so that each test skips (GTEST_SKIP, with the
// reason) on a host without a GPU, its driver or the module, and runs where
// there is one.
#ifndef TENSORD_TESTS_DEVICE_CUDA_CUDA_TEST_UTIL_H_
#define TENSORD_TESTS_DEVICE_CUDA_CUDA_TEST_UTIL_H_

#include <string>

#include "device/device.h"
#include "gtest/gtest.h"

namespace tensord::device::testing {

// cuda:0.
inline Device Cuda0() { return Device{Device::Type::kCuda, 0}; }

// Empty when cuda:0 is ready; otherwise why not, starting with
// "no CUDA device" (the module's or the driver's own words follow).
const std::string& NoCudaDevice();

}  // namespace tensord::device::testing

// Skips the calling test where there is no cuda:0.
#define TENSORD_SKIP_WITHOUT_CUDA()                                                  \
  do {                                                                               \
    if (const std::string& tensord_why = ::tensord::device::testing::NoCudaDevice(); \
        !tensord_why.empty()) {                                                      \
      GTEST_SKIP() << tensord_why;                                                   \
    }                                                                                \
  } while (0)

#endif  // TENSORD_TESTS_DEVICE_CUDA_CUDA_TEST_UTIL_H_
