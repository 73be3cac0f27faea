// Tests of the CPU backend's primitives against values computed
// independently here (plain double arithmetic on the host). Tensors are made
// with the backend's Allocate + CopyFromHost and read back through
// CopyToHost of their whole storage, gathered by strides in the test, so a
// broken Copy primitive cannot hide its own bugs.
#include "device/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "device/cpu/parallel.h"
#include "device/registry.h"
#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Backend& Cpu() { return CpuBackendInstance(); }

bool Contains(absl::string_view text, absl::string_view part) {
  return text.find(part) != absl::string_view::npos;
}

// Reads a storage's address the way a backend does (only to check alignment).
struct DataPeek : Backend {
  static void* Of(const Storage& s) { return Data(s); }
};

template <typename T>
constexpr DType kDT = DType::kFloat32;
template <>
constexpr DType kDT<double> = DType::kFloat64;
template <>
constexpr DType kDT<int64_t> = DType::kInt64;
template <>
constexpr DType kDT<int32_t> = DType::kInt32;
template <>
constexpr DType kDT<bool> = DType::kBool;
template <>
constexpr DType kDT<Half> = DType::kFloat16;
template <>
constexpr DType kDT<BFloat16> = DType::kBFloat16;

Tensor Empty(const Shape& shape, DType dt) {
  absl::StatusOr<std::shared_ptr<Storage>> st = Cpu().Allocate(Numel(shape) * ItemSize(dt));
  EXPECT_TRUE(st.ok()) << st.status();
  return Tensor(*st, shape, ContiguousStrides(shape), 0, dt);
}

// Element conversion for building inputs and expectations from doubles.
template <typename T>
T From(double v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}
template <typename T>
double ToD(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v);
  } else {
    return static_cast<double>(v);
  }
}

template <typename T>
Tensor Make(const Shape& shape, const std::vector<T>& values) {
  EXPECT_EQ(static_cast<int64_t>(values.size()), Numel(shape));
  Tensor t = Empty(shape, kDT<T>);
  std::vector<unsigned char> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    const T v = values[i];
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
  EXPECT_TRUE(Cpu().CopyFromHost(bytes.data(), t).ok());
  return t;
}
template <typename T>
Tensor MakeD(const Shape& shape, const std::vector<double>& values) {
  std::vector<T> v;
  for (double x : values) v.push_back(From<T>(x));
  return Make<T>(shape, v);
}

// Calls f(offset) for every element of t in row-major order.
template <typename F>
void ForEachOffset(const Tensor& t, F f) {
  const int64_t n = t.numel();
  std::vector<int64_t> idx(t.dim(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = t.offset();
    for (int64_t d = 0; d < t.dim(); ++d) off += idx[d] * t.strides()[d];
    f(off);
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++idx[d] < t.shape()[d]) break;
      idx[d] = 0;
    }
  }
}

// t's elements in row-major order, whatever its strides.
template <typename T>
std::vector<T> Read(const Tensor& t) {
  EXPECT_EQ(t.dtype(), kDT<T>);
  const int64_t count = static_cast<int64_t>(t.storage().nbytes() / sizeof(T));
  const Tensor whole(t.storage_ptr(), {count}, {1}, 0, t.dtype());
  std::vector<unsigned char> bytes(t.storage().nbytes());
  EXPECT_TRUE(Cpu().CopyToHost(whole, bytes.data()).ok());
  std::vector<T> out;
  ForEachOffset(t, [&](int64_t off) {
    T v;
    std::memcpy(&v, bytes.data() + off * sizeof(T), sizeof(T));
    out.push_back(v);
  });
  return out;
}
template <typename T>
std::vector<double> ReadD(const Tensor& t) {
  std::vector<double> out;
  for (T v : Read<T>(t)) out.push_back(ToD(v));
  return out;
}

// Exact comparison that treats NaN == NaN.
void ExpectSame(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": got " << got[i];
    } else {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    }
  }
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double rel) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(want[i])) {
      ExpectSame({got[i]}, {want[i]});
    } else {
      EXPECT_NEAR(got[i], want[i], rel * (1.0 + std::abs(want[i]))) << "at " << i;
    }
  }
}

Tensor T2(const Tensor& t) { return *t.Transpose(0, 1); }

// ---------------------------------------------------------------- memory

TEST(CpuBackendMemory, RegisteredForCpu) {
  absl::StatusOr<Backend*> b = FindBackend(Device::Cpu());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, &Cpu());
  EXPECT_EQ(Cpu().device(), Device::Cpu());
}

TEST(CpuBackendMemory, AllocateIsAlignedAndZeroBytesWork) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{1000}}) {
    absl::StatusOr<std::shared_ptr<Storage>> s = Cpu().Allocate(n);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->nbytes(), n);
    EXPECT_EQ(&(*s)->backend(), &Cpu());
    void* p = DataPeek::Of(**s);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
  }
  Tensor empty = Empty({0, 3}, DType::kFloat32);
  EXPECT_TRUE(Cpu().CopyFromHost(nullptr, empty).ok());
  EXPECT_TRUE(Cpu().CopyToHost(empty, nullptr).ok());
}

TEST(CpuBackendMemory, HugeAllocationIsResourceExhausted) {
  for (size_t n : {std::numeric_limits<size_t>::max(), size_t{1} << 62}) {
    absl::StatusOr<std::shared_ptr<Storage>> s = Cpu().Allocate(n);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(Contains(s.status().message(), "out of host memory allocating"))
        << s.status().message();
    EXPECT_TRUE(Contains(s.status().message(), "free tensors or lower the size"))
        << s.status().message();
  }
}

