#include "client/repr.h"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

// Every expected string below is what PyTorch 1.13 prints for the Python
// expression in the comment above it (print(repr(t)), or repr(t.item())), so
// the inputs here are the same numbers that expression gives torch.

namespace tensord::client {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

HostTensor Floats(std::vector<int64_t> shape, std::vector<double> values,
                  std::string dtype = "float32") {
  HostTensor t;
  t.shape = std::move(shape);
  t.dtype = std::move(dtype);
  t.floats = std::move(values);
  return t;
}

HostTensor Ints(std::vector<int64_t> shape, std::vector<int64_t> values,
                std::string dtype = "int64") {
  HostTensor t;
  t.shape = std::move(shape);
  t.dtype = std::move(dtype);
  t.ints = std::move(values);
  return t;
}

HostTensor Bools(std::vector<int64_t> shape, std::vector<int64_t> values) {
  return Ints(std::move(shape), std::move(values), "bool");
}

ReprOptions RequiresGradOptions() {
  ReprOptions opts;
  opts.requires_grad = true;
  return opts;
}

ReprOptions GradFnOptions(std::string grad_fn, bool requires_grad = false) {
  ReprOptions opts;
  opts.grad_fn = std::move(grad_fn);
  opts.requires_grad = requires_grad;
  return opts;
}

ReprOptions DeviceOptions(std::string device, bool requires_grad = false) {
  ReprOptions opts;
  opts.device = std::move(device);
  opts.requires_grad = requires_grad;
  return opts;
}

// f(torch.arange(n, dtype=torch.float32)), with f evaluated in float32
// arithmetic as torch does.
std::vector<double> MapRangeF32(int64_t n, float (*f)(float)) {
  std::vector<double> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(f(static_cast<float>(i)));
  return values;
}

// f(torch.arange(n, dtype=torch.float64)).
std::vector<double> MapRangeF64(int64_t n, double (*f)(double)) {
  std::vector<double> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(f(static_cast<double>(i)));
  return values;
}

// f(torch.arange(n)).
std::vector<int64_t> MapRangeI64(int64_t n, int64_t (*f)(int64_t)) {
  std::vector<int64_t> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(f(i));
  return values;
}

TEST(FormatTensorTest, ZerosLong) {
  // torch.zeros(5, 3, dtype=torch.long)
  EXPECT_EQ(FormatTensor(Ints({5, 3}, std::vector<int64_t>(15, 0))),
            R"(tensor([[0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0]]))");
}

TEST(FormatTensorTest, MixedLiteral) {
  // torch.tensor([5.5, 3])
  EXPECT_EQ(FormatTensor(Floats({2}, {5.5, 3})), "tensor([5.5000, 3.0000])");
}

TEST(FormatTensorTest, OnesDouble) {
  // torch.ones(5, 3, dtype=torch.double)
  EXPECT_EQ(
      FormatTensor(Floats({5, 3}, std::vector<double>(15, 1.0), "float64")),
      R"(tensor([[1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.]], dtype=torch.float64))");
}

TEST(FormatTensorTest, ScalarFloat) {
  // torch.tensor(27.0)
  EXPECT_EQ(FormatTensor(Floats({}, {27.0})), "tensor(27.)");
}

TEST(FormatTensorTest, ScalarInt) {
  // torch.tensor(3)
  EXPECT_EQ(FormatTensor(Ints({}, {3})), "tensor(3)");
}

TEST(FormatTensorTest, ScalarNegativeZero) {
  // torch.tensor(-0.0)
  EXPECT_EQ(FormatTensor(Floats({}, {-0.0})), "tensor(-0.)");
}

TEST(FormatTensorTest, ScalarNan) {
  // torch.tensor(float('nan'))
  EXPECT_EQ(FormatTensor(Floats({}, {kNan})), "tensor(nan)");
}

TEST(FormatTensorTest, ScalarSmallUsesSci) {
  // torch.tensor(1e-05)
  EXPECT_EQ(FormatTensor(Floats({}, {1e-05})), "tensor(1.0000e-05)");
}

TEST(FormatTensorTest, ScalarBool) {
  // torch.tensor(True)
  EXPECT_EQ(FormatTensor(Bools({}, {1})), "tensor(True)");
}

TEST(FormatTensorTest, ScalarInt32) {
  // torch.tensor(3, dtype=torch.int32)
  EXPECT_EQ(FormatTensor(Ints({}, {3}, "int32")),
            "tensor(3, dtype=torch.int32)");
}

TEST(FormatTensorTest, ScalarDoubleRequiresGrad) {
  // torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
  EXPECT_EQ(FormatTensor(Floats({}, {2.5}, "float64"), RequiresGradOptions()),
            "tensor(2.5000, dtype=torch.float64, requires_grad=True)");
}

TEST(FormatTensorTest, RandnFourByFour) {
  // torch.manual_seed(0); torch.randn(4, 4) (its values are listed below)
  EXPECT_EQ(FormatTensor(Floats(
                {4, 4},
                {-1.1258398294448853, -1.152360200881958, -0.2505785822868347,
                 -0.4338788092136383, 0.8487103581428528, 0.6920091509819031,
                 -0.31601276993751526, -2.1152193546295166, 0.32227492332458496,
                 -1.2633347511291504, 0.34998318552970886, 0.30813392996788025,
                 0.11984150856733322, 1.237657904624939, 1.1167771816253662,
                 -0.2472781538963318})),
            R"(tensor([[-1.1258, -1.1524, -0.2506, -0.4339],
        [ 0.8487,  0.6920, -0.3160, -2.1152],
        [ 0.3223, -1.2633,  0.3500,  0.3081],
        [ 0.1198,  1.2377,  1.1168, -0.2473]]))");
}

