// functional.h through the CPU backend with a Context over a Generator:
// Full, FromHost/ToHost, Contiguous, To (casts), CopyInto (broadcasting,
// overlap), Reshape, BinaryOpTensor (promotion, broadcasting), ReduceTensor
// (dims, keepdim), Matmul (torch.matmul's 1-D/2-D/batched rules against a
// naive loop) and Context::Empty's limits. Expected values are torch's.
#include "device/functional.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "device/backend.h"
#include "device/context.h"
#include "device/cpu/cpu_backend.h"
#include "device/generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

template <typename T> constexpr DType kDT = DType::kFloat32;
template <> constexpr DType kDT<double> = DType::kFloat64;
template <> constexpr DType kDT<int64_t> = DType::kInt64;
template <> constexpr DType kDT<int32_t> = DType::kInt32;
template <> constexpr DType kDT<bool> = DType::kBool;

class FunctionalTest : public ::testing::Test {
 protected:
  FunctionalTest() : ctx_(&gen_, Device::Cpu(), Limits{}) { cpu::CpuBackendInstance(); }

  template <typename T>
  Tensor Make(const Shape& shape, const std::vector<T>& v) {
    EXPECT_EQ(static_cast<int64_t>(v.size()), Numel(shape));
    std::string bytes(v.size() * sizeof(T), '\0');
    for (size_t i = 0; i < v.size(); ++i) {
      const T x = v[i];
      std::memcpy(bytes.data() + i * sizeof(T), &x, sizeof(T));
    }
    absl::StatusOr<Tensor> t =
        FromHost(ctx_, bytes.data(), bytes.size(), shape, kDT<T>, Device::Cpu());
    EXPECT_TRUE(t.ok()) << t.status();
    return *t;
  }
  // torch.arange(numel(shape), dtype=T).view(shape)
  template <typename T = float>
  Tensor Arange(const Shape& shape) {
    std::vector<T> v(static_cast<size_t>(Numel(shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(i);
    return Make<T>(shape, v);
  }
  // Elements in row-major order; checks the dtype.
  template <typename T>
  std::vector<T> Read(const Tensor& t) {
    EXPECT_EQ(t.dtype(), kDT<T>) << DTypeName(t.dtype());
    absl::StatusOr<std::string> bytes = ToHost(ctx_, t);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    std::vector<T> out(bytes->size() / sizeof(T));
    for (size_t i = 0; i < out.size(); ++i) {
      T x;  // through a local: std::vector<bool> has no element addresses
      std::memcpy(&x, bytes->data() + i * sizeof(T), sizeof(T));
      out[i] = x;
    }
    return out;
  }

  Generator gen_;
  Context ctx_;
};

TEST_F(FunctionalTest, ContextKnowsGeneratorAndDevice) {
  EXPECT_EQ(&ctx_.generator(), &gen_);
  EXPECT_EQ(ctx_.default_device(), Device::Cpu());
  EXPECT_EQ(ctx_.limits().max_tensor_bytes, int64_t{16} << 30);
}

TEST_F(FunctionalTest, Full) {
  const int64_t shape[] = {2, 3};
  absl::StatusOr<Tensor> f = Full(ctx_, shape, Scalar(1.5), DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->shape(), (Shape{2, 3}));
  EXPECT_THAT(Read<float>(*f), ElementsAre(1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f));
  // torch.full((2,), 7, dtype=torch.int64); torch.full((2,), 2.9, dtype=torch.int64) is [2, 2]
  const int64_t two[] = {2};
  EXPECT_THAT(Read<int64_t>(*Full(ctx_, two, Scalar(7), DType::kInt64, Device::Cpu())),
              ElementsAre(7, 7));
  EXPECT_THAT(Read<int64_t>(*Full(ctx_, two, Scalar(2.9), DType::kInt64, Device::Cpu())),
              ElementsAre(2, 2));
  EXPECT_THAT(Read<bool>(*Full(ctx_, two, Scalar(true), DType::kBool, Device::Cpu())),
              ElementsAre(true, true));
  absl::StatusOr<Tensor> s = ScalarTensor(ctx_, Scalar(-3), DType::kFloat64, Device::Cpu());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->dim(), 0);
  EXPECT_THAT(Read<double>(*s), ElementsAre(-3.0));
  const int64_t empty[] = {0, 4};
  absl::StatusOr<Tensor> e = Full(ctx_, empty, Scalar(1), DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->numel(), 0);
  EXPECT_TRUE(Read<float>(*e).empty());
}

TEST_F(FunctionalTest, FromHostToHostRoundTrip) {
  const std::vector<double> v = {1.25, -2.5, 1e300, 0.0, -0.0, 7.0};
  const Tensor t = Make<double>({3, 2}, v);
  EXPECT_EQ(t.dtype(), DType::kFloat64);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  absl::StatusOr<std::string> bytes = ToHost(ctx_, t);
  ASSERT_TRUE(bytes.ok());
  ASSERT_EQ(bytes->size(), 48u);
  EXPECT_EQ(std::memcmp(bytes->data(), v.data(), 48), 0);
  EXPECT_THAT(Read<int32_t>(Make<int32_t>({3}, {INT32_MIN, 0, INT32_MAX})),
              ElementsAre(INT32_MIN, 0, INT32_MAX));
}

TEST_F(FunctionalTest, FromHostRejectsWrongByteCount) {
  const float data[3] = {1, 2, 3};
  const int64_t shape[] = {2, 2};
  absl::StatusOr<Tensor> t =
      FromHost(ctx_, data, sizeof(data), shape, DType::kFloat32, Device::Cpu());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(t.status()), HasSubstr("data holds 12 bytes"));
  EXPECT_THAT(Msg(t.status()), HasSubstr("needs 16"));
}

TEST_F(FunctionalTest, ToHostOfNonContiguousView) {
  // torch.arange(12.).view(3, 4)[:, 1::2].flatten() == [1, 3, 5, 7, 9, 11]
  const Tensor x = Arange({3, 4});
  absl::StatusOr<Tensor> v = x.Slice(1, 1, INT64_MAX, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(Read<float>(*v), ElementsAre(1, 3, 5, 7, 9, 11));
}

TEST_F(FunctionalTest, ContiguousOfTranspose) {
  // torch.arange(6.).view(2, 3).t().contiguous()
  const Tensor x = Arange({2, 3});
  absl::StatusOr<Tensor> t = x.Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<Tensor> c = Contiguous(ctx_, *t);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->is_contiguous());
  EXPECT_FALSE(c->SharesStorageWith(x));
  EXPECT_EQ(c->shape(), (Shape{3, 2}));
  EXPECT_EQ(c->strides(), (Strides{2, 1}));
  EXPECT_THAT(Read<float>(*c), ElementsAre(0, 3, 1, 4, 2, 5));
  // Already contiguous: the same tensor comes back.
  absl::StatusOr<Tensor> same = Contiguous(ctx_, x);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->SharesStorageWith(x));
  // Clone always copies.
  absl::StatusOr<Tensor> cl = Clone(ctx_, x);
  ASSERT_TRUE(cl.ok());
  EXPECT_FALSE(cl->SharesStorageWith(x));
  EXPECT_THAT(Read<float>(*cl), ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST_F(FunctionalTest, ToCastsLikeTorch) {
  const Tensor f = Make<float>({4}, {1.7f, -1.7f, 2.9f, -0.2f});
  // torch.tensor([1.7, -1.7, 2.9, -0.2]).to(torch.int64) == [1, -1, 2, 0]
  EXPECT_THAT(Read<int64_t>(*To(ctx_, f, DType::kInt64)), ElementsAre(1, -1, 2, 0));
  EXPECT_THAT(Read<int32_t>(*To(ctx_, f, DType::kInt32)), ElementsAre(1, -1, 2, 0));
  // torch.tensor([1.7, -1.7, 0.0, nan]).to(torch.bool) == [True, True, False, True]
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor g = Make<float>({4}, {1.7f, -1.7f, 0.0f, nan});
  EXPECT_THAT(Read<bool>(*To(ctx_, g, DType::kBool)), ElementsAre(true, true, false, true));
  // torch.tensor([0, 3, -1]).to(torch.bool) == [False, True, True]
  const Tensor i = Make<int64_t>({3}, {0, 3, -1});
  EXPECT_THAT(Read<bool>(*To(ctx_, i, DType::kBool)), ElementsAre(false, true, true));
  // torch.tensor([True, False]).to(torch.float32) == [1., 0.]
  const Tensor b = Make<bool>({2}, {true, false});
  EXPECT_THAT(Read<float>(*To(ctx_, b, DType::kFloat32)), ElementsAre(1.0f, 0.0f));
  // torch.tensor([nan, inf, -inf, 3e10]).to(torch.int64) on x86 ==
  // [INT64_MIN, INT64_MIN, INT64_MIN, 30000001024]
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor s = Make<float>({4}, {nan, inf, -inf, 3e10f});
  EXPECT_THAT(Read<int64_t>(*To(ctx_, s, DType::kInt64)),
              ElementsAre(INT64_MIN, INT64_MIN, INT64_MIN, 30000001024));
  // torch.tensor([70000.5, 1/3]).to(torch.float16) == [inf, 0.333251953125]
  absl::StatusOr<Tensor> h = To(ctx_, Make<float>({2}, {70000.5f, 1.0f / 3}), DType::kFloat16);
  ASSERT_TRUE(h.ok());
  absl::StatusOr<Tensor> back = To(ctx_, *h, DType::kFloat32);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(Read<float>(*back), ElementsAre(inf, 0.333251953125f));
}

TEST_F(FunctionalTest, ToSameDTypeReturnsTheTensorItself) {
  const Tensor x = Arange({2, 2});
  absl::StatusOr<Tensor> y = To(ctx_, x, DType::kFloat32);
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(y->SharesStorageWith(x));
  absl::StatusOr<Tensor> z = To(ctx_, x, DType::kFloat64, Device::Cpu());
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE(z->SharesStorageWith(x));
  EXPECT_THAT(Read<double>(*z), ElementsAre(0, 1, 2, 3));
}

TEST_F(FunctionalTest, CopyIntoBroadcastsAndCasts) {
  const int64_t shape[] = {2, 3};
  absl::StatusOr<Tensor> dst = Full(ctx_, shape, Scalar(0), DType::kFloat32, Device::Cpu());
  ASSERT_TRUE(dst.ok());
  // torch.zeros(2, 3).copy_(torch.tensor([1, 2, 3])) (int64 source)
  ASSERT_TRUE(CopyInto(ctx_, Make<int64_t>({3}, {1, 2, 3}), *dst).ok());
  EXPECT_THAT(Read<float>(*dst), ElementsAre(1, 2, 3, 1, 2, 3));
  // .copy_(torch.tensor([[7.], [8.]]))
  ASSERT_TRUE(CopyInto(ctx_, Make<float>({2, 1}, {7, 8}), *dst).ok());
  EXPECT_THAT(Read<float>(*dst), ElementsAre(7, 7, 7, 8, 8, 8));
  // A 0-dim source fills everything.
  ASSERT_TRUE(CopyInto(ctx_, Make<double>({}, {-1.5}), *dst).ok());
  EXPECT_THAT(Read<float>(*dst), ElementsAre(-1.5, -1.5, -1.5, -1.5, -1.5, -1.5));
}

TEST_F(FunctionalTest, CopyIntoRejectsUnbroadcastableSource) {
  const Tensor dst = Arange({2, 3});
  const absl::Status s = CopyInto(ctx_, Arange({4}), dst);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("source of shape [4] cannot be broadcast to destination shape "
                                "[2, 3]"));
  // The destination is left alone.
  EXPECT_THAT(Read<float>(dst), ElementsAre(0, 1, 2, 3, 4, 5));
}

// torch 1.13 raises "unsupported operation: some elements of the input tensor
// and the written-to tensor refer to a single memory location" for
// x.copy_(x.t()); tensord instead reads the source as it was before the
// copy (as numpy's x[...] = x.T does), so the result is well defined: the
// transpose of the original x, never a half-overwritten mix.
TEST_F(FunctionalTest, CopyIntoOverlappingTransposeReadsASnapshot) {
  const Tensor x = Arange({3, 3});
  absl::StatusOr<Tensor> t = x.Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(CopyInto(ctx_, *t, x).ok());
  EXPECT_THAT(Read<float>(x), ElementsAre(0, 3, 6, 1, 4, 7, 2, 5, 8));
}

TEST_F(FunctionalTest, CopyIntoOverlappingShiftReadsASnapshot) {
  // numpy: x = arange(9.).reshape(3, 3); x[1:] = x[:2]
  const Tensor x = Arange({3, 3});
  absl::StatusOr<Tensor> lo = x.Slice(0, 0, 2, 1);
  absl::StatusOr<Tensor> hi = x.Slice(0, 1, 3, 1);
  ASSERT_TRUE(lo.ok() && hi.ok());
  ASSERT_TRUE(CopyInto(ctx_, *lo, *hi).ok());
  EXPECT_THAT(Read<float>(x), ElementsAre(0, 1, 2, 0, 1, 2, 3, 4, 5));
  // x.copy_(x) is allowed by torch and changes nothing.
  ASSERT_TRUE(CopyInto(ctx_, x, x).ok());
  EXPECT_THAT(Read<float>(x), ElementsAre(0, 1, 2, 0, 1, 2, 3, 4, 5));
}

TEST_F(FunctionalTest, CopyIntoBroadcastFromItsOwnRow) {
  // numpy: x = arange(6.).reshape(2, 3); x[...] = x[1]
  const Tensor x = Arange({2, 3});
  absl::StatusOr<Tensor> row = x.Select(0, 1);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(CopyInto(ctx_, *row, x).ok());
  EXPECT_THAT(Read<float>(x), ElementsAre(3, 4, 5, 3, 4, 5));
}

TEST_F(FunctionalTest, ReshapeViewsWhenItCanAndCopiesOtherwise) {
  const Tensor x = Arange({2, 3});
  const int64_t flat[] = {-1};
  absl::StatusOr<Tensor> v = Reshape(ctx_, x, flat);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->SharesStorageWith(x));
  EXPECT_EQ(v->shape(), (Shape{6}));
  // torch.arange(6.).view(2, 3).t().reshape(-1) == [0, 3, 1, 4, 2, 5], a copy.
  absl::StatusOr<Tensor> t = x.Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<Tensor> r = Reshape(ctx_, *t, flat);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->SharesStorageWith(x));
  EXPECT_EQ(r->shape(), (Shape{6}));
  EXPECT_THAT(Read<float>(*r), ElementsAre(0, 3, 1, 4, 2, 5));
  // The copy is independent of x.
  ASSERT_TRUE(x.backend().Fill(x, Scalar(9.0)).ok());
  EXPECT_THAT(Read<float>(*r), ElementsAre(0, 3, 1, 4, 2, 5));
  const int64_t bad[] = {4, -1};
  absl::StatusOr<Tensor> e = Reshape(ctx_, *t, bad);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(e.status()), HasSubstr("shape '[4, -1]' is invalid for input of size 6"));
}

