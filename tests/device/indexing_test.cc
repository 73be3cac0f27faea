// indexing.h: ParseIndex and ApplyIndex for Python's basic indexing
// ("x[...]" without tensors): the parsed items, the view's shape, strides
// and offset compared with torch's, that the result is a view, and the
// INVALID_ARGUMENT errors for malformed or out-of-range indices.
#include "device/indexing.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "device/context.h"
#include "device/cpu/cpu_backend.h"
#include "device/functional.h"
#include "device/generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

class IndexingTest : public ::testing::Test {
 protected:
  IndexingTest() : ctx_(&gen_, Device::Cpu(), Limits{}) { cpu::CpuBackendInstance(); }

  Tensor Empty(const Shape& shape) {
    absl::StatusOr<Tensor> t = ctx_.Empty(shape, DType::kFloat32);
    EXPECT_TRUE(t.ok()) << t.status();
    return *t;
  }
  absl::StatusOr<Tensor> Index(const Tensor& t, const char* text) {
    absl::StatusOr<std::vector<IndexItem>> items = ParseIndex(text);
    if (!items.ok()) return items.status();
    return ApplyIndex(t, *items);
  }

  Generator gen_;
  Context ctx_;
};

TEST_F(IndexingTest, ParseItems) {
  absl::StatusOr<std::vector<IndexItem>> items = ParseIndex(" 1 , -2:, ::3, ..., None, 4:7:2 ");
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 6u);
  using K = IndexItem::Kind;
  EXPECT_EQ((*items)[0].kind, K::kInteger);
  EXPECT_EQ((*items)[0].index, 1);
  EXPECT_EQ((*items)[1].kind, K::kSlice);
  EXPECT_EQ((*items)[1].start, -2);
  EXPECT_EQ((*items)[1].stop, std::nullopt);
  EXPECT_EQ((*items)[1].step, std::nullopt);
  EXPECT_EQ((*items)[2].kind, K::kSlice);
  EXPECT_EQ((*items)[2].start, std::nullopt);
  EXPECT_EQ((*items)[2].step, 3);
  EXPECT_EQ((*items)[3].kind, K::kEllipsis);
  EXPECT_EQ((*items)[4].kind, K::kNone);
  EXPECT_EQ((*items)[5].kind, K::kSlice);
  EXPECT_EQ((*items)[5].start, 4);
  EXPECT_EQ((*items)[5].stop, 7);
  EXPECT_EQ((*items)[5].step, 2);
}

TEST_F(IndexingTest, ParseTrailingCommaAndNoneBounds) {
  absl::StatusOr<std::vector<IndexItem>> one = ParseIndex("1,");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].index, 1);
  absl::StatusOr<std::vector<IndexItem>> s = ParseIndex("None:2:None");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].kind, IndexItem::Kind::kSlice);
  EXPECT_EQ((*s)[0].start, std::nullopt);
  EXPECT_EQ((*s)[0].stop, 2);
  EXPECT_EQ((*s)[0].step, std::nullopt);
}

// Expected values: x = torch.arange(120.).view(4, 5, 6); v = eval("x[" + text + "]");
// print(list(v.shape), list(v.stride()), v.storage_offset()) with Debian's torch 1.13.
struct IndexCase {
  const char* text;
  Shape shape;
  Strides strides;
  int64_t offset;
};
const IndexCase kIndexCases[] = {
    {":, 1", {4, 6}, {30, 1}, 6},
    {"1:3, ::2", {2, 3, 6}, {30, 12, 1}, 30},
    {"..., -1", {4, 5}, {30, 6}, 5},
    {"None, 0", {1, 5, 6}, {120, 6, 1}, 0},
    {"-1", {5, 6}, {6, 1}, 90},
    {"1,", {5, 6}, {6, 1}, 30},
    {"..., None", {4, 5, 6, 1}, {30, 6, 1, 1}, 0},
    {"1, ..., 2", {5}, {6}, 32},
    {"-3:-1, None, ::3, 4", {2, 1, 2}, {30, 30, 18}, 34},
    {":", {4, 5, 6}, {30, 6, 1}, 0},
    {"...", {4, 5, 6}, {30, 6, 1}, 0},
    {"None", {1, 4, 5, 6}, {120, 30, 6, 1}, 0},
    {"1:3:1", {2, 5, 6}, {30, 6, 1}, 30},
    {"::2, :, 5", {2, 5}, {60, 6}, 5},
    {"10:", {0, 5, 6}, {30, 6, 1}, 120},
    {":, -100:2", {4, 2, 6}, {30, 6, 1}, 0},
    {"0, 0, 0", {}, {}, 0},
    {"1, None, 2", {1, 6}, {30, 1}, 42},
};

