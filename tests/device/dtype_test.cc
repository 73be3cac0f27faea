// dtype.h and half.h: item sizes, names, ParseDType, and PyTorch's type
// promotion (promote_types, can_cast, result_type) checked against tables
// generated with torch; Half/BFloat16 conversions checked bit for bit
// against torch's (round to nearest even, overflow, subnormals, NaN).
#include "device/dtype.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "device/half.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::HasSubstr;

constexpr DType kF32 = DType::kFloat32, kF64 = DType::kFloat64, kI64 = DType::kInt64,
                kI32 = DType::kInt32, kBool = DType::kBool, kF16 = DType::kFloat16,
                kBF16 = DType::kBFloat16;

// The order of kAllDTypes, which the tables below are indexed by.
TEST(DTypeTest, AllDTypesOrder) {
  const DType want[] = {kF32, kF64, kI64, kI32, kBool, kF16, kBF16};
  ASSERT_EQ(std::size(kAllDTypes), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(kAllDTypes[i], want[i]) << i;
}

TEST(DTypeTest, ItemSize) {
  EXPECT_EQ(ItemSize(kF32), 4u);
  EXPECT_EQ(ItemSize(kF64), 8u);
  EXPECT_EQ(ItemSize(kI64), 8u);
  EXPECT_EQ(ItemSize(kI32), 4u);
  EXPECT_EQ(ItemSize(kBool), 1u);
  EXPECT_EQ(ItemSize(kF16), 2u);
  EXPECT_EQ(ItemSize(kBF16), 2u);
}

TEST(DTypeTest, Categories) {
  for (DType t : {kF32, kF64, kF16, kBF16}) {
    EXPECT_TRUE(IsFloating(t)) << DTypeName(t);
    EXPECT_FALSE(IsIntegral(t)) << DTypeName(t);
  }
  for (DType t : {kI64, kI32}) {
    EXPECT_FALSE(IsFloating(t)) << DTypeName(t);
    EXPECT_TRUE(IsIntegral(t)) << DTypeName(t);
  }
  EXPECT_FALSE(IsFloating(kBool));
  EXPECT_FALSE(IsIntegral(kBool));
}

TEST(DTypeTest, Names) {
  EXPECT_EQ(DTypeName(kF32), "float32");
  EXPECT_EQ(DTypeName(kF64), "float64");
  EXPECT_EQ(DTypeName(kI64), "int64");
  EXPECT_EQ(DTypeName(kI32), "int32");
  EXPECT_EQ(DTypeName(kBool), "bool");
  EXPECT_EQ(DTypeName(kF16), "float16");
  EXPECT_EQ(DTypeName(kBF16), "bfloat16");
  EXPECT_EQ(TorchName(kF32), "torch.float32");
  EXPECT_EQ(TorchName(kBF16), "torch.bfloat16");
}

TEST(DTypeTest, ParseCanonicalNamesRoundTrip) {
  for (DType t : kAllDTypes) {
    absl::StatusOr<DType> p = ParseDType(DTypeName(t));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, t);
    absl::StatusOr<DType> q = ParseDType(TorchName(t));
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(*q, t);
  }
}

TEST(DTypeTest, ParseAliases) {
  struct Case {
    const char* name;
    DType want;
  } cases[] = {{"float", kF32},         {"double", kF64},       {"long", kI64},
               {"int", kI32},           {"half", kF16},         {"torch.float64", kF64},
               {"torch.double", kF64},  {"torch.long", kI64},   {"torch.half", kF16},
               {"torch.bool", kBool},   {"torch.int", kI32}};
  for (const Case& c : cases) {
    absl::StatusOr<DType> p = ParseDType(c.name);
    ASSERT_TRUE(p.ok()) << c.name << ": " << p.status();
    EXPECT_EQ(*p, c.want) << c.name;
  }
}

TEST(DTypeTest, ParseUnknownNameIsHelpful) {
  for (const char* bad : {"float128", "", "torch.", "complex64", "int8"}) {
    absl::StatusOr<DType> p = ParseDType(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr(std::string("unknown dtype '") + bad + "'"));
    // The message lists what is accepted.
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("float32"));
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("bfloat16"));
  }
}

