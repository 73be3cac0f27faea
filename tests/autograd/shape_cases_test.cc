// Cases for the shape ops: narrow, expand_as, flatten, unflatten, repeat,
// cat, stack, split and chunk. Expected values come from PyTorch 1.13 (the
// expression is in the comment above each literal).
#include <map>
#include <string>
#include <vector>

#include "autograd/op_registry.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<double> Iota(int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

void ExpectInvalid(const absl::StatusOr<DispatchResult>& r, const std::string& substr) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(substr));
}

// ---- narrow / expand_as -------------------------------------------------------

OP_CASE("narrow", NarrowIsAView) {
  Tensor x = Make(Iota(6), {2, 3});
  // torch.narrow(x, 1, -2, 2) -> [[1, 2], [4, 5]]
  Tensor n = Run1("narrow", {x}, {{"dim", int64_t{1}}, {"start", int64_t{-2}},
                                  {"length", int64_t{2}}});
  EXPECT_THAT(Shape(n), ElementsAre(2, 2));
  EXPECT_THAT(Values(n), ElementsAre(1, 2, 4, 5));
  EXPECT_TRUE(n.SharesStorageWith(x));
  ASSERT_TRUE(Run("fill_", {n}, {{"value", 9.0}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 9, 9, 3, 9, 9));
  // start == size with length 0 is allowed: torch.narrow(x, 1, 3, 0) is [2, 0].
  Tensor empty = Run1("narrow", {x}, {{"dim", int64_t{-1}}, {"start", int64_t{3}},
                                      {"length", int64_t{0}}});
  EXPECT_THAT(Shape(empty), ElementsAre(2, 0));
}

OP_CASE("expand_as", ExpandAsIsAView) {
  Tensor x = Make(Iota(6), {2, 1, 3});
  Tensor other = Make(std::vector<double>(24, 0), {2, 4, 3}, DType::kInt64);
  // x.expand_as(torch.zeros(2, 4, 3))
  Tensor e = Run1("expand_as", {x, other});
  EXPECT_THAT(Shape(e), ElementsAre(2, 4, 3));
  EXPECT_EQ(e.dtype(), DType::kFloat32);
  EXPECT_TRUE(e.SharesStorageWith(x));
  EXPECT_THAT(Values(e), ElementsAre(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4,
                                     5, 3, 4, 5));
}

OP_ERROR_CASE(NarrowAndExpandAsRejectBadArguments, "narrow", "expand_as") {
  Tensor x = Make(Iota(6), {2, 3});
  auto attrs = [](int64_t dim, int64_t start, int64_t length) {
    return std::map<std::string, AttrValue>{
        {"dim", dim}, {"start", start}, {"length", length}};
  };
  // torch: "start (1) + length (3) exceeds dimension size (3)."
  auto past = Run("narrow", {x}, attrs(1, 1, 3));
  ExpectInvalid(past, "start (1) + length (3) exceeds dimension size (3)");
  EXPECT_THAT(past.status().message(), HasSubstr("narrow([2, 3] float32)"));
  ExpectInvalid(Run("narrow", {x}, attrs(1, 4, 0)), "start out of range");
  ExpectInvalid(Run("narrow", {x}, attrs(1, -4, 1)), "start out of range");
  ExpectInvalid(Run("narrow", {x}, attrs(1, 0, -1)), "length must be non-negative");
  ExpectInvalid(Run("narrow", {x}, attrs(2, 0, 1)), "Dimension out of range");
  ExpectInvalid(Run("narrow", {Make({1}, {})}, attrs(0, 0, 1)), "0-dim");
  // x.expand_as(torch.zeros(4, 2)): 3 cannot become 2.
  auto bad = Run("expand_as", {x, Make(Iota(8), {4, 2})});
  ExpectInvalid(bad, "[4, 2]");
  EXPECT_THAT(bad.status().message(), HasSubstr("[2, 3]"));
}

// ---- flatten / unflatten ---------------------------------------------------------

OP_CASE("flatten", FlattenViewsContiguousAndCopiesOtherwise) {
  Tensor x = Make(Iota(24), {2, 3, 4});
  // torch.arange(24.).reshape(2, 3, 4).flatten(1): a view of 0..23.
  Tensor f = Run1("flatten", {x}, {{"start_dim", int64_t{1}}});
  EXPECT_THAT(Shape(f), ElementsAre(2, 12));
  EXPECT_TRUE(f.SharesStorageWith(x));
  EXPECT_EQ(Values(f), Iota(24));
  EXPECT_THAT(Shape(Run1("flatten", {x})), ElementsAre(24));
  EXPECT_THAT(Shape(Run1("flatten", {x}, {{"start_dim", int64_t{0}}, {"end_dim", int64_t{-2}}})),
              ElementsAre(6, 4));
  // ...transpose(1, 2).flatten(1) copies.
  Tensor t = Run1("transpose", {x}, {{"dim0", int64_t{1}}, {"dim1", int64_t{2}}});
  Tensor g = Run1("flatten", {t}, {{"start_dim", int64_t{1}}});
  EXPECT_FALSE(g.SharesStorageWith(x));
  EXPECT_THAT(Values(g), ElementsAre(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21,
                                     14, 18, 22, 15, 19, 23));
  // torch.tensor(1.).flatten() is tensor([1.]).
  Tensor s = Run1("flatten", {Make({1}, {}, DType::kInt64)});
  EXPECT_THAT(Shape(s), ElementsAre(1));
  EXPECT_EQ(s.dtype(), DType::kInt64);
}

OP_CASE("unflatten", UnflattenSplitsADim) {
  Tensor x = Make(Iota(24), {2, 12});
  Tensor u = Run1("unflatten", {x}, {{"dim", int64_t{1}}, {"sizes", std::vector<int64_t>{3, -1}}});
  EXPECT_THAT(Shape(u), ElementsAre(2, 3, 4));
  EXPECT_TRUE(u.SharesStorageWith(x));
  EXPECT_EQ(Values(u), Iota(24));
  // torch.arange(6.).reshape(2, 3).t().unflatten(0, (3, 1)) -> [3, 1, 2] of 0, 3, 1, 4, 2, 5
  Tensor t = Run1("t", {Make(Iota(6), {2, 3})});
  Tensor v = Run1("unflatten", {t}, {{"dim", int64_t{0}}, {"sizes", std::vector<int64_t>{3, 1}}});
  EXPECT_THAT(Shape(v), ElementsAre(3, 1, 2));
  EXPECT_THAT(Values(v), ElementsAre(0, 3, 1, 4, 2, 5));
}

OP_ERROR_CASE(FlattenAndUnflattenRejectBadDims, "flatten", "unflatten") {
  Tensor x = Make(Iota(6), {2, 3});
  // x.flatten(1, 0)
  ExpectInvalid(Run("flatten", {x}, {{"start_dim", int64_t{1}}, {"end_dim", int64_t{0}}}),
                "start_dim cannot come after end_dim");
  ExpectInvalid(Run("flatten", {x}, {{"end_dim", int64_t{3}}}), "Dimension out of range");
  // x.unflatten(1, (2, 2))
  auto bad = Run("unflatten", {x}, {{"dim", int64_t{1}}, {"sizes", std::vector<int64_t>{2, 2}}});
  ExpectInvalid(bad, "Provided sizes [2, 2] don't multiply up to the size of dim 1 (3)");
  ExpectInvalid(Run("unflatten", {x}, {{"dim", int64_t{1}}, {"sizes", std::vector<int64_t>{}}}),
                "sizes must be non-empty");
  ExpectInvalid(Run("unflatten", {x}, {{"dim", int64_t{2}}, {"sizes", std::vector<int64_t>{3}}}),
                "Dimension out of range");
  ExpectInvalid(
      Run("unflatten", {x}, {{"dim", int64_t{1}}, {"sizes", std::vector<int64_t>{-1, -1}}}),
      "unflatten");
}

// ---- repeat ---------------------------------------------------------------------

OP_CASE("repeat", RepeatTilesAndAddsDims) {
  Tensor x = Make({1, 2, 3, 4}, {2, 2}, DType::kInt64);
  // torch.tensor([[1, 2], [3, 4]]).repeat(2, 1, 3)
  Tensor r = Run1("repeat", {x}, {{"repeats", std::vector<int64_t>{2, 1, 3}}});
  EXPECT_THAT(Shape(r), ElementsAre(2, 2, 6));
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_THAT(Values(r), ElementsAre(1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3,
                                     4, 3, 4));
  // Always a copy, even when nothing repeats.
  Tensor same = Run1("repeat", {x}, {{"repeats", std::vector<int64_t>{1, 1}}});
  EXPECT_FALSE(same.SharesStorageWith(x));
  EXPECT_THAT(Values(same), ElementsAre(1, 2, 3, 4));
  // x.repeat(0, 2) is [0, 4].
  EXPECT_THAT(Shape(Run1("repeat", {x}, {{"repeats", std::vector<int64_t>{0, 2}}})),
              ElementsAre(0, 4));
  Tensor b = Make({1, 0}, {2}, DType::kBool);
  EXPECT_THAT(Values(Run1("repeat", {b}, {{"repeats", std::vector<int64_t>{2}}})),
              ElementsAre(1, 0, 1, 0));
}

OP_ERROR_CASE(RepeatRejectsBadRepeats, "repeat") {
  Tensor x = Make(Iota(6), {2, 3});
  ExpectInvalid(Run("repeat", {x}, {{"repeats", std::vector<int64_t>{2}}}),
                "can not be smaller than number of dimensions of tensor");
  ExpectInvalid(Run("repeat", {x}, {{"repeats", std::vector<int64_t>{2, -1}}}),
                "non-negative");
  ExpectInvalid(
      Run("repeat", {Make({}, {0, 2})}, {{"repeats", std::vector<int64_t>{1, int64_t{1} << 62}}}),
      "overflows");
}

// ---- cat / stack ----------------------------------------------------------------

OP_CASE("cat", CatPromotesAndSkipsEmptyVectors) {
  Tensor i = Make(Iota(6), {2, 3}, DType::kInt64);
  Tensor f = Make({6.5, 7.5}, {2, 1});
  // torch.cat([x.long(), torch.tensor([[6.5], [7.5]])], 1)
  Tensor c = Run1("cat", {i, f}, {{"dim", int64_t{1}}});
  EXPECT_EQ(c.dtype(), DType::kFloat32);
  EXPECT_THAT(Shape(c), ElementsAre(2, 4));
  EXPECT_THAT(Values(c), ElementsAre(0, 1, 2, 6.5, 3, 4, 5, 7.5));
  // torch.cat([x, torch.zeros(0), x], 0)
  Tensor x = Make(Iota(6), {2, 3});
  Tensor c0 = Run1("cat", {x, Make({}, {0}), x});
  EXPECT_THAT(Shape(c0), ElementsAre(4, 3));
  EXPECT_THAT(Values(c0), ElementsAre(0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5));
  EXPECT_FALSE(Run1("cat", {x}).SharesStorageWith(x));
  // torch.cat of float16 and bfloat16 is float32; of bools stays bool.
  Tensor h = Run1("cat", {Make({0, 1, 2}, {3}, DType::kFloat16), Make({1, 1}, {2},
                                                                      DType::kBFloat16)});
  EXPECT_EQ(h.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(h), ElementsAre(0, 1, 2, 1, 1));
  Tensor b = Run1("cat", {Make({1, 0}, {2}, DType::kBool), Make({1}, {1}, DType::kBool)});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(1, 0, 1));
}