TEST(CpuBackendMemory, HostRoundTripAndContiguityCheck) {
  Tensor t = MakeD<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<double> back(6);
  ASSERT_TRUE(Cpu().CopyToHost(t, back.data()).ok());
  EXPECT_EQ(back, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  // A contiguous view with an offset copies from the offset.
  Tensor row = *t.Select(0, 1);
  std::vector<double> r(3);
  ASSERT_TRUE(Cpu().CopyToHost(row, r.data()).ok());
  EXPECT_EQ(r, (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(Cpu().CopyToHost(T2(t), back.data()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Cpu().CopyFromHost(back.data(), T2(t)).code(), absl::StatusCode::kInvalidArgument);
}

TEST(CpuBackendMemory, OutOfBoundsViewIsRejected) {
  Tensor t = Empty({4}, DType::kFloat32);
  Tensor bad = t.WithMeta({4}, {2}, 0);  // reaches element 6 of 4
  EXPECT_EQ(Cpu().Fill(bad, Scalar(1.0)).code(), absl::StatusCode::kInvalidArgument);
  Tensor bad_offset = t.WithMeta({2}, {1}, 3);
  EXPECT_EQ(Cpu().Fill(bad_offset, Scalar(1.0)).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- fill

template <typename T>
class TypedTest : public ::testing::Test {};
using AllTypes = ::testing::Types<float, double, int64_t, int32_t, bool, Half, BFloat16>;
using NumericTypes = ::testing::Types<float, double, int64_t, int32_t, Half, BFloat16>;
using FloatTypes = ::testing::Types<float, double, Half, BFloat16>;
TYPED_TEST_SUITE(TypedTest, AllTypes);

template <typename T>
class NumericTest : public ::testing::Test {};
TYPED_TEST_SUITE(NumericTest, NumericTypes);

template <typename T>
class FloatTest : public ::testing::Test {};
TYPED_TEST_SUITE(FloatTest, FloatTypes);

TYPED_TEST(TypedTest, FillContiguousAndStrided) {
  using T = TypeParam;
  Tensor t = MakeD<T>({3, 4}, std::vector<double>(12, 0.0));
  ASSERT_TRUE(Cpu().Fill(t, Scalar(2.5)).ok());
  const double v = kDT<T> == DType::kBool ? 1 : IsIntegral(kDT<T>) ? 2 : 2.5;
  ExpectSame(ReadD<T>(t), std::vector<double>(12, v));

  // Column 1 and every other element of row 2 only.
  ASSERT_TRUE(Cpu().Fill(t, Scalar(0)).ok());
  ASSERT_TRUE(Cpu().Fill(*t.Select(1, 1), Scalar(int64_t{1})).ok());
  ASSERT_TRUE(Cpu().Fill(*(*t.Select(0, 2)).Slice(0, 0, 4, 2), Scalar(true)).ok());
  ExpectSame(ReadD<T>(t), {0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0});
  // A 0-d tensor.
  Tensor s = MakeD<T>({}, {0});
  ASSERT_TRUE(Cpu().Fill(s, Scalar(int64_t{1})).ok());
  ExpectSame(ReadD<T>(s), {1});
}

// ---------------------------------------------------------------- copy

template <typename To>
struct CopyToAll {
  template <typename From>
  static void Check() {
    // 0, 1, 3 and 7 are exact in every dtype; bool sources hold 0/1.
    const bool from_bool = kDT<From> == DType::kBool;
    const std::vector<double> src =
        from_bool ? std::vector<double>{0, 1, 1, 0} : std::vector<double>{0, 1, 3, 7};
    Tensor a = MakeD<From>({2, 2}, src);
    Tensor out = Empty({2, 2}, kDT<To>);
    ASSERT_TRUE(Cpu().Copy(a, out).ok());
    std::vector<double> want;
    for (double x : src) want.push_back(kDT<To> == DType::kBool ? (x != 0) : x);
    ExpectSame(ReadD<To>(out), want);
  }
};

TYPED_TEST(TypedTest, CopyFromEveryDType) {
  using To = TypeParam;
  CopyToAll<To>::template Check<float>();
  CopyToAll<To>::template Check<double>();
  CopyToAll<To>::template Check<int64_t>();
  CopyToAll<To>::template Check<int32_t>();
  CopyToAll<To>::template Check<bool>();
  CopyToAll<To>::template Check<Half>();
  CopyToAll<To>::template Check<BFloat16>();
}

TEST(CpuBackendCopy, FloatToIntTruncatesAndToBoolIsNonZero) {
  Tensor f = MakeD<float>({7}, {-2.7, -0.5, 0.0, -0.0, 0.5, 2.7, kNaN});
  Tensor i64 = Empty({7}, DType::kInt64);
  Tensor i32 = Empty({7}, DType::kInt32);
  Tensor b = Empty({7}, DType::kBool);
  ASSERT_TRUE(Cpu().Copy(f, i64).ok());
  ASSERT_TRUE(Cpu().Copy(f, i32).ok());
  ASSERT_TRUE(Cpu().Copy(f, b).ok());
  const std::vector<int64_t> want64 = {-2, 0, 0, 0, 0, 2, std::numeric_limits<int64_t>::min()};
  EXPECT_EQ(Read<int64_t>(i64), want64);
  const std::vector<int32_t> want32 = {-2, 0, 0, 0, 0, 2, std::numeric_limits<int32_t>::min()};
  EXPECT_EQ(Read<int32_t>(i32), want32);
  EXPECT_EQ(Read<bool>(b), (std::vector<bool>{true, true, false, false, true, true, true}));

  Tensor h = MakeD<Half>({3}, {-3.75, 0.0, kNaN});
  ASSERT_TRUE(Cpu().Copy(h, *i64.Slice(0, 0, 3, 1)).ok());
  ASSERT_TRUE(Cpu().Copy(h, *b.Slice(0, 0, 3, 1)).ok());
  EXPECT_EQ(Read<int64_t>(*i64.Slice(0, 0, 2, 1)), (std::vector<int64_t>{-3, 0}));
  EXPECT_EQ(Read<bool>(*b.Slice(0, 0, 3, 1)), (std::vector<bool>{true, false, true}));

  // int64 -> int32 wraps modulo 2^32.
  Tensor big = Make<int64_t>({2}, {(int64_t{1} << 32) + 5, -(int64_t{1} << 32) - 1});
  Tensor small = Empty({2}, DType::kInt32);
  ASSERT_TRUE(Cpu().Copy(big, small).ok());
  EXPECT_EQ(Read<int32_t>(small), (std::vector<int32_t>{5, -1}));
}

TEST(CpuBackendCopy, HalfAndBFloat16Rounding) {
  Tensor d = Make<double>({8}, {1.0 / 3, 70000.0, 65519.0, 65520.0, 1e-7, -1e-7, 2.9e-8, 65504.0});
  Tensor h = Empty({8}, DType::kFloat16);
  ASSERT_TRUE(Cpu().Copy(d, h).ok());
  // numpy.float16 of each value.
  ExpectSame(ReadD<Half>(h), {0.333251953125, kInf, 65504.0, kInf, 1.1920928955078125e-07,
                              -1.1920928955078125e-07, 0.0, 65504.0});
  // Back to float32 and float64 exactly.
  Tensor f = Empty({8}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Copy(h, f).ok());
  ExpectSame(ReadD<float>(f), ReadD<Half>(h));

  Tensor third = Make<float>({3}, {1.0f / 3, 1e30f, -1.00390625f});
  Tensor bf = Empty({3}, DType::kBFloat16);
  ASSERT_TRUE(Cpu().Copy(third, bf).ok());
  // 1.00390625 is halfway between bf16 neighbours 1 and 1.0078125: ties to even.
  ExpectSame(ReadD<BFloat16>(bf), {0.333984375, 1.0002555517425873e+30, -1.0});
  // bf16 -> half overflows to inf, half -> bf16 keeps the value.
  Tensor h2 = Empty({3}, DType::kFloat16);
  ASSERT_TRUE(Cpu().Copy(bf, h2).ok());
  ExpectSame(ReadD<Half>(h2), {0.333984375, kInf, -1.0});
}

TEST(CpuBackendCopy, StridedBroadcastAndInPlace) {
  Tensor a = MakeD<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  // Transposed source into a contiguous out.
  Tensor out = Empty({3, 2}, DType::kFloat64);
  ASSERT_TRUE(Cpu().Copy(T2(a), out).ok());
  ExpectSame(ReadD<double>(out), {1, 4, 2, 5, 3, 6});
  // Broadcast (zero-stride) source.
  Tensor row = MakeD<int32_t>({1, 3}, {7, 8, 9});
  const int64_t shape[] = {2, 3};
  Tensor wide = Empty({2, 3}, DType::kInt64);
  ASSERT_TRUE(Cpu().Copy(*row.Expand(shape), wide).ok());
  ExpectSame(ReadD<int64_t>(wide), {7, 8, 9, 7, 8, 9});
  // Strided out: every other column of a [2, 6].
  Tensor big = MakeD<double>({2, 6}, std::vector<double>(12, -1));
  ASSERT_TRUE(Cpu().Copy(a, *big.Slice(1, 0, 6, 2)).ok());
  ExpectSame(ReadD<double>(big), {1, -1, 2, -1, 3, -1, 4, -1, 5, -1, 6, -1});
  // Exact overlap: copying a tensor onto itself (also transposed onto itself).
  ASSERT_TRUE(Cpu().Copy(a, a).ok());
  ASSERT_TRUE(Cpu().Copy(T2(a), T2(a)).ok());
  ExpectSame(ReadD<float>(a), {1, 2, 3, 4, 5, 6});
  // 0-d to 0-d.
  Tensor s = MakeD<Half>({}, {0.1});
  Tensor s2 = Empty({}, DType::kFloat64);
  ASSERT_TRUE(Cpu().Copy(s, s2).ok());
  ExpectSame(ReadD<double>(s2), {static_cast<float>(Half(0.1f))});
  // Shape mismatch.
  EXPECT_EQ(Cpu().Copy(a, out).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- unary

TYPED_TEST(FloatTest, UnaryMathMatchesDouble) {
  using T = TypeParam;
  const std::vector<double> x = {0.25, 1.0, 2.5, 9.0, -4.0, 0.0};
  // Reference: the op in double, rounded to T (for the 16-bit types via
  // float as the kernel does: one rounding to float is exact for these).
  auto run = [&](UnaryOp op, double (*ref)(double)) {
    Tensor in = MakeD<T>({2, 3}, x);
    Tensor out = Empty({2, 3}, kDT<T>);
    ASSERT_TRUE(Cpu().Unary(op, in, out).ok());
    std::vector<double> want;
    for (double v : x) want.push_back(ToD(From<T>(static_cast<float>(ref(ToD(From<T>(v)))))));
    if constexpr (std::is_same_v<T, double>) {
      want.clear();
      for (double v : x) want.push_back(ref(v));
      ExpectNear(ReadD<T>(out), want, 1e-15);
    } else {
      ExpectSame(ReadD<T>(out), want);
    }
  };
  run(UnaryOp::kExp, [](double v) { return std::exp(v); });
  run(UnaryOp::kLog, [](double v) { return std::log(v); });
  run(UnaryOp::kSqrt, [](double v) { return std::sqrt(v); });
  run(UnaryOp::kNeg, [](double v) { return -v; });
  run(UnaryOp::kAbs, [](double v) { return std::abs(v); });
}

TEST(CpuBackendUnary, SpecialValues) {
  Tensor in = Make<float>({4}, {-1.0f, 0.0f, -0.0f, -std::numeric_limits<float>::infinity()});
  Tensor out = Empty({4}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kLog, in, out).ok());
  std::vector<float> got = Read<float>(out);
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(got[2], -std::numeric_limits<float>::infinity());
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kSqrt, in, out).ok());
  EXPECT_TRUE(std::isnan(Read<float>(out)[0]));
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kAbs, in, out).ok());
  got = Read<float>(out);
  EXPECT_FALSE(std::signbit(got[2]));  // abs(-0) = +0
  EXPECT_EQ(got[3], std::numeric_limits<float>::infinity());
  // exp overflows to inf in half.
  Tensor h = MakeD<Half>({1}, {12.0});
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kExp, h, h).ok());
  ExpectSame(ReadD<Half>(h), {kInf});
}

TEST(CpuBackendUnary, IntegersNegAndAbsWrap) {
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  Tensor a = Make<int64_t>({4}, {-5, 0, 7, min64});
  Tensor o = Empty({4}, DType::kInt64);
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kNeg, a, o).ok());
  EXPECT_EQ(Read<int64_t>(o), (std::vector<int64_t>{5, 0, -7, min64}));
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kAbs, a, o).ok());
  EXPECT_EQ(Read<int64_t>(o), (std::vector<int64_t>{5, 0, 7, min64}));
  Tensor b = Make<int32_t>({2, 2}, {-1, 2, -3, 4});
  Tensor ob = Empty({2, 2}, DType::kInt32);
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kAbs, T2(b), ob).ok());  // transposed input
  EXPECT_EQ(Read<int32_t>(ob), (std::vector<int32_t>{1, 3, 2, 4}));
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kNeg, b, b).ok());  // in place
  EXPECT_EQ(Read<int32_t>(b), (std::vector<int32_t>{1, -2, 3, -4}));
}

