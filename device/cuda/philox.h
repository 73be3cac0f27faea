// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11), the counter-based generator of Random123 and cuRAND: four
// 32-bit outputs that are a pure function of a 128-bit counter and a 64-bit
// key. The CUDA random kernels key it with the seed and count with the
// element index, so a seed gives the same tensor on every run and launch
// shape. Plain host/device code: the host unit tests check it against
// Random123's known-answer vectors.
#ifndef TENSORD_DEVICE_CUDA_PHILOX_H_
#define TENSORD_DEVICE_CUDA_PHILOX_H_

#include <cstdint>

#include "device/host_device.h"

namespace tensord::device::cuda {

struct PhiloxBlock {
  uint32_t v[4];
};

TENSORD_HOST_DEVICE inline uint32_t MulHi32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((uint64_t{a} * b) >> 32);
#endif
}

TENSORD_HOST_DEVICE inline PhiloxBlock Philox4x32(PhiloxBlock ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  TENSORD_UNROLL
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    const uint32_t hi0 = MulHi32(kM0, ctr.v[0]), lo0 = kM0 * ctr.v[0];
    const uint32_t hi1 = MulHi32(kM1, ctr.v[2]), lo1 = kM1 * ctr.v[2];
    ctr = PhiloxBlock{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
  }
  return ctr;
}

// The four words drawn for element `index` under `seed`.
TENSORD_HOST_DEVICE inline PhiloxBlock PhiloxForElement(uint64_t seed, uint64_t index) {
  return Philox4x32(
      PhiloxBlock{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), 0u, 0u}},
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform in [0, 1): 24 random bits (exact in float), or 53 from two words.
TENSORD_HOST_DEVICE inline float Uniform24(uint32_t w) {
  return static_cast<float>(w >> 8) * 0x1.0p-24f;
}
TENSORD_HOST_DEVICE inline double Uniform53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((uint64_t{hi} << 32) | lo) >> 11) * 0x1.0p-53;
}

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_PHILOX_H_
