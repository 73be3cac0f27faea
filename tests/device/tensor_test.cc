// tensor.h: the metadata of views (View, Select, Slice, Transpose, Permute,
// Expand, Unsqueeze, Squeeze) compared with torch's x.shape, x.stride() and
// x.storage_offset(), their errors, is_contiguous, and that views share
// storage: a write through a view (CopyInto, Fill) is read through the base.
#include "device/tensor.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "device/backend.h"
#include "device/context.h"
#include "device/cpu/cpu_backend.h"
#include "device/functional.h"
#include "device/generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

class TensorViewTest : public ::testing::Test {
 protected:
  TensorViewTest() : ctx_(&gen_, Device::Cpu(), Limits{}) { cpu::CpuBackendInstance(); }

  // torch.arange(n, dtype=torch.float32).view(shape)
  Tensor Arange(const Shape& shape) {
    std::vector<float> v(static_cast<size_t>(Numel(shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    absl::StatusOr<Tensor> t =
        FromHost(ctx_, v.data(), v.size() * sizeof(float), shape, DType::kFloat32, Device::Cpu());
    EXPECT_TRUE(t.ok()) << t.status();
    return *t;
  }
  // Elements of t in row-major order.
  std::vector<float> Values(const Tensor& t) {
    absl::StatusOr<std::string> bytes = ToHost(ctx_, t);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    std::vector<float> out(bytes->size() / sizeof(float));
    if (!out.empty()) std::memcpy(out.data(), bytes->data(), bytes->size());
    return out;
  }

  Generator gen_;
  Context ctx_;
};

// Shape, strides and offset of a view, as torch prints them.
struct Meta {
  Shape shape;
  Strides strides;
  int64_t offset;
};
void ExpectMeta(const absl::StatusOr<Tensor>& t, const Meta& want, const char* what) {
  ASSERT_TRUE(t.ok()) << what << ": " << t.status();
  EXPECT_EQ(t->shape(), want.shape) << what;
  EXPECT_EQ(t->strides(), want.strides) << what;
  EXPECT_EQ(t->offset(), want.offset) << what;
}
void ExpectInvalid(const absl::StatusOr<Tensor>& t, const std::string& msg, const char* what) {
  ASSERT_FALSE(t.ok()) << what;
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << what;
  EXPECT_THAT(Msg(t.status()), HasSubstr(msg)) << what;
}

TEST_F(TensorViewTest, BasicMetadata) {
  const Tensor x = Arange({2, 3, 4});
  EXPECT_TRUE(x.defined());
  EXPECT_FALSE(Tensor().defined());
  EXPECT_EQ(x.dim(), 3);
  EXPECT_EQ(x.numel(), 24);
  EXPECT_EQ(x.nbytes(), 96u);
  EXPECT_EQ(x.strides(), (Strides{12, 4, 1}));
  EXPECT_EQ(x.offset(), 0);
  EXPECT_EQ(x.device(), Device::Cpu());
  EXPECT_TRUE(x.is_contiguous());
}

// Expected values below: x = torch.arange(24.).view(2, 3, 4) unless noted.
TEST_F(TensorViewTest, SelectMatchesTorch) {
  const Tensor x = Arange({2, 3, 4});
  ExpectMeta(x.Select(1, 2), {{2, 4}, {12, 1}, 8}, "x.select(1, 2)");
  ExpectMeta(x.Select(-1, -1), {{2, 3}, {12, 4}, 3}, "x.select(-1, -1)");
  ExpectMeta(x.Select(0, 1), {{3, 4}, {4, 1}, 12}, "x.select(0, 1)");
  EXPECT_THAT(Values(*x.Select(1, 2)), ElementsAre(8, 9, 10, 11, 20, 21, 22, 23));
}

TEST_F(TensorViewTest, SelectErrors) {
  const Tensor x = Arange({2, 3, 4});
  ExpectInvalid(x.Select(1, 3), "index 3 is out of bounds for dimension 1 with size 3",
                "x.select(1, 3)");
  ExpectInvalid(x.Select(1, -4), "index -4 is out of bounds", "x.select(1, -4)");
  ExpectInvalid(x.Select(3, 0), "Dimension out of range", "x.select(3, 0)");
  const Tensor s = Arange({});
  ExpectInvalid(s.Select(0, 0), "select() cannot be applied to a 0-dim tensor",
                "tensor(0.).select(0, 0)");
}

// y = torch.arange(10.)
TEST_F(TensorViewTest, SliceMatchesPythonSlicing) {
  const Tensor y = Arange({10});
  ExpectMeta(y.Slice(0, 1, 8, 3), {{3}, {3}, 1}, "y[1:8:3]");
  ExpectMeta(y.Slice(0, -3, -1, 1), {{2}, {1}, 7}, "y[-3:-1]");
  ExpectMeta(y.Slice(0, -100, 2, 1), {{2}, {1}, 0}, "y[-100:2]");
  ExpectMeta(y.Slice(0, 1, 100, 1), {{9}, {1}, 1}, "y[1:100]");
  ExpectMeta(y.Slice(0, 5, 2, 1), {{0}, {1}, 5}, "y[5:2]");
  ExpectMeta(y.Slice(0, 12, INT64_MAX, 1), {{0}, {1}, 10}, "y[12:]");
  ExpectMeta(y.Slice(0, 0, INT64_MAX, 4), {{3}, {4}, 0}, "y[::4]");
  ExpectMeta(y.Slice(0, -1, INT64_MAX, 1), {{1}, {1}, 9}, "y[-1:]");
  ExpectMeta(y.Slice(0, 3, INT64_MAX, int64_t{1} << 62), {{1}, {int64_t{1} << 62}, 3},
             "y[3::2**62]");
  EXPECT_THAT(Values(*y.Slice(0, 1, 8, 3)), ElementsAre(1, 4, 7));
  EXPECT_THAT(Values(*y.Slice(0, -3, -1, 1)), ElementsAre(7, 8));

  const Tensor x = Arange({2, 3, 4});
  absl::StatusOr<Tensor> v = x.Slice(1, 1, INT64_MAX, 1);
  ASSERT_TRUE(v.ok());
  ExpectMeta(v->Slice(2, 0, INT64_MAX, 2), {{2, 2, 2}, {12, 4, 2}, 4}, "x[:, 1:, ::2]");
  // x[1].t()[1:3]
  absl::StatusOr<Tensor> t = x.Select(0, 1)->Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  ExpectMeta(t->Slice(0, 1, 3, 1), {{2, 3}, {1, 4}, 13}, "x[1].t()[1:3]");
}

// Python's len(range(0, 10, 2**63 - 1)) is 1. (torch 1.13 itself reports
// y[::2**63-1].shape as [0], an overflow in its own size arithmetic.)
TEST_F(TensorViewTest, SliceWithAHugeStepDoesNotOverflow) {
  const Tensor y = Arange({10});
  absl::StatusOr<Tensor> v = y.Slice(0, 0, INT64_MAX, INT64_MAX);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->shape(), (Shape{1}));
  EXPECT_EQ(v->offset(), 0);
  EXPECT_THAT(Values(*v), ElementsAre(0));
  absl::StatusOr<Tensor> w = y.Slice(0, 4, INT64_MAX, INT64_MAX - 1);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->shape(), (Shape{1}));
  EXPECT_THAT(Values(*w), ElementsAre(4));
}

TEST_F(TensorViewTest, SliceErrors) {
  const Tensor y = Arange({10});
  // y[::0] and y[::-1] are errors in torch too.
  ExpectInvalid(y.Slice(0, 0, 10, 0), "step", "y[::0]");
  ExpectInvalid(y.Slice(0, 0, 10, -1), "step", "y[::-1]");
  ExpectInvalid(y.Slice(1, 0, 10, 1), "Dimension out of range", "dim 1 of a 1-D tensor");
  ExpectInvalid(Arange({}).Slice(0, 0, 1, 1), "0-dim", "slice of a 0-dim tensor");
}

TEST_F(TensorViewTest, TransposeAndPermuteMatchTorch) {
  const Tensor x = Arange({2, 3, 4});
  ExpectMeta(x.Transpose(0, 2), {{4, 3, 2}, {1, 4, 12}, 0}, "x.transpose(0, 2)");
  ExpectMeta(x.Transpose(-1, 0), {{4, 3, 2}, {1, 4, 12}, 0}, "x.transpose(-1, 0)");
  const int64_t p[] = {2, 0, 1};
  ExpectMeta(x.Permute(p), {{4, 2, 3}, {1, 12, 4}, 0}, "x.permute(2, 0, 1)");
  const int64_t q[] = {-1, 0, 1};
  ExpectMeta(x.Permute(q), {{4, 2, 3}, {1, 12, 4}, 0}, "x.permute(-1, 0, 1)");
  EXPECT_FALSE(x.Transpose(0, 2)->is_contiguous());
  // A 0-dim tensor transposes to itself (torch.tensor(1.).t()).
  ExpectMeta(Arange({}).Transpose(0, -1), {{}, {}, 0}, "tensor(0.).transpose(0, -1)");
}

TEST_F(TensorViewTest, TransposeAndPermuteErrors) {
  const Tensor x = Arange({2, 3, 4});
  ExpectInvalid(x.Transpose(0, 3), "Dimension out of range (expected to be in range of [-3, 2]",
                "x.transpose(0, 3)");
  const int64_t two[] = {0, 1};
  ExpectInvalid(x.Permute(two), "input.dim() = 3 is not equal to len(dims) = 2",
                "x.permute(0, 1)");
  const int64_t dup[] = {0, 0, 1};
  ExpectInvalid(x.Permute(dup), "duplicate dims are not allowed", "x.permute(0, 0, 1)");
  const int64_t dup_neg[] = {0, -3, 1};
  ExpectInvalid(x.Permute(dup_neg), "duplicate dims are not allowed", "x.permute(0, -3, 1)");
  const int64_t out[] = {0, 1, 3};
  ExpectInvalid(x.Permute(out), "Dimension out of range", "x.permute(0, 1, 3)");
}

// z = torch.arange(3.).view(3, 1)
TEST_F(TensorViewTest, ExpandMatchesTorch) {
  const Tensor z = Arange({3, 1});
  const int64_t s1[] = {2, 3, 4};
  ExpectMeta(z.Expand(s1), {{2, 3, 4}, {0, 1, 0}, 0}, "z.expand(2, 3, 4)");
  const int64_t s2[] = {-1, 5};
  ExpectMeta(z.Expand(s2), {{3, 5}, {1, 0}, 0}, "z.expand(-1, 5)");
  EXPECT_THAT(Values(*z.Expand(s2)), ElementsAre(0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2));
}

TEST_F(TensorViewTest, ExpandErrors) {
  const Tensor z = Arange({3, 1});
  const int64_t a[] = {3, 2, 2};
  ExpectInvalid(z.Expand(a),
                "The expanded size of the tensor (2) must match the existing size (3) at "
                "non-singleton dimension 1.  Target sizes: [3, 2, 2].  Tensor sizes: [3, 1]",
                "z.expand(3, 2, 2)");
  const int64_t b[] = {4, 1};
  ExpectInvalid(z.Expand(b), "The expanded size of the tensor (4) must match the existing size (3)",
                "z.expand(4, 1)");
  const int64_t c[] = {3};
  ExpectInvalid(z.Expand(c),
                "the number of sizes provided (1) must be greater or equal to the number of "
                "dimensions in the tensor (2)",
                "z.expand(3)");
  const int64_t d[] = {-1, 3, 1};
  ExpectInvalid(z.Expand(d), "leading, non-existing dimension 0", "z.expand(-1, 3, 1)");
  const int64_t e[] = {INT64_MAX, 3, 5};
  ExpectInvalid(z.Expand(e), "overflows", "z.expand(2**63-1, 3, 5)");
}

TEST_F(TensorViewTest, UnsqueezeMatchesTorch) {
  const Tensor x = Arange({2, 3, 4});
  ExpectMeta(x.Unsqueeze(0), {{1, 2, 3, 4}, {24, 12, 4, 1}, 0}, "x.unsqueeze(0)");
  ExpectMeta(x.Unsqueeze(1), {{2, 1, 3, 4}, {12, 12, 4, 1}, 0}, "x.unsqueeze(1)");
  ExpectMeta(x.Unsqueeze(3), {{2, 3, 4, 1}, {12, 4, 1, 1}, 0}, "x.unsqueeze(3)");
  ExpectMeta(x.Unsqueeze(-1), {{2, 3, 4, 1}, {12, 4, 1, 1}, 0}, "x.unsqueeze(-1)");
  ExpectMeta(x.Unsqueeze(-4), {{1, 2, 3, 4}, {24, 12, 4, 1}, 0}, "x.unsqueeze(-4)");
  // torch.arange(6.).view(2, 3).t().unsqueeze(1)
  absl::StatusOr<Tensor> t = Arange({2, 3}).Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  ExpectMeta(t->Unsqueeze(1), {{3, 1, 2}, {1, 6, 3}, 0}, "x.t().unsqueeze(1)");
  ExpectMeta(Arange({}).Unsqueeze(0), {{1}, {1}, 0}, "tensor(0.).unsqueeze(0)");
  ExpectInvalid(x.Unsqueeze(4), "Dimension out of range (expected to be in range of [-4, 3], but got 4)",
                "x.unsqueeze(4)");
  ExpectInvalid(Arange({}).Unsqueeze(2), "Dimension out of range", "tensor(0.).unsqueeze(2)");
}

// w = torch.arange(6.).view(2, 1, 3)
TEST_F(TensorViewTest, SqueezeMatchesTorch) {
  const Tensor w = Arange({2, 1, 3});
  ExpectMeta(w.Squeeze(1), {{2, 3}, {3, 1}, 0}, "w.squeeze(1)");
  ExpectMeta(w.Squeeze(-2), {{2, 3}, {3, 1}, 0}, "w.squeeze(-2)");
  // A dim whose size is not 1 is left alone.
  ExpectMeta(w.Squeeze(0), {{2, 1, 3}, {3, 3, 1}, 0}, "w.squeeze(0)");
  ExpectMeta(Arange({}).Squeeze(0), {{}, {}, 0}, "tensor(0.).squeeze(0)");
  ExpectMeta(Arange({}).Squeeze(-1), {{}, {}, 0}, "tensor(0.).squeeze(-1)");
  ExpectInvalid(w.Squeeze(3), "Dimension out of range", "w.squeeze(3)");
}

// torch.tensor(3.).squeeze(5) raises "Dimension out of range (expected to be
// in range of [-1, 0], but got 5)".
TEST_F(TensorViewTest, SqueezeOfZeroDimChecksTheDim) {
  const Tensor s = Arange({});
  ExpectInvalid(s.Squeeze(5), "Dimension out of range (expected to be in range of [-1, 0], but got 5)",
                "tensor(0.).squeeze(5)");
  ExpectInvalid(s.Squeeze(-2), "Dimension out of range", "tensor(0.).squeeze(-2)");
}

TEST_F(TensorViewTest, ViewMatchesTorch) {
  const Tensor x = Arange({2, 3, 4});
  const int64_t a[] = {6, -1};
  ExpectMeta(x.View(a), {{6, 4}, {4, 1}, 0}, "x.view(6, -1)");
  // A view of a sliced tensor keeps its offset: x[1].view(-1).
  const int64_t flat[] = {-1};
  ExpectMeta(x.Select(0, 1)->View(flat), {{12}, {1}, 12}, "x[1].view(-1)");
  EXPECT_THAT(Values(*x.Select(0, 1)->View(flat)),
              ElementsAre(12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23));
  // torch.arange(6.).view(2, 3).t().view(-1) fails: "view size is not
  // compatible with input tensor's size and stride".
  absl::StatusOr<Tensor> t = Arange({2, 3}).Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  ExpectInvalid(t->View(flat),
                "view size [6] is not compatible with input tensor's size [3, 2] and stride "
                "[1, 3]",
                "x.t().view(-1)");
  const int64_t b[] = {3, -1};
  ExpectInvalid(Arange({10}).View(b), "shape '[3, -1]' is invalid for input of size 10",
                "arange(10).view(3, -1)");
}

TEST_F(TensorViewTest, IsContiguous) {
  const Tensor x = Arange({2, 3, 4});
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_FALSE(x.Transpose(1, 2)->is_contiguous());
  EXPECT_FALSE(x.Slice(2, 0, 4, 2)->is_contiguous());
  EXPECT_TRUE(x.Select(0, 1)->is_contiguous());   // offset does not matter
  EXPECT_TRUE(x.Slice(0, 1, 2, 1)->is_contiguous());
  EXPECT_TRUE(x.Unsqueeze(1)->is_contiguous());
  // Size-1 dims may have any stride; empty tensors are contiguous.
  EXPECT_TRUE(Arange({3, 1}).Transpose(0, 1)->is_contiguous());
  EXPECT_TRUE(Arange({0, 3}).Transpose(0, 1)->is_contiguous());
  const int64_t e[] = {3, 4};
  EXPECT_FALSE(Arange({3, 1}).Expand(e)->is_contiguous());
}

TEST_F(TensorViewTest, ViewsShareStorage) {
  const Tensor x = Arange({2, 3, 4});
  const int64_t p[] = {2, 0, 1};
  const int64_t v[] = {4, 6};
  for (const absl::StatusOr<Tensor>& view :
       {x.Select(1, 2), x.Slice(2, 1, 3, 1), x.Transpose(0, 1), x.Permute(p), x.View(v),
        x.Unsqueeze(0), x.Squeeze(0)}) {
    ASSERT_TRUE(view.ok()) << view.status();
    EXPECT_TRUE(view->SharesStorageWith(x));
    EXPECT_EQ(view->storage_ptr().get(), x.storage_ptr().get());
  }
  EXPECT_FALSE(Arange({2, 3, 4}).SharesStorageWith(x));
}

TEST_F(TensorViewTest, WriteThroughSelectIsSeenByBase) {
  // x = torch.arange(6.).view(2, 3); x[:, 1].fill_(-1)
  const Tensor x = Arange({2, 3});
  absl::StatusOr<Tensor> col = x.Select(1, 1);
  ASSERT_TRUE(col.ok());
  ASSERT_TRUE(col->backend().Fill(*col, Scalar(-1.0)).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, -1, 2, 3, -1, 5));
}

