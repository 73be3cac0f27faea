// Cases for linspace, eye and the random ops (randint, randperm, bernoulli,
// normal_, uniform_), and a dtype matrix for to and copy_ across all seven
// dtypes. Expected values come from PyTorch 1.13 (the expression is given
// with each); random ops are checked for determinism under manual_seed,
// ranges and loose moments.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using Ints = std::vector<int64_t>;



double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double StdDev(const std::vector<double>& v) {
  const double m = Mean(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

// Doubles compared bit for bit, NaN equal to NaN.
void ExpectSame(const std::vector<double>& got, const std::vector<double>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " [" << i << "] = " << got[i];
    } else {
      EXPECT_EQ(got[i], want[i]) << what << " [" << i << "]";
      EXPECT_EQ(std::signbit(got[i]), std::signbit(want[i])) << what << " [" << i << "]";
    }
  }
}

// ---- linspace ------------------------------------------------------------------

OP_CASE("linspace", LinspaceMatchesTorchBitForBit) {
  struct Case {
    double start, end;
    int64_t steps;
    DType dtype;
    std::vector<double> want;
  };
  const std::vector<Case> cases = {
      // torch.linspace(0.3, 7.1, 20)
      {0.3, 7.1, 20, DType::kFloat32, {0.30000001192092896, 0.6578947305679321, 1.01578950881958,
                                       1.3736841678619385,  1.7315788269042969, 2.0894734859466553,
                                       2.4473683834075928,  2.805263042449951,  3.1631577014923096,
                                       3.521052360534668,   3.8789472579956055, 4.236842155456543,
                                       4.594736576080322,   4.952630996704102,  5.310525894165039,
                                       5.668420791625977,   6.026315689086914,  6.384210586547852,
                                       6.742105007171631,   7.099999904632568}},
      // torch.linspace(-3.3, 2.9, 17, dtype=torch.float64)
      {-3.3,
       2.9,
       17,
       DType::kFloat64,
       {-3.3, -2.9124999999999996, -2.525, -2.1375, -1.75, -1.3625, -0.9750000000000001,
        -0.5875000000000001, -0.19999999999999973, 0.18750000000000022, 0.5750000000000002,
        0.9625000000000001, 1.35, 1.7375, 2.125, 2.5125, 2.9}},
      // torch.linspace(-37, 1000, 13, dtype=torch.int64)
      {-37,
       1000,
       13,
       DType::kInt64,
       {-37, 49, 135, 222, 308, 394, 480, 567, 654, 740, 827, 913, 1000}},
      // torch.linspace(5, -1000, 21, dtype=torch.int32)
      {5, -1000, 21, DType::kInt32, {5,    -45,  -95,  -145, -196, -246, -296,
                                     -346, -397, -447, -497, -547, -598, -648,
                                     -698, -748, -799, -849, -899, -949, -1000}},
      // torch.linspace(-3.3, 2.9, 40, dtype=torch.float16)
      {-3.3,
       2.9,
       40,
       DType::kFloat16,
       {-3.30078125,    -3.142578125,  -2.982421875,  -2.82421875,     -2.6640625,
        -2.505859375,   -2.34765625,   -2.1875,       -2.02734375,     -1.869140625,
        -1.7099609375,  -1.55078125,   -1.392578125,  -1.232421875,    -1.07421875,
        -0.9140625,     -0.755859375,  -0.5966796875, -0.437744140625, -0.27880859375,
        -0.11962890625, 0.03955078125, 0.1982421875,  0.357421875,     0.5166015625,
        0.67578125,     0.8349609375,  0.994140625,   1.15234375,      1.3125,
        1.470703125,    1.630859375,   1.787109375,   1.9462890625,    2.10546875,
        2.263671875,    2.423828125,   2.58203125,    2.7421875,       2.900390625}},
      // torch.linspace(1.1, 9.7, 35, dtype=torch.bfloat16)
      {1.1, 9.7, 35, DType::kBFloat16, {1.1015625, 1.3515625, 1.609375, 1.859375, 2.109375,
                                        2.359375,  2.625,     2.875,    3.125,    3.375,
                                        3.625,     3.875,     4.125,    4.375,    4.625,
                                        4.875,     5.125,     5.375,    5.625,    5.875,
                                        6.125,     6.375,     6.625,    6.875,    7.125,
                                        7.375,     7.625,     7.875,    8.125,    8.375,
                                        8.625,     8.875,     9.1875,   9.4375,   9.6875}},
      // torch.linspace(0, 10, 7, dtype=torch.int64): truncation toward zero
      {0, 10, 7, DType::kInt64, {0, 1, 3, 5, 6, 8, 10}},
      // torch.linspace(0.5, 5.5, 3, dtype=torch.int64): start and end truncate first
      {0.5, 5.5, 3, DType::kInt64, {0, 2, 5}},
      // torch.linspace(-1, 1, 6)
      {-1,
       1,
       6,
       DType::kFloat32,
       {-1.0, -0.6000000238418579, -0.19999998807907104, 0.19999998807907104, 0.6000000238418579,
        1.0}},
      // torch.linspace(0, 1, 1) and torch.linspace(3, 1, 0)
      {0, 1, 1, DType::kFloat32, {0}},
      {3, 1, 0, DType::kFloat32, {}},
  };
  for (const Case& c : cases) {
    Tensor t = Run1("linspace", {},
                    {{"start", c.start}, {"end", c.end}, {"steps", c.steps}, {"dtype", c.dtype}});
    EXPECT_EQ(t.dtype(), c.dtype);
    EXPECT_THAT(Shape(t), ElementsAre(c.steps));
    ExpectSame(Values(t), c.want,
               absl::StrCat("linspace(", c.start, ", ", c.end, ", ", c.steps, ", ",
                            device::DTypeName(c.dtype), ")"));
  }
  // Integer start and end still give float32: torch.linspace(0, 10, 4)
  Tensor f =
      Run1("linspace", {}, {{"start", int64_t{0}}, {"end", int64_t{10}}, {"steps", int64_t{4}}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(0.0, 3.3333332538604736, 6.6666669845581055, 10.0));
  // torch.linspace(0, inf, 3) is all NaN.
  EXPECT_THAT(Values(Run1("linspace", {}, {{"start", 0.0}, {"end", kInf}, {"steps", int64_t{3}}})),
              Each(::testing::IsNan()));
}

OP_ERROR_CASE(LinspaceRejectsNegativeStepsAndBool, "linspace") {
  // torch.linspace(0, 1, -1): number of steps must be non-negative
  auto r = Run("linspace", {}, {{"start", 0.0}, {"end", 1.0}, {"steps", int64_t{-1}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("number of steps must be non-negative"));
  // torch.linspace(0, 1, 3, dtype=torch.bool): "linspace_cpu" not implemented for 'Bool'
  r = Run("linspace", {},
          {{"start", 0.0}, {"end", 1.0}, {"steps", int64_t{3}}, {"dtype", DType::kBool}});
  EXPECT_THAT(r.status().message(), HasSubstr("\"linspace_cpu\" not implemented for 'Bool'"));
  // steps is required.
  EXPECT_EQ(Run("linspace", {}, {{"start", 0.0}, {"end", 1.0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- eye -----------------------------------------------------------------------

OP_CASE("eye", Eye) {
  // torch.eye(3)
  Tensor sq = Run1("eye", {}, {{"n", int64_t{3}}});
  EXPECT_EQ(sq.dtype(), DType::kFloat32);
  EXPECT_THAT(Shape(sq), ElementsAre(3, 3));
  EXPECT_THAT(Values(sq), ElementsAre(1, 0, 0, 0, 1, 0, 0, 0, 1));
  EXPECT_TRUE(sq.is_contiguous());
  // torch.eye(2, 3, dtype=torch.bool)
  Tensor wide = Run1("eye", {}, {{"n", int64_t{2}}, {"m", int64_t{3}}, {"dtype", DType::kBool}});
  EXPECT_EQ(wide.dtype(), DType::kBool);
  EXPECT_THAT(Values(wide), ElementsAre(1, 0, 0, 0, 1, 0));
  // torch.eye(3, 2, dtype=torch.int64)
  Tensor tall = Run1("eye", {}, {{"n", int64_t{3}}, {"m", int64_t{2}}, {"dtype", DType::kInt64}});
  EXPECT_THAT(Values(tall), ElementsAre(1, 0, 0, 1, 0, 0));
  // torch.eye(0) has size (0, 0).
  EXPECT_THAT(Shape(Run1("eye", {}, {{"n", int64_t{0}}})), ElementsAre(0, 0));
  EXPECT_THAT(Values(Run1("eye", {}, {{"n", int64_t{2}}, {"dtype", DType::kFloat16}})),
              ElementsAre(1, 0, 0, 1));
}

OP_ERROR_CASE(EyeRejectsNegativeSizes, "eye") {
  // torch.eye(-1): n must be greater or equal to 0, got -1
  auto r = Run("eye", {}, {{"n", int64_t{-1}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("n must be greater or equal to 0, got -1"));
  // torch.eye(2, -1)
  EXPECT_THAT(Run("eye", {}, {{"n", int64_t{2}}, {"m", int64_t{-1}}}).status().message(),
              HasSubstr("m must be greater or equal to 0, got -1"));
}

// ---- randint -------------------------------------------------------------------

OP_CASE("randint", RandintIsSeededAndInRange) {
  auto draw = [&](std::map<std::string, AttrValue> attrs) {
    EXPECT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{7}}}).ok());
    return Run1("randint", {}, attrs);
  };
  const std::map<std::string, AttrValue> attrs = {
      {"low", int64_t{-3}}, {"high", int64_t{5}}, {"size", Ints{40, 50}}};
  Tensor a = draw(attrs);
  EXPECT_EQ(a.dtype(), DType::kInt64);
  EXPECT_THAT(Shape(a), ElementsAre(40, 50));
  const std::vector<double> v = Values(a);
  EXPECT_EQ(v, Values(draw(attrs)));
  EXPECT_EQ(*std::min_element(v.begin(), v.end()), -3);
  EXPECT_EQ(*std::max_element(v.begin(), v.end()), 4);
  EXPECT_NEAR(Mean(v), 0.5, 0.2);
  // low defaults to 0; dtype may be floating or bool.
  Tensor f =
      Run1("randint", {}, {{"high", int64_t{10}}, {"size", Ints{100}}, {"dtype", DType::kFloat32}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  for (double x : Values(f)) {
    EXPECT_EQ(x, std::floor(x));
    EXPECT_GE(x, 0);
    EXPECT_LT(x, 10);
  }
  Tensor b =
      Run1("randint", {}, {{"high", int64_t{2}}, {"size", Ints{100}}, {"dtype", DType::kBool}});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_GT(Mean(Values(b)), 0.2);
  EXPECT_LT(Mean(Values(b)), 0.8);
  // The full int64 range does not overflow.
  Tensor wide = Run1("randint", {},
                     {{"low", std::numeric_limits<int64_t>::min()},
                      {"high", std::numeric_limits<int64_t>::max()},
                      {"size", Ints{4}}});
  EXPECT_EQ(wide.numel(), 4);
}

OP_ERROR_CASE(RandintRejectsEmptyRangesAndOverflow, "randint") {
  // torch.randint(5, 5, (3,)): random_ expects 'from' to be less than 'to', but got from=5 >= to=5
  auto r = Run("randint", {}, {{"low", int64_t{5}}, {"high", int64_t{5}}, {"size", Ints{3}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("random_ expects 'from' to be less than 'to', but got from=5 >= to=5"));
  EXPECT_THAT(Run("randint", {}, {{"low", int64_t{6}}, {"high", int64_t{5}}, {"size", Ints{3}}})
                  .status()
                  .message(),
              HasSubstr("from=6 >= to=5"));
  // torch.randint(0, 3, (3,), dtype=torch.bool): to - 1 is out of bounds for bool
  EXPECT_THAT(Run("randint", {}, {{"high", int64_t{3}}, {"size", Ints{3}}, {"dtype", DType::kBool}})
                  .status()
                  .message(),
              HasSubstr("to - 1 is out of bounds for bool"));
  // torch.randint(0, 2**31 + 1, (3,), dtype=torch.int32): to - 1 is out of bounds for int
  EXPECT_THAT(Run("randint", {},
                  {{"high", (int64_t{1} << 31) + 1}, {"size", Ints{3}}, {"dtype", DType::kInt32}})
                  .status()
                  .message(),
              HasSubstr("to - 1 is out of bounds for int32"));
  EXPECT_THAT(Run("randint", {},
                  {{"low", -(int64_t{1} << 31) - 1},
                   {"high", int64_t{0}},
                   {"size", Ints{3}},
                   {"dtype", DType::kInt32}})
                  .status()
                  .message(),
              HasSubstr("from is out of bounds for int32"));
  EXPECT_EQ(Run("randint", {}, {{"high", int64_t{3}}, {"size", Ints{-1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- randperm ------------------------------------------------------------------

OP_CASE("randperm", RandpermIsASeededPermutation) {
  auto draw = [&](int64_t n, std::map<std::string, AttrValue> extra = {}) {
    EXPECT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{11}}}).ok());
    extra["n"] = n;
    return Run1("randperm", {}, extra);
  };
  Tensor p = draw(1000);
  EXPECT_EQ(p.dtype(), DType::kInt64);
  std::vector<double> v = Values(p);
  EXPECT_EQ(v, Values(draw(1000)));
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> identity(1000);
  std::iota(identity.begin(), identity.end(), 0.0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(v, identity);  // shuffled (a fixed point of all 1000 is out of the question)
  // Other dtypes hold the same permutation.
  EXPECT_EQ(Values(draw(1000, {{"dtype", DType::kFloat32}})), v);
  EXPECT_EQ(Values(draw(1000, {{"dtype", DType::kInt32}})), v);
  EXPECT_THAT(Shape(draw(0)), ElementsAre(0));
  EXPECT_THAT(Values(draw(1)), ElementsAre(0));
  // float16 holds 0..2048: torch.randperm(2049, dtype=torch.half) is allowed.
  EXPECT_EQ(draw(2049, {{"dtype", DType::kFloat16}}).numel(), 2049);
}

OP_ERROR_CASE(RandpermRejectsNegativeNAndNarrowDTypes, "randperm") {
  auto r = Run("randperm", {}, {{"n", int64_t{-1}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("n must be non-negative, got -1"));
  // torch.randperm(3, dtype=torch.bool): "randperm" not implemented for 'Bool'
  EXPECT_THAT(Run("randperm", {}, {{"n", int64_t{3}}, {"dtype", DType::kBool}}).status().message(),
              HasSubstr("\"randperm\" not implemented for 'Bool'"));
  // torch.randperm(2**11 + 2, dtype=torch.half): n cannot be greater than 2049 for Half type.
  EXPECT_THAT(
      Run("randperm", {}, {{"n", int64_t{2050}}, {"dtype", DType::kFloat16}}).status().message(),
      HasSubstr("n cannot be greater than 2048 + 1 for float16"));
}

// ---- bernoulli -----------------------------------------------------------------

OP_CASE("bernoulli", BernoulliDrawsFromSelfsProbabilities) {
  // torch.bernoulli(torch.tensor([0., 1., 0.5])): 0 and 1 are certain.
  std::vector<double> probs;
  for (int i = 0; i < 3000; ++i) probs.push_back(i % 3 == 0 ? 0.0 : i % 3 == 1 ? 1.0 : 0.25);
  Tensor p = Make(probs, {3000});
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{5}}}).ok());
  Tensor a = Run1("bernoulli", {p});
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{5}}}).ok());
  EXPECT_EQ(Values(a), Values(Run1("bernoulli", {p})));
  EXPECT_EQ(a.dtype(), DType::kFloat32);
  const std::vector<double> v = Values(a);
  double quarter = 0;
  for (int i = 0; i < 3000; ++i) {
    EXPECT_TRUE(v[i] == 0.0 || v[i] == 1.0);
    if (i % 3 == 0) {
      EXPECT_EQ(v[i], 0.0);
    } else if (i % 3 == 1) {
      EXPECT_EQ(v[i], 1.0);
    } else {
      quarter += v[i] / 1000;
    }
  }
  EXPECT_NEAR(quarter, 0.25, 0.06);
  EXPECT_EQ(Run1("bernoulli", {Make({0.5}, {1}, DType::kFloat64)}).dtype(), DType::kFloat64);
}

OP_CASE("bernoulli", BernoulliWithScalarP) {
  // torch.bernoulli(torch.tensor([0, 1]), 1.0) is int64 [1, 1].
  Tensor ints = Make({0, 1}, {2}, DType::kInt64);
  Tensor ones = Run1("bernoulli", {ints}, {{"p", 1.0}});
  EXPECT_EQ(ones.dtype(), DType::kInt64);
  EXPECT_THAT(Values(ones), ElementsAre(1, 1));
  EXPECT_THAT(Values(Run1("bernoulli", {ints}, {{"p", 0.0}})), ElementsAre(0, 0));
  Tensor b = Run1("bernoulli", {Make({1, 0}, {2}, DType::kBool)}, {{"p", int64_t{1}}});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(1, 1));
  const std::vector<double> v =
      Values(Run1("bernoulli", {Make(std::vector<double>(4000, 0), {4000})}, {{"p", 0.7}}));
  EXPECT_NEAR(Mean(v), 0.7, 0.05);
}

OP_ERROR_CASE(BernoulliRejectsBadProbabilities, "bernoulli") {
  // torch.bernoulli(torch.tensor([0., 1.5])): Expected p_in >= 0 && p_in <= 1 to be true
  for (double bad : {1.5, -0.5, kNaN}) {
    auto r = Run("bernoulli", {Make({0, bad}, {2})});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("Expected p_in >= 0 && p_in <= 1"));
  }
  // torch.bernoulli(x, 1.5): bernoulli_ expects p to be in [0, 1], but got p=1.5
  auto r = Run("bernoulli", {Make({0, 1}, {2})}, {{"p", 1.5}});
  EXPECT_THAT(r.status().message(),
              HasSubstr("bernoulli_ expects p to be in [0, 1], but got p=1.5"));
  EXPECT_THAT(Run("bernoulli", {Make({0, 1}, {2})}, {{"p", -0.5}}).status().message(),
              HasSubstr("but got p=-0.5"));
  // torch.bernoulli(torch.tensor([0, 1])) refuses integer probabilities.
  r = Run("bernoulli", {Make({0, 1}, {2}, DType::kInt64)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("int64"));
}

// ---- normal_ and uniform_ ------------------------------------------------------

OP_CASE("normal_", NormalFillsSelfInPlace) {
  Tensor x = Make(std::vector<double>(20000, 0), {100, 200});
  const uint64_t before = x.storage().version();
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{1}}}).ok());
  auto r = Run("normal_", {x}, {{"mean", 3.0}, {"std", 2.0}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  EXPECT_GT(x.storage().version(), before);
  const std::vector<double> v = Values(x);
  EXPECT_NEAR(Mean(v), 3.0, 0.1);
  EXPECT_NEAR(StdDev(v), 2.0, 0.1);
  // Deterministic after manual_seed.
  Tensor y = Make(std::vector<double>(20000, 0), {100, 200});
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{1}}}).ok());
  ASSERT_TRUE(Run("normal_", {y}, {{"mean", 3.0}, {"std", 2.0}}).ok());
  EXPECT_EQ(Values(y), v);
  // Defaults: standard normal; std = 0 gives the mean (torch.ones(3).normal_(0, 0)).
  Tensor d = Make(std::vector<double>(20000, 0), {20000}, DType::kFloat64);
  ASSERT_TRUE(Run("normal_", {d}).ok());
  EXPECT_NEAR(Mean(Values(d)), 0.0, 0.05);
  EXPECT_NEAR(StdDev(Values(d)), 1.0, 0.05);
  Tensor z = Make({1, 1, 1}, {3}, DType::kFloat16);
  ASSERT_TRUE(Run("normal_", {z}, {{"mean", int64_t{0}}, {"std", int64_t{0}}}).ok());
  EXPECT_THAT(Values(z), ElementsAre(0, 0, 0));
}