TEST_F(FunctionalTest, BinaryIntTensorPlusFloatScalarIsFloat32) {
  // torch.tensor([1, 2, 3]) + 2.5 == tensor([3.5, 4.5, 5.5]) (float32)
  const Tensor a = Make<int64_t>({3}, {1, 2, 3});
  absl::StatusOr<Tensor> r = BinaryOpTensor(ctx_, BinaryOp::kAdd, a, Scalar(2.5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dtype(), DType::kFloat32);
  EXPECT_THAT(Read<float>(*r), ElementsAre(3.5f, 4.5f, 5.5f));
  // 10 - tensor: the scalar may come first.
  absl::StatusOr<Tensor> s = BinaryOpTensor(ctx_, BinaryOp::kSub, Scalar(10), a);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->dtype(), DType::kInt64);
  EXPECT_THAT(Read<int64_t>(*s), ElementsAre(9, 8, 7));
}

TEST_F(FunctionalTest, BinaryPromotesTensorDTypes) {
  // torch.ones(2) + torch.ones(2, dtype=torch.float64) is float64
  absl::StatusOr<Tensor> r = BinaryOpTensor(ctx_, BinaryOp::kMul, Make<float>({2}, {1.5f, 2}),
                                            Make<double>({2}, {2, 0.25}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dtype(), DType::kFloat64);
  EXPECT_THAT(Read<double>(*r), ElementsAre(3.0, 0.5));
  // torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(5): a 0-dim int64
  // does not widen an int32 tensor.
  absl::StatusOr<Tensor> q = BinaryOpTensor(ctx_, BinaryOp::kAdd, Make<int32_t>({2}, {1, 2}),
                                            Make<int64_t>({}, {5}));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->dtype(), DType::kInt32);
  EXPECT_THAT(Read<int32_t>(*q), ElementsAre(6, 7));
  // Comparisons give bool: torch.tensor([1, 2, 3]) < 2.5
  absl::StatusOr<Tensor> c = BinaryOpTensor(ctx_, BinaryOp::kLt,
                                            Make<int64_t>({3}, {1, 2, 3}), Scalar(2.5));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dtype(), DType::kBool);
  EXPECT_THAT(Read<bool>(*c), ElementsAre(true, true, false));
  // compute forces the dtype: true division of ints.
  absl::StatusOr<Tensor> d = BinaryOpTensor(ctx_, BinaryOp::kDiv, Make<int64_t>({2}, {1, 7}),
                                            Scalar(2), DType::kFloat32);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->dtype(), DType::kFloat32);
  EXPECT_THAT(Read<float>(*d), ElementsAre(0.5f, 3.5f));
}