TEST(FormatTensorTest, WideRangeNonIntegral) {
  // torch.manual_seed(1); torch.randn(3, 5) * 1000 (its values are listed
  // below)
  EXPECT_EQ(
      FormatTensor(
          Floats({3, 5},
                 {661.3521728515625, 266.9241027832031, 61.6772575378418,
                  621.3173217773438, -451.9059753417969, -166.13023376464844,
                  -1522.7685546875, 381.6839294433594, -1027.608642578125,
                  -563.0527954101562, -892.29052734375, -58.250179290771484,
                  -195.50958251953125, -965.6359252929688, 422.4153137207031})),
      R"(tensor([[  661.3522,   266.9241,    61.6773,   621.3173,  -451.9060],
        [ -166.1302, -1522.7686,   381.6839, -1027.6086,  -563.0528],
        [ -892.2905,   -58.2502,  -195.5096,  -965.6359,   422.4153]]))");
}

TEST(FormatTensorTest, SciModeForTinyValue) {
  // torch.tensor([1e-05, 1.0, 2.5])
  EXPECT_EQ(FormatTensor(Floats({3}, {1e-05, 1.0, 2.5})),
            "tensor([1.0000e-05, 1.0000e+00, 2.5000e+00])");
}

TEST(FormatTensorTest, SciModeBelowMinThreshold) {
  // torch.tensor([5e-05, 0.01])
  EXPECT_EQ(FormatTensor(Floats({2}, {5e-05, 0.01})),
            "tensor([5.0000e-05, 1.0000e-02])");
}

TEST(FormatTensorTest, FixedModeAboveMinThreshold) {
  // torch.tensor([0.0002, 0.1])
  EXPECT_EQ(FormatTensor(Floats({2}, {0.0002, 0.1})),
            "tensor([0.0002, 0.1000])");
}

TEST(FormatTensorTest, SciModeForWideRatio) {
  // torch.tensor([1.5, 1500.5])
  EXPECT_EQ(FormatTensor(Floats({2}, {1.5, 1500.5})),
            "tensor([1.5000e+00, 1.5005e+03])");
}

TEST(FormatTensorTest, FixedModeForNarrowerRatio) {
  // torch.tensor([1.5, 1400.5])
  EXPECT_EQ(FormatTensor(Floats({2}, {1.5, 1400.5})),
            "tensor([   1.5000, 1400.5000])");
}

TEST(FormatTensorTest, SciModeForHugeValue) {
  // torch.tensor([10000000000.0, 1.5])
  EXPECT_EQ(FormatTensor(Floats({2}, {10000000000.0, 1.5})),
            "tensor([1.0000e+10, 1.5000e+00])");
}

TEST(FormatTensorTest, SciModeForVeryTinyExponent) {
  // torch.tensor([1e-100, 1.0], dtype=torch.float64)
  EXPECT_EQ(FormatTensor(Floats({2}, {1e-100, 1.0}, "float64")),
            "tensor([1.0000e-100,  1.0000e+00], dtype=torch.float64)");
}

TEST(FormatTensorTest, IntModeLargeRatioUsesSci) {
  // torch.tensor([1.0, 1000000000.0])
  EXPECT_EQ(FormatTensor(Floats({2}, {1.0, 1000000000.0})),
            "tensor([1.0000e+00, 1.0000e+09])");
}

TEST(FormatTensorTest, IntModeAbove1e8UsesSci) {
  // torch.tensor([200000000.0, 300000000.0])
  EXPECT_EQ(FormatTensor(Floats({2}, {200000000.0, 300000000.0})),
            "tensor([2.0000e+08, 3.0000e+08])");
}

TEST(FormatTensorTest, IntModeAtExactly1e8) {
  // torch.tensor([100000000.0])
  EXPECT_EQ(FormatTensor(Floats({1}, {100000000.0})), "tensor([100000000.])");
}

TEST(FormatTensorTest, IntModeNegative) {
  // torch.tensor([1.0, -2.0, 300.0])
  EXPECT_EQ(FormatTensor(Floats({3}, {1.0, -2.0, 300.0})),
            "tensor([  1.,  -2., 300.])");
}

TEST(FormatTensorTest, IntModeWithNonFinite) {
  // torch.tensor([1.0, float('inf'), -float('inf'), float('nan')])
  EXPECT_EQ(FormatTensor(Floats({4}, {1.0, kInf, -kInf, kNan})),
            "tensor([1., inf, -inf, nan])");
}