OP_ERROR_CASE(NormalRejectsNegativeStdAndIntegers, "normal_") {
  // torch.ones(3).normal_(0, -1): normal expects std >= 0.0, but found std -1
  auto r = Run("normal_", {Make({1, 1, 1}, {3})}, {{"std", -1.0}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("normal expects std >= 0.0, but found std -1"));
  // torch.ones(3, dtype=torch.long).normal_(): not implemented for 'Long'
  r = Run("normal_", {Make({1, 1, 1}, {3}, DType::kInt64)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("int64"));
  EXPECT_EQ(Run("normal_", {Make({1}, {1}, DType::kBool)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("uniform_", UniformFillsSelfInPlace) {
  Tensor x = Make(std::vector<double>(10000, 0), {10000});
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{2}}}).ok());
  auto r = Run("uniform_", {x}, {{"from", -2.0}, {"to", 3.0}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  const std::vector<double> v = Values(x);
  for (double e : v) {
    EXPECT_GE(e, -2.0);
    EXPECT_LT(e, 3.0);
  }
  EXPECT_NEAR(Mean(v), 0.5, 0.1);
  EXPECT_NEAR(StdDev(v), 5.0 / std::sqrt(12.0), 0.1);
  Tensor y = Make(std::vector<double>(10000, 0), {10000});
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{2}}}).ok());
  ASSERT_TRUE(Run("uniform_", {y}, {{"from", -2.0}, {"to", 3.0}}).ok());
  EXPECT_EQ(Values(y), v);
  // Defaults [0, 1); from == to fills from (torch.ones(3).uniform_(1, 1)).
  Tensor h = Make(std::vector<double>(1000, 0), {1000}, DType::kBFloat16);
  ASSERT_TRUE(Run("uniform_", {h}).ok());
  for (double e : Values(h)) {
    EXPECT_GE(e, 0.0);
    EXPECT_LT(e, 1.0);
  }
  Tensor same = Make({0, 0, 0}, {3});
  ASSERT_TRUE(Run("uniform_", {same}, {{"from", 1.0}, {"to", 1.0}}).ok());
  EXPECT_THAT(Values(same), ElementsAre(1, 1, 1));
  // A strided view is filled where it points.
  Tensor base = Make(std::vector<double>(6, 5), {2, 3});
  Tensor column = Run1("select", {base}, {{"dim", int64_t{1}}, {"index", int64_t{1}}});
  ASSERT_TRUE(Run("uniform_", {column}).ok());
  const std::vector<double> b = Values(base);
  EXPECT_EQ(b[0], 5);
  EXPECT_LT(b[1], 1);
  EXPECT_EQ(b[2], 5);
  EXPECT_LT(b[4], 1);
}