TEST(CpuBackendUnary, Errors) {
  Tensor b = Make<bool>({2}, {true, false});
  Tensor ob = Empty({2}, DType::kBool);
  absl::Status s = Cpu().Unary(UnaryOp::kNeg, b, ob);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.");
  ASSERT_TRUE(Cpu().Unary(UnaryOp::kAbs, b, ob).ok());
  EXPECT_EQ(Read<bool>(ob), (std::vector<bool>{true, false}));
  Tensor i = Make<int32_t>({2}, {1, 4});
  Tensor oi = Empty({2}, DType::kInt32);
  for (UnaryOp op : {UnaryOp::kExp, UnaryOp::kLog, UnaryOp::kSqrt}) {
    EXPECT_EQ(Cpu().Unary(op, i, oi).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Cpu().Unary(op, b, ob).code(), absl::StatusCode::kInvalidArgument);
  }
  // dtype mismatch between in and out.
  Tensor of = Empty({2}, DType::kFloat32);
  EXPECT_EQ(Cpu().Unary(UnaryOp::kNeg, i, of).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- binary

double RefBinary(BinaryOp op, double a, double b, bool integral) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return integral ? std::trunc(a / b) : a / b;
    case BinaryOp::kMaximum:
      return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b);
    case BinaryOp::kMinimum:
      return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b);
    case BinaryOp::kEq:
      return a == b;
    case BinaryOp::kNe:
      return a != b;
    case BinaryOp::kLt:
      return a < b;
    case BinaryOp::kLe:
      return a <= b;
    case BinaryOp::kGt:
      return a > b;
    case BinaryOp::kGe:
      return a >= b;
    default:  // the newer ops are checked through the op registry's cases
      ADD_FAILURE() << "no reference for binary op " << static_cast<int>(op);
      return 0;
  }
}

constexpr BinaryOp kAllBinary[] = {BinaryOp::kAdd, BinaryOp::kSub,     BinaryOp::kMul,
                                   BinaryOp::kDiv, BinaryOp::kMaximum, BinaryOp::kMinimum,
                                   BinaryOp::kEq,  BinaryOp::kNe,      BinaryOp::kLt,
                                   BinaryOp::kLe,  BinaryOp::kGt,      BinaryOp::kGe};

// Runs op on a (contiguous, transposed, or broadcast) and b and checks every
// element against RefBinary rounded to the output dtype.
template <typename T>
void CheckBinary(BinaryOp op, const Tensor& a, const Tensor& b, const std::vector<double>& av,
                 const std::vector<double>& bv) {
  const bool cmp = IsComparison(op);
  Tensor out = Empty(a.shape(), cmp ? DType::kBool : kDT<T>);
  ASSERT_TRUE(Cpu().Binary(op, a, b, out).ok()) << static_cast<int>(op);
  std::vector<double> want;
  for (size_t i = 0; i < av.size(); ++i) {
    const double r = RefBinary(op, av[i], bv[i], IsIntegral(kDT<T>));
    want.push_back(cmp ? r : ToD(From<T>(r)));
  }
  SCOPED_TRACE(static_cast<int>(op));
  ExpectSame(cmp ? ReadD<bool>(out) : ReadD<T>(out), want);
}