TEST(FormatTensorTest, NonIntegralWithNonFinite) {
  // torch.tensor([1.5, float('nan'), -float('inf')])
  EXPECT_EQ(FormatTensor(Floats({3}, {1.5, kNan, -kInf})),
            "tensor([1.5000,    nan,   -inf])");
}

TEST(FormatTensorTest, OnlyNonFinite) {
  // torch.tensor([float('nan'), float('inf')])
  EXPECT_EQ(FormatTensor(Floats({2}, {kNan, kInf})), "tensor([nan, inf])");
}

TEST(FormatTensorTest, ZerosAndInf) {
  // torch.tensor([0.0, float('inf')])
  EXPECT_EQ(FormatTensor(Floats({2}, {0.0, kInf})), "tensor([0., inf])");
}

TEST(FormatTensorTest, AllZeros) {
  // torch.zeros(3)
  EXPECT_EQ(FormatTensor(Floats({3}, {0, 0, 0})), "tensor([0., 0., 0.])");
}

TEST(FormatTensorTest, Negative) {
  // torch.tensor([-1.25, 3.5, -100.125])
  EXPECT_EQ(FormatTensor(Floats({3}, {-1.25, 3.5, -100.125})),
            "tensor([  -1.2500,    3.5000, -100.1250])");
}

TEST(FormatTensorTest, NegativeZeroIntMode) {
  // torch.tensor([-0.0, 0.0])
  EXPECT_EQ(FormatTensor(Floats({2}, {-0.0, 0.0})), "tensor([-0., 0.])");
}

TEST(FormatTensorTest, NegativeZeroFixedMode) {
  // torch.tensor([float('nan'), 1.5, -0.0])
  EXPECT_EQ(FormatTensor(Floats({3}, {kNan, 1.5, -0.0})),
            "tensor([   nan, 1.5000, -0.0000])");
}

TEST(FormatTensorTest, Bool) {
  // torch.tensor([True, False, True])
  EXPECT_EQ(FormatTensor(Bools({3}, {1, 0, 1})),
            "tensor([ True, False,  True])");
}

TEST(FormatTensorTest, Bool2d) {
  // torch.tensor([[True, False], [False, False]])
  EXPECT_EQ(FormatTensor(Bools({2, 2}, {1, 0, 0, 0})),
            R"(tensor([[ True, False],
        [False, False]]))");
}

TEST(FormatTensorTest, Int32) {
  // torch.tensor([1, -20, 300], dtype=torch.int32)
  EXPECT_EQ(FormatTensor(Ints({3}, {1, -20, 300}, "int32")),
            "tensor([  1, -20, 300], dtype=torch.int32)");
}

TEST(FormatTensorTest, Int64Extremes) {
  // torch.tensor([-9223372036854775808, 9223372036854775807])
  EXPECT_EQ(FormatTensor(Ints({2}, {std::numeric_limits<int64_t>::min(),
                                    9223372036854775807})),
            "tensor([-9223372036854775808,  9223372036854775807])");
}

TEST(FormatTensorTest, Float64) {
  // torch.tensor([0.1, 0.2, 123.456789], dtype=torch.float64)
  EXPECT_EQ(
      FormatTensor(Floats({3}, {0.1, 0.2, 123.456789}, "float64")),
      "tensor([1.0000e-01, 2.0000e-01, 1.2346e+02], dtype=torch.float64)");
}

TEST(FormatTensorTest, Float16RoundsLiterals) {
  // torch.tensor([0.1, 1000.5, -2.0], dtype=torch.float16)
  EXPECT_EQ(
      FormatTensor(Floats({3}, {0.1, 1000.5, -2.0}, "float16")),
      "tensor([ 9.9976e-02,  1.0005e+03, -2.0000e+00], dtype=torch.float16)");
}

TEST(FormatTensorTest, Float16AlreadyRounded) {
  // torch.tensor([0.0999755859375, 1000.5, -2.0], dtype=torch.float16)
  EXPECT_EQ(
      FormatTensor(Floats({3}, {0.0999755859375, 1000.5, -2.0}, "float16")),
      "tensor([ 9.9976e-02,  1.0005e+03, -2.0000e+00], dtype=torch.float16)");
}

TEST(FormatTensorTest, Float16Sci) {
  // torch.tensor([1e-05, 60000.0, 1.0], dtype=torch.float16)
  EXPECT_EQ(
      FormatTensor(Floats({3}, {1e-05, 60000.0, 1.0}, "float16")),
      "tensor([1.0014e-05, 6.0000e+04, 1.0000e+00], dtype=torch.float16)");
}

TEST(FormatTensorTest, Float16Overflow) {
  // torch.tensor([70000.0, 1.0], dtype=torch.float16)
  EXPECT_EQ(FormatTensor(Floats({2}, {70000.0, 1.0}, "float16")),
            "tensor([inf, 1.], dtype=torch.float16)");
}