// Generated with Debian's torch 1.13:
//   import torch
//   ts = [torch.float32, torch.float64, torch.int64, torch.int32, torch.bool,
//         torch.float16, torch.bfloat16]
//   for a in ts: print([torch.promote_types(a, b) for b in ts])
constexpr DType kPromote[7][7] = {
    {kF32, kF64, kF32, kF32, kF32, kF32, kF32},
    {kF64, kF64, kF64, kF64, kF64, kF64, kF64},
    {kF32, kF64, kI64, kI64, kI64, kF16, kBF16},
    {kF32, kF64, kI64, kI32, kI32, kF16, kBF16},
    {kF32, kF64, kI64, kI32, kBool, kF16, kBF16},
    {kF32, kF64, kF16, kF16, kF16, kF16, kF32},
    {kF32, kF64, kBF16, kBF16, kBF16, kF32, kBF16},
};

TEST(DTypeTest, PromoteTypesMatchesTorchForEveryPair) {
  for (size_t i = 0; i < 7; ++i) {
    for (size_t j = 0; j < 7; ++j) {
      EXPECT_EQ(PromoteTypes(kAllDTypes[i], kAllDTypes[j]), kPromote[i][j])
          << DTypeName(kAllDTypes[i]) << " x " << DTypeName(kAllDTypes[j]) << " gave "
          << DTypeName(PromoteTypes(kAllDTypes[i], kAllDTypes[j]));
    }
  }
}

// Generated with Debian's torch 1.13 (same ts as above):
//   for a in ts: print([torch.can_cast(a, b) for b in ts])
constexpr bool kCanCast[7][7] = {
    {true, true, false, false, false, true, true},
    {true, true, false, false, false, true, true},
    {true, true, true, true, false, true, true},
    {true, true, true, true, false, true, true},
    {true, true, true, true, true, true, true},
    {true, true, false, false, false, true, true},
    {true, true, false, false, false, true, true},
};

TEST(DTypeTest, CanCastMatchesTorchForEveryPair) {
  for (size_t i = 0; i < 7; ++i) {
    for (size_t j = 0; j < 7; ++j) {
      EXPECT_EQ(CanCast(kAllDTypes[i], kAllDTypes[j]), kCanCast[i][j])
          << DTypeName(kAllDTypes[i]) << " -> " << DTypeName(kAllDTypes[j]);
    }
  }
}

// One operand of torch.result_type.
struct Arg {
  enum Kind { kDimTensor, kZeroDim, kPython } kind;
  DType dtype;  // for kPython: float32 = float, int64 = int, bool = bool
};
Arg T(DType t) { return {Arg::kDimTensor, t}; }
Arg Z(DType t) { return {Arg::kZeroDim, t}; }
Arg Py(DType t) { return {Arg::kPython, t}; }

DType ResultOf(std::initializer_list<Arg> args) {
  ResultTypeState s;
  for (const Arg& a : args) {
    if (a.kind == Arg::kPython) {
      s.AddScalar(a.dtype);
    } else {
      s.AddTensor(a.dtype, a.kind == Arg::kZeroDim);
    }
  }
  return s.Result();
}

// Expected values from torch.result_type(a, b) with Debian's torch 1.13,
// where T(dt) = torch.ones(2, dtype=dt), Z(dt) = torch.tensor(1, dtype=dt)
// and Python numbers 2.5 (float), 7 (int) and True (bool).
TEST(DTypeTest, ResultTypeMatchesTorch) {
  const DType kPyFloat = kF32, kPyInt = kI64, kPyBool = kBool;
  struct Case {
    const char* what;
    Arg a, b;
    DType want;
  } cases[] = {
      {"T int32 + 2.5", T(kI32), Py(kPyFloat), kF32},
      {"T int32 + Z int64", T(kI32), Z(kI64), kI32},
      {"T float16 + Z float64", T(kF16), Z(kF64), kF16},
      {"T bool + 7", T(kBool), Py(kPyInt), kI64},
      {"T bool + True", T(kBool), Py(kPyBool), kBool},
      {"T int32 + Z float64", T(kI32), Z(kF64), kF64},
      {"T int64 + 2.5", T(kI64), Py(kPyFloat), kF32},
      {"Z int32 + 2.5", Z(kI32), Py(kPyFloat), kF32},
      {"Z int32 + 7", Z(kI32), Py(kPyInt), kI32},
      {"Z bool + 7", Z(kBool), Py(kPyInt), kI64},
      {"Z bool + 2.5", Z(kBool), Py(kPyFloat), kF32},
      {"Z float64 + 7", Z(kF64), Py(kPyInt), kF64},
      {"Z int64 + Z float16", Z(kI64), Z(kF16), kF16},
      {"T bool + Z int32", T(kBool), Z(kI32), kI32},
      {"T bfloat16 + Z float16", T(kBF16), Z(kF16), kBF16},
      {"T bfloat16 + 2.5", T(kBF16), Py(kPyFloat), kBF16},
      {"T int64 + T float16", T(kI64), T(kF16), kF16},
      {"T bool + Z bool", T(kBool), Z(kBool), kBool},
      {"T float16 + T bfloat16", T(kF16), T(kBF16), kF32},
      {"Z float16 + 2.5", Z(kF16), Py(kPyFloat), kF16},
      {"T bool + 2.5", T(kBool), Py(kPyFloat), kF32},
      {"T int32 + True", T(kI32), Py(kPyBool), kI32},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ResultOf({c.a, c.b}), c.want)
        << c.what << " gave " << DTypeName(ResultOf({c.a, c.b}));
    // result_type is symmetric.
    EXPECT_EQ(ResultOf({c.b, c.a}), c.want) << c.what << " (swapped)";
  }
}