TYPED_TEST(NumericTest, BinaryAllOpsContiguousStridedBroadcast) {
  using T = TypeParam;
  const std::vector<double> av = {-6, -1, 0, 2, 5, 7};
  const std::vector<double> bv = {4, -1, 3, 2, -2, 7};
  Tensor a = MakeD<T>({2, 3}, av);
  Tensor b = MakeD<T>({2, 3}, bv);
  // a^T laid out so that its transpose reads av in row-major order.
  Tensor at = MakeD<T>({3, 2}, {-6, 2, -1, 5, 0, 7});
  // A row broadcast over the rows, and a 0-d value broadcast everywhere.
  Tensor row = MakeD<T>({1, 3}, {4, -1, 3});
  Tensor one = MakeD<T>({}, {3});
  const int64_t shape[] = {2, 3};
  for (BinaryOp op : kAllBinary) {
    CheckBinary<T>(op, a, b, av, bv);
    CheckBinary<T>(op, T2(at), b, av, bv);
    CheckBinary<T>(op, a, *row.Expand(shape), av, {4, -1, 3, 4, -1, 3});
    CheckBinary<T>(op, *one.Expand(shape), b, std::vector<double>(6, 3), bv);
  }
}

TYPED_TEST(NumericTest, BinaryInPlaceAndInnerBroadcast) {
  using T = TypeParam;
  // out == a (in place) with b broadcast along the inner dim (stride 0).
  Tensor a = MakeD<T>({3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor col = MakeD<T>({3, 1}, {1, 2, 3});
  const int64_t shape[] = {3, 4};
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kMul, a, *col.Expand(shape), a).ok());
  ExpectSame(ReadD<T>(a), {1, 2, 3, 4, 10, 12, 14, 16, 27, 30, 33, 36});
  // out == b, a broadcast.
  Tensor b = MakeD<T>({3, 4}, std::vector<double>(12, 1));
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kSub, *col.Expand(shape), b, b).ok());
  ExpectSame(ReadD<T>(b), {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  // A long contiguous run.
  std::vector<double> x(1000), y(1000), want(1000);
  for (int i = 0; i < 1000; ++i) {
    x[i] = i % 50;
    y[i] = (i * 7) % 13;
    want[i] = ToD(From<T>(x[i] + y[i]));
  }
  Tensor lx = MakeD<T>({1000}, x);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kAdd, lx, MakeD<T>({1000}, y), lx).ok());
  ExpectSame(ReadD<T>(lx), want);
}

TYPED_TEST(FloatTest, BinaryNaNAndRounding) {
  using T = TypeParam;
  Tensor a = MakeD<T>({3}, {kNaN, 1, 2});
  Tensor b = MakeD<T>({3}, {0, kNaN, 3});
  Tensor o = Empty({3}, kDT<T>);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kMaximum, a, b, o).ok());
  ExpectSame(ReadD<T>(o), {kNaN, kNaN, 3});
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kMinimum, a, b, o).ok());
  ExpectSame(ReadD<T>(o), {kNaN, kNaN, 2});
  Tensor ob = Empty({3}, DType::kBool);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kNe, a, a, ob).ok());
  EXPECT_EQ(Read<bool>(ob), (std::vector<bool>{true, false, false}));
  // Division rounds once into T: 1/3 and 1/0.
  Tensor one = MakeD<T>({2}, {1, 1});
  Tensor den = MakeD<T>({2}, {3, 0});
  Tensor q = Empty({2}, kDT<T>);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kDiv, one, den, q).ok());
  const double third = std::is_same_v<T, Half>       ? 0.333251953125
                       : std::is_same_v<T, BFloat16> ? 0.333984375
                       : std::is_same_v<T, float>    ? static_cast<double>(1.0f / 3.0f)
                                                     : 1.0 / 3.0;
  ExpectSame(ReadD<T>(q), {third, kInf});
}

TEST(CpuBackendBinary, HalfOverflowGoesToInfinity) {
  Tensor a = MakeD<Half>({1}, {60000});
  Tensor o = Empty({1}, DType::kFloat16);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kAdd, a, a, o).ok());
  ExpectSame(ReadD<Half>(o), {kInf});
}

TEST(CpuBackendBinary, IntegerDivision) {
  Tensor a = Make<int32_t>({4}, {7, -7, 7, std::numeric_limits<int32_t>::min()});
  Tensor b = Make<int32_t>({4}, {2, 2, -2, -1});
  Tensor o = Empty({4}, DType::kInt32);
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kDiv, a, b, o).ok());
  EXPECT_EQ(Read<int32_t>(o),
            (std::vector<int32_t>{3, -3, -3, std::numeric_limits<int32_t>::min()}));
  // Division by zero fails and leaves an in-place output untouched.
  Tensor c = Make<int64_t>({3}, {1, 2, 3});
  Tensor z = Make<int64_t>({3}, {1, 0, 1});
  absl::Status s = Cpu().Binary(BinaryOp::kDiv, c, z, c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "ZeroDivisionError")) << s.message();
  EXPECT_EQ(Read<int64_t>(c), (std::vector<int64_t>{1, 2, 3}));
  // Wrapping add.
  Tensor m = Make<int64_t>({1}, {std::numeric_limits<int64_t>::max()});
  Tensor one = Make<int64_t>({1}, {1});
  ASSERT_TRUE(Cpu().Binary(BinaryOp::kAdd, m, one, m).ok());
  EXPECT_EQ(Read<int64_t>(m)[0], std::numeric_limits<int64_t>::min());
}