TEST_F(FunctionalTest, BinaryBroadcasts) {
  // torch.arange(3.).view(3, 1) + torch.arange(4.).view(1, 4) * 10
  const Tensor a = Arange({3, 1});
  const Tensor b = Make<float>({1, 4}, {0, 10, 20, 30});
  absl::StatusOr<Tensor> r = BinaryOpTensor(ctx_, BinaryOp::kAdd, a, b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{3, 4}));
  EXPECT_THAT(Read<float>(*r), ElementsAre(0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32));
}

TEST_F(FunctionalTest, BinaryShapeMismatchNamesBothShapes) {
  absl::StatusOr<Tensor> r =
      BinaryOpTensor(ctx_, BinaryOp::kAdd, Arange({2, 3}), Arange({4}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(r.status()), HasSubstr("[2, 3]"));
  EXPECT_THAT(Msg(r.status()), HasSubstr("[4]"));
  // torch: "The size of tensor a (3) must match the size of tensor b (4) at
  // non-singleton dimension 1"
  EXPECT_THAT(Msg(r.status()), HasSubstr("size of tensor a (3) must match the size of tensor b "
                                         "(4) at non-singleton dimension 1"));
  absl::StatusOr<Tensor> n = BinaryOpTensor(ctx_, BinaryOp::kAdd, Scalar(1), Scalar(2));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FunctionalTest, ResultTypeOfOperands) {
  const Tensor i32 = Make<int32_t>({2}, {1, 2});
  const Tensor z64 = Make<double>({}, {1});
  EXPECT_EQ(ResultType({i32, Scalar(2.5)}), DType::kFloat32);
  EXPECT_EQ(ResultType({i32, z64}), DType::kFloat64);
  EXPECT_EQ(ResultType({i32, Scalar(true)}), DType::kInt32);
  EXPECT_EQ(ResultType({Make<bool>({1}, {true}), Scalar(1)}), DType::kInt64);
}

// x = torch.arange(24.).view(2, 3, 4)
TEST_F(FunctionalTest, ReduceSumOverDims) {
  const Tensor x = Arange({2, 3, 4});
  const int64_t d02[] = {0, 2};
  absl::StatusOr<Tensor> a = ReduceTensor(ctx_, ReduceOp::kSum, x, d02, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape(), (Shape{3}));
  EXPECT_THAT(Read<float>(*a), ElementsAre(60, 92, 124));  // x.sum((0, 2))
  // x.sum((-1, 0), keepdim=True): shape [1, 3, 1]
  const int64_t dm10[] = {-1, 0};
  absl::StatusOr<Tensor> b = ReduceTensor(ctx_, ReduceOp::kSum, x, dm10, true);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->shape(), (Shape{1, 3, 1}));
  EXPECT_THAT(Read<float>(*b), ElementsAre(60, 92, 124));
  // x.sum(-1, keepdim=True): shape [2, 3, 1]
  const int64_t dm1[] = {-1};
  absl::StatusOr<Tensor> c = ReduceTensor(ctx_, ReduceOp::kSum, x, dm1, true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->shape(), (Shape{2, 3, 1}));
  EXPECT_THAT(Read<float>(*c), ElementsAre(6, 22, 38, 54, 70, 86));
  // No dims: everything. x.sum() == 276, shape []
  absl::StatusOr<Tensor> d = ReduceTensor(ctx_, ReduceOp::kSum, x, {}, false);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->shape(), (Shape{}));
  EXPECT_THAT(Read<float>(*d), ElementsAre(276));
  absl::StatusOr<Tensor> e = ReduceTensor(ctx_, ReduceOp::kSum, x, {}, true);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->shape(), (Shape{1, 1, 1}));
  // x.amax(1) == [[8, 9, 10, 11], [20, 21, 22, 23]]
  const int64_t d1[] = {1};
  absl::StatusOr<Tensor> m = ReduceTensor(ctx_, ReduceOp::kMax, x, d1, false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->shape(), (Shape{2, 4}));
  EXPECT_THAT(Read<float>(*m), ElementsAre(8, 9, 10, 11, 20, 21, 22, 23));
}

