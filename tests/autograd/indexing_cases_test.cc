// Cases for the indexing ops: index_select, gather, scatter, scatter_add,
// masked_fill, masked_select, index_get, index_put, tril, triu and one_hot,
// with their in-place forms. Expected values come from PyTorch 1.13 (the
// expression is in the comment above each literal); x is
// torch.arange(6.).reshape(2, 3) unless said otherwise.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "device/backend.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;


class IndexingCases : public OpCases {
 protected:
  Tensor X(DType dtype = DType::kFloat32) { return Make({0, 1, 2, 3, 4, 5}, {2, 3}, dtype); }
  Tensor Long(const std::vector<double>& v, std::vector<int64_t> shape) {
    return Make(v, std::move(shape), DType::kInt64);
  }
  Tensor Mask(const std::vector<double>& v, std::vector<int64_t> shape) {
    return Make(v, std::move(shape), DType::kBool);
  }
  static std::map<std::string, AttrValue> Dim(int64_t d) { return {{"dim", d}}; }
};

void ExpectInvalid(const absl::StatusOr<DispatchResult>& r, const std::string& substr) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(substr));
}

#define INDEXING_CASE(op, name)                                                          \
  [[maybe_unused]] static const bool kCovered##name =                                    \
      ::tensord::autograd::testing::Cover(::tensord::autograd::testing::CoveredOps(), {op}); \
  TEST_F(IndexingCases, name)

#define INDEXING_ERROR_CASE(name, ...)                                                          \
  [[maybe_unused]] static const bool kErrorCovered##name = ::tensord::autograd::testing::Cover( \
      ::tensord::autograd::testing::ErrorCoveredOps(), {__VA_ARGS__});                          \
  TEST_F(IndexingCases, name)

// ---- index_select / gather ----------------------------------------------------------

INDEXING_CASE("index_select", IndexSelect) {
  // x.index_select(1, torch.tensor([2, 0, 2]))
  Tensor r = Run1("index_select", {X(), Long({2, 0, 2}, {3})}, Dim(1));
  EXPECT_THAT(Shape(r), ElementsAre(2, 3));
  EXPECT_THAT(Values(r), ElementsAre(2, 0, 2, 5, 3, 5));
  // x.index_select(0, torch.tensor([1]).int()): int32 indices are accepted.
  Tensor i32 = Run1("index_select", {X(), Make({1}, {1}, DType::kInt32)}, Dim(0));
  EXPECT_THAT(Values(i32), ElementsAre(3, 4, 5));
  // x.half().index_select(1, torch.tensor(1)) -> [2, 1] float16 [1, 4]
  Tensor h = Run1("index_select", {X(DType::kFloat16), Long({1}, {})}, Dim(-1));
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Shape(h), ElementsAre(2, 1));
  EXPECT_THAT(Values(h), ElementsAre(1, 4));
  EXPECT_FALSE(r.SharesStorageWith(X()));
}

INDEXING_CASE("gather", Gather) {
  // x.gather(1, torch.tensor([[2, 0], [1, 1]]))
  Tensor r = Run1("gather", {X(), Long({2, 0, 1, 1}, {2, 2})}, Dim(1));
  EXPECT_THAT(Shape(r), ElementsAre(2, 2));
  EXPECT_THAT(Values(r), ElementsAre(2, 0, 4, 4));
  // x.long().gather(0, torch.tensor([[1, 0, 1]]))
  Tensor l = Run1("gather", {X(DType::kInt64), Long({1, 0, 1}, {1, 3})}, Dim(0));
  EXPECT_EQ(l.dtype(), DType::kInt64);
  EXPECT_THAT(Values(l), ElementsAre(3, 1, 5));
  // x.bool().gather(1, torch.tensor([[0], [0]]))
  Tensor b = Run1("gather", {X(DType::kBool), Long({0, 0}, {2, 1})}, Dim(1));
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(0, 1));
  // From a non-contiguous view: x.t().gather(0, torch.tensor([[2, 0]])) -> [[2, 3]]
  Tensor t = Run1("t", {X()});
  EXPECT_THAT(Values(Run1("gather", {t, Long({2, 0}, {1, 2})}, Dim(0))), ElementsAre(2, 3));
  // torch.tensor(5.).gather(0, torch.tensor(0)) is 0-dim.
  Tensor s = Run1("gather", {Make({5}, {}), Long({0}, {})}, Dim(0));
  EXPECT_EQ(s.dim(), 0);
  EXPECT_THAT(Values(s), ElementsAre(5));
}