OP_ERROR_CASE(UniformRejectsReversedAndOutOfRangeBounds, "uniform_") {
  // torch.ones(3).uniform_(1, 0): uniform_ expects to return a [from, to) range, but found
  // from=1 > to=0
  auto r = Run("uniform_", {Make({1, 1, 1}, {3})}, {{"from", 1.0}, {"to", 0.0}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("uniform_ expects to return a [from, to) range, but found from=1 > to=0"));
  // torch.ones(3).uniform_(0, inf): to is out of bounds for float
  EXPECT_THAT(Run("uniform_", {Make({1}, {1})}, {{"to", kInf}}).status().message(),
              HasSubstr("to is out of bounds for float32"));
  // torch.ones(3, dtype=torch.half).uniform_(0, 70000): to is out of bounds for c10::Half
  EXPECT_THAT(
      Run("uniform_", {Make({1}, {1}, DType::kFloat16)}, {{"to", 70000.0}}).status().message(),
      HasSubstr("to is out of bounds for float16"));
  // torch.ones(3, dtype=torch.long).uniform_(): not implemented for 'Long'
  EXPECT_THAT(Run("uniform_", {Make({1}, {1}, DType::kInt64)}).status().message(),
              HasSubstr("int64"));
}

// ---- to and copy_ across all seven dtypes ------------------------------------------

// For each (source, destination) pair: torch.tensor(kSource, dtype=torch.float64)
// .to(source).to(destination).to(torch.float64).tolist(), which copy_ matches.
struct ConversionCase {
  DType from, to;
  std::vector<double> want;
};
const std::vector<double> kSource = {-2.7,    -0.5,    0.0, 0.5,  1.5, 2.5,  3.7,  100.7,
                                     65519.0, 70000.5, 3e9, 1e-8, 0.1, kNaN, kInf, -kInf};
const std::vector<ConversionCase>& ConversionMatrix() {
  static const auto* cases = new std::vector<ConversionCase>{
      {DType::kFloat32,
       DType::kFloat32,
       {-2.700000047683716, -0.5, 0.0, 0.5, 1.5, 2.5, 3.700000047683716, 100.69999694824219,
        65519.0, 70000.5, 3000000000.0, 9.99999993922529e-09, 0.10000000149011612, kNaN, kInf,
        -kInf}},
      {DType::kFloat32,
       DType::kFloat64,
       {-2.700000047683716, -0.5, 0.0, 0.5, 1.5, 2.5, 3.700000047683716, 100.69999694824219,
        65519.0, 70000.5, 3000000000.0, 9.99999993922529e-09, 0.10000000149011612, kNaN, kInf,
        -kInf}},
      {DType::kFloat32,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, 3000000000.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kFloat32,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kFloat32,
       DType::kBool,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kFloat32,
       DType::kFloat16,
       {-2.69921875, -0.5, 0.0, 0.5, 1.5, 2.5, 3.69921875, 100.6875, 65504.0, kInf, kInf, 0.0,
        0.0999755859375, kNaN, kInf, -kInf}},
      {DType::kFloat32,
       DType::kBFloat16,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, 70144.0, 3003121664.0,
        1.0011717677116394e-08, 0.10009765625, kNaN, kInf, -kInf}},
      {DType::kFloat64,
       DType::kFloat32,
       {-2.700000047683716, -0.5, 0.0, 0.5, 1.5, 2.5, 3.700000047683716, 100.69999694824219,
        65519.0, 70000.5, 3000000000.0, 9.99999993922529e-09, 0.10000000149011612, kNaN, kInf,
        -kInf}},
      {DType::kFloat64,
       DType::kFloat64,
       {-2.7, -0.5, 0.0, 0.5, 1.5, 2.5, 3.7, 100.7, 65519.0, 70000.5, 3000000000.0, 1e-08, 0.1,
        kNaN, kInf, -kInf}},
      {DType::kFloat64,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, 3000000000.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kFloat64,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kFloat64,
       DType::kBool,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kFloat64,
       DType::kFloat16,
       {-2.69921875, -0.5, 0.0, 0.5, 1.5, 2.5, 3.69921875, 100.6875, 65504.0, kInf, kInf, 0.0,
        0.0999755859375, kNaN, kInf, -kInf}},
      {DType::kFloat64,
       DType::kBFloat16,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, 70144.0, 3003121664.0,
        1.0011717677116394e-08, 0.10009765625, kNaN, kInf, -kInf}},
      {DType::kInt64,
       DType::kFloat32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, 3000000000.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kInt64,
       DType::kFloat64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, 3000000000.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kInt64,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, 3000000000.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kInt64,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -1294967296.0, 0.0, 0.0, 0.0,
        0.0, 0.0}},
      {DType::kInt64,
       DType::kBool,
       {1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0}},
      {DType::kInt64,
       DType::kFloat16,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65504.0, kInf, kInf, 0.0, 0.0, -kInf, -kInf,
        -kInf}},
      {DType::kInt64,
       DType::kBFloat16,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65536.0, 70144.0, 3003121664.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kInt32,
       DType::kFloat32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kInt32,
       DType::kFloat64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kInt32,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kInt32,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65519.0, 70000.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kInt32,
       DType::kBool,
       {1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0}},
      {DType::kInt32,
       DType::kFloat16,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65504.0, kInf, -kInf, 0.0, 0.0, -kInf, -kInf,
        -kInf}},
      {DType::kInt32,
       DType::kBFloat16,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65536.0, 70144.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kBool,
       DType::kFloat32,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kFloat64,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kInt64,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kInt32,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kBool,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kFloat16,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBool,
       DType::kBFloat16,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kFloat16,
       DType::kFloat32,
       {-2.69921875, -0.5, 0.0, 0.5, 1.5, 2.5, 3.69921875, 100.6875, 65504.0, kInf, kInf, 0.0,
        0.0999755859375, kNaN, kInf, -kInf}},
      {DType::kFloat16,
       DType::kFloat64,
       {-2.69921875, -0.5, 0.0, 0.5, 1.5, 2.5, 3.69921875, 100.6875, 65504.0, kInf, kInf, 0.0,
        0.0999755859375, kNaN, kInf, -kInf}},
      {DType::kFloat16,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65504.0, -9.223372036854776e+18,
        -9.223372036854776e+18, 0.0, 0.0, -9.223372036854776e+18, -9.223372036854776e+18,
        -9.223372036854776e+18}},
      {DType::kFloat16,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65504.0, -2147483648.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kFloat16,
       DType::kBool,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kFloat16,
       DType::kFloat16,
       {-2.69921875, -0.5, 0.0, 0.5, 1.5, 2.5, 3.69921875, 100.6875, 65504.0, kInf, kInf, 0.0,
        0.0999755859375, kNaN, kInf, -kInf}},
      {DType::kFloat16,
       DType::kBFloat16,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, kInf, kInf, 0.0,
        0.10009765625, kNaN, kInf, -kInf}},
      {DType::kBFloat16,
       DType::kFloat32,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, 70144.0, 3003121664.0,
        1.0011717677116394e-08, 0.10009765625, kNaN, kInf, -kInf}},
      {DType::kBFloat16,
       DType::kFloat64,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, 70144.0, 3003121664.0,
        1.0011717677116394e-08, 0.10009765625, kNaN, kInf, -kInf}},
      {DType::kBFloat16,
       DType::kInt64,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65536.0, 70144.0, 3003121664.0, 0.0, 0.0,
        -9.223372036854776e+18, -9.223372036854776e+18, -9.223372036854776e+18}},
      {DType::kBFloat16,
       DType::kInt32,
       {-2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 100.0, 65536.0, 70144.0, -2147483648.0, 0.0, 0.0,
        -2147483648.0, -2147483648.0, -2147483648.0}},
      {DType::kBFloat16,
       DType::kBool,
       {1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kBFloat16,
       DType::kFloat16,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, kInf, kInf, kInf, 0.0, 0.10009765625,
        kNaN, kInf, -kInf}},
      {DType::kBFloat16,
       DType::kBFloat16,
       {-2.703125, -0.5, 0.0, 0.5, 1.5, 2.5, 3.703125, 100.5, 65536.0, 70144.0, 3003121664.0,
        1.0011717677116394e-08, 0.10009765625, kNaN, kInf, -kInf}},
  };
  return *cases;
}