TEST(FormatTensorTest, BFloat16) {
  // torch.tensor([0.1, 3.14159, 100.0], dtype=torch.bfloat16)
  EXPECT_EQ(FormatTensor(Floats({3}, {0.1, 3.14159, 100.0}, "bfloat16")),
            "tensor([  0.1001,   3.1406, 100.0000], dtype=torch.bfloat16)");
}

TEST(FormatTensorTest, BFloat16IntMode) {
  // torch.tensor([3.0, 10000000000.0], dtype=torch.bfloat16)
  EXPECT_EQ(FormatTensor(Floats({2}, {3.0, 10000000000.0}, "bfloat16")),
            "tensor([3.0000e+00, 9.9992e+09], dtype=torch.bfloat16)");
}

TEST(FormatTensorTest, ThreeDimensional) {
  // torch.arange(24.).reshape(2, 3, 4) / 4
  EXPECT_EQ(FormatTensor(Floats(
                {2, 3, 4}, MapRangeF32(24, [](float x) { return x / 4; }))),
            R"(tensor([[[0.0000, 0.2500, 0.5000, 0.7500],
         [1.0000, 1.2500, 1.5000, 1.7500],
         [2.0000, 2.2500, 2.5000, 2.7500]],

        [[3.0000, 3.2500, 3.5000, 3.7500],
         [4.0000, 4.2500, 4.5000, 4.7500],
         [5.0000, 5.2500, 5.5000, 5.7500]]]))");
}

TEST(FormatTensorTest, FourDimensionalInt) {
  // torch.arange(16).reshape(2, 2, 2, 2) - 8
  EXPECT_EQ(
      FormatTensor(
          Ints({2, 2, 2, 2}, MapRangeI64(16, [](int64_t x) { return x - 8; }))),
      R"(tensor([[[[-8, -7],
          [-6, -5]],

         [[-4, -3],
          [-2, -1]]],


        [[[ 0,  1],
          [ 2,  3]],

         [[ 4,  5],
          [ 6,  7]]]]))");
}

TEST(FormatTensorTest, FourDimensionalFloat) {
  // torch.arange(24.).reshape(2, 3, 2, 2) * 1.5
  EXPECT_EQ(
      FormatTensor(Floats({2, 3, 2, 2},
                          MapRangeF32(24, [](float x) { return x * 1.5f; }))),
      R"(tensor([[[[ 0.0000,  1.5000],
          [ 3.0000,  4.5000]],

         [[ 6.0000,  7.5000],
          [ 9.0000, 10.5000]],

         [[12.0000, 13.5000],
          [15.0000, 16.5000]]],


        [[[18.0000, 19.5000],
          [21.0000, 22.5000]],

         [[24.0000, 25.5000],
          [27.0000, 28.5000]],

         [[30.0000, 31.5000],
          [33.0000, 34.5000]]]]))");
}

TEST(FormatTensorTest, LongVectorWraps) {
  // torch.arange(30.) / 3
  EXPECT_EQ(
      FormatTensor(
          Floats({30}, MapRangeF32(30, [](float x) { return x / 3; }))),
      R"(tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,
        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,
        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,
        9.0000, 9.3333, 9.6667]))");
}

TEST(FormatTensorTest, LongIntVectorWraps) {
  // torch.arange(40) * 12345
  EXPECT_EQ(
      FormatTensor(
          Ints({40}, MapRangeI64(40, [](int64_t x) { return x * 12345; }))),
      R"(tensor([     0,  12345,  24690,  37035,  49380,  61725,  74070,  86415,  98760,
        111105, 123450, 135795, 148140, 160485, 172830, 185175, 197520, 209865,
        222210, 234555, 246900, 259245, 271590, 283935, 296280, 308625, 320970,
        333315, 345660, 358005, 370350, 382695, 395040, 407385, 419730, 432075,
        444420, 456765, 469110, 481455]))");
}

TEST(FormatTensorTest, NestedRowsWrapAtDeeperIndent) {
  // torch.arange(60.).reshape(2, 1, 30) / 3
  EXPECT_EQ(
      FormatTensor(
          Floats({2, 1, 30}, MapRangeF32(60, [](float x) { return x / 3; }))),
      R"(tensor([[[ 0.0000,  0.3333,  0.6667,  1.0000,  1.3333,  1.6667,  2.0000,
           2.3333,  2.6667,  3.0000,  3.3333,  3.6667,  4.0000,  4.3333,
           4.6667,  5.0000,  5.3333,  5.6667,  6.0000,  6.3333,  6.6667,
           7.0000,  7.3333,  7.6667,  8.0000,  8.3333,  8.6667,  9.0000,
           9.3333,  9.6667]],

        [[10.0000, 10.3333, 10.6667, 11.0000, 11.3333, 11.6667, 12.0000,
          12.3333, 12.6667, 13.0000, 13.3333, 13.6667, 14.0000, 14.3333,
          14.6667, 15.0000, 15.3333, 15.6667, 16.0000, 16.3333, 16.6667,
          17.0000, 17.3333, 17.6667, 18.0000, 18.3333, 18.6667, 19.0000,
          19.3333, 19.6667]]]))");
}