TEST_F(FunctionalTest, ReduceOfAViewAndWithADType) {
  // torch.arange(6, dtype=torch.int32).view(2, 3).t().sum(1, dtype=torch.int64) == [3, 5, 7]
  absl::StatusOr<Tensor> t = Arange<int32_t>({2, 3}).Transpose(0, 1);
  ASSERT_TRUE(t.ok());
  const int64_t d1[] = {1};
  absl::StatusOr<Tensor> r = ReduceTensor(ctx_, ReduceOp::kSum, *t, d1, false, DType::kInt64);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dtype(), DType::kInt64);
  EXPECT_THAT(Read<int64_t>(*r), ElementsAre(3, 5, 7));
  // A 0-dim tensor reduces over dim 0 or -1 to itself: torch.tensor(5.).sum(-1)
  const Tensor s = Make<float>({}, {5});
  const int64_t dm1[] = {-1};
  absl::StatusOr<Tensor> z = ReduceTensor(ctx_, ReduceOp::kSum, s, dm1, false);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->shape(), (Shape{}));
  EXPECT_THAT(Read<float>(*z), ElementsAre(5));
}

TEST_F(FunctionalTest, ReduceOfEmpty) {
  // torch.zeros(0, 3).sum(0) == [0., 0., 0.]; .sum(1).shape == [0]
  const Tensor e = Arange({0, 3});
  const int64_t d0[] = {0};
  absl::StatusOr<Tensor> a = ReduceTensor(ctx_, ReduceOp::kSum, e, d0, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape(), (Shape{3}));
  EXPECT_THAT(Read<float>(*a), ElementsAre(0, 0, 0));
  const int64_t d1[] = {1};
  absl::StatusOr<Tensor> b = ReduceTensor(ctx_, ReduceOp::kSum, e, d1, false);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->shape(), (Shape{0}));
}