TEST_F(IndexingTest, ApplyIndexMatchesTorch) {
  const Tensor x = Empty({4, 5, 6});
  for (const IndexCase& c : kIndexCases) {
    absl::StatusOr<Tensor> v = Index(x, c.text);
    ASSERT_TRUE(v.ok()) << "x[" << c.text << "]: " << v.status();
    EXPECT_EQ(v->shape(), c.shape) << "x[" << c.text << "]";
    EXPECT_EQ(v->strides(), c.strides) << "x[" << c.text << "]";
    EXPECT_EQ(v->offset(), c.offset) << "x[" << c.text << "]";
    EXPECT_TRUE(v->SharesStorageWith(x)) << "x[" << c.text << "]";
  }
}

TEST_F(IndexingTest, IndexOfAView) {
  // x = torch.arange(120.).view(4, 5, 6).transpose(0, 2)[1:, 2]
  const Tensor x = Empty({4, 5, 6});
  absl::StatusOr<Tensor> t = x.Transpose(0, 2);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<Tensor> v = Index(*t, "1:, 2");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->shape(), (Shape{5, 4}));
  EXPECT_EQ(v->strides(), (Strides{1, 30}));
  EXPECT_EQ(v->offset(), 13);
}

TEST_F(IndexingTest, WriteThroughIndexedView) {
  // x = torch.zeros(2, 3); x[:, 1:].fill_(5); x.sum() == 20
  const int64_t shape[] = {2, 3};
  absl::StatusOr<Tensor> x = Full(ctx_, shape, Scalar(0.0), DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(x.ok());
  absl::StatusOr<Tensor> v = Index(*x, ":, 1:");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->backend().Fill(*v, Scalar(5.0)).ok());
  absl::StatusOr<std::string> bytes = ToHost(ctx_, *x);
  ASSERT_TRUE(bytes.ok());
  std::vector<float> got(6);
  std::memcpy(got.data(), bytes->data(), 24);
  EXPECT_EQ(got, (std::vector<float>{0, 5, 5, 0, 5, 5}));
}

TEST_F(IndexingTest, ParseErrors) {
  struct {
    const char* text;
    const char* msg;
  } cases[] = {
      {"1:2:0", "slice steps must be positive"},
      {"::-1", "slice steps must be positive"},
      {"a", "'a' is not an integer, slice, '...' or None"},
      {"1.5", "'1.5' is not an integer"},
      {"", "it is empty"},
      {"   ", "it is empty"},
      {"1,,2", "an entry between commas is empty"},
      {",", "an entry between commas is empty"},
      {",1", "an entry between commas is empty"},
      {"1:2:3:4", "has too many ':'"},
      {"x:2", "'x' is not an integer"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<IndexItem>> items = ParseIndex(c.text);
    ASSERT_FALSE(items.ok()) << "'" << c.text << "'";
    EXPECT_EQ(items.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(Msg(items.status()), HasSubstr(c.msg)) << c.text;
    EXPECT_THAT(Msg(items.status()), HasSubstr(std::string("malformed index '") + c.text + "'"));
  }
}

TEST_F(IndexingTest, ApplyErrors) {
  // y = torch.zeros(2, 3); each raises IndexError in torch with these words.
  const Tensor y = Empty({2, 3});
  struct {
    const char* text;
    const char* msg;
  } cases[] = {
      {"0, 0, 0", "too many indices for tensor of dimension 2"},
      {"..., 0, 0, 0", "too many indices for tensor of dimension 2"},
      {"2", "index 2 is out of bounds for dimension 0 with size 2"},
      {"-3", "index -3 is out of bounds for dimension 0 with size 2"},
      {":, 3", "index 3 is out of bounds for dimension 1 with size 3"},
      {"None, 1, -4", "index -4 is out of bounds for dimension"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Tensor> v = Index(y, c.text);
    ASSERT_FALSE(v.ok()) << "y[" << c.text << "]";
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(Msg(v.status()), HasSubstr(c.msg)) << c.text;
  }
  // A 0-dim tensor takes "..." and "None" but no integer (torch: "invalid
  // index of a 0-dim tensor").
  const Tensor s = Empty({});
  EXPECT_EQ(Index(s, "0").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Tensor> n = Index(s, "None");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->shape(), (Shape{1}));
  absl::StatusOr<Tensor> e = Index(s, "...");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->shape(), (Shape{}));
}

}  // namespace
}  // namespace tensord::device