TEST(FormatTensorTest, SummarizedVector) {
  // torch.arange(2000.) * 0.5
  EXPECT_EQ(
      FormatTensor(
          Floats({2000}, MapRangeF32(2000, [](float x) { return x * 0.5f; }))),
      R"(tensor([0.0000e+00, 5.0000e-01, 1.0000e+00,  ..., 9.9850e+02, 9.9900e+02,
        9.9950e+02]))");
}

TEST(FormatTensorTest, SummarizedIntVector) {
  // torch.arange(1001)
  EXPECT_EQ(FormatTensor(
                Ints({1001}, MapRangeI64(1001, [](int64_t x) { return x; }))),
            "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
}

TEST(FormatTensorTest, SummarizedFormatterIgnoresHiddenValues) {
  // torch.ones(2000).index_fill(0, torch.tensor([1000]), 1e-7)
  EXPECT_EQ(
      FormatTensor(Floats(
          {2000},
          MapRangeF32(2000, [](float x) { return x == 1000 ? 1e-7f : 1.0f; }))),
      "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
}

TEST(FormatTensorTest, SummarizedMatrix) {
  // torch.arange(1600.).reshape(40, 40) / 7
  EXPECT_EQ(
      FormatTensor(
          Floats({40, 40}, MapRangeF32(1600, [](float x) { return x / 7; }))),
      R"(tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 5.2857e+00, 5.4286e+00,
         5.5714e+00],
        [5.7143e+00, 5.8571e+00, 6.0000e+00,  ..., 1.1000e+01, 1.1143e+01,
         1.1286e+01],
        [1.1429e+01, 1.1571e+01, 1.1714e+01,  ..., 1.6714e+01, 1.6857e+01,
         1.7000e+01],
        ...,
        [2.1143e+02, 2.1157e+02, 2.1171e+02,  ..., 2.1671e+02, 2.1686e+02,
         2.1700e+02],
        [2.1714e+02, 2.1729e+02, 2.1743e+02,  ..., 2.2243e+02, 2.2257e+02,
         2.2271e+02],
        [2.2286e+02, 2.2300e+02, 2.2314e+02,  ..., 2.2814e+02, 2.2829e+02,
         2.2843e+02]]))");
}

TEST(FormatTensorTest, SummarizedCube) {
  // torch.arange(8000).reshape(20, 20, 20)
  EXPECT_EQ(FormatTensor(Ints({20, 20, 20},
                              MapRangeI64(8000, [](int64_t x) { return x; }))),
            R"(tensor([[[   0,    1,    2,  ...,   17,   18,   19],
         [  20,   21,   22,  ...,   37,   38,   39],
         [  40,   41,   42,  ...,   57,   58,   59],
         ...,
         [ 340,  341,  342,  ...,  357,  358,  359],
         [ 360,  361,  362,  ...,  377,  378,  379],
         [ 380,  381,  382,  ...,  397,  398,  399]],

        [[ 400,  401,  402,  ...,  417,  418,  419],
         [ 420,  421,  422,  ...,  437,  438,  439],
         [ 440,  441,  442,  ...,  457,  458,  459],
         ...,
         [ 740,  741,  742,  ...,  757,  758,  759],
         [ 760,  761,  762,  ...,  777,  778,  779],
         [ 780,  781,  782,  ...,  797,  798,  799]],

        [[ 800,  801,  802,  ...,  817,  818,  819],
         [ 820,  821,  822,  ...,  837,  838,  839],
         [ 840,  841,  842,  ...,  857,  858,  859],
         ...,
         [1140, 1141, 1142,  ..., 1157, 1158, 1159],
         [1160, 1161, 1162,  ..., 1177, 1178, 1179],
         [1180, 1181, 1182,  ..., 1197, 1198, 1199]],

        ...,

        [[6800, 6801, 6802,  ..., 6817, 6818, 6819],
         [6820, 6821, 6822,  ..., 6837, 6838, 6839],
         [6840, 6841, 6842,  ..., 6857, 6858, 6859],
         ...,
         [7140, 7141, 7142,  ..., 7157, 7158, 7159],
         [7160, 7161, 7162,  ..., 7177, 7178, 7179],
         [7180, 7181, 7182,  ..., 7197, 7198, 7199]],

        [[7200, 7201, 7202,  ..., 7217, 7218, 7219],
         [7220, 7221, 7222,  ..., 7237, 7238, 7239],
         [7240, 7241, 7242,  ..., 7257, 7258, 7259],
         ...,
         [7540, 7541, 7542,  ..., 7557, 7558, 7559],
         [7560, 7561, 7562,  ..., 7577, 7578, 7579],
         [7580, 7581, 7582,  ..., 7597, 7598, 7599]],

        [[7600, 7601, 7602,  ..., 7617, 7618, 7619],
         [7620, 7621, 7622,  ..., 7637, 7638, 7639],
         [7640, 7641, 7642,  ..., 7657, 7658, 7659],
         ...,
         [7940, 7941, 7942,  ..., 7957, 7958, 7959],
         [7960, 7961, 7962,  ..., 7977, 7978, 7979],
         [7980, 7981, 7982,  ..., 7997, 7998, 7999]]]))");
}