TEST_F(FunctionalTest, ReduceDimErrors) {
  const Tensor x = Arange({2, 3, 4});
  // torch: x.sum((1, -2)) -> "dim 1 appears multiple times in the list of dims"
  const int64_t dup[] = {1, -2};
  absl::StatusOr<Tensor> a = ReduceTensor(ctx_, ReduceOp::kSum, x, dup, false);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(a.status()), HasSubstr("dim 1 appears multiple times in the list of dims"));
  const int64_t out[] = {3};
  absl::StatusOr<Tensor> b = ReduceTensor(ctx_, ReduceOp::kSum, x, out, false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(b.status()),
              HasSubstr("Dimension out of range (expected to be in range of [-3, 2], but got 3)"));
}

// Naive reference products on row-major float data, written independently of
// the code under test.
std::vector<float> NaiveMatmul(const std::vector<float>& a, const std::vector<float>& b,
                               int64_t m, int64_t k, int64_t n) {
  std::vector<float> c(static_cast<size_t>(m * n), 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += double{a[i * k + p]} * b[p * n + j];
      c[i * n + j] = static_cast<float>(acc);
    }
  }
  return c;
}

// Small integers so every product and sum is exact in float32.
std::vector<float> Pattern(int64_t n, int seed) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 7 + seed * 3) % 11 - 5);
  return v;
}