INDEXING_ERROR_CASE(SelectAndGatherRejectBadIndices, "index_select", "gather") {
  // x.index_select(1, torch.tensor([3]))
  auto oob = Run("index_select", {X(), Long({3}, {1})}, Dim(1));
  ExpectInvalid(oob, "index 3 is out of bounds for dimension 1 with size 3");
  EXPECT_THAT(oob.status().message(), HasSubstr("index_select([2, 3] float32, [1] int64)"));
  ExpectInvalid(Run("index_select", {X(), Long({-1}, {1})}, Dim(1)),
                "index -1 is out of bounds for dimension 1 with size 3");
  ExpectInvalid(Run("index_select", {X(), Make({0}, {1})}, Dim(1)),
                "Expected dtype int32 or int64 for index");
  ExpectInvalid(Run("index_select", {X(), Long({0}, {1, 1})}, Dim(1)),
                "Index is supposed to be a vector");
  ExpectInvalid(Run("index_select", {X(), Long({0}, {1})}, Dim(2)), "Dimension out of range");
  // x.gather(1, torch.tensor([[3]]))
  ExpectInvalid(Run("gather", {X(), Long({3}, {1, 1})}, Dim(1)),
                "index 3 is out of bounds for dimension 1 with size 3");
  ExpectInvalid(Run("gather", {X(), Long({-1}, {1, 1})}, Dim(1)),
                "index -1 is out of bounds for dimension 1 with size 3");
  ExpectInvalid(Run("gather", {X(), Make({1}, {1, 1}, DType::kInt32)}, Dim(1)),
                "gather(): Expected dtype int64 for index");
  ExpectInvalid(Run("gather", {X(), Long({1}, {1})}, Dim(1)),
                "Index tensor must have the same number of dimensions as input tensor");
  // x.gather(0, torch.tensor([[1, 1, 1, 1]]))
  ExpectInvalid(Run("gather", {X(), Long({1, 1, 1, 1}, {1, 4})}, Dim(0)),
                "Size does not match at dimension 1 expected index [1, 4] to be smaller than "
                "self [2, 3] apart from dimension 0");
  ExpectInvalid(Run("gather", {X(), Long({0}, {1, 1})}, Dim(-3)), "Dimension out of range");
}

// ---- scatter / scatter_add ------------------------------------------------------------

INDEXING_CASE("scatter", Scatter) {
  Tensor x = X();
  Tensor src = Make({10, 20, 30, 40, 50, 60}, {2, 3});
  // x.scatter(1, torch.tensor([[2, 0], [1, 1]]), src): src beyond index's shape is unused.
  Tensor r = Run1("scatter", {x, Long({2, 0, 1, 1}, {2, 2}), src}, Dim(1));
  EXPECT_THAT(Values(r), ElementsAre(20, 1, 10, 3, 50, 5));
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 3, 4, 5));  // out of place
  // x.scatter(0, torch.tensor([[1, 0, 1]]), -1.5)
  std::map<std::string, AttrValue> value{{"dim", int64_t{0}}, {"value", -1.5}};
  EXPECT_THAT(Values(Run1("scatter", {x, Long({1, 0, 1}, {1, 3})}, value)),
              ElementsAre(0, -1.5, 2, -1.5, 4, -1.5));
  // x.long().scatter(1, torch.tensor([[0, 1]]), 7.5): the value is cast.
  std::map<std::string, AttrValue> cast{{"dim", int64_t{1}}, {"value", 7.5}};
  Tensor l = Run1("scatter", {X(DType::kInt64), Long({0, 1}, {1, 2})}, cast);
  EXPECT_EQ(l.dtype(), DType::kInt64);
  EXPECT_THAT(Values(l), ElementsAre(7, 7, 2, 3, 4, 5));
}