TEST_F(TensorViewTest, WriteThroughSteppedTransposedViewIsSeenByBase) {
  // x = torch.arange(12.).view(3, 4); x.t()[::2].copy_(torch.full((2, 3), 100.))
  const Tensor x = Arange({3, 4});
  absl::StatusOr<Tensor> t = x.Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<Tensor> v = t->Slice(0, 0, INT64_MAX, 2);
  ASSERT_TRUE(v.ok());
  ExpectMeta(v, {{2, 3}, {2, 4}, 0}, "x.t()[::2]");
  const int64_t shape[] = {2, 3};
  absl::StatusOr<Tensor> src = Full(ctx_, shape, Scalar(100.0), DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(src.ok());
  const uint64_t before = x.storage().version();
  ASSERT_TRUE(CopyInto(ctx_, *src, *v).ok());
  EXPECT_GT(x.storage().version(), before);  // in-place writes bump the version
  EXPECT_THAT(Values(x), ElementsAreArray({100.f, 1.f, 100.f, 3.f, 100.f, 5.f, 100.f, 7.f, 100.f,
                                           9.f, 100.f, 11.f}));
}

TEST_F(TensorViewTest, WriteThroughViewOfSliceIsSeenByBase) {
  // x = torch.arange(8.); x[2:6].view(2, 2)[1].fill_(7)
  const Tensor x = Arange({8});
  const int64_t s[] = {2, 2};
  absl::StatusOr<Tensor> v = x.Slice(0, 2, 6, 1)->View(s);
  ASSERT_TRUE(v.ok());
  ExpectMeta(v, {{2, 2}, {2, 1}, 2}, "x[2:6].view(2, 2)");
  absl::StatusOr<Tensor> row = v->Select(0, 1);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->backend().Fill(*row, Scalar(7)).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 1, 2, 3, 7, 7, 6, 7));
}

TEST_F(TensorViewTest, WithMetaKeepsStorageAndDType) {
  const Tensor x = Arange({6});
  const Tensor w = x.WithMeta({2, 2}, {1, 2}, 1);
  EXPECT_TRUE(w.SharesStorageWith(x));
  EXPECT_EQ(w.dtype(), DType::kFloat32);
  EXPECT_EQ(w.offset(), 1);
  EXPECT_THAT(Values(w), ElementsAre(1, 3, 2, 4));
}

}  // namespace
}  // namespace tensord::device
