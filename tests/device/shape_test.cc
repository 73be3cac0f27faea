// shape.h: element counts with overflow checks, contiguous strides, dim
// wrapping, broadcasting, -1 inference and the strides of a view without a
// copy, each compared with what torch gives (x.stride(), x.view(...)).
#include "device/shape.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

TEST(ShapeTest, ShapeToString) {
  EXPECT_EQ(ShapeToString(Shape{}), "[]");
  EXPECT_EQ(ShapeToString(Shape{5}), "[5]");
  EXPECT_EQ(ShapeToString(Shape{5, 3}), "[5, 3]");
}

TEST(ShapeTest, CheckedNumel) {
  EXPECT_EQ(*CheckedNumel(Shape{}), 1);
  EXPECT_EQ(*CheckedNumel(Shape{2, 3, 4}), 24);
  EXPECT_EQ(*CheckedNumel(Shape{2, 0, 4}), 0);
  EXPECT_EQ(*CheckedNumel(Shape{int64_t{1} << 31, int64_t{1} << 31}), int64_t{1} << 62);
  EXPECT_EQ(Numel(Shape{3, 5}), 15);
  EXPECT_EQ(Numel(Shape{}), 1);
}

TEST(ShapeTest, CheckedNumelRejectsNegativeSizes) {
  absl::StatusOr<int64_t> n = CheckedNumel(Shape{2, -1, 3});
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(n.status()), HasSubstr("negative dimension -1"));
  EXPECT_THAT(Msg(n.status()), HasSubstr("[2, -1, 3]"));
}

TEST(ShapeTest, CheckedNumelRejectsOverflow) {
  for (const Shape& s : {Shape{int64_t{1} << 32, int64_t{1} << 32},
                         Shape{INT64_MAX, 2}, Shape{3, int64_t{1} << 62}}) {
    absl::StatusOr<int64_t> n = CheckedNumel(s);
    ASSERT_FALSE(n.ok()) << ShapeToString(s);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Msg(n.status()), HasSubstr("overflows"));
  }
}