INDEXING_CASE("scatter_", ScatterInPlaceWritesSelf) {
  Tensor x = X();
  std::map<std::string, AttrValue> value{{"dim", int64_t{1}}, {"value", int64_t{9}}};
  auto r = Run("scatter_", {x, Long({2, 0}, {2, 1})}, value);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  // x.scatter_(1, torch.tensor([[2], [0]]), 9)
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 9, 9, 4, 5));
}

INDEXING_CASE("scatter_add", ScatterAdd) {
  // x.scatter_add(1, torch.tensor([[0, 0, 2], [1, 1, 1]]), torch.ones(2, 3))
  Tensor r = Run1("scatter_add", {X(), Long({0, 0, 2, 1, 1, 1}, {2, 3}), Make({1, 1, 1, 1, 1, 1},
                                                                             {2, 3})},
                  Dim(1));
  EXPECT_THAT(Values(r), ElementsAre(2, 1, 3, 3, 7, 5));
  // x.bfloat16().scatter_add(0, torch.tensor([[1, 1, 0]]), torch.full((1, 3), 0.5).bfloat16())
  Tensor b = Run1("scatter_add", {X(DType::kBFloat16), Long({1, 1, 0}, {1, 3}),
                                  Make({0.5, 0.5, 0.5}, {1, 3}, DType::kBFloat16)},
                  Dim(0));
  EXPECT_EQ(b.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(b), ElementsAre(0, 1, 2.5, 3.5, 4.5, 5));
}

INDEXING_CASE("scatter_add_", ScatterAddInPlaceWritesSelf) {
  Tensor x = X(DType::kInt64);
  auto r = Run("scatter_add_", {x, Long({1, 1}, {1, 2}), Long({5, 6}, {1, 2})}, Dim(0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  // x.long().scatter_add_(0, torch.tensor([[1, 1]]), torch.tensor([[5, 6]]))
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 8, 10, 5));
}

INDEXING_ERROR_CASE(ScattersRejectBadIndices, "scatter", "scatter_", "scatter_add",
                    "scatter_add_") {
  Tensor src = Make({1, 1, 1, 1, 1, 1}, {2, 3});
  for (const char* op : {"scatter", "scatter_", "scatter_add", "scatter_add_"}) {
    Tensor x = X();
    // x.scatter(1, torch.tensor([[3]]), src)
    auto oob = Run(op, {x, Long({3}, {1, 1}), src}, Dim(1));
    ExpectInvalid(oob, "index 3 is out of bounds for dimension 1 with size 3");
    EXPECT_THAT(oob.status().message(), HasSubstr("[1, 1] int64"));
    EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 3, 4, 5)) << op << " wrote despite the error";
    ExpectInvalid(Run(op, {x, Long({0, -1}, {1, 2}), src}, Dim(1)),
                  "index -1 is out of bounds for dimension 1 with size 3");
    ExpectInvalid(Run(op, {x, Make({0}, {1, 1}, DType::kInt32), src}, Dim(1)),
                  "Expected dtype int64 for index");
    ExpectInvalid(Run(op, {x, Long({0}, {1}), src}, Dim(1)),
                  "Index tensor must have the same number of dimensions as self tensor");
    ExpectInvalid(Run(op, {x, Long({0}, {1, 1}), Make({1, 1}, {2}, DType::kFloat32)}, Dim(1)),
                  "same number of dimensions as src tensor");
    ExpectInvalid(Run(op, {x, Long({0}, {1, 1}), Make({1}, {1, 1}, DType::kFloat64)}, Dim(1)),
                  "Expected self.dtype to be equal to src.dtype");
    // x.scatter(1, torch.tensor([[0, 1]]), torch.tensor([[9.]]))
    ExpectInvalid(Run(op, {x, Long({0, 1}, {1, 2}), Make({9}, {1, 1})}, Dim(1)),
                  "Expected index [1, 2] to be smaller than self [2, 3] apart from dimension 1 "
                  "and to be smaller size than src [1, 1]");
    ExpectInvalid(Run(op, {x, Long({0}, {1, 1}), src}, Dim(2)), "Dimension out of range");
  }
  // scatter takes src or value, not both or neither.
  std::map<std::string, AttrValue> both{{"dim", int64_t{1}}, {"value", 1.0}};
  ExpectInvalid(Run("scatter", {X(), Long({0}, {1, 1}), src}, both), "exactly one source");
  ExpectInvalid(Run("scatter", {X(), Long({0}, {1, 1})}, Dim(1)), "exactly one source");
}

