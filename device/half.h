// 16-bit floating-point storage types. Values are stored as bits and every
// arithmetic use goes through float, as PyTorch's CPU kernels do. The
// conversions also run in CUDA device code, where the hardware's
// round-to-nearest-even conversions give the same values.
#ifndef TENSORD_DEVICE_HALF_H_
#define TENSORD_DEVICE_HALF_H_

#include <bit>
#include <cstdint>
#include <cstring>

#include "device/host_device.h"

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace tensord::device {

struct Half {
  uint16_t bits = 0;
  Half() = default;
  TENSORD_HOST_DEVICE explicit Half(float f) : bits(FromFloat(f)) {}
  TENSORD_HOST_DEVICE operator float() const { return ToFloat(bits); }

  TENSORD_HOST_DEVICE static float ToFloat(uint16_t h) {
#if defined(__CUDA_ARCH__)
    return __half2float(__ushort_as_half(h));
#else
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t out;
    if (exp == 0) {
      if (mant == 0) {
        out = sign;
      } else {  // subnormal: renormalize
        exp = 127 - 15 + 1;
        while ((mant & 0x400) == 0) {
          mant <<= 1;
          --exp;
        }
        mant &= 0x3ff;
        out = sign | (exp << 23) | (mant << 13);
      }
    } else if (exp == 0x1f) {
      out = sign | 0x7f800000 | (mant << 13);
    } else {
      out = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(out);
#endif
  }

  // Round to nearest even, with overflow to infinity and subnormal results.
  TENSORD_HOST_DEVICE static uint16_t FromFloat(float f) {
#if defined(__CUDA_ARCH__)
    return __half_as_ushort(__float2half_rn(f));
#else
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
    const uint32_t abs = x & 0x7fffffff;
    if (abs >= 0x7f800000) {  // inf or nan
      return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
    }
    if (abs >= 0x477ff000) return sign | 0x7c00;  // rounds past 65504
    if (abs < 0x38800000) {  // subnormal half or zero
      const float shifted = std::bit_cast<float>(abs) + 0.5f;
      return sign | static_cast<uint16_t>(std::bit_cast<uint32_t>(shifted) - 0x3f000000);
    }
    const uint32_t mant_odd = (abs >> 13) & 1;
    const uint32_t rounded = abs + 0xc8000fff + mant_odd;  // rebias and round
    return sign | static_cast<uint16_t>(rounded >> 13);
#endif
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  TENSORD_HOST_DEVICE explicit BFloat16(float f) : bits(FromFloat(f)) {}
  TENSORD_HOST_DEVICE operator float() const { return ToFloat(bits); }

  TENSORD_HOST_DEVICE static float ToFloat(uint16_t b) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(static_cast<uint32_t>(b) << 16);
#else
    return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
#endif
  }
  // Round to nearest even; a NaN stays a (quiet) NaN.
  TENSORD_HOST_DEVICE static uint16_t FromFloat(float f) {
#if defined(__CUDA_ARCH__)
    return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#else
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((x >> 16) | 0x40);
    const uint32_t rounding = 0x7fff + ((x >> 16) & 1);
    return static_cast<uint16_t>((x + rounding) >> 16);
#endif
  }
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_HALF_H_