TEST_F(FunctionalTest, MatmulVectorVector) {
  // torch.matmul of two 1-D tensors is their dot product, 0-dim.
  const std::vector<float> a = Pattern(5, 1), b = Pattern(5, 2);
  absl::StatusOr<Tensor> r = Matmul(ctx_, Make<float>({5}, a), Make<float>({5}, b));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{}));
  EXPECT_THAT(Read<float>(*r), ElementsAreArray(NaiveMatmul(a, b, 1, 5, 1)));
}

TEST_F(FunctionalTest, MatmulMatrixMatrix) {
  const std::vector<float> a = Pattern(15, 1), b = Pattern(12, 2);
  absl::StatusOr<Tensor> r = Matmul(ctx_, Make<float>({5, 3}, a), Make<float>({3, 4}, b));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{5, 4}));
  EXPECT_THAT(Read<float>(*r), ElementsAreArray(NaiveMatmul(a, b, 5, 3, 4)));
}

TEST_F(FunctionalTest, MatmulOfTransposedOperands) {
  // a.t() @ b.t() with a [3, 5] and b [4, 3] stored row-major.
  const std::vector<float> a = Pattern(15, 3), b = Pattern(12, 4);
  const Tensor ta = Make<float>({3, 5}, a), tb = Make<float>({4, 3}, b);
  absl::StatusOr<Tensor> r = Matmul(ctx_, *ta.Transpose(0, 1), *tb.Transpose(0, 1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{5, 4}));
  std::vector<float> at(15), bt(12);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 5; ++j) at[j * 3 + i] = a[i * 5 + j];
  }
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) bt[j * 4 + i] = b[i * 3 + j];
  }
  EXPECT_THAT(Read<float>(*r), ElementsAreArray(NaiveMatmul(at, bt, 5, 3, 4)));
}