OP_CASE("cat", CatWritesOut) {
  Tensor a = Make({1, 2}, {2});
  Tensor out = Make({0, 0, 0, 0}, {4}, DType::kFloat64);
  auto r = Run("cat", {a, a}, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Values(out), ElementsAre(1, 2, 1, 2));
}

OP_CASE("stack", StackAddsADim) {
  Tensor a = Make({1, 2}, {2}, DType::kInt64);
  Tensor b = Make({3, 4}, {2}, DType::kInt64);
  // torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])], 1)
  Tensor s = Run1("stack", {a, b}, {{"dim", int64_t{1}}});
  EXPECT_THAT(Shape(s), ElementsAre(2, 2));
  EXPECT_EQ(s.dtype(), DType::kInt64);
  EXPECT_THAT(Values(s), ElementsAre(1, 3, 2, 4));
  EXPECT_THAT(Values(Run1("stack", {a, b})), ElementsAre(1, 2, 3, 4));
  // torch.stack([torch.tensor([1, 2]), torch.tensor([3.5, 4])], -1)
  Tensor f = Run1("stack", {a, Make({3.5, 4}, {2})}, {{"dim", int64_t{-1}}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(1, 3.5, 2, 4));
  // Scalars stack into a vector.
  Tensor v = Run1("stack", {Make({5}, {}), Make({6}, {})});
  EXPECT_THAT(Shape(v), ElementsAre(2));
  EXPECT_THAT(Values(v), ElementsAre(5, 6));
}

OP_ERROR_CASE(CatAndStackRejectMismatchedInputs, "cat", "stack") {
  Tensor x = Make(Iota(6), {2, 3});
  // torch.cat([torch.zeros(2, 3), torch.zeros(3, 3)], 1)
  auto sizes = Run("cat", {x, Make(Iota(9), {3, 3})}, {{"dim", int64_t{1}}});
  ExpectInvalid(sizes,
                "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 "
                "for tensor number 1 in the list.");
  EXPECT_THAT(sizes.status().message(), HasSubstr("cat([2, 3] float32, [3, 3] float32)"));
  ExpectInvalid(Run("cat", {}), "expected a non-empty list of Tensors");
  ExpectInvalid(Run("cat", {x, Make(Iota(6), {2, 3, 1})}, {{"dim", int64_t{1}}}),
                "Tensors must have same number of dimensions: got 2 and 3");
  ExpectInvalid(Run("cat", {x, Make({1}, {})}), "zero-dimensional tensor (at position 1)");
  ExpectInvalid(Run("cat", {x, x}, {{"dim", int64_t{2}}}), "Dimension out of range");
  ExpectInvalid(Run("stack", {}), "stack expects a non-empty TensorList");
  ExpectInvalid(Run("stack", {x, Make(Iota(4), {2, 2})}),
                "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 2] "
                "at entry 1");
  ExpectInvalid(Run("stack", {x, x}, {{"dim", int64_t{3}}}), "Dimension out of range");
}

// ---- split / chunk ----------------------------------------------------------------

OP_CASE("split", SplitReturnsViews) {
  Tensor x = Make(Iota(10), {10}, DType::kInt64);
  // torch.arange(10).split(4) -> [0..3], [4..7], [8, 9]
  auto r = Run("split", {x}, {{"split_size", int64_t{4}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 3u);
  EXPECT_THAT(Values(r->outputs[0]), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Values(r->outputs[1]), ElementsAre(4, 5, 6, 7));
  EXPECT_THAT(Values(r->outputs[2]), ElementsAre(8, 9));
  for (const Tensor& t : r->outputs) EXPECT_TRUE(t.SharesStorageWith(x));
  // torch.arange(10).split([1, 6, 3])
  auto s = Run("split", {x}, {{"split_sizes", std::vector<int64_t>{1, 6, 3}}});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->outputs.size(), 3u);
  EXPECT_THAT(Values(s->outputs[0]), ElementsAre(0));
  EXPECT_THAT(Values(s->outputs[1]), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(Values(s->outputs[2]), ElementsAre(7, 8, 9));
  // Along dim 1 of [2, 3]: torch.arange(6.).reshape(2, 3).split(2, 1)
  auto d = Run("split", {Make(Iota(6), {2, 3})},
               {{"split_size", int64_t{2}}, {"dim", int64_t{-1}}});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->outputs.size(), 2u);
  EXPECT_THAT(Values(d->outputs[0]), ElementsAre(0, 1, 3, 4));
  EXPECT_THAT(Values(d->outputs[1]), ElementsAre(2, 5));
  // torch.zeros(0, 2).split(3) is one empty piece.
  auto e = Run("split", {Make({}, {0, 2})}, {{"split_size", int64_t{3}}});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->outputs.size(), 1u);
  EXPECT_THAT(Shape(e->outputs[0]), ElementsAre(0, 2));
}

OP_CASE("chunk", ChunkReturnsViews) {
  Tensor x = Make(Iota(12), {2, 6});
  // torch.arange(12).reshape(2, 6).chunk(4, 1): 3 chunks of 2.
  auto r = Run("chunk", {x}, {{"chunks", int64_t{4}}, {"dim", int64_t{1}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outputs.size(), 3u);
  EXPECT_THAT(Values(r->outputs[0]), ElementsAre(0, 1, 6, 7));
  EXPECT_THAT(Values(r->outputs[1]), ElementsAre(2, 3, 8, 9));
  EXPECT_THAT(Values(r->outputs[2]), ElementsAre(4, 5, 10, 11));
  EXPECT_TRUE(r->outputs[2].SharesStorageWith(x));
  ASSERT_TRUE(Run("fill_", {r->outputs[1]}, {{"value", -1.0}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 1, -1, -1, 4, 5, 6, 7, -1, -1, 10, 11));
  // torch.arange(5).chunk(2) -> [0, 1, 2], [3, 4]
  auto odd = Run("chunk", {Make(Iota(5), {5})}, {{"chunks", int64_t{2}}});
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->outputs.size(), 2u);
  EXPECT_THAT(Values(odd->outputs[1]), ElementsAre(3, 4));
  // torch.zeros(0).chunk(3) keeps three empty chunks.
  auto empty = Run("chunk", {Make({}, {0})}, {{"chunks", int64_t{3}}});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->outputs.size(), 3u);
}

TEST_F(OpCases, SplitAndChunkDeclareAVariableOutputCount) {
  for (const char* name : {"split", "chunk"}) {
    auto op = OpRegistry::Global().Find(name);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ((*op)->num_outputs, -1) << name;
    EXPECT_TRUE((*op)->is_view) << name;
  }
}

OP_ERROR_CASE(SplitAndChunkRejectBadSizes, "split", "chunk") {
  Tensor x = Make(Iota(6), {2, 3});
  // x.split([1, 1], 1)
  ExpectInvalid(Run("split", {x},
                    {{"split_sizes", std::vector<int64_t>{1, 1}}, {"dim", int64_t{1}}}),
                "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at "
                "dimension 1), but got split_sizes=[1, 1]");
  ExpectInvalid(
      Run("split", {x}, {{"split_sizes", std::vector<int64_t>{1, -1, 2}}, {"dim", int64_t{1}}}),
      "non-negative entries");
  ExpectInvalid(Run("split", {x}, {{"split_size", int64_t{-1}}}), "split_size=-1");
  ExpectInvalid(Run("split", {x}, {{"split_size", int64_t{0}}}),
                "split_size can only be 0 if dimension size is 0");
  ExpectInvalid(Run("split", {x}), "exactly one of split_size");
  ExpectInvalid(Run("split", {x}, {{"split_size", int64_t{1}}, {"dim", int64_t{5}}}),
                "Dimension out of range");
  ExpectInvalid(Run("split", {Make({1}, {})}, {{"split_size", int64_t{1}}}),
                "at least a 1-dimensional tensor");
  // x.chunk(0, 1)
  ExpectInvalid(Run("chunk", {x}, {{"chunks", int64_t{0}}, {"dim", int64_t{1}}}),
                "chunk expects `chunks` to be greater than 0, got: 0");
  ExpectInvalid(Run("chunk", {x}, {{"chunks", int64_t{-2}}}), "greater than 0");
  ExpectInvalid(Run("chunk", {Make({1}, {})}, {{"chunks", int64_t{1}}}),
                "at least a 1-dimensional tensor");
  ExpectInvalid(Run("chunk", {Make({}, {0})}, {{"chunks", int64_t{1} << 40}}), "fewer chunks");
}

}  // namespace
}  // namespace tensord::autograd::testing