// ---- masked_fill / masked_select ------------------------------------------------------

INDEXING_CASE("masked_fill", MaskedFill) {
  std::map<std::string, AttrValue> minus_one{{"value", int64_t{-1}}};
  // x.masked_fill(torch.tensor([True, False, True]), -1)
  Tensor r = Run1("masked_fill", {X(), Mask({1, 0, 1}, {3})}, minus_one);
  EXPECT_THAT(Values(r), ElementsAre(-1, 1, -1, -1, 4, -1));
  // x.masked_fill(torch.tensor([[True], [False]]), torch.tensor(7.5))
  Tensor t = Run1("masked_fill", {X(), Mask({1, 0}, {2, 1}), Make({7.5}, {})});
  EXPECT_THAT(Values(t), ElementsAre(7.5, 7.5, 7.5, 3, 4, 5));
  // x.long().masked_fill(torch.tensor([True, False, True]), 2.5)
  Tensor l = Run1("masked_fill", {X(DType::kInt64), Mask({1, 0, 1}, {3})}, {{"value", 2.5}});
  EXPECT_EQ(l.dtype(), DType::kInt64);
  EXPECT_THAT(Values(l), ElementsAre(2, 1, 2, 2, 4, 2));
  // torch.arange(3.).masked_fill(mask [2, 3], 9): out of place, self broadcasts too.
  Tensor b = Run1("masked_fill", {Make({0, 1, 2}, {3}), Mask({1, 0, 0, 0, 0, 1}, {2, 3})},
                  {{"value", int64_t{9}}});
  EXPECT_THAT(Shape(b), ElementsAre(2, 3));
  EXPECT_THAT(Values(b), ElementsAre(9, 1, 2, 0, 1, 9));
}

INDEXING_CASE("masked_fill_", MaskedFillInPlaceWritesSelf) {
  Tensor x = X(DType::kFloat16);
  auto r = Run("masked_fill_", {x, Mask({0, 1}, {2, 1})}, {{"value", 0.5}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 0.5, 0.5, 0.5));
}

INDEXING_CASE("masked_select", MaskedSelect) {
  // x.masked_select(torch.tensor([True, False, True]))
  Tensor r = Run1("masked_select", {X(), Mask({1, 0, 1}, {3})});
  EXPECT_THAT(Shape(r), ElementsAre(4));
  EXPECT_THAT(Values(r), ElementsAre(0, 2, 3, 5));
  // torch.arange(3).masked_select(torch.tensor([[True], [False]]))
  Tensor b = Run1("masked_select", {Make({0, 1, 2}, {3}, DType::kInt64), Mask({1, 0}, {2, 1})});
  EXPECT_EQ(b.dtype(), DType::kInt64);
  EXPECT_THAT(Values(b), ElementsAre(0, 1, 2));
  EXPECT_THAT(Shape(Run1("masked_select", {X(), Mask({0, 0, 0}, {3})})), ElementsAre(0));
}

