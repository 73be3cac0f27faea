// Cases for the foundation ops: factories, add/sub/mul/div/neg, sum/mean,
// matmul, views and copies, and the dispatcher's own checks. Expected values
// follow PyTorch's semantics.
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "autograd/op_registry.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// ---- factories ---------------------------------------------------------------

OP_CASE("empty", Empty) {
  Tensor t = Run1("empty", {}, {{"size", std::vector<int64_t>{5, 3}}});
  EXPECT_THAT(Shape(t), ElementsAre(5, 3));
  EXPECT_EQ(t.dtype(), DType::kFloat32);
}

OP_CASE("zeros", Zeros) {
  Tensor t = Run1("zeros", {}, {{"size", std::vector<int64_t>{5, 3}}, {"dtype", DType::kInt64}});
  EXPECT_EQ(t.dtype(), DType::kInt64);
  EXPECT_THAT(Values(t), ::testing::Each(0.0));
  EXPECT_EQ(t.numel(), 15);
}

OP_CASE("ones", Ones) {
  Tensor t = Run1("ones", {}, {{"size", std::vector<int64_t>{2}}, {"dtype", DType::kFloat64}});
  EXPECT_EQ(t.dtype(), DType::kFloat64);
  EXPECT_THAT(Values(t), ElementsAre(1.0, 1.0));
}