TEST(FormatTensorTest, SummarizedOnlyLongDimensions) {
  // torch.arange(2002.).reshape(2, 1001) - 1000
  EXPECT_EQ(
      FormatTensor(Floats({2, 1001},
                          MapRangeF32(2002, [](float x) { return x - 1000; }))),
      R"(tensor([[-1.0000e+03, -9.9900e+02, -9.9800e+02,  ..., -2.0000e+00,
         -1.0000e+00,  0.0000e+00],
        [ 1.0000e+00,  2.0000e+00,  3.0000e+00,  ...,  9.9900e+02,
          1.0000e+03,  1.0010e+03]]))");
}

TEST(FormatTensorTest, SummarizedBool) {
  // torch.arange(2000) % 3 == 0
  EXPECT_EQ(
      FormatTensor(Bools(
          {2000},
          MapRangeI64(2000, [](int64_t x) -> int64_t { return x % 3 == 0; }))),
      "tensor([ True, False, False,  ..., False,  True, False])");
}

TEST(FormatTensorTest, EmptyVector) {
  // torch.tensor([])
  EXPECT_EQ(FormatTensor(Floats({0}, {})), "tensor([])");
}

TEST(FormatTensorTest, EmptyMatrix) {
  // torch.zeros(0, 3)
  EXPECT_EQ(FormatTensor(Floats({0, 3}, {})), "tensor([], size=(0, 3))");
}

TEST(FormatTensorTest, EmptyCube) {
  // torch.zeros(2, 0, 4)
  EXPECT_EQ(FormatTensor(Floats({2, 0, 4}, {})), "tensor([], size=(2, 0, 4))");
}

TEST(FormatTensorTest, EmptyVectorDouble) {
  // torch.zeros(0, dtype=torch.float64)
  EXPECT_EQ(FormatTensor(Floats({0}, {}, "float64")),
            "tensor([], dtype=torch.float64)");
}

TEST(FormatTensorTest, EmptyMatrixDouble) {
  // torch.zeros(0, 3, dtype=torch.float64)
  EXPECT_EQ(FormatTensor(Floats({0, 3}, {}, "float64")),
            "tensor([], size=(0, 3), dtype=torch.float64)");
}

TEST(FormatTensorTest, EmptyCubeDouble) {
  // torch.zeros(2, 0, 4, dtype=torch.float64)
  EXPECT_EQ(FormatTensor(Floats({2, 0, 4}, {}, "float64")),
            "tensor([], size=(2, 0, 4), dtype=torch.float64)");
}

TEST(FormatTensorTest, EmptyInt64ShowsDtype) {
  // torch.zeros(0, dtype=torch.long)
  EXPECT_EQ(FormatTensor(Ints({0}, {})), "tensor([], dtype=torch.int64)");
}

TEST(FormatTensorTest, EmptyBoolShowsDtype) {
  // torch.zeros(3, 0, dtype=torch.bool)
  EXPECT_EQ(FormatTensor(Bools({3, 0}, {})),
            "tensor([], size=(3, 0), dtype=torch.bool)");
}

TEST(FormatTensorTest, EmptyRequiresGrad) {
  // torch.zeros(0, 3, requires_grad=True)
  EXPECT_EQ(FormatTensor(Floats({0, 3}, {}), RequiresGradOptions()),
            "tensor([], size=(0, 3), requires_grad=True)");
}

TEST(FormatTensorTest, RequiresGrad) {
  // torch.tensor([1.0, 2.0], requires_grad=True)
  EXPECT_EQ(FormatTensor(Floats({2}, {1.0, 2.0}), RequiresGradOptions()),
            "tensor([1., 2.], requires_grad=True)");
}

TEST(FormatTensorTest, GradFn) {
  // torch.tensor([1., 2.], requires_grad=True) + 1
  EXPECT_EQ(FormatTensor(Floats({2}, {2, 3}), GradFnOptions("AddBackward0")),
            "tensor([2., 3.], grad_fn=<AddBackward0>)");
}

TEST(FormatTensorTest, GradFnWinsOverRequiresGrad) {
  // torch.tensor([1., 2.], requires_grad=True) * 2
  EXPECT_EQ(FormatTensor(Floats({2}, {2, 4}),
                         GradFnOptions("MulBackward0", /*requires_grad=*/true)),
            "tensor([2., 4.], grad_fn=<MulBackward0>)");
}

TEST(FormatTensorTest, DtypeThenGradFn) {
  // torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64,
  // requires_grad=True).sum(0)
  EXPECT_EQ(FormatTensor(Floats({2}, {4, 6}, "float64"),
                         GradFnOptions("SumBackward1")),
            "tensor([4., 6.], dtype=torch.float64, grad_fn=<SumBackward1>)");
}

TEST(FormatTensorTest, Cuda) {
  // torch.tensor([1.5, 2.], device='cuda:0')
  EXPECT_EQ(FormatTensor(Floats({2}, {1.5, 2}), DeviceOptions("cuda:0")),
            "tensor([1.5000, 2.0000], device='cuda:0')");
}