INDEXING_ERROR_CASE(MaskOpsRejectBadMasks, "masked_fill", "masked_fill_", "masked_select") {
  for (const char* op : {"masked_fill", "masked_fill_"}) {
    auto r = Run(op, {X(), Long({1, 0, 1}, {3})}, {{"value", 1.0}});
    ExpectInvalid(r, "bool mask");
    EXPECT_THAT(r.status().message(), HasSubstr("[3] int64"));
    ExpectInvalid(Run(op, {X(), Mask({1, 0, 1}, {3}), Make({1}, {1})}),
                  "only supports a 0-dimensional value tensor");
    ExpectInvalid(Run(op, {X(), Mask({1, 0, 1}, {3})}), "exactly one fill value");
    // x.masked_fill(torch.tensor([[True], [False], [True]]), 9)
    ExpectInvalid(Run(op, {X(), Mask({1, 0, 1}, {3, 1})}, {{"value", 9.0}}), "[3, 1]");
  }
  // In place, the mask must not grow self: x[0].masked_fill_(mask [2, 3], 1).
  Tensor row = Make({0, 1, 2}, {3});
  ExpectInvalid(Run("masked_fill_", {row, Mask({1, 0, 0, 0, 0, 1}, {2, 3})}, {{"value", 1.0}}),
                "[2, 3]");
  EXPECT_THAT(Values(row), ElementsAre(0, 1, 2));
  ExpectInvalid(Run("masked_select", {X(), Long({1, 0, 1}, {3})}),
                "masked_select: expected BoolTensor for mask");
  ExpectInvalid(Run("masked_select", {X(), Mask({1, 0, 1}, {3, 1})}), "[3, 1]");
}

// ---- index_get / index_put ----------------------------------------------------------

INDEXING_CASE("index_get", IndexGetWithMasksAndIntegers) {
  // x[torch.tensor([True, False])]
  Tensor rows = Run1("index_get", {X(), Mask({1, 0}, {2})});
  EXPECT_THAT(Shape(rows), ElementsAre(1, 3));
  EXPECT_THAT(Values(rows), ElementsAre(0, 1, 2));
  // x[torch.tensor([[True, False, True], [False, False, True]])]
  Tensor full = Run1("index_get", {X(), Mask({1, 0, 1, 0, 0, 1}, {2, 3})});
  EXPECT_THAT(Shape(full), ElementsAre(3));
  EXPECT_THAT(Values(full), ElementsAre(0, 2, 5));
  // x[torch.tensor([-1, 0, 1])]
  Tensor ints = Run1("index_get", {X(), Long({-1, 0, 1}, {3})});
  EXPECT_THAT(Shape(ints), ElementsAre(3, 3));
  EXPECT_THAT(Values(ints), ElementsAre(3, 4, 5, 0, 1, 2, 3, 4, 5));
  EXPECT_FALSE(ints.SharesStorageWith(X()));
  // x[torch.tensor([[1, 0], [0, 0]])] has shape [2, 2, 3].
  Tensor grid = Run1("index_get", {X(), Long({1, 0, 0, 0}, {2, 2})});
  EXPECT_THAT(Shape(grid), ElementsAre(2, 2, 3));
  EXPECT_THAT(Values(grid), ElementsAre(3, 4, 5, 0, 1, 2, 0, 1, 2, 0, 1, 2));
  // torch.tensor(3.)[torch.tensor(True)]
  Tensor scalar = Run1("index_get", {Make({3}, {}), Mask({1}, {})});
  EXPECT_THAT(Shape(scalar), ElementsAre(1));
  EXPECT_THAT(Values(scalar), ElementsAre(3));
  // A transposed (non-contiguous) self: x.t()[torch.tensor([2])] -> [[2, 5]]
  EXPECT_THAT(Values(Run1("index_get", {Run1("t", {X()}), Long({2}, {1})})), ElementsAre(2, 5));
}