TEST_F(FunctionalTest, MatmulVectorMatrixAndMatrixVector) {
  const std::vector<float> v3 = Pattern(3, 5), m34 = Pattern(12, 6), m23 = Pattern(6, 7);
  // [3] x [3, 4] -> [4]
  absl::StatusOr<Tensor> a = Matmul(ctx_, Make<float>({3}, v3), Make<float>({3, 4}, m34));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape(), (Shape{4}));
  EXPECT_THAT(Read<float>(*a), ElementsAreArray(NaiveMatmul(v3, m34, 1, 3, 4)));
  // [2, 3] x [3] -> [2]
  absl::StatusOr<Tensor> b = Matmul(ctx_, Make<float>({2, 3}, m23), Make<float>({3}, v3));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->shape(), (Shape{2}));
  EXPECT_THAT(Read<float>(*b), ElementsAreArray(NaiveMatmul(m23, v3, 2, 3, 1)));
}

TEST_F(FunctionalTest, MatmulBatchedBroadcast) {
  // torch.matmul(a [2, 1, 3, 4], b [5, 4, 2]).shape == [2, 5, 3, 2]
  const std::vector<float> a = Pattern(24, 8), b = Pattern(40, 9);
  absl::StatusOr<Tensor> r =
      Matmul(ctx_, Make<float>({2, 1, 3, 4}, a), Make<float>({5, 4, 2}, b));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{2, 5, 3, 2}));
  std::vector<float> want(2 * 5 * 3 * 2);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 5; ++j) {
      for (int m = 0; m < 3; ++m) {
        for (int n = 0; n < 2; ++n) {
          float acc = 0;
          for (int k = 0; k < 4; ++k) acc += a[i * 12 + m * 4 + k] * b[j * 8 + k * 2 + n];
          want[((i * 5 + j) * 3 + m) * 2 + n] = acc;
        }
      }
    }
  }
  EXPECT_THAT(Read<float>(*r), ElementsAreArray(want));
}

TEST_F(FunctionalTest, MatmulVectorWithBatch) {
  // torch.matmul(v [3], b [2, 3, 4]).shape == [2, 4]
  const std::vector<float> v = Pattern(3, 10), b = Pattern(24, 11);
  absl::StatusOr<Tensor> r = Matmul(ctx_, Make<float>({3}, v), Make<float>({2, 3, 4}, b));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{2, 4}));
  std::vector<float> want;
  for (int i = 0; i < 2; ++i) {
    const std::vector<float> bi(b.begin() + i * 12, b.begin() + (i + 1) * 12);
    for (float f : NaiveMatmul(v, bi, 1, 3, 4)) want.push_back(f);
  }
  EXPECT_THAT(Read<float>(*r), ElementsAreArray(want));
}