TEST(FormatTensorTest, CudaScalarInt32) {
  // torch.tensor(7, dtype=torch.int32, device='cuda:0')
  EXPECT_EQ(FormatTensor(Ints({}, {7}, "int32"), DeviceOptions("cuda:0")),
            "tensor(7, device='cuda:0', dtype=torch.int32)");
}

TEST(FormatTensorTest, CudaEmptyDouble) {
  // torch.zeros(0, 3, dtype=torch.float64, device='cuda:0')
  EXPECT_EQ(
      FormatTensor(Floats({0, 3}, {}, "float64"), DeviceOptions("cuda:0")),
      "tensor([], device='cuda:0', size=(0, 3), dtype=torch.float64)");
}

TEST(FormatTensorTest, CudaSummarized) {
  // torch.arange(2000., device='cuda:0')
  EXPECT_EQ(
      FormatTensor(Floats({2000}, MapRangeF32(2000, [](float x) { return x; })),
                   DeviceOptions("cuda:0")),
      R"(tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,
        1.9990e+03], device='cuda:0'))");
}

TEST(FormatTensorTest, SuffixWrapsToNewLine) {
  // (torch.arange(8, dtype=torch.float64) + 0.5).requires_grad_()
  EXPECT_EQ(
      FormatTensor(Floats({8}, MapRangeF64(8, [](double x) { return x + 0.5; }),
                          "float64"),
                   RequiresGradOptions()),
      R"(tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000],
       dtype=torch.float64, requires_grad=True))");
}

TEST(FormatTensorTest, AllSuffixesMoveToNextLine) {
  // (torch.arange(7, dtype=torch.float64, device='cuda:0') +
  // 0.5).requires_grad_()
  EXPECT_EQ(
      FormatTensor(Floats({7}, MapRangeF64(7, [](double x) { return x + 0.5; }),
                          "float64"),
                   DeviceOptions("cuda:0", /*requires_grad=*/true)),
      R"(tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000],
       device='cuda:0', dtype=torch.float64, requires_grad=True))");
}

TEST(FormatTensorTest, SecondSuffixWrapsAfterFirstFits) {
  // (torch.arange(5, dtype=torch.float64) + 0.5).requires_grad_()
  EXPECT_EQ(
      FormatTensor(Floats({5}, MapRangeF64(5, [](double x) { return x + 0.5; }),
                          "float64"),
                   RequiresGradOptions()),
      R"(tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000], dtype=torch.float64,
       requires_grad=True))");
}

TEST(FormatTensorTest, SuffixAfterMultiLineTensor) {
  // torch.arange(12, dtype=torch.float64, requires_grad=True).reshape(3, 4) *
  // 1e5 + 0.5
  EXPECT_EQ(FormatTensor(
                Floats({3, 4},
                       MapRangeF64(12, [](double x) { return x * 1e5 + 0.5; }),
                       "float64"),
                GradFnOptions("AddBackward0")),
            R"(tensor([[5.0000e-01, 1.0000e+05, 2.0000e+05, 3.0000e+05],
        [4.0000e+05, 5.0000e+05, 6.0000e+05, 7.0000e+05],
        [8.0000e+05, 9.0000e+05, 1.0000e+06, 1.1000e+06]], dtype=torch.float64,
       grad_fn=<AddBackward0>))");
}

TEST(FormatItemTest, Float64ShortestDigits) {
  // repr(torch.tensor(0.9551321864128113, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.9551321864128113}, "float64")),
            "0.9551321864128113");
}

TEST(FormatItemTest, IntegralFloat) {
  // repr(torch.tensor(27.).item())
  EXPECT_EQ(FormatItem(Floats({}, {27.0})), "27.0");
}

TEST(FormatItemTest, Float32WidensToDouble) {
  // repr(torch.tensor(0.1).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.1})), "0.10000000149011612");
}

TEST(FormatItemTest, Float32AlreadyRounded) {
  // repr(torch.tensor(0.10000000149011612).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.10000000149011612})),
            "0.10000000149011612");
}

TEST(FormatItemTest, SmallUsesExponent) {
  // repr(torch.tensor(1e-05, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1e-05}, "float64")), "1e-05");
}

TEST(FormatItemTest, Float32SmallUsesExponent) {
  // repr(torch.tensor(1e-05).item())
  EXPECT_EQ(FormatItem(Floats({}, {1e-05})), "9.999999747378752e-06");
}

TEST(FormatItemTest, FourthDecimalStaysFixed) {
  // repr(torch.tensor(0.0001, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.0001}, "float64")), "0.0001");
}

TEST(FormatItemTest, SmallFixedWithManyDigits) {
  // repr(torch.tensor(0.00012345, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.00012345}, "float64")), "0.00012345");
}

TEST(FormatItemTest, LargeUsesExponent) {
  // repr(torch.tensor(1e16, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1e16}, "float64")), "1e+16");
}

TEST(FormatItemTest, LargeExponentWithFraction) {
  // repr(torch.tensor(1.5e16, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1.5e16}, "float64")), "1.5e+16");
}