TEST(CpuBackendBinary, Bool) {
  Tensor a = Make<bool>({4}, {false, false, true, true});
  Tensor b = Make<bool>({4}, {false, true, false, true});
  Tensor o = Empty({4}, DType::kBool);
  auto run = [&](BinaryOp op) {
    EXPECT_TRUE(Cpu().Binary(op, a, b, o).ok());
    return Read<bool>(o);
  };
  EXPECT_EQ(run(BinaryOp::kAdd), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(run(BinaryOp::kMul), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(run(BinaryOp::kMaximum), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(run(BinaryOp::kMinimum), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(run(BinaryOp::kEq), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(run(BinaryOp::kLt), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(run(BinaryOp::kGe), (std::vector<bool>{true, false, true, true}));
  absl::Status s = Cpu().Binary(BinaryOp::kSub, a, b, o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead.");
}

TEST(CpuBackendBinary, ShapeAndDTypeChecks) {
  Tensor a = Empty({2, 3}, DType::kFloat32);
  Tensor b = Empty({3, 2}, DType::kFloat32);
  Tensor i = Empty({2, 3}, DType::kInt32);
  Tensor o = Empty({2, 3}, DType::kFloat32);
  EXPECT_EQ(Cpu().Binary(BinaryOp::kAdd, a, b, o).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Cpu().Binary(BinaryOp::kAdd, a, i, o).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Cpu().Binary(BinaryOp::kEq, a, a, o).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- reduce

// Reference reduction of a contiguous row-major `x` of `shape` over `dims`.
std::vector<double> RefReduce(ReduceOp op, const Shape& shape, const std::vector<double>& x,
                              const std::vector<int64_t>& dims) {
  Shape out_shape = shape;
  for (int64_t d : dims) out_shape[d] = 1;
  const Strides out_strides = ContiguousStrides(out_shape);
  const double init = op == ReduceOp::kSum    ? 0
                      : op == ReduceOp::kProd ? 1
                      : op == ReduceOp::kMax  ? -kInf
                                              : kInf;
  std::vector<double> acc(Numel(out_shape), init);
  std::vector<int64_t> idx(shape.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      o += (out_shape[d] == 1 ? 0 : idx[d]) * out_strides[d];
    double& a = acc[o];
    switch (op) {
      case ReduceOp::kSum:
        a += x[i];
        break;
      case ReduceOp::kProd:
        a *= x[i];
        break;
      case ReduceOp::kMax:
        a = (std::isnan(a) || std::isnan(x[i])) ? kNaN : std::max(a, x[i]);
        break;
      case ReduceOp::kMin:
        a = (std::isnan(a) || std::isnan(x[i])) ? kNaN : std::min(a, x[i]);
        break;
    }
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return acc;
}

TYPED_TEST(NumericTest, ReduceOverSeveralDims) {
  using T = TypeParam;
  const Shape shape = {2, 3, 4};
  std::vector<double> x(24);
  // Small values with products that stay exact in every dtype.
  for (int i = 0; i < 24; ++i) x[i] = (i % 5) - 2 + ((i % 7) == 3 ? 1 : 0);
  Tensor in = MakeD<T>(shape, x);
  const std::vector<std::vector<int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMax, ReduceOp::kMin}) {
    for (const std::vector<int64_t>& dims : dim_sets) {
      Shape out_shape = shape;
      for (int64_t d : dims) out_shape[d] = 1;
      Tensor out = Empty(out_shape, kDT<T>);
      ASSERT_TRUE(Cpu().Reduce(op, in, dims, out).ok());
      std::vector<double> want;
      for (double v : RefReduce(op, shape, x, dims)) want.push_back(ToD(From<T>(v)));
      SCOPED_TRACE(::testing::Message()
                   << "op " << static_cast<int>(op) << " dims " << ShapeToString(dims));
      ExpectSame(ReadD<T>(out), want);
    }
  }
}

TEST(CpuBackendReduce, StridedInputAndOutput) {
  // in = a transposed [4, 3] view of a [3, 4] tensor; out a strided column.
  std::vector<double> x(12);
  for (int i = 0; i < 12; ++i) x[i] = i * 0.5 - 2;
  Tensor base = MakeD<double>({3, 4}, x);
  Tensor in = T2(base);  // [4, 3], in[i][j] = x[j * 4 + i]
  Tensor holder = MakeD<double>({4, 2}, std::vector<double>(8, 99));
  Tensor out = *holder.Slice(1, 1, 2, 1);  // [4, 1] with stride 2
  const int64_t dims[] = {1};
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, in, dims, out).ok());
  std::vector<double> want;
  for (int i = 0; i < 4; ++i) {
    want.push_back(99);
    want.push_back(x[i] + x[4 + i] + x[8 + i]);
  }
  ExpectSame(ReadD<double>(holder), want);
}

TEST(CpuBackendReduce, AccumulatesWide) {
  // Half/bf16 accumulators would stall at 2048 / 256.
  Tensor h = MakeD<Half>({3000}, std::vector<double>(3000, 1));
  Tensor oh = Empty({1}, DType::kFloat16);
  const int64_t d0[] = {0};
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, h, d0, oh).ok());
  ExpectSame(ReadD<Half>(oh), {3000});
  Tensor b = MakeD<BFloat16>({1000}, std::vector<double>(1000, 1));
  Tensor ob = Empty({1}, DType::kBFloat16);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, b, d0, ob).ok());
  ExpectSame(ReadD<BFloat16>(ob), {1000});
  // float32 sums of 2^24 + 1 ones would stall; accumulate in double.
  const int64_t n = (1 << 24) + 2;
  Tensor f = Empty({n}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Fill(f, Scalar(1.0)).ok());
  Tensor of32 = Empty({1}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, f, d0, of32).ok());
  ExpectSame(ReadD<float>(of32), {static_cast<double>(n)});
  // 1 followed by 2^20 values of 2^-24: each addition to 1 is lost in a
  // float accumulator (which would give 1). Float lanes of 16 elements lose
  // at most the 15 that share 1's lane (16 after rounding the float result),
  // as PyTorch does (1.0624990463).
  std::vector<float> tiny((1 << 20) + 1, 0x1p-24f);
  tiny[0] = 1.0f;
  Tensor t = Make<float>({static_cast<int64_t>(tiny.size())}, tiny);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, t, d0, of32).ok());
  EXPECT_NEAR(ReadD<float>(of32)[0], 1.0625, 16 * 0x1p-24);
  // int32 values summed past 2^31 in int64 then wrapped on store.
  Tensor i = Make<int32_t>({3}, {std::numeric_limits<int32_t>::max(), 1, -1});
  Tensor oi = Empty({1}, DType::kInt32);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, i, d0, oi).ok());
  EXPECT_EQ(Read<int32_t>(oi)[0], std::numeric_limits<int32_t>::max());
}

TEST(CpuBackendReduce, NaNAndBool) {
  Tensor x = MakeD<float>({2, 3}, {1, kNaN, 3, 4, 5, 6});
  Tensor o = Empty({2, 1}, DType::kFloat32);
  const int64_t d1[] = {1};
  for (ReduceOp op : {ReduceOp::kMax, ReduceOp::kMin, ReduceOp::kSum}) {
    ASSERT_TRUE(Cpu().Reduce(op, x, d1, o).ok());
    std::vector<float> got = Read<float>(o);
    EXPECT_TRUE(std::isnan(got[0]));
  }
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kMax, x, d1, o).ok());
  EXPECT_EQ(Read<float>(o)[1], 6.0f);

  Tensor b = Make<bool>({2, 3}, {false, true, false, true, true, true});
  Tensor ob = Empty({2, 1}, DType::kBool);
  auto run = [&](ReduceOp op) {
    EXPECT_TRUE(Cpu().Reduce(op, b, d1, ob).ok());
    return Read<bool>(ob);
  };
  EXPECT_EQ(run(ReduceOp::kSum), (std::vector<bool>{true, true}));    // any
  EXPECT_EQ(run(ReduceOp::kProd), (std::vector<bool>{false, true}));  // all
  EXPECT_EQ(run(ReduceOp::kMax), (std::vector<bool>{true, true}));
  EXPECT_EQ(run(ReduceOp::kMin), (std::vector<bool>{false, true}));
}