OP_CASE("to", ToMatchesTorchAcrossAllDTypes) {
  ASSERT_EQ(ConversionMatrix().size(), 49u);
  for (const ConversionCase& c : ConversionMatrix()) {
    Tensor src = Make(kSource, {16}, c.from);
    Tensor out = Run1("to", {src}, {{"dtype", c.to}});
    EXPECT_EQ(out.dtype(), c.to);
    ExpectSame(Values(out), c.want,
               absl::StrCat(device::DTypeName(c.from), " -> ", device::DTypeName(c.to)));
  }
}

// Values where conversions round, overflow or go subnormal. int64 sources
// are built from exact host integers (Make goes through float64).
OP_CASE("to", ToRoundsAndOverflowsLikeTorch) {
  const std::vector<int64_t> ints = {std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min(),
                                     (int64_t{1} << 53) + 1,
                                     int64_t{1} << 31,
                                     16777217,
                                     65520,
                                     65519};
  const std::vector<int64_t> shape = {7};
  absl::StatusOr<Tensor> src = device::FromHost(ctx_, ints.data(), ints.size() * sizeof(int64_t),
                                                shape, DType::kInt64, device::Device::Cpu());
  ASSERT_TRUE(src.ok()) << src.status();
  // torch.tensor(ints).to(dtype).to(torch.float64).tolist()
  const std::vector<std::pair<DType, std::vector<double>>> from_ints = {
      {DType::kFloat32,
       {9.223372036854776e+18, -9.223372036854776e+18, 9007199254740992.0, 2147483648.0, 16777216.0,
        65520.0, 65519.0}},
      {DType::kFloat64,
       {9.223372036854776e+18, -9.223372036854776e+18, 9007199254740992.0, 2147483648.0, 16777217.0,
        65520.0, 65519.0}},
      {DType::kInt32, {-1.0, 0.0, 1.0, -2147483648.0, 16777217.0, 65520.0, 65519.0}},
      {DType::kBool, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {DType::kFloat16, {kInf, -kInf, kInf, kInf, kInf, kInf, 65504.0}},
      {DType::kBFloat16,
       {9.223372036854776e+18, -9.223372036854776e+18, 9007199254740992.0, 2147483648.0, 16777216.0,
        65536.0, 65536.0}},
  };
  for (const auto& [dtype, want] : from_ints) {
    ExpectSame(Values(Run1("to", {*src}, {{"dtype", dtype}})), want,
               absl::StrCat("int64 -> ", device::DTypeName(dtype)));
  }
  // torch.tensor(values, dtype=torch.float64).to(dtype).to(torch.float64).tolist()
  const std::vector<double> values = {
      3.4028235677973366e+38, 1e-40, 1e-46, 2.98e-08, 65519.99, 1e-05, 3.39e+38, -0.0};
  Tensor doubles = Make(values, {8}, DType::kFloat64);
  const std::vector<std::pair<DType, std::vector<double>>> from_doubles = {
      {DType::kFloat32,
       {kInf, 9.99994610111476e-41, 0.0, 2.9800000689306216e-08, 65519.98828125,
        9.999999747378752e-06, 3.38999991291338e+38, -0.0}},
      {DType::kFloat64,
       {3.4028235677973366e+38, 1e-40, 1e-46, 2.98e-08, 65519.99, 1e-05, 3.39e+38, -0.0}},
      {DType::kInt64,
       {-9.223372036854776e+18, 0.0, 0.0, 0.0, 65519.0, 0.0, -9.223372036854776e+18, 0.0}},
      {DType::kInt32, {-2147483648.0, 0.0, 0.0, 0.0, 65519.0, 0.0, -2147483648.0, 0.0}},
      {DType::kBool, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0}},
      {DType::kFloat16, {kInf, 0.0, 0.0, 0.0, 65504.0, 1.0013580322265625e-05, kInf, -0.0}},
      {DType::kBFloat16,
       {kInf, 9.183549615799121e-41, 0.0, 2.9802322387695312e-08, 65536.0, 1.0013580322265625e-05,
        3.3895313892515355e+38, -0.0}},
  };
  for (const auto& [dtype, want] : from_doubles) {
    ExpectSame(Values(Run1("to", {doubles}, {{"dtype", dtype}})), want,
               absl::StrCat("float64 -> ", device::DTypeName(dtype)));
  }
}