TEST(FormatItemTest, BelowExponentThresholdStaysFixed) {
  // repr(torch.tensor(1e15, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1e15}, "float64")), "1000000000000000.0");
}

TEST(FormatItemTest, FixedWithFraction) {
  // repr(torch.tensor(123456789.125, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {123456789.125}, "float64")),
            "123456789.125");
}

TEST(FormatItemTest, ThreeDigitExponent) {
  // repr(torch.tensor(1e-100, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1e-100}, "float64")), "1e-100");
}

TEST(FormatItemTest, Denormal) {
  // repr(torch.tensor(5e-324, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {5e-324}, "float64")), "5e-324");
}

TEST(FormatItemTest, MaxDouble) {
  // repr(torch.tensor(1.7976931348623157e308, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {1.7976931348623157e308}, "float64")),
            "1.7976931348623157e+308");
}

TEST(FormatItemTest, NegativeExponent) {
  // repr(torch.tensor(-2.5e-7, dtype=torch.float64).item())
  EXPECT_EQ(FormatItem(Floats({}, {-2.5e-7}, "float64")), "-2.5e-07");
}

TEST(FormatItemTest, Inf) {
  // repr(torch.tensor(float('inf')).item())
  EXPECT_EQ(FormatItem(Floats({}, {kInf})), "inf");
}

TEST(FormatItemTest, NegativeInf) {
  // repr(torch.tensor(float('-inf')).item())
  EXPECT_EQ(FormatItem(Floats({}, {-kInf})), "-inf");
}

TEST(FormatItemTest, Nan) {
  // repr(torch.tensor(float('nan')).item())
  EXPECT_EQ(FormatItem(Floats({}, {kNan})), "nan");
}

TEST(FormatItemTest, NegativeZero) {
  // repr(torch.tensor(-0.).item())
  EXPECT_EQ(FormatItem(Floats({}, {-0.0})), "-0.0");
}

TEST(FormatItemTest, Float16) {
  // repr(torch.tensor(0.1, dtype=torch.float16).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.1}, "float16")), "0.0999755859375");
}

TEST(FormatItemTest, BFloat16) {
  // repr(torch.tensor(0.1, dtype=torch.bfloat16).item())
  EXPECT_EQ(FormatItem(Floats({}, {0.1}, "bfloat16")), "0.10009765625");
}

TEST(FormatItemTest, OneElementMatrix) {
  // repr(torch.tensor([[2.5]]).item())
  EXPECT_EQ(FormatItem(Floats({1, 1}, {2.5})), "2.5");
}

TEST(FormatItemTest, Int64) {
  // repr(torch.tensor(3).item())
  EXPECT_EQ(FormatItem(Ints({}, {3})), "3");
}

TEST(FormatItemTest, Int32Negative) {
  // repr(torch.tensor(-7, dtype=torch.int32).item())
  EXPECT_EQ(FormatItem(Ints({}, {-7}, "int32")), "-7");
}

TEST(FormatItemTest, True) {
  // repr(torch.tensor(True).item())
  EXPECT_EQ(FormatItem(Bools({}, {1})), "True");
}

TEST(FormatItemTest, False) {
  // repr(torch.tensor([False]).item())
  EXPECT_EQ(FormatItem(Bools({1}, {0})), "False");
}

TEST(FormatSizeTest, Matrix) {
  // torch.zeros(5, 3).size()
  EXPECT_EQ(FormatSize({5, 3}), "torch.Size([5, 3])");
}

TEST(FormatSizeTest, Scalar) {
  // torch.tensor(1.).size()
  EXPECT_EQ(FormatSize({}), "torch.Size([])");
}

TEST(FormatSizeTest, Vector) {
  // torch.zeros(7).size()
  EXPECT_EQ(FormatSize({7}), "torch.Size([7])");
}

TEST(FormatSizeTest, EmptyVector) {
  // torch.zeros(0).size()
  EXPECT_EQ(FormatSize({0}), "torch.Size([0])");
}

TEST(FormatSizeTest, EmptyCube) {
  // torch.zeros(2, 0, 4).size()
  EXPECT_EQ(FormatSize({2, 0, 4}), "torch.Size([2, 0, 4])");
}

TEST(FormatTensorTest, RejectsValueCountMismatch) {
  EXPECT_THROW(FormatTensor(Floats({2, 2}, {1, 2, 3})), std::invalid_argument);
  EXPECT_THROW(FormatTensor(Ints({3}, {1, 2})), std::invalid_argument);
}

TEST(FormatTensorTest, RejectsUnknownDtype) {
  EXPECT_THROW(FormatTensor(Floats({1}, {1}, "complex64")),
               std::invalid_argument);
}

TEST(FormatItemTest, RejectsNonSingleElement) {
  EXPECT_THROW(FormatItem(Floats({2}, {1, 2})), std::invalid_argument);
  EXPECT_THROW(FormatItem(Floats({0}, {})), std::invalid_argument);
}

}  // namespace
}  // namespace tensord::client