TEST(CpuBackendReduce, ZeroSizeDims) {
  Tensor in = Empty({0, 3}, DType::kFloat32);
  Tensor out = MakeD<float>({1, 3}, {7, 7, 7});
  const int64_t d0[] = {0};
  const int64_t d01[] = {0, 1};
  const int64_t d1[] = {1};
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, in, d0, out).ok());
  ExpectSame(ReadD<float>(out), {0, 0, 0});
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kProd, in, d0, out).ok());
  ExpectSame(ReadD<float>(out), {1, 1, 1});
  absl::Status s = Cpu().Reduce(ReduceOp::kMax, in, d0, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  Tensor out11 = Empty({1, 1}, DType::kFloat32);
  s = Cpu().Reduce(ReduceOp::kMax, in, d01, out11);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument.");
  EXPECT_EQ(Cpu().Reduce(ReduceOp::kMin, in, d01, out11).code(),
            absl::StatusCode::kInvalidArgument);
  // Reducing a non-empty dim of an empty tensor is fine.
  Tensor out01 = Empty({0, 1}, DType::kFloat32);
  EXPECT_TRUE(Cpu().Reduce(ReduceOp::kMax, in, d1, out01).ok());
}

TEST(CpuBackendReduce, BadArguments) {
  Tensor in = Empty({2, 3}, DType::kFloat32);
  Tensor out = Empty({1, 3}, DType::kFloat32);
  const int64_t unsorted[] = {1, 0};
  const int64_t d1[] = {1};
  const int64_t d5[] = {5};
  EXPECT_EQ(Cpu().Reduce(ReduceOp::kSum, in, unsorted, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Cpu().Reduce(ReduceOp::kSum, in, d1, out).code(),
            absl::StatusCode::kInvalidArgument);  // wrong out shape
  EXPECT_EQ(Cpu().Reduce(ReduceOp::kSum, in, d5, out).code(), absl::StatusCode::kInvalidArgument);
  Tensor out_i = Empty({1, 3}, DType::kInt32);
  const int64_t d0[] = {0};
  EXPECT_EQ(Cpu().Reduce(ReduceOp::kSum, in, d0, out_i).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- matmul

// Naive product in double of row-major a [B,M,K] and b [B,K,N].
std::vector<double> RefMatmul(const std::vector<double>& a, const std::vector<double>& b, int64_t B,
                              int64_t M, int64_t K, int64_t N) {
  std::vector<double> c(B * M * N, 0.0);
  for (int64_t z = 0; z < B; ++z)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t k = 0; k < K; ++k)
          c[(z * M + i) * N + j] += a[(z * M + i) * K + k] * b[(z * K + k) * N + j];
  return c;
}

std::vector<double> Pattern(int64_t n, int seed) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = ((i * 7 + seed * 13) % 11) - 5 + 0.25 * (i % 3);
  return v;
}

// A [B, R, C] tensor holding `v` (row-major [B, R, C]) stored as its
// transpose [B, C, R], viewed back as [B, R, C].
template <typename T>
Tensor MakeTransposed(int64_t B, int64_t R, int64_t C, const std::vector<double>& v) {
  std::vector<double> t(v.size());
  for (int64_t z = 0; z < B; ++z)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) t[(z * C + c) * R + r] = v[(z * R + r) * C + c];
  return *MakeD<T>({B, C, R}, t).Transpose(1, 2);
}

// A [B, R, C] tensor holding v whose last dim has stride 2 (not BLAS-readable).
template <typename T>
Tensor MakeGappy(int64_t B, int64_t R, int64_t C, const std::vector<double>& v) {
  std::vector<double> g(v.size() * 2, -100);
  for (size_t i = 0; i < v.size(); ++i) g[2 * i] = v[i];
  return *MakeD<T>({B, R, 2 * C}, g).Slice(2, 0, 2 * C, 2);
}

template <typename T>
void CheckMatmulLayouts(double rel) {
  const int64_t B = 2, M = 3, K = 4, N = 5;
  // Values as stored in T (integers truncate the pattern's fractions).
  std::vector<double> av = Pattern(B * M * K, 1), bv = Pattern(B * K * N, 2);
  for (double& v : av) v = ToD(From<T>(v));
  for (double& v : bv) v = ToD(From<T>(v));
  const std::vector<double> want = RefMatmul(av, bv, B, M, K, N);
  const Tensor as[] = {MakeD<T>({B, M, K}, av), MakeTransposed<T>(B, M, K, av),
                       MakeGappy<T>(B, M, K, av)};
  const Tensor bs[] = {MakeD<T>({B, K, N}, bv), MakeTransposed<T>(B, K, N, bv),
                       MakeGappy<T>(B, K, N, bv)};
  for (int ia = 0; ia < 3; ++ia) {
    for (int ib = 0; ib < 3; ++ib) {
      for (int io = 0; io < 3; ++io) {
        const std::vector<double> junk(B * M * N, 12345);
        Tensor out = io == 0   ? MakeD<T>({B, M, N}, junk)
                     : io == 1 ? MakeTransposed<T>(B, M, N, junk)
                               : MakeGappy<T>(B, M, N, junk);
        ASSERT_TRUE(Cpu().Matmul(as[ia], bs[ib], out).ok());
        SCOPED_TRACE(::testing::Message() << "a " << ia << " b " << ib << " out " << io);
        ExpectNear(ReadD<T>(out), want, rel);
      }
    }
  }
}

TEST(CpuBackendMatmul, SgemmLayouts) { CheckMatmulLayouts<float>(1e-6); }
TEST(CpuBackendMatmul, DgemmLayouts) { CheckMatmulLayouts<double>(1e-14); }
TEST(CpuBackendMatmul, LoopLayoutsInt64) { CheckMatmulLayouts<int64_t>(0); }

TEST(CpuBackendMatmul, LargerSgemmAgainstNaive) {
  const int64_t B = 3, M = 37, K = 53, N = 29;
  std::vector<double> av = Pattern(B * M * K, 3), bv = Pattern(B * K * N, 4);
  Tensor a = MakeD<float>({B, M, K}, av), b = MakeD<float>({B, K, N}, bv);
  Tensor out = Empty({B, M, N}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Matmul(a, b, out).ok());
  ExpectNear(ReadD<float>(out), RefMatmul(av, bv, B, M, K, N), 1e-5);
}

TYPED_TEST(TypedTest, MatmulEveryDType) {
  using T = TypeParam;
  const int64_t B = 2, M = 2, K = 3, N = 2;
  const bool is_bool = kDT<T> == DType::kBool;
  std::vector<double> av = {1, 2, 0, -1, 3, 1, 0, 0, 2, 1, 1, 1};
  std::vector<double> bv = {2, 1, 0, -2, 1, 3, 1, 0, 0, 0, 4, 1};
  if (is_bool) {
    for (double& v : av) v = v != 0;
    for (double& v : bv) v = v != 0;
  }
  Tensor a = MakeD<T>({B, M, K}, av), b = MakeD<T>({B, K, N}, bv);
  Tensor out = Empty({B, M, N}, kDT<T>);
  ASSERT_TRUE(Cpu().Matmul(a, b, out).ok());
  std::vector<double> want = RefMatmul(av, bv, B, M, K, N);
  if (is_bool) {
    for (double& v : want) v = v != 0;
  }
  ExpectSame(ReadD<T>(out), want);
}