OP_CASE("copy_", CopyMatchesTorchAcrossAllDTypes) {
  for (const ConversionCase& c : ConversionMatrix()) {
    Tensor src = Make(kSource, {16}, c.from);
    // Into a strided view (every other element of a [16, 2] tensor) so the
    // strided path is covered too.
    Tensor base = Make(std::vector<double>(32, 0), {16, 2}, c.to);
    Tensor dst = Run1("select", {base}, {{"dim", int64_t{1}}, {"index", int64_t{0}}});
    ASSERT_TRUE(Run("copy_", {dst, src}).ok());
    ExpectSame(Values(dst), c.want,
               absl::StrCat("copy_ ", device::DTypeName(c.from), " -> ", device::DTypeName(c.to)));
    EXPECT_THAT(Values(Run1("select", {base}, {{"dim", int64_t{1}}, {"index", int64_t{1}}})),
                Each(0.0));
  }
}

OP_ERROR_CASE(CopyRejectsPartialOverlap, "copy_") {
  auto slice = [&](const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step = 1) {
    return Run1("slice", {t}, {{"dim", dim}, {"start", start}, {"end", end}, {"step", step}});
  };
  auto expect_overlap = [&](const Tensor& dst, const Tensor& src, const char* what) {
    auto r = Run("copy_", {dst, src});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_THAT(r.status().message(), HasSubstr("refer to a single memory location")) << what;
  };
  // x = torch.arange(6.); x[1:].copy_(x[:-1]) and x.copy_(x[0]) are refused.
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {6});
  expect_overlap(slice(x, 0, 1, 6), slice(x, 0, 0, 5), "shifted");
  expect_overlap(x, Run1("select", {x}, {{"dim", int64_t{0}}, {"index", int64_t{0}}}), "element");
  // x = torch.arange(4.).view(2, 2); x.copy_(x.t()) is refused.
  Tensor m = Make({0, 1, 2, 3}, {2, 2});
  expect_overlap(m, Run1("t", {m}), "transposed");
  EXPECT_THAT(Values(m), ElementsAre(0, 1, 2, 3));
  // Allowed there and here: disjoint halves, interleaved views, self, and a
  // converted copy.
  ASSERT_TRUE(Run("copy_", {slice(x, 0, 0, 3), slice(x, 0, 3, 6)}).ok());
  EXPECT_THAT(Values(x), ElementsAre(3, 4, 5, 3, 4, 5));
  ASSERT_TRUE(Run("copy_", {slice(x, 0, 0, 6, 2), slice(x, 0, 1, 6, 2)}).ok());
  EXPECT_THAT(Values(x), ElementsAre(4, 4, 3, 3, 5, 5));
  ASSERT_TRUE(Run("copy_", {x, x}).ok());
  ASSERT_TRUE(Run("copy_", {x, Run1("view", {x}, {{"size", Ints{6}}})}).ok());
  ASSERT_TRUE(Run("copy_", {slice(x, 0, 1, 6),
                            Run1("to", {slice(x, 0, 0, 5)}, {{"dtype", DType::kFloat64}})})
                  .ok());
  EXPECT_THAT(Values(x), ElementsAre(4, 4, 4, 3, 3, 5));
}

}  // namespace
}  // namespace tensord::autograd::testing