INDEXING_CASE("index_put", IndexPutIsOutOfPlace) {
  Tensor x = X();
  // x.index_put((torch.tensor([True, False]),), torch.tensor([1., 2., 3.]))
  Tensor r = Run1("index_put", {x, Mask({1, 0}, {2}), Make({1, 2, 3}, {3})});
  EXPECT_THAT(Values(r), ElementsAre(1, 2, 3, 3, 4, 5));
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 3, 4, 5));
  // x.index_put((torch.tensor([1, 1]),), torch.tensor([1., 2., 3.]), accumulate=True)
  Tensor acc = Run1("index_put", {x, Long({1, 1}, {2}), Make({1, 2, 3}, {3})},
                    {{"accumulate", true}});
  EXPECT_THAT(Values(acc), ElementsAre(0, 1, 2, 5, 8, 11));
  // x.index_put((torch.tensor([0, 0, 1]),), torch.tensor([[1.], [2.], [3.]]), accumulate=True)
  Tensor col = Run1("index_put", {x, Long({0, 0, 1}, {3}), Make({1, 2, 3}, {3, 1})},
                    {{"accumulate", true}});
  EXPECT_THAT(Values(col), ElementsAre(3, 4, 5, 6, 7, 8));
  // x.index_put((mask,), torch.tensor(7)): the int64 value is cast to float32.
  Tensor seven = Run1("index_put", {x, Mask({1, 0, 1, 0, 0, 1}, {2, 3}), Long({7}, {})});
  EXPECT_EQ(seven.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(seven), ElementsAre(7, 1, 7, 3, 4, 7));
}