TEST_F(FunctionalTest, MatmulOfIntegers) {
  // torch.matmul(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[5], [6]])) == [[17], [39]]
  absl::StatusOr<Tensor> r = Matmul(ctx_, Make<int64_t>({2, 2}, {1, 2, 3, 4}),
                                    Make<int64_t>({2, 1}, {5, 6}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{2, 1}));
  EXPECT_THAT(Read<int64_t>(*r), ElementsAre(17, 39));
}

TEST_F(FunctionalTest, MatmulWithEmptyInnerDimIsZeros) {
  // torch.matmul(torch.ones(2, 0), torch.ones(0, 3)) == torch.zeros(2, 3)
  absl::StatusOr<Tensor> r = Matmul(ctx_, Arange({2, 0}), Arange({0, 3}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (Shape{2, 3}));
  EXPECT_THAT(Read<float>(*r), ElementsAre(0, 0, 0, 0, 0, 0));
}

TEST_F(FunctionalTest, MatmulErrors) {
  struct {
    Shape a, b;
    const char* msg;
  } cases[] = {
      {{5, 3}, {4, 2}, "mat1 and mat2 shapes cannot be multiplied (5x3 and 4x2)"},
      {{3}, {4, 2}, "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x2)"},
      {{3}, {4},
       "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
       "elements, but got 3 and 4 elements respectively"},
      {{}, {3}, "both arguments to matmul need to be at least 1D, but they are 0D and 1D"},
      {{3}, {}, "both arguments to matmul need to be at least 1D, but they are 1D and 0D"},
      {{2, 3, 4}, {3, 4, 2}, "cannot be broadcast"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Tensor> r = Matmul(ctx_, Arange(c.a), Arange(c.b));
    ASSERT_FALSE(r.ok()) << ShapeToString(c.a) << " x " << ShapeToString(c.b);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Msg(r.status()), HasSubstr(c.msg));
  }
  absl::StatusOr<Tensor> d = Matmul(ctx_, Arange({2, 2}), Arange<double>({2, 2}));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(d.status()), HasSubstr("same dtype"));
}

TEST_F(FunctionalTest, EmptyEnforcesTheTensorByteLimit) {
  Generator gen;
  const Context small(&gen, Device::Cpu(), Limits{100});
  const int64_t fits[] = {25};
  absl::StatusOr<Tensor> ok = small.Empty(fits, DType::kFloat32);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->nbytes(), 100u);
  EXPECT_EQ(ok->device(), Device::Cpu());
  const int64_t over[] = {26};
  absl::StatusOr<Tensor> big = small.Empty(over, DType::kFloat32);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(big.status()), HasSubstr("per-tensor limit of 100 bytes"));
  // 13 float64s are 104 bytes; 100 bools fit.
  const int64_t thirteen[] = {13};
  EXPECT_EQ(small.Empty(thirteen, DType::kFloat64).status().code(),
            absl::StatusCode::kResourceExhausted);
  const int64_t hundred[] = {10, 10};
  EXPECT_TRUE(small.Empty(hundred, DType::kBool).ok());
  // Every op allocates through the context, so its results obey the limit too.
  const int64_t s[] = {5, 6};
  absl::StatusOr<Tensor> f = Full(small, s, Scalar(1), DType::kFloat32, Device::Cpu());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kResourceExhausted);
  // The default limit (16 GiB) rejects a huge request before allocating.
  const int64_t huge[] = {int64_t{1} << 40};
  EXPECT_EQ(ctx_.Empty(huge, DType::kFloat32).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(FunctionalTest, EmptyRejectsBadSizes) {
  const int64_t neg[] = {2, -3};
  absl::StatusOr<Tensor> a = ctx_.Empty(neg, DType::kFloat32);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(a.status()), HasSubstr("negative dimension -3"));
  const int64_t overflow[] = {int64_t{1} << 32, int64_t{1} << 32};
  absl::StatusOr<Tensor> b = ctx_.Empty(overflow, DType::kFloat32);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  // A device with no backend.
  absl::StatusOr<Tensor> c = ctx_.Empty({}, DType::kFloat32, Device{Device::Type::kCuda, 7});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(c.status()), HasSubstr("cuda:7"));
}

}  // namespace
}  // namespace tensord::device