OP_CASE("full", FullInfersDTypeFromFillValue) {
  // torch.full((2,), 7) is int64; torch.full((2,), 7.5) is float32.
  Tensor i = Run1("full", {}, {{"size", std::vector<int64_t>{2}}, {"fill_value", int64_t{7}}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(7, 7));
  Tensor f = Run1("full", {}, {{"size", std::vector<int64_t>{1}}, {"fill_value", 7.5}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(7.5));
}

OP_CASE("rand", RandIsSeededAndInUnitInterval) {
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{3}}}).ok());
  std::vector<double> a = Values(Run1("rand", {}, {{"size", std::vector<int64_t>{1000}}}));
  ASSERT_TRUE(Run("manual_seed", {}, {{"seed", int64_t{3}}}).ok());
  std::vector<double> b = Values(Run1("rand", {}, {{"size", std::vector<int64_t>{1000}}}));
  EXPECT_EQ(a, b);
  for (double v : a) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
  auto r = Run("rand", {}, {{"size", std::vector<int64_t>{2}}, {"dtype", DType::kInt64}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

OP_CASE("randn", RandnHasUnitVariance) {
  std::vector<double> v = Values(Run1("randn", {}, {{"size", std::vector<int64_t>{20000}}}));
  double mean = 0, sq = 0;
  for (double x : v) mean += x / v.size();
  for (double x : v) sq += (x - mean) * (x - mean) / v.size();
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(std::sqrt(sq), 1.0, 0.05);
}

OP_CASE("arange", Arange) {
  // torch.arange(5) is int64 [0..4]; torch.arange(1, 2.5, 0.5) is float32.
  Tensor i = Run1("arange", {}, {{"end", int64_t{5}}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(0, 1, 2, 3, 4));
  Tensor f = Run1("arange", {}, {{"start", int64_t{1}}, {"end", 2.5}, {"step", 0.5}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(1.0, 1.5, 2.0));
  Tensor down =
      Run1("arange", {}, {{"start", int64_t{5}}, {"end", int64_t{0}}, {"step", int64_t{-2}}});
  EXPECT_THAT(Values(down), ElementsAre(5, 3, 1));
  EXPECT_EQ(Run("arange", {}, {{"end", int64_t{5}}, {"step", int64_t{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("arange", {}, {{"end", int64_t{-5}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("manual_seed", ManualSeedProducesNoOutput) {
  auto r = Run("manual_seed", {}, {{"seed", int64_t{42}}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->outputs.empty());
  EXPECT_EQ(gen_.initial_seed(), 42u);
}

// The *_like forms keep self's shape and dtype unless dtype is given.
class LikeCases : public OpTest {
 protected:
  void Check(const std::string& op, double expect_each) {
    Tensor base = Make({1, 2, 3, 4, 5, 6}, {2, 3}, DType::kFloat64);
    Tensor same = Run1(op, {base});
    EXPECT_THAT(Shape(same), ElementsAre(2, 3));
    EXPECT_EQ(same.dtype(), DType::kFloat64);
    Tensor f = Run1(op, {base}, {{"dtype", DType::kFloat32}});
    EXPECT_EQ(f.dtype(), DType::kFloat32);
    if (!std::isnan(expect_each)) {
      EXPECT_THAT(Values(f), ::testing::Each(expect_each));
    }
  }
};

#define LIKE_CASE(op, name, value)                                               \
  [[maybe_unused]] static const bool kCovered##name = Cover(CoveredOps(), {op}); \
  TEST_F(LikeCases, name) { Check(op, value); }

LIKE_CASE("empty_like", EmptyLike, NAN)
LIKE_CASE("zeros_like", ZerosLike, 0.0)
LIKE_CASE("ones_like", OnesLike, 1.0)
LIKE_CASE("rand_like", RandLike, NAN)
LIKE_CASE("randn_like", RandnLike, NAN)

OP_CASE("full_like", FullLike) {
  Tensor base = Make({1, 2}, {2}, DType::kInt64);
  Tensor t = Run1("full_like", {base}, {{"fill_value", int64_t{9}}});
  EXPECT_EQ(t.dtype(), DType::kInt64);
  EXPECT_THAT(Values(t), ElementsAre(9, 9));
}

// new_* take a size and keep self's dtype unless dtype is given.
class NewCases : public OpTest {
 protected:
  void Check(const std::string& op, std::map<std::string, AttrValue> extra, double each) {
    Tensor base = Make({1}, {1}, DType::kFloat64);
    extra["size"] = std::vector<int64_t>{5, 3};
    Tensor t = Run1(op, {base}, extra);
    EXPECT_THAT(Shape(t), ElementsAre(5, 3));
    EXPECT_EQ(t.dtype(), DType::kFloat64);
    if (!std::isnan(each)) {
      EXPECT_THAT(Values(t), ::testing::Each(each));
    }
    extra["dtype"] = DType::kInt32;
    EXPECT_EQ(Run1(op, {base}, extra).dtype(), DType::kInt32);
  }
};

#define NEW_CASE(op, name, extra, value)                                         \
  [[maybe_unused]] static const bool kCovered##name = Cover(CoveredOps(), {op}); \
  TEST_F(NewCases, name) { Check(op, extra, value); }

NEW_CASE("new_empty", NewEmpty, {}, NAN)
NEW_CASE("new_zeros", NewZeros, {}, 0.0)
NEW_CASE("new_ones", NewOnes, {}, 1.0)
NEW_CASE("new_full", NewFull, (std::map<std::string, AttrValue>{{"fill_value", 2.5}}), 2.5)

// ---- arithmetic -------------------------------------------------------------

OP_CASE("add", AddBroadcastsAndScales) {
  Tensor a = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Make({10, 20, 30}, {3});
  EXPECT_THAT(Values(Run1("add", {a, b})), ElementsAre(11, 22, 33, 14, 25, 36));
  EXPECT_THAT(Values(Run1("add", {a, b}, {{"alpha", int64_t{2}}})),
              ElementsAre(21, 42, 63, 24, 45, 66));
  EXPECT_THAT(Values(Run1("add", {a}, {{"other", 0.5}})),
              ElementsAre(1.5, 2.5, 3.5, 4.5, 5.5, 6.5));
}

OP_CASE("add", AddPromotesLikeTorch) {
  Tensor i = Make({1, 2}, {2}, DType::kInt64);
  Tensor d = Make({0.5, 0.5}, {2}, DType::kFloat64);
  EXPECT_EQ(Run1("add", {i}, {{"other", int64_t{2}}}).dtype(), DType::kInt64);
  EXPECT_EQ(Run1("add", {i}, {{"other", 2.5}}).dtype(), DType::kFloat32);
  EXPECT_EQ(Run1("add", {i, d}).dtype(), DType::kFloat64);
  // torch.add(int, int, alpha=0.5) is an error.
  auto r = Run("add", {i, i}, {{"alpha", 0.5}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

OP_CASE("add", AddRejectsBadOperands) {
  Tensor a = Make({1, 2, 3}, {3});
  Tensor b = Make({1, 2}, {2});
  auto mismatch = Run("add", {a, b});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("[3]"));
  EXPECT_THAT(mismatch.status().message(), HasSubstr("[2]"));
  EXPECT_EQ(Run("add", {a}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("add", {a, a}, {{"other", 1.0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("add_", AddInPlaceWritesSelf) {
  Tensor y = Make({1, 2, 3}, {3});
  Tensor x = Make({10, 20, 30}, {3});
  auto r = Run("add_", {y, x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(y));
  EXPECT_THAT(Values(y), ElementsAre(11, 22, 33));
  // The result must fit self: shape and castable dtype, as in PyTorch.
  Tensor small = Make({1}, {1});
  EXPECT_EQ(Run("add_", {small, x}).status().code(), absl::StatusCode::kInvalidArgument);
  Tensor expanded = Run1("expand", {Make({1}, {1})}, {{"size", std::vector<int64_t>{3}}});
  auto overlap = Run("add_", {expanded, x});
  EXPECT_EQ(overlap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(overlap.status().message(), HasSubstr("single memory location"));
  Tensor ints = Make({1, 2, 3}, {3}, DType::kInt64);
  auto cast = Run("add_", {ints, x});
  EXPECT_EQ(cast.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cast.status().message(), HasSubstr("can't be cast"));
}

OP_CASE("add", AddOutWritesOrResizes) {
  Tensor a = Make({1, 2}, {2});
  Tensor out = Make({0, 0}, {2}, DType::kFloat64);
  auto r = Run("add", {a, a}, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kOut);
  EXPECT_THAT(Values(out), ElementsAre(2, 4));
  Tensor wrong = Make({0}, {1});
  auto resized = Run("add", {a, a}, {}, &wrong);
  ASSERT_TRUE(resized.ok());
  EXPECT_THAT(Shape(resized->outputs[0]), ElementsAre(2));
  Tensor int_out = Make({0, 0}, {2}, DType::kInt64);
  EXPECT_EQ(Run("add", {a, a}, {}, &int_out).status().code(), absl::StatusCode::kInvalidArgument);
}

OP_CASE("add_", InPlaceWithAnAliasedOperandReadsBeforeWriting) {
  // torch: y = tensor([[1., 2.], [3., 4.]]); y.add_(y[0]) -> [[2, 4], [4, 6]]
  Tensor y = Make({1, 2, 3, 4}, {2, 2});
  Tensor row = Run1("select", {y}, {{"dim", int64_t{0}}, {"index", int64_t{0}}});
  ASSERT_TRUE(Run("add_", {y, row}).ok());
  EXPECT_THAT(Values(y), ElementsAre(2, 4, 4, 6));
  // y.add_(y) doubles in place.
  ASSERT_TRUE(Run("add_", {y, y}).ok());
  EXPECT_THAT(Values(y), ElementsAre(4, 8, 8, 12));
}

OP_CASE("add", OutIsWrittenDirectly) {
  Tensor a = Make({1, 2}, {2});
  Tensor out = Make({0, 0}, {2});
  auto r = Run("add", {a, a}, {}, &out);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(out));
  EXPECT_THAT(Values(out), ElementsAre(2, 4));
  // out= aliasing an input exactly, as torch.add(a, a, out=a).
  ASSERT_TRUE(Run("add", {a, a}, {}, &a).ok());
  EXPECT_THAT(Values(a), ElementsAre(2, 4));
}

OP_CASE("sub", Sub) {
  Tensor a = Make({5, 7}, {2});
  Tensor b = Make({1, 2}, {2});
  EXPECT_THAT(Values(Run1("sub", {a, b})), ElementsAre(4, 5));
  EXPECT_THAT(Values(Run1("sub", {a, b}, {{"alpha", int64_t{3}}})), ElementsAre(2, 1));
}

OP_CASE("sub_", SubInPlace) {
  Tensor a = Make({5, 7}, {2});
  ASSERT_TRUE(Run("sub_", {a}, {{"other", int64_t{1}}}).ok());
  EXPECT_THAT(Values(a), ElementsAre(4, 6));
}

OP_CASE("mul", Mul) {
  Tensor a = Make({1, 2, 3}, {3, 1});
  Tensor b = Make({1, 10}, {1, 2});
  Tensor r = Run1("mul", {a, b});
  EXPECT_THAT(Shape(r), ElementsAre(3, 2));
  EXPECT_THAT(Values(r), ElementsAre(1, 10, 2, 20, 3, 30));
}

OP_CASE("mul_", MulInPlace) {
  Tensor a = Make({1, 2}, {2});
  ASSERT_TRUE(Run("mul_", {a}, {{"other", 3.0}}).ok());
  EXPECT_THAT(Values(a), ElementsAre(3, 6));
}

OP_CASE("div", DivIsTrueDivision) {
  // torch.tensor([1, 2]) / 2 is float32 [0.5, 1.0].
  Tensor a = Make({1, 2}, {2}, DType::kInt64);
  Tensor r = Run1("div", {a}, {{"other", int64_t{2}}});
  EXPECT_EQ(r.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(r), ElementsAre(0.5, 1.0));
  Tensor z = Run1("div", {Make({1, -1, 0}, {3})}, {{"other", 0.0}});
  std::vector<double> v = Values(z);
  EXPECT_TRUE(std::isinf(v[0]) && v[0] > 0);
  EXPECT_TRUE(std::isinf(v[1]) && v[1] < 0);
  EXPECT_TRUE(std::isnan(v[2]));
}

OP_CASE("div_", DivInPlaceNeedsFloatSelf) {
  Tensor f = Make({1, 2}, {2});
  ASSERT_TRUE(Run("div_", {f}, {{"other", int64_t{2}}}).ok());
  EXPECT_THAT(Values(f), ElementsAre(0.5, 1.0));
  Tensor i = Make({1, 2}, {2}, DType::kInt64);
  EXPECT_EQ(Run("div_", {i}, {{"other", int64_t{2}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("neg", Neg) {
  EXPECT_THAT(Values(Run1("neg", {Make({1, -2}, {2})})), ElementsAre(-1, 2));
  EXPECT_EQ(Run("neg", {Make({1}, {1}, DType::kBool)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("neg_", NegInPlace) {
  Tensor a = Make({1, -2}, {2}, DType::kInt32);
  ASSERT_TRUE(Run("neg_", {a}).ok());
  EXPECT_THAT(Values(a), ElementsAre(-1, 2));
}

// ---- reductions and products -------------------------------------------------

OP_CASE("sum", Sum) {
  Tensor a = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor all = Run1("sum", {a});
  EXPECT_EQ(all.dim(), 0);
  EXPECT_THAT(Values(all), ElementsAre(21));
  EXPECT_THAT(Values(Run1("sum", {a}, {{"dim", std::vector<int64_t>{0}}})), ElementsAre(5, 7, 9));
  Tensor kept = Run1("sum", {a}, {{"dim", std::vector<int64_t>{-1}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(2, 1));
  EXPECT_THAT(Values(kept), ElementsAre(6, 15));
  // Integer and bool inputs sum to int64.
  EXPECT_EQ(Run1("sum", {Make({1, 1}, {2}, DType::kBool)}).dtype(), DType::kInt64);
  EXPECT_EQ(Run("sum", {a}, {{"dim", std::vector<int64_t>{2}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("mean", Mean) {
  Tensor a = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_THAT(Values(Run1("mean", {a})), ElementsAre(3.5));
  EXPECT_THAT(Values(Run1("mean", {a}, {{"dim", std::vector<int64_t>{1}}})), ElementsAre(2, 5));
  auto r = Run("mean", {Make({1, 2}, {2}, DType::kInt64)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("could not infer output dtype"));
}

OP_CASE("matmul", Matmul) {
  Tensor a = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Make({1, 0, 0, 1, 1, 1}, {3, 2});
  EXPECT_THAT(Values(Run1("matmul", {a, b})), ElementsAre(4, 5, 10, 11));
  Tensor v = Make({1, 1, 1}, {3});
  Tensor mv = Run1("matmul", {a, v});
  EXPECT_THAT(Shape(mv), ElementsAre(2));
  EXPECT_THAT(Values(mv), ElementsAre(6, 15));
  EXPECT_THAT(Values(Run1("matmul", {v, v})), ElementsAre(3));
  auto bad = Run("matmul", {a, a});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("2x3 and 2x3"));
}

OP_CASE("mm", Mm) {
  Tensor a = Make({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(Values(Run1("mm", {a, a})), ElementsAre(7, 10, 15, 22));
  EXPECT_EQ(Run("mm", {Make({1, 2}, {2}), a}).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- views and copies --------------------------------------------------------

OP_CASE("view", ViewSharesStorage) {
  Tensor x = Make({0, 1, 2, 3, 4, 5, 6, 7}, {2, 4});
  Tensor v = Run1("view", {x}, {{"size", std::vector<int64_t>{-1, 2}}});
  EXPECT_THAT(Shape(v), ElementsAre(4, 2));
  EXPECT_TRUE(v.SharesStorageWith(x));
  Tensor t = Run1("t", {x});
  EXPECT_EQ(Run("view", {t}, {{"size", std::vector<int64_t>{8}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("reshape", ReshapeCopiesWhenNeeded) {
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = Run1("t", {x});
  Tensor r = Run1("reshape", {t}, {{"size", std::vector<int64_t>{6}}});
  EXPECT_FALSE(r.SharesStorageWith(x));
  EXPECT_THAT(Values(r), ElementsAre(0, 3, 1, 4, 2, 5));
}

OP_CASE("select", Select) {
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_THAT(Values(Run1("select", {x}, {{"dim", int64_t{1}}, {"index", int64_t{-1}}})),
              ElementsAre(2, 5));
  EXPECT_EQ(Run("select", {x}, {{"dim", int64_t{0}}, {"index", int64_t{2}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("slice", SliceWithStep) {
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {6});
  EXPECT_THAT(Values(Run1("slice", {x}, {{"start", int64_t{1}}, {"step", int64_t{2}}})),
              ElementsAre(1, 3, 5));
  EXPECT_THAT(Values(Run1("slice", {x}, {{"start", int64_t{-2}}})), ElementsAre(4, 5));
}

OP_CASE("index", IndexStringIsAView) {
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor col = Run1("index", {x}, {{"spec", std::string(":, 1")}});
  EXPECT_THAT(Values(col), ElementsAre(1, 4));
  ASSERT_TRUE(Run("fill_", {col}, {{"value", int64_t{9}}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 9, 2, 3, 9, 5));
  EXPECT_EQ(Run("index", {x}, {{"spec", std::string(":, x")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("transpose", Transpose) {
  Tensor x = Make({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = Run1("transpose", {x}, {{"dim0", int64_t{0}}, {"dim1", int64_t{-1}}});
  EXPECT_THAT(Shape(t), ElementsAre(3, 2));
  EXPECT_THAT(Values(t), ElementsAre(0, 3, 1, 4, 2, 5));
}

OP_CASE("t", T) {
  EXPECT_THAT(Shape(Run1("t", {Make({1, 2}, {1, 2})})), ElementsAre(2, 1));
  EXPECT_EQ(Run("t", {Make({1}, {1, 1, 1})}).status().code(), absl::StatusCode::kInvalidArgument);
}

OP_CASE("detach", DetachSharesTheData) {
  // torch.ones(2, 3).detach() is the same storage and shape.
  Tensor x = Make({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor d = Run1("detach", {x});
  EXPECT_TRUE(d.SharesStorageWith(x));
  EXPECT_THAT(Shape(d), ElementsAre(2, 3));
  EXPECT_EQ(Values(d), Values(x));
}

OP_CASE("t_", TInPlaceRebindsSelf) {
  auto r = Run("t_", {Make({1, 2, 3}, {1, 3})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
  EXPECT_THAT(Shape(r->outputs[0]), ElementsAre(3, 1));
}

OP_CASE("permute", Permute) {
  Tensor x = Make(std::vector<double>(24, 1), {2, 3, 4});
  EXPECT_THAT(Shape(Run1("permute", {x}, {{"dims", std::vector<int64_t>{2, 0, 1}}})),
              ElementsAre(4, 2, 3));
  EXPECT_EQ(Run("permute", {x}, {{"dims", std::vector<int64_t>{0, 0, 1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("expand", Expand) {
  Tensor x = Make({1, 2}, {2, 1});
  Tensor e = Run1("expand", {x}, {{"size", std::vector<int64_t>{-1, 3}}});
  EXPECT_THAT(Values(e), ElementsAre(1, 1, 1, 2, 2, 2));
  EXPECT_EQ(e.strides()[1], 0);
  EXPECT_EQ(Run("expand", {x}, {{"size", std::vector<int64_t>{3, 3}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("unsqueeze", Unsqueeze) {
  EXPECT_THAT(Shape(Run1("unsqueeze", {Make({1, 2}, {2})}, {{"dim", int64_t{-1}}})),
              ElementsAre(2, 1));
}

OP_CASE("squeeze", Squeeze) {
  Tensor x = Make({1, 2}, {1, 2, 1});
  EXPECT_THAT(Shape(Run1("squeeze", {x})), ElementsAre(2));
  EXPECT_THAT(Shape(Run1("squeeze", {x}, {{"dim", int64_t{0}}})), ElementsAre(2, 1));
}

OP_CASE("contiguous", Contiguous) {
  Tensor x = Make({0, 1, 2, 3}, {2, 2});
  EXPECT_TRUE(Run1("contiguous", {x}).SharesStorageWith(x));
  Tensor c = Run1("contiguous", {Run1("t", {x})});
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_THAT(Values(c), ElementsAre(0, 2, 1, 3));
}

OP_CASE("clone", Clone) {
  Tensor x = Make({1, 2}, {2});
  Tensor c = Run1("clone", {x});
  EXPECT_FALSE(c.SharesStorageWith(x));
  EXPECT_THAT(Values(c), ElementsAre(1, 2));
}

OP_CASE("to", ToConvertsDType) {
  Tensor x = Make({1.7, -1.7}, {2});
  Tensor i = Run1("to", {x}, {{"dtype", DType::kInt64}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(1, -1));
  EXPECT_TRUE(Run1("to", {x}, {{"dtype", DType::kFloat32}}).SharesStorageWith(x));
  EXPECT_FALSE(Run1("to", {x}, {{"copy", true}}).SharesStorageWith(x));
  EXPECT_EQ(Run("to", {x}, {{"device", std::string("cuda:7")}}).status().code(),
            absl::StatusCode::kNotFound);
}

OP_CASE("copy_", CopyBroadcastsAndCasts) {
  Tensor dst = Make({0, 0, 0, 0}, {2, 2}, DType::kFloat64);
  Tensor src = Make({1, 2}, {2}, DType::kInt64);
  ASSERT_TRUE(Run("copy_", {dst, src}).ok());
  EXPECT_THAT(Values(dst), ElementsAre(1, 2, 1, 2));
  EXPECT_EQ(Run("copy_", {dst, Make({1, 2, 3}, {3})}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("fill_", Fill) {
  Tensor x = Make({1, 2}, {2});
  const uint64_t before = x.storage().version();
  ASSERT_TRUE(Run("fill_", {x}, {{"value", 4.0}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(4, 4));
  EXPECT_GT(x.storage().version(), before);
}

OP_CASE("zero_", Zero) {
  Tensor x = Make({1, 2}, {2});
  ASSERT_TRUE(Run("zero_", {x}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 0));
  Tensor expanded = Run1("expand", {Make({1}, {1})}, {{"size", std::vector<int64_t>{3}}});
  EXPECT_EQ(Run("zero_", {expanded}).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- error paths -------------------------------------------------------------

OP_ERROR_CASE(FactoriesRejectBadSizes, "empty", "zeros", "ones", "full", "rand", "randn") {
  for (const char* op : {"empty", "zeros", "ones", "full", "rand", "randn"}) {
    std::map<std::string, AttrValue> attrs{{"size", std::vector<int64_t>{3, -2}}};
    if (std::string(op) == "full") attrs["fill_value"] = 1.0;
    auto r = Run(op, {}, attrs);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr(op));
    EXPECT_THAT(r.status().message(), HasSubstr("[3, -2]"));
    attrs.erase("size");
    EXPECT_EQ(Run(op, {}, attrs).status().code(), absl::StatusCode::kInvalidArgument) << op;
  }
}

OP_ERROR_CASE(LikeFactoriesRejectBadDTypeAndDevice, "empty_like", "zeros_like", "ones_like",
              "rand_like", "randn_like", "full_like") {
  Tensor base = Make({1, 2}, {2});
  for (const char* op :
       {"empty_like", "zeros_like", "ones_like", "rand_like", "randn_like", "full_like"}) {
    std::map<std::string, AttrValue> attrs{{"dtype", std::string("float33")}};
    if (std::string(op) == "full_like") attrs["fill_value"] = 1.0;
    EXPECT_EQ(Run(op, {base}, attrs).status().code(), absl::StatusCode::kInvalidArgument) << op;
    attrs.erase("dtype");
    attrs["device"] = std::string("tpu");
    EXPECT_EQ(Run(op, {base}, attrs).status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_EQ(Run(op, {}, {}).status().code(), absl::StatusCode::kInvalidArgument) << op;
  }
  // rand_like of an integer tensor, as torch.rand_like(torch.tensor([1])).
  EXPECT_EQ(Run("rand_like", {Make({1}, {1}, DType::kInt64)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(NewFactoriesRejectBadSizes, "new_empty", "new_zeros", "new_ones", "new_full") {
  Tensor base = Make({1}, {1});
  for (const char* op : {"new_empty", "new_zeros", "new_ones", "new_full"}) {
    std::map<std::string, AttrValue> attrs{{"size", std::vector<int64_t>{-1}}};
    if (std::string(op) == "new_full") attrs["fill_value"] = 1.0;
    EXPECT_EQ(Run(op, {base}, attrs).status().code(), absl::StatusCode::kInvalidArgument) << op;
  }
}

OP_ERROR_CASE(ArangeAndSeedRejectBadAttrs, "arange", "manual_seed") {
  EXPECT_EQ(Run("arange", {}, {{"end", int64_t{5}}, {"step", int64_t{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("arange", {}, {{"end", std::numeric_limits<double>::infinity()}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("manual_seed", {}, {{"seed", 1.5}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(BinaryOpsRejectImpossibleBroadcasts, "add", "add_", "sub", "sub_", "mul", "mul_",
              "div", "div_") {
  Tensor a = Make(std::vector<double>(15, 1), {5, 3});
  Tensor b = Make(std::vector<double>(8, 1), {4, 2});
  for (const char* op : {"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_"}) {
    auto r = Run(op, {a, b});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr(op));
    EXPECT_THAT(r.status().message(), HasSubstr("[5, 3]"));
    EXPECT_THAT(r.status().message(), HasSubstr("[4, 2]"));
  }
  // Bool subtraction is refused as in PyTorch.
  Tensor t = Make({1, 0}, {2}, DType::kBool);
  EXPECT_EQ(Run("sub", {t, t}).status().code(), absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(NegRejectsBool, "neg", "neg_") {
  Tensor t = Make({1, 0}, {2}, DType::kBool);
  EXPECT_EQ(Run("neg", {t}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("neg_", {t}).status().code(), absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(ReductionsRejectBadDims, "sum", "mean") {
  Tensor a = Make({1, 2, 3, 4}, {2, 2});
  for (const char* op : {"sum", "mean"}) {
    auto r = Run(op, {a}, {{"dim", std::vector<int64_t>{2}}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("Dimension out of range"));
    EXPECT_EQ(Run(op, {a}, {{"dim", std::vector<int64_t>{0, -2}}}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

OP_ERROR_CASE(ProductsRejectMismatchedShapes, "matmul", "mm") {
  Tensor a = Make(std::vector<double>(15, 1), {5, 3});
  Tensor b = Make(std::vector<double>(8, 1), {4, 2});
  for (const char* op : {"matmul", "mm"}) {
    auto r = Run(op, {a, b});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("5x3 and 4x2"));
  }
  EXPECT_EQ(Run("matmul", {a, Make({1, 1, 1}, {3}, DType::kFloat64)}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("matmul", {Run1("sum", {a}), b}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(ReshapesRejectImpossibleSizes, "view", "reshape", "expand") {
  Tensor a = Make(std::vector<double>(15, 1), {5, 3});
  for (const char* op : {"view", "reshape", "expand"}) {
    auto r = Run(op, {a}, {{"size", std::vector<int64_t>{4, 4}}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("[5, 3]"));
  }
  EXPECT_EQ(Run("view", {a}, {{"size", std::vector<int64_t>{-1, -1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(ViewsRejectOutOfRangeDims, "select", "slice", "index", "transpose", "permute",
              "unsqueeze", "squeeze", "t", "t_") {
  Tensor a = Make(std::vector<double>(6, 1), {2, 3});
  EXPECT_EQ(Run("select", {a}, {{"dim", int64_t{2}}, {"index", int64_t{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("select", {a}, {{"dim", int64_t{1}}, {"index", int64_t{-4}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("slice", {a}, {{"dim", int64_t{5}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("slice", {a}, {{"step", int64_t{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("index", {a}, {{"spec", std::string("0, 0, 0")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("transpose", {a}, {{"dim0", int64_t{0}}, {"dim1", int64_t{2}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("permute", {a}, {{"dims", std::vector<int64_t>{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("unsqueeze", {a}, {{"dim", int64_t{4}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("squeeze", {a}, {{"dim", int64_t{-3}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  Tensor three = Make(std::vector<double>(8, 1), {2, 2, 2});
  EXPECT_EQ(Run("t", {three}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("t_", {three}).status().code(), absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(CopiesRejectBadArguments, "contiguous", "clone", "to", "detach") {
  Tensor a = Make({1, 2}, {2});
  EXPECT_EQ(Run("detach", {a, a}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("detach", {a}, {{"dim", int64_t{0}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("contiguous", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("clone", {a, a}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("to", {a}, {{"dtype", std::string("complex64")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("to", {a}, {{"device", std::string("cuda:3")}}).status().code(),
            absl::StatusCode::kNotFound);
}

OP_ERROR_CASE(WritesRejectBadTargets, "copy_", "fill_", "zero_") {
  Tensor a = Make({1, 2}, {2});
  EXPECT_EQ(Run("copy_", {a, Make({1, 2, 3}, {3})}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("fill_", {a}).status().code(), absl::StatusCode::kInvalidArgument);
  Tensor expanded = Run1("expand", {Make({1}, {1})}, {{"size", std::vector<int64_t>{3}}});
  for (const char* op : {"fill_", "zero_"}) {
    std::map<std::string, AttrValue> attrs;
    if (std::string(op) == "fill_") attrs["value"] = 1.0;
    EXPECT_EQ(Run(op, {expanded}, attrs).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Run("copy_", {expanded, a.WithMeta({1}, {1}, 0)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- the dispatcher itself ---------------------------------------------------

TEST_F(OpTest, UnknownOpIsNotFound) {
  auto r = Run("no_such_op", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no_such_op"));
}

TEST_F(OpTest, AttributesAreChecked) {
  Tensor x = Make({1}, {1});
  auto unknown = Run("neg", {x}, {{"bogus", int64_t{1}}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("bogus"));
  auto missing = Run("view", {x});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("size"));
  auto wrong = Run("view", {x}, {{"size", std::string("abc")}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  auto dtype =
      Run("zeros", {}, {{"size", std::vector<int64_t>{1}}, {"dtype", std::string("float33")}});
  EXPECT_EQ(dtype.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dtype.status().message(), HasSubstr("float33"));
}

TEST_F(OpTest, InputCountIsChecked) {
  Tensor x = Make({1}, {1});
  EXPECT_EQ(Run("neg", {x, x}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("matmul", {x}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OpTest, SizesAreChecked) {
  auto neg = Run("zeros", {}, {{"size", std::vector<int64_t>{2, -1}}});
  EXPECT_EQ(neg.status().code(), absl::StatusCode::kInvalidArgument);
  auto overflow =
      Run("zeros", {}, {{"size", std::vector<int64_t>{int64_t{1} << 40, int64_t{1} << 40}}});
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kInvalidArgument);
  device::Context small(&gen_, device::Device::Cpu(), device::Limits{.max_tensor_bytes = 1024});
  std::map<std::string, AttrValue> attrs{{"size", std::vector<int64_t>{100, 100}}};
  auto big = Dispatch(small, "zeros", {}, attrs);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr("--max_tensor_bytes"));
}

TEST_F(OpTest, OutIsRejectedWhereUnsupported) {
  Tensor x = Make({1}, {1});
  EXPECT_EQ(Run("view", {x}, {{"size", std::vector<int64_t>{1}}}, &x).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tensord::autograd::testing