INDEXING_CASE("index_put_", IndexPutInPlaceWritesSelf) {
  Tensor x = X();
  // x[torch.tensor([[True, False, True], [False, False, True]])] = torch.tensor([7., 8., 9.])
  auto r = Run("index_put_", {x, Mask({1, 0, 1, 0, 0, 1}, {2, 3}), Make({7, 8, 9}, {3})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(x));
  EXPECT_THAT(Values(x), ElementsAre(7, 1, 8, 3, 4, 9));
  // x[torch.tensor([-1])] = 0.5 (a number through value=)
  ASSERT_TRUE(Run("index_put_", {x, Long({-1}, {1})}, {{"value", 0.5}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(7, 1, 8, 0.5, 0.5, 0.5));
  // Writes through a view land in its base: x.t()[torch.tensor([0])] = -1
  Tensor t = Run1("t", {x});
  ASSERT_TRUE(Run("index_put_", {t, Long({0}, {1})}, {{"value", int64_t{-1}}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(-1, 1, 8, -1, 0.5, 0.5));
  Tensor b = Make({0, 0, 0}, {3}, DType::kBool);
  ASSERT_TRUE(Run("index_put_", {b, Long({1}, {1})}, {{"value", true}}).ok());
  EXPECT_THAT(Values(b), ElementsAre(0, 1, 0));
}

INDEXING_ERROR_CASE(AdvancedIndexingRejectsBadIndices, "index_get", "index_put", "index_put_") {
  for (const char* op : {"index_get", "index_put", "index_put_"}) {
    std::map<std::string, AttrValue> attrs;
    if (std::string(op) != "index_get") attrs["value"] = 1.0;
    Tensor x = X();
    // x[torch.tensor([5])]
    auto oob = Run(op, {x, Long({5}, {1})}, attrs);
    ExpectInvalid(oob, "index 5 is out of bounds for dimension 0 with size 2");
    EXPECT_THAT(oob.status().message(), HasSubstr("[2, 3] float32, [1] int64"));
    ExpectInvalid(Run(op, {x, Long({0, -3}, {2})}, attrs),
                  "index -3 is out of bounds for dimension 0 with size 2");
    EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 3, 4, 5)) << op << " wrote despite the error";
    // x[torch.tensor([True, False, True])]
    ExpectInvalid(Run(op, {x, Mask({1, 0, 1}, {3})}, attrs),
                  "The shape of the mask [3] at index 0 does not match the shape of the indexed "
                  "tensor [2, 3] at index 0");
    ExpectInvalid(Run(op, {x, Mask({1}, {1, 1, 1})}, attrs), "too many indices");
    ExpectInvalid(Run(op, {x, Make({1}, {1}, DType::kInt32)}, attrs),
                  "tensors used as indices must be long, byte or bool tensors");
    ExpectInvalid(Run(op, {Make({1}, {}), Long({0}, {})}, attrs),
                  "too many indices for tensor of dimension 0");
  }
  // x[torch.tensor([True, False])] = torch.tensor([1., 2.])
  ExpectInvalid(Run("index_put_", {X(), Mask({1, 0}, {2}), Make({1, 2}, {2})}),
                "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing "
                "result of shape [1, 3]");
  ExpectInvalid(Run("index_put", {X(), Mask({1, 0}, {2})}), "exactly one source");
}

// ---- tril / triu ----------------------------------------------------------------------

INDEXING_CASE("tril", Tril) {
  // y = torch.arange(12.).reshape(3, 4); y.tril(), y.tril(-1)
  Tensor y = Make({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  EXPECT_THAT(Values(Run1("tril", {y})), ElementsAre(0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0));
  EXPECT_THAT(Values(Run1("tril", {y}, {{"diagonal", int64_t{-1}}})),
              ElementsAre(0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0));
  // y.bool().tril(1)
  Tensor b = Run1("tril", {Run1("to", {y}, {{"dtype", DType::kBool}})}, {{"diagonal", int64_t{1}}});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1));
  // torch.arange(8.).reshape(2, 2, 2).tril(): batched over leading dims.
  EXPECT_THAT(Values(Run1("tril", {Make({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2})})),
              ElementsAre(0, 0, 2, 3, 4, 0, 6, 7));
  // torch.zeros(0, 3).tril() is empty.
  EXPECT_THAT(Shape(Run1("tril", {Make({}, {0, 3})})), ElementsAre(0, 3));
  // y.tril(100) keeps everything.
  EXPECT_THAT(Values(Run1("tril", {y}, {{"diagonal", int64_t{100}}})),
              ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
}

INDEXING_CASE("tril_", TrilInPlaceWritesSelf) {
  Tensor y = Make({1, 2, 3, 4}, {2, 2}, DType::kInt32);
  ASSERT_TRUE(Run("tril_", {y}).ok());
  EXPECT_THAT(Values(y), ElementsAre(1, 0, 3, 4));
}

INDEXING_CASE("triu", Triu) {
  Tensor y = Make({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  // y.triu(1)
  EXPECT_THAT(Values(Run1("triu", {y}, {{"diagonal", int64_t{1}}})),
              ElementsAre(0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11));
  // y.long().triu(-1)
  Tensor l = Run1("triu", {Run1("to", {y}, {{"dtype", DType::kInt64}})},
                  {{"diagonal", int64_t{-1}}});
  EXPECT_EQ(l.dtype(), DType::kInt64);
  EXPECT_THAT(Values(l), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11));
  // y.half().triu()
  Tensor h = Run1("triu", {Run1("to", {y}, {{"dtype", DType::kFloat16}})});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11));
}

INDEXING_CASE("triu_", TriuInPlaceWritesSelf) {
  Tensor y = Make({1, 2, 3, 4}, {2, 2}, DType::kFloat64);
  auto r = Run("triu_", {y});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(y));
  EXPECT_THAT(Values(y), ElementsAre(1, 2, 0, 4));
}

INDEXING_ERROR_CASE(TrianglesRejectVectors, "tril", "tril_", "triu", "triu_") {
  for (const char* op : {"tril", "tril_", "triu", "triu_"}) {
    auto r = Run(op, {Make({1, 2, 3}, {3})});
    ExpectInvalid(r, "must have at least 2 dimensions");
    EXPECT_THAT(r.status().message(), HasSubstr("[3] float32"));
  }
}

// ---- one_hot ------------------------------------------------------------------------------

INDEXING_CASE("one_hot", OneHot) {
  // torch.nn.functional.one_hot(torch.tensor([0, 2]))
  Tensor r = Run1("one_hot", {Long({0, 2}, {2})});
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_THAT(Shape(r), ElementsAre(2, 3));
  EXPECT_THAT(Values(r), ElementsAre(1, 0, 0, 0, 0, 1));
  // one_hot(torch.tensor([[1], [0]]), 4)
  Tensor n = Run1("one_hot", {Long({1, 0}, {2, 1})}, {{"num_classes", int64_t{4}}});
  EXPECT_THAT(Shape(n), ElementsAre(2, 1, 4));
  EXPECT_THAT(Values(n), ElementsAre(0, 1, 0, 0, 1, 0, 0, 0));
  // one_hot(torch.tensor(1), 3)
  EXPECT_THAT(Values(Run1("one_hot", {Long({1}, {})}, {{"num_classes", int64_t{3}}})),
              ElementsAre(0, 1, 0));
  // one_hot(torch.zeros(0, 2).long(), 3).shape
  EXPECT_THAT(Shape(Run1("one_hot", {Long({}, {0, 2})}, {{"num_classes", int64_t{3}}})),
              ElementsAre(0, 2, 3));
}

INDEXING_ERROR_CASE(OneHotRejectsBadClasses, "one_hot") {
  ExpectInvalid(Run("one_hot", {Long({0, -1}, {2})}), "Class values must be non-negative");
  ExpectInvalid(Run("one_hot", {Long({0, 2}, {2})}, {{"num_classes", int64_t{2}}}),
                "Class values must be smaller than num_classes");
  ExpectInvalid(Run("one_hot", {Long({0, 1}, {2})}, {{"num_classes", int64_t{-2}}}),
                "Class values must be smaller than num_classes");
  ExpectInvalid(Run("one_hot", {Make({0, 1}, {2}, DType::kInt32)}),
                "one_hot is only applicable to index tensor");
  ExpectInvalid(Run("one_hot", {Long({}, {0})}),
                "Can not infer total number of classes from empty tensor");
}

// ---- the primitives underneath, through the backend contract -------------------

TEST_F(IndexingCases, NonzeroListsCoordinatesInRowMajorOrder) {
  // torch.nonzero(torch.tensor([[0, 1.5, 0], [float('nan'), 0, -2]]).t())
  Tensor m = Run1("t", {Make({0, 1.5, 0, NAN, 0, -2}, {2, 3}, DType::kFloat16)});
  device::Backend& cpu = m.backend();
  auto count = cpu.CountNonzero(m);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 3);
  auto out = ctx_.Empty(std::vector<int64_t>{3, 2}, DType::kInt64, device::Device::Cpu());
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(cpu.Nonzero(m, *out).ok());
  EXPECT_THAT(Values(*out), ElementsAre(0, 1, 1, 0, 2, 1));
  auto wrong = ctx_.Empty(std::vector<int64_t>{2, 2}, DType::kInt64, device::Device::Cpu());
  EXPECT_EQ(cpu.Nonzero(m, *wrong).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IndexingCases, GatherAndScatterWrapNegativesAndCheckBoundsFirst) {
  Tensor x = X();
  device::Backend& cpu = x.backend();
  // The primitive accepts [-size, size): -1 is the last column.
  Tensor index = Long({-1, 0, 1, -3}, {2, 2});
  auto out = ctx_.Empty(std::vector<int64_t>{2, 2}, DType::kFloat32, device::Device::Cpu());
  ASSERT_TRUE(cpu.Gather(x, 1, index, *out).ok());
  EXPECT_THAT(Values(*out), ElementsAre(2, 0, 4, 3));
  // An out-of-range value anywhere leaves out untouched.
  Tensor dst = Make({0, 0, 0}, {1, 3});
  Tensor bad = Long({0, 3}, {1, 2});
  absl::Status s = cpu.Scatter(device::ScatterMode::kAssign, 1, bad, Make({7, 8}, {1, 2}), dst);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("index 3 is out of bounds for dimension 1 with size 3"));
  EXPECT_THAT(Values(dst), ElementsAre(0, 0, 0));
  ASSERT_TRUE(
      cpu.Scatter(device::ScatterMode::kAdd, 1, Long({-1, -1}, {1, 2}), Make({7, 8}, {1, 2}), dst)
          .ok());
  EXPECT_THAT(Values(dst), ElementsAre(0, 0, 15));
  // Operand checks: index dtype and shape, src dtype.
  EXPECT_EQ(cpu.Gather(x, 1, Make({0, 0, 0, 0}, {2, 2}), *out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cpu.Gather(x, 1, Long({0}, {1, 1}), *out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cpu.Scatter(device::ScatterMode::kAdd, 1, Long({0}, {1, 1}),
                        Make({1}, {1, 1}, DType::kInt64), dst)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tensord::autograd::testing