// torch.empty(shape).stride()
TEST(ShapeTest, ContiguousStrides) {
  EXPECT_EQ(ContiguousStrides(Shape{}), Strides{});
  EXPECT_EQ(ContiguousStrides(Shape{7}), (Strides{1}));
  EXPECT_EQ(ContiguousStrides(Shape{2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_EQ(ContiguousStrides(Shape{2, 1, 3}), (Strides{3, 3, 1}));
  // Zero sizes count as one: torch.zeros(2, 0, 3).stride() == (3, 3, 1).
  EXPECT_EQ(ContiguousStrides(Shape{2, 0, 3}), (Strides{3, 3, 1}));
}

TEST(ShapeTest, WrapDim) {
  EXPECT_EQ(*WrapDim(0, 3), 0);
  EXPECT_EQ(*WrapDim(2, 3), 2);
  EXPECT_EQ(*WrapDim(-1, 3), 2);
  EXPECT_EQ(*WrapDim(-3, 3), 0);
  // A 0-dim tensor accepts 0 and -1, as torch.tensor(1.).sum(-1) does.
  EXPECT_EQ(*WrapDim(0, 0), 0);
  EXPECT_EQ(*WrapDim(-1, 0), 0);
}

TEST(ShapeTest, WrapDimErrorsLikeTorch) {
  struct {
    int64_t dim, rank;
    const char* msg;
  } cases[] = {
      // torch.zeros(2, 3, 4).sum(3)
      {3, 3, "Dimension out of range (expected to be in range of [-3, 2], but got 3)"},
      {-4, 3, "Dimension out of range (expected to be in range of [-3, 2], but got -4)"},
      // torch.tensor(3.).squeeze(5)
      {5, 0, "Dimension out of range (expected to be in range of [-1, 0], but got 5)"},
      {1, 0, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<int64_t> d = WrapDim(c.dim, c.rank);
    ASSERT_FALSE(d.ok()) << c.dim << " " << c.rank;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Msg(d.status()), c.msg);
  }
}

TEST(ShapeTest, BroadcastShapes) {
  struct {
    Shape a, b, want;
  } cases[] = {
      {{3, 1}, {1, 4}, {3, 4}},
      {{2, 1, 3}, {5, 1}, {2, 5, 3}},
      {{}, {2, 3}, {2, 3}},
      {{2, 3}, {}, {2, 3}},
      {{4}, {3, 1}, {3, 4}},
      {{0, 1}, {1, 5}, {0, 5}},
      {{1}, {0}, {0}},
      {{2, 3}, {2, 3}, {2, 3}},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Shape> s = BroadcastShapes(c.a, c.b);
    ASSERT_TRUE(s.ok()) << ShapeToString(c.a) << " " << ShapeToString(c.b) << ": " << s.status();
    EXPECT_EQ(*s, c.want) << ShapeToString(c.a) << " " << ShapeToString(c.b);
  }
}

TEST(ShapeTest, BroadcastShapesFailureNamesBothShapes) {
  // torch.ones(2, 3) + torch.ones(4): "The size of tensor a (3) must match the
  // size of tensor b (4) at non-singleton dimension 1".
  absl::StatusOr<Shape> s = BroadcastShapes(Shape{2, 3}, Shape{4});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s.status()), HasSubstr("[2, 3]"));
  EXPECT_THAT(Msg(s.status()), HasSubstr("[4]"));
  EXPECT_THAT(Msg(s.status()),
              HasSubstr("the size of tensor a (3) must match the size of tensor b (4) at "
                        "non-singleton dimension 1"));
  // A zero size does not broadcast against a size other than 1.
  EXPECT_FALSE(BroadcastShapes(Shape{0}, Shape{2}).ok());
}

TEST(ShapeTest, InferSize) {
  EXPECT_EQ(*InferSize(Shape{3, -1}, 12), (Shape{3, 4}));
  EXPECT_EQ(*InferSize(Shape{-1}, 7), (Shape{7}));
  EXPECT_EQ(*InferSize(Shape{2, -1, 3}, 0), (Shape{2, 0, 3}));
  EXPECT_EQ(*InferSize(Shape{4, 5}, 20), (Shape{4, 5}));
  EXPECT_EQ(*InferSize(Shape{}, 1), (Shape{}));
  EXPECT_EQ(*InferSize(Shape{-1}, 1), (Shape{1}));
}

TEST(ShapeTest, InferSizeErrorsLikeTorch) {
  struct {
    Shape shape;
    int64_t numel;
    const char* msg;
  } cases[] = {
      // torch.zeros(2, 3).view(-1, -1)
      {{-1, -1}, 6, "only one dimension can be inferred"},
      // torch.zeros(10).view(3, -1)
      {{3, -1}, 10, "shape '[3, -1]' is invalid for input of size 10"},
      // torch.zeros(10).view(3, 4)
      {{3, 4}, 10, "shape '[3, 4]' is invalid for input of size 10"},
      // torch.zeros(10).view(-2, 5)
      {{-2, 5}, 10, "invalid shape dimension -2"},
      // torch.zeros(0).view(0, -1) is ambiguous; torch rejects it too.
      {{0, -1}, 0, "invalid for input of size 0"},
      {{}, 2, "shape '[]' is invalid for input of size 2"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Shape> s = InferSize(c.shape, c.numel);
    ASSERT_FALSE(s.ok()) << ShapeToString(c.shape);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Msg(s.status()), HasSubstr(c.msg));
  }
  absl::StatusOr<Shape> big = InferSize(Shape{int64_t{1} << 40, int64_t{1} << 40, -1}, 8);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
}

// Expected results from x.view(*new_shape) with Debian's torch 1.13, x made
// as noted on each case; `ok == false` where torch raises "view size is not
// compatible with input tensor's size and stride".
struct ViewCase {
  const char* what;
  Shape shape;
  Strides strides;
  Shape new_shape;
  bool ok;
  Strides want;
};

const ViewCase kViewCases[] = {
    {"arange(24).view(2,3,4) -> (6,4)", {2, 3, 4}, {12, 4, 1}, {6, 4}, true, {4, 1}},
    {"arange(24).view(2,3,4) -> (24,)", {2, 3, 4}, {12, 4, 1}, {24}, true, {1}},
    {"arange(24).view(2,3,4) -> (2,1,12)", {2, 3, 4}, {12, 4, 1}, {2, 1, 12}, true, {12, 12, 1}},
    {"arange(6).view(2,3).t() -> (-1,)", {3, 2}, {1, 3}, {6}, false, {}},
    {"arange(6).view(2,3).t() -> (3,2,1)", {3, 2}, {1, 3}, {3, 2, 1}, true, {1, 3, 3}},
    {"arange(6).view(2,3).t() -> (1,3,1,2)", {3, 2}, {1, 3}, {1, 3, 1, 2}, true, {3, 1, 6, 3}},
    {"arange(24).view(4,6)[:, :3] -> (12,)", {4, 3}, {6, 1}, {12}, false, {}},
    {"arange(24).view(4,6)[:, :3] -> (2,2,3)", {4, 3}, {6, 1}, {2, 2, 3}, true, {12, 6, 1}},
    {"arange(24).view(4,6)[:, :3] -> (4,3,1)", {4, 3}, {6, 1}, {4, 3, 1}, true, {6, 1, 1}},
    {"arange(24).view(2,3,4).permute(1,0,2) -> (3,8)", {3, 2, 4}, {4, 12, 1}, {3, 8}, false, {}},
    {"arange(24).view(2,3,4).permute(1,0,2) -> (3,2,2,2)",
     {3, 2, 4}, {4, 12, 1}, {3, 2, 2, 2}, true, {4, 12, 2, 1}},
    {"arange(24).view(2,3,4).permute(1,0,2) -> (6,4)", {3, 2, 4}, {4, 12, 1}, {6, 4}, false, {}},
    {"arange(24).view(4,6)[::2] -> (12,)", {2, 6}, {12, 1}, {12}, false, {}},
    {"arange(24).view(4,6)[::2] -> (2,2,3)", {2, 6}, {12, 1}, {2, 2, 3}, true, {12, 3, 1}},
    {"arange(24)[::2] -> (3,4)", {12}, {2}, {3, 4}, true, {8, 2}},
    {"tensor(5.) -> (1,1)", {}, {}, {1, 1}, true, {1, 1}},
    {"tensor(5.) -> (-1,)", {}, {}, {1}, true, {1}},
    {"zeros(0,3).t() -> (0,1,3)", {3, 0}, {1, 3}, {0, 1, 3}, true, {3, 3, 1}},
    {"zeros(0,3).t() -> (3,0) keeps the strides", {3, 0}, {1, 3}, {3, 0}, true, {1, 3}},
    {"arange(6).view(2,3).t().unsqueeze(1) -> (3,2)", {3, 1, 2}, {1, 6, 3}, {3, 2}, true, {1, 3}},
    {"arange(3).view(3,1).expand(3,4) -> (12,)", {3, 4}, {1, 0}, {12}, false, {}},
    {"arange(3).view(3,1).expand(3,4) -> (3,2,2)", {3, 4}, {1, 0}, {3, 2, 2}, true, {1, 0, 0}},
};

TEST(ShapeTest, ComputeViewStridesMatchesTorchView) {
  for (const ViewCase& c : kViewCases) {
    Strides out;
    const bool ok = ComputeViewStrides(c.shape, c.strides, c.new_shape, &out);
    EXPECT_EQ(ok, c.ok) << c.what;
    if (ok && c.ok) {
      EXPECT_EQ(out, c.want) << c.what << ": got " << ShapeToString(out);
    }
  }
}

}  // namespace
}  // namespace tensord::device