TEST(CpuBackendMatmul, HalfAccumulatesInFloat) {
  // 1 + 2^-11 * 16: each term is below half's resolution at 1, the sum is not.
  const int64_t K = 17;
  std::vector<double> av(K, 1.0), bv(K, 1.0 / 2048);
  bv[0] = 1.0;
  Tensor a = MakeD<Half>({1, 1, K}, av), b = MakeD<Half>({1, K, 1}, bv);
  Tensor out = Empty({1, 1, 1}, DType::kFloat16);
  ASSERT_TRUE(Cpu().Matmul(a, b, out).ok());
  ExpectSame(ReadD<Half>(out), {1.0078125});
}

TEST(CpuBackendMatmul, ZeroKBroadcastBatchVectorsAndAliasing) {
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt32}) {
    Tensor a = Empty({2, 3, 0}, dt), b = Empty({2, 0, 4}, dt);
    Tensor out = Empty({2, 3, 4}, dt);
    ASSERT_TRUE(Cpu().Fill(out, Scalar(7)).ok());
    ASSERT_TRUE(Cpu().Matmul(a, b, out).ok());
    Tensor out64 = Empty({2, 3, 4}, DType::kFloat64);
    ASSERT_TRUE(Cpu().Copy(out, out64).ok());
    ExpectSame(ReadD<double>(out64), std::vector<double>(24, 0));
  }
  // Batch broadcast: one a [1, 2, 2] expanded to 3 batches (stride 0).
  const std::vector<double> av = {1, 2, 3, 4};
  const std::vector<double> bv = Pattern(3 * 2 * 2, 5);
  Tensor a = MakeD<double>({1, 2, 2}, av);
  const int64_t shape[] = {3, 2, 2};
  Tensor b = MakeD<double>({3, 2, 2}, bv);
  Tensor out = Empty({3, 2, 2}, DType::kFloat64);
  ASSERT_TRUE(Cpu().Matmul(*a.Expand(shape), b, out).ok());
  std::vector<double> a3;
  for (int i = 0; i < 3; ++i) a3.insert(a3.end(), av.begin(), av.end());
  ExpectNear(ReadD<double>(out), RefMatmul(a3, bv, 3, 2, 2, 2), 1e-14);
  // M = 1 and N = 1 with odd strides on the size-1 dims (a row selected
  // from a transposed matrix, and a broadcast column).
  Tensor big = MakeD<float>({1, 4, 3}, Pattern(12, 6));
  Tensor row = *(*big.Transpose(1, 2)).Slice(1, 1, 2, 1);  // [1, 1, 4], strides (12, 1, 3)
  const std::vector<double> bigv = Pattern(12, 6);
  Tensor col = MakeD<float>({1, 4, 1}, {1, 2, 3, 4});
  Tensor o11 = Empty({1, 1, 1}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Matmul(row, col, o11).ok());
  double dot = 0;
  for (int k = 0; k < 4; ++k) dot += bigv[k * 3 + 1] * (k + 1);
  ExpectNear(ReadD<float>(o11), {dot}, 1e-6);
  // out aliases a: square in-place product.
  const std::vector<double> sv = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> tv = {2, 0, 1, 1, 1, 0, 0, 3, 1};
  const std::vector<double> want = RefMatmul(sv, tv, 1, 3, 3, 3);
  for (DType dt : {DType::kFloat32, DType::kInt64}) {
    Tensor s = dt == DType::kFloat32 ? MakeD<float>({1, 3, 3}, sv) : MakeD<int64_t>({1, 3, 3}, sv);
    Tensor t = dt == DType::kFloat32 ? MakeD<float>({1, 3, 3}, tv) : MakeD<int64_t>({1, 3, 3}, tv);
    ASSERT_TRUE(Cpu().Matmul(s, t, s).ok());
    ExpectSame(dt == DType::kFloat32 ? ReadD<float>(s) : ReadD<int64_t>(s), want);
  }
}

TEST(CpuBackendMatmul, BadShapes) {
  Tensor a = Empty({1, 2, 3}, DType::kFloat32);
  Tensor b = Empty({1, 4, 2}, DType::kFloat32);
  Tensor out = Empty({1, 2, 2}, DType::kFloat32);
  EXPECT_EQ(Cpu().Matmul(a, b, out).code(), absl::StatusCode::kInvalidArgument);
  Tensor b64 = Empty({1, 3, 2}, DType::kFloat64);
  EXPECT_EQ(Cpu().Matmul(a, b64, out).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- arange

TEST(CpuBackendArange, FloatsAndInts) {
  Tensor f = Empty({10}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Arange(Scalar(0.0), Scalar(0.1), f).ok());
  Tensor d = Empty({10}, DType::kFloat64);
  ASSERT_TRUE(Cpu().Arange(Scalar(0.0), Scalar(0.1), d).ok());
  std::vector<double> wf, wd;
  for (int i = 0; i < 10; ++i) {
    wd.push_back(0.0 + i * 0.1);
    wf.push_back(static_cast<float>(0.0 + i * 0.1));
  }
  ExpectSame(ReadD<float>(f), wf);
  ExpectSame(ReadD<double>(d), wd);
  Tensor i = Empty({5}, DType::kInt64);
  ASSERT_TRUE(Cpu().Arange(Scalar(-3), Scalar(2), i).ok());
  EXPECT_EQ(Read<int64_t>(i), (std::vector<int64_t>{-3, -1, 1, 3, 5}));
  Tensor i32 = Empty({4}, DType::kInt32);
  ASSERT_TRUE(Cpu().Arange(Scalar(10), Scalar(-3), i32).ok());
  EXPECT_EQ(Read<int32_t>(i32), (std::vector<int32_t>{10, 7, 4, 1}));
  Tensor h = Empty({4}, DType::kFloat16);
  ASSERT_TRUE(Cpu().Arange(Scalar(0.5), Scalar(0.25), h).ok());
  ExpectSame(ReadD<Half>(h), {0.5, 0.75, 1.0, 1.25});
  Tensor b = Empty({4}, DType::kBFloat16);
  ASSERT_TRUE(Cpu().Arange(Scalar(int64_t{1}), Scalar(int64_t{100}), b).ok());
  ExpectSame(ReadD<BFloat16>(b), {1, 101, 201, 300});  // 301 rounds to 300 in bf16
  Tensor empty = Empty({0}, DType::kFloat32);
  EXPECT_TRUE(Cpu().Arange(Scalar(0), Scalar(1), empty).ok());
}

TEST(CpuBackendArange, Errors) {
  Tensor b = Empty({3}, DType::kBool);
  EXPECT_EQ(Cpu().Arange(Scalar(0), Scalar(1), b).code(), absl::StatusCode::kInvalidArgument);
  Tensor m = Empty({2, 2}, DType::kFloat32);
  EXPECT_EQ(Cpu().Arange(Scalar(0), Scalar(1), m).code(), absl::StatusCode::kInvalidArgument);
  Tensor strided = *Empty({6}, DType::kFloat32).Slice(0, 0, 6, 2);
  EXPECT_EQ(Cpu().Arange(Scalar(0), Scalar(1), strided).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- random

TEST(CpuBackendRandom, UniformIsTheGeneratorStream) {
  Generator g(42), ref(42);
  Tensor f = Empty({100}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Random(RandomOp::kUniform, 0.0, 1.0, g, f).ok());
  Tensor d = Empty({100}, DType::kFloat64);
  ASSERT_TRUE(Cpu().Random(RandomOp::kUniform, 0.0, 1.0, g, d).ok());
  std::vector<float> got_f = Read<float>(f);
  std::vector<double> got_d = Read<double>(d);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got_f[i], ref.NextFloat()) << i;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got_d[i], ref.NextDouble()) << i;
}

TEST(CpuBackendRandom, SameSeedSameValuesAnyLayout) {
  Generator g1(7), g2(7), g3(8);
  Tensor a = Empty({4, 5}, DType::kFloat32);
  Tensor holder = Empty({5, 4}, DType::kFloat32);
  Tensor bt = T2(holder);  // [4, 5] transposed view
  Tensor c = Empty({4, 5}, DType::kFloat32);
  for (RandomOp op : {RandomOp::kUniform, RandomOp::kNormal}) {
    ASSERT_TRUE(Cpu().Random(op, 0.0, 1.0, g1, a).ok());
    ASSERT_TRUE(Cpu().Random(op, 0.0, 1.0, g2, bt).ok());
    ASSERT_TRUE(Cpu().Random(op, 0.0, 1.0, g3, c).ok());
    EXPECT_EQ(Read<float>(a), Read<float>(bt));  // row-major order over the view
    EXPECT_NE(Read<float>(a), Read<float>(c));
  }
}

TYPED_TEST(FloatTest, UniformRange) {
  using T = TypeParam;
  Generator g(123);
  const int64_t n = 10000;
  Tensor t = Empty({n}, kDT<T>);
  ASSERT_TRUE(Cpu().Random(RandomOp::kUniform, 0.0, 1.0, g, t).ok());
  double sum = 0;
  for (double v : ReadD<T>(t)) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.02);
  ASSERT_TRUE(Cpu().Random(RandomOp::kUniform, -2.0, 3.0, g, t).ok());
  double lo = kInf, hi = -kInf;
  for (double v : ReadD<T>(t)) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -2.0);
  EXPECT_LT(lo, -1.9);
  EXPECT_LT(hi, 3.0);
  EXPECT_GT(hi, 2.9);
}