TEST(DTypeTest, ResultTypeWrapsPythonNumbersToDefaults) {
  // A Python float is float32 whatever float dtype it is given as, an int is
  // int64: torch.tensor(2.5).dtype is float32 although a Python float is a
  // double, and torch.result_type(torch.tensor(1, dtype=torch.int32), 2.5)
  // is float32.
  EXPECT_EQ(ResultOf({Py(kF64)}), kF32);
  EXPECT_EQ(ResultOf({Py(kI32)}), kI64);
  EXPECT_EQ(ResultOf({Py(kBool)}), kBool);
  EXPECT_EQ(ResultOf({Z(kI32), Py(kF64)}), kF32);
  EXPECT_EQ(ResultOf({Z(kI32), Py(kI32)}), kI32);
}

// Three operands, checked with torch.clamp(a, b, c), which promotes over all
// three (Debian's torch 1.13), T and Z as above.
TEST(DTypeTest, ResultTypeOfThreeOperandsMatchesTorchClamp) {
  EXPECT_EQ(ResultOf({T(kI32), Z(kI64), Z(kF64)}), kF64);
  EXPECT_EQ(ResultOf({T(kI32), T(kI64), Z(kF64)}), kF64);
  EXPECT_EQ(ResultOf({T(kBF16), Z(kF64), Z(kI64)}), kBF16);
  EXPECT_EQ(ResultOf({Z(kI32), Z(kBool), Z(kI64)}), kI64);
  EXPECT_EQ(ResultOf({T(kI32), Z(kI64), Z(kI64)}), kI32);
  EXPECT_EQ(ResultOf({T(kI32), Z(kI64), T(kF32)}), kF32);
  EXPECT_EQ(ResultOf({Z(kI64), T(kI32), Z(kBF16)}), kBF16);
}

// No operands at all: the default dtype.
TEST(DTypeTest, ResultTypeOfNothingIsDefaultFloat) {
  EXPECT_EQ(ResultTypeState().Result(), kDefaultFloat);
  EXPECT_EQ(kDefaultFloat, kF32);
}

// ---- Half and BFloat16 ----

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }
float FromBits(uint32_t b) { return std::bit_cast<float>(b); }

// Expected bits from Debian's torch 1.13 (numpy 1.24 agrees for float16):
//   f = numpy.float32(v)
//   torch.tensor([f]).to(torch.float16).view(torch.int16)   (& 0xffff)
//   torch.tensor([f]).to(torch.bfloat16).view(torch.int16)  (& 0xffff)
struct ConvCase {
  uint32_t f32_bits;
  uint16_t half, bf16;
  const char* what;
};
constexpr ConvCase kConversions[] = {
    {0x3f800000, 0x3c00, 0x3f80, "1.0"},
    {0xc0000000, 0xc000, 0xc000, "-2.0"},
    {0x477fe000, 0x7bff, 0x4780, "65504 (largest half)"},
    {0x477fef00, 0x7bff, 0x4780, "65519 rounds down to 65504"},
    {0x477ff000, 0x7c00, 0x4780, "65520 overflows half to inf"},
    {0x49742400, 0x7c00, 0x4974, "1e6"},
    {0xc9742400, 0xfc00, 0xc974, "-1e6 overflows to -inf"},
    {0x3f801000, 0x3c00, 0x3f80, "1 + 2^-11: half tie to even (down)"},
    {0x3f803000, 0x3c02, 0x3f80, "1 + 3*2^-11: half tie to even (up)"},
    {0x38800000, 0x0400, 0x3880, "2^-14 (smallest normal half)"},
    {0x33800000, 0x0001, 0x3380, "2^-24 (smallest subnormal half)"},
    {0x33000000, 0x0000, 0x3300, "2^-25: tie to even gives 0"},
    {0x33400000, 0x0001, 0x3340, "3*2^-26 rounds up to 2^-24"},
    {0x32800000, 0x0000, 0x3280, "2^-26 underflows to 0"},
    {0x33c00000, 0x0002, 0x33c0, "1.5*2^-24: subnormal tie to even (up)"},
    {0x34200000, 0x0002, 0x3420, "2.5*2^-24: subnormal tie to even (down)"},
    {0x3dcccccd, 0x2e66, 0x3dcd, "0.1"},
    {0x80000000, 0x8000, 0x8000, "-0.0"},
    {0x7f800000, 0x7c00, 0x7f80, "inf"},
    {0xff800000, 0xfc00, 0xff80, "-inf"},
    {0x322bcc77, 0x0000, 0x322c, "1e-8"},
    {0x387fda40, 0x03ff, 0x3880, "6.1e-5: largest subnormal half"},
    {0x37fba882, 0x01f7, 0x37fc, "3e-5"},
    {0x3f808000, 0x3c04, 0x3f80, "1 + 2^-8: bf16 tie to even (down)"},
    {0x3f818000, 0x3c0c, 0x3f82, "1 + 3*2^-8: bf16 tie to even (up)"},
    {0x7f7f0000, 0x7c00, 0x7f7f, "largest bf16"},
    {0x7f7fffff, 0x7c00, 0x7f80, "FLT_MAX rounds bf16 to inf"},
    {0x000116c2, 0x0000, 0x0001, "1e-40 (float subnormal)"},
};

TEST(HalfTest, FromFloatMatchesTorch) {
  for (const ConvCase& c : kConversions) {
    EXPECT_EQ(Half(FromBits(c.f32_bits)).bits, c.half) << c.what;
  }
}

TEST(HalfTest, BFloat16FromFloatMatchesTorch) {
  for (const ConvCase& c : kConversions) {
    EXPECT_EQ(BFloat16(FromBits(c.f32_bits)).bits, c.bf16) << c.what;
  }
}

// torch.tensor([bits], dtype=torch.int16).view(torch.float16).float()
TEST(HalfTest, ToFloatMatchesTorch) {
  struct {
    uint16_t bits;
    float want;
  } cases[] = {
      {0x0001, 5.960464477539063e-08f}, {0x03ff, 6.097555160522461e-05f},
      {0x0400, 6.103515625e-05f},       {0x3c00, 1.0f},
      {0x7bff, 65504.0f},               {0x8001, -5.960464477539063e-08f},
      {0x3555, 0.333251953125f},        {0xc000, -2.0f},
      {0x8000, -0.0f},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Bits(Half::ToFloat(c.bits)), Bits(c.want)) << std::hex << c.bits;
  }
  EXPECT_EQ(Half::ToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Half::ToFloat(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(HalfTest, BFloat16ToFloatMatchesTorch) {
  EXPECT_EQ(BFloat16::ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(BFloat16::ToFloat(0x4049), 3.140625f);
  EXPECT_EQ(BFloat16::ToFloat(0x7f7f), 3.3895313892515355e+38f);
  EXPECT_EQ(BFloat16::ToFloat(0x0001), 9.183549615799121e-41f);
  EXPECT_EQ(BFloat16::ToFloat(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Bits(BFloat16::ToFloat(0x8000)), 0x80000000u);
}

TEST(HalfTest, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    const float f = Half::ToFloat(h);
    if (std::isnan(f)) {
      EXPECT_TRUE((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) << std::hex << b;
      continue;
    }
    ASSERT_EQ(Half::FromFloat(f), h) << std::hex << b;
  }
}

TEST(HalfTest, NaNStaysNaNWithItsSign) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // torch: torch.tensor([float('nan')]).to(torch.float16) is 0x7e00.
  EXPECT_EQ(Half(nan).bits, 0x7e00);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(nan))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(-nan))));
  EXPECT_TRUE(std::signbit(static_cast<float>(Half(-nan))));
  // A signalling NaN whose payload sits only in the low bits must not turn
  // into infinity.
  const float snan = FromBits(0x7f800001);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(snan))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(snan))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(nan))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(-nan))));
  EXPECT_TRUE(std::signbit(static_cast<float>(BFloat16(-nan))));
}

}  // namespace
}  // namespace tensord::device