TYPED_TEST(FloatTest, NormalMeanAndStd) {
  using T = TypeParam;
  Generator g(99);
  const int64_t n = 10000;
  Tensor t = Empty({n}, kDT<T>);
  ASSERT_TRUE(Cpu().Random(RandomOp::kNormal, 2.0, 3.0, g, t).ok());
  double sum = 0, sq = 0;
  for (double v : ReadD<T>(t)) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n;
  const double std = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 2.0, 0.15);
  EXPECT_NEAR(std, 3.0, 0.15);
}

TEST(CpuBackendRandom, IntegerDTypesRejected) {
  Generator g;
  for (DType dt : {DType::kInt64, DType::kInt32, DType::kBool}) {
    Tensor t = Empty({3}, dt);
    EXPECT_EQ(Cpu().Random(RandomOp::kUniform, 0, 1, g, t).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Cpu().Random(RandomOp::kNormal, 0, 1, g, t).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

// Large reductions are split over the thread pool three ways: along a kept
// dim, along a kept dim that is not the first, and into per-chunk partials
// when every kept dim is short. Each must match a double reference, and
// integer sums must match exactly, on one thread and on four.
TEST(CpuBackendReduce, ParallelSplitsMatchTheReference) {
  const int saved = NumThreads();
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  const Case cases[] = {
      {{64, 4000}, {1}},  // split along dim 0
      {{4000, 64}, {0}},  // split along dim 1
      {{3, 90000}, {1}},  // kept dim shorter than the thread count: partials
      {{270000}, {0}},    // everything reduced: partials
      {{30, 30, 300}, {0, 2}},
  };
  for (const Case& c : cases) {
    const int64_t numel = Numel(c.shape);
    std::vector<double> v(numel);
    for (int64_t i = 0; i < numel; ++i) v[i] = static_cast<double>((i * 7919) % 1001) - 500;
    Shape out_shape = c.shape;
    for (int64_t d : c.dims) out_shape[d] = 1;
    // The reference: plain double sums over the reduced dims.
    std::vector<double> want(Numel(out_shape), 0.0);
    const Strides in_strides = ContiguousStrides(c.shape);
    const Strides out_strides = ContiguousStrides(out_shape);
    for (int64_t i = 0; i < numel; ++i) {
      int64_t o = 0;
      for (size_t d = 0; d < c.shape.size(); ++d) {
        const int64_t idx = (i / in_strides[d]) % c.shape[d];
        if (out_shape[d] != 1) o += idx * out_strides[d];
      }
      want[o] += v[i];
    }
    for (int threads : {1, 4}) {
      SetNumThreads(threads);
      Tensor f = MakeD<float>(c.shape, v);
      Tensor of = Empty(out_shape, DType::kFloat32);
      ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, f, c.dims, of).ok());
      const std::vector<double> got = ReadD<float>(of);
      for (size_t i = 0; i < want.size(); ++i) {
        // The values are integers well inside float's exact range.
        ASSERT_EQ(got[i], want[i]) << ShapeToString(c.shape) << " threads " << threads;
      }
      Tensor l = MakeD<int64_t>(c.shape, v);
      Tensor ol = Empty(out_shape, DType::kInt64);
      ASSERT_TRUE(Cpu().Reduce(ReduceOp::kMax, l, c.dims, ol).ok());
      Tensor os = Empty(out_shape, DType::kInt64);
      ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, l, c.dims, os).ok());
      EXPECT_EQ(ReadD<int64_t>(os), want) << ShapeToString(c.shape) << " threads " << threads;
      for (double m : ReadD<int64_t>(ol)) EXPECT_LE(m, 500) << ShapeToString(c.shape);
    }
  }
  SetNumThreads(saved);
}

// A float sum of a large row on four threads stays within float rounding of
// the double reference, and a NaN anywhere reaches the max.
TEST(CpuBackendReduce, ParallelFloatSumAndMax) {
  const int saved = NumThreads();
  SetNumThreads(4);
  const int64_t n = 1 << 20;
  std::vector<double> v(n);
  double want = 0;
  for (int64_t i = 0; i < n; ++i) want += v[i] = std::sin(static_cast<double>(i)) * 10;
  // Round the inputs as the tensor holds them.
  want = 0;
  for (double& x : v) want += x = static_cast<float>(x);
  Tensor t = MakeD<float>({n}, v);
  const int64_t d0[] = {0};
  Tensor out = Empty({1}, DType::kFloat64);
  Tensor td = MakeD<double>({n}, v);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, td, d0, out).ok());
  EXPECT_NEAR(ReadD<double>(out)[0], want, 1e-6);
  Tensor of = Empty({1}, DType::kFloat32);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kSum, t, d0, of).ok());
  EXPECT_NEAR(ReadD<float>(of)[0], want, std::fabs(want) * 1e-6 + 1e-3);
  v[n - 3] = kNaN;
  Tensor nan = MakeD<float>({n}, v);
  ASSERT_TRUE(Cpu().Reduce(ReduceOp::kMax, nan, d0, of).ok());
  EXPECT_TRUE(std::isnan(ReadD<float>(of)[0]));
  SetNumThreads(saved);
}

}  // namespace
}  // namespace tensord::device::cpu
