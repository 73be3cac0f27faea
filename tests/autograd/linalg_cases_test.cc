// Cases for the matrix and vector products: bmm, mv, dot, outer, addmm (and
// addmm_), and matmul's dtype rules. Expected values come from PyTorch 1.13
// (the expression is given with each).
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;


std::vector<double> Range(int64_t n, double offset = 0) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(i) + offset;
  return v;
}

// ---- bmm -----------------------------------------------------------------------

OP_CASE("bmm", BmmMultipliesEachBatch) {
  // a = torch.arange(24.).view(2,3,4); b = torch.arange(16.).view(2,4,2) - 5; torch.bmm(a, b)
  const std::vector<double> expected = {-2, 4, -34, -12, -66, -28, 334, 388, 430, 500, 526, 612};
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32}) {
    Tensor a = Make(Range(24), {2, 3, 4}, dtype);
    Tensor b = Make(Range(16, -5), {2, 4, 2}, dtype);
    Tensor out = Run1("bmm", {a, b});
    EXPECT_EQ(out.dtype(), dtype);
    EXPECT_THAT(Shape(out), ElementsAre(2, 3, 2));
    EXPECT_THAT(Values(out), ElementsAreArray(expected)) << device::DTypeName(dtype);
  }
  // A transposed (non-contiguous) second operand gives the same product.
  Tensor a = Make(Range(24), {2, 3, 4}, DType::kFloat64);
  Tensor bt =
      Run1("contiguous", {Run1("transpose", {Make(Range(16, -5), {2, 4, 2}, DType::kFloat64)},
                               {{"dim0", int64_t{1}}, {"dim1", int64_t{2}}})});
  Tensor b = Run1("transpose", {bt}, {{"dim0", int64_t{1}}, {"dim1", int64_t{2}}});
  EXPECT_THAT(Values(Run1("bmm", {a, b})), ElementsAreArray(expected));
}

OP_CASE("bmm", BmmWritesOut) {
  Tensor a = Make(Range(8), {2, 2, 2});
  Tensor out = Make({0}, {1});
  auto r = Run("bmm", {a, a}, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status();
  // torch.bmm(torch.arange(8.).view(2,2,2), same)
  EXPECT_THAT(Values(r->outputs[0]), ElementsAre(2, 3, 6, 11, 46, 55, 66, 79));
}

OP_ERROR_CASE(BmmRejectsBadRanksBatchesAndDTypes, "bmm") {
  Tensor a3 = Make(Range(12), {2, 2, 3});
  Tensor m2 = Make(Range(6), {3, 2});
  // torch.bmm(torch.ones(2,3), torch.ones(3,2)): batch1 must be a 3D tensor
  auto r = Run("bmm", {m2, a3});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("batch1 must be a 3D tensor"));
  r = Run("bmm", {a3, m2});
  EXPECT_THAT(r.status().message(), HasSubstr("batch2 must be a 3D tensor"));
  // torch.bmm(torch.ones(2,2,3), torch.ones(3,3,2)): Expected size for first two
  // dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].
  r = Run("bmm", {a3, Make(Range(18), {3, 3, 2})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("Expected size for first two dimensions of batch2 tensor to be: [2, 3] "
                        "but got: [3, 3]"));
  EXPECT_THAT(r.status().message(), HasSubstr("[2, 2, 3]"));
  EXPECT_THAT(Run("bmm", {a3, Make(Range(16), {2, 4, 2})}).status().message(),
              HasSubstr("but got: [2, 4]"));
  // torch.bmm(float, double): expected scalar type Float but found Double
  r = Run("bmm", {a3, Make(Range(12), {2, 3, 2}, DType::kFloat64)});
  EXPECT_THAT(r.status().message(), HasSubstr("expected scalar type Float but found Double"));
  // torch.bmm(bool, bool): "bmm" not implemented for 'Bool'
  Tensor b1 = Make(Range(12), {2, 2, 3}, DType::kBool);
  Tensor b2 = Make(Range(12), {2, 3, 2}, DType::kBool);
  EXPECT_THAT(Run("bmm", {b1, b2}).status().message(),
              HasSubstr("\"bmm\" not implemented for 'Bool'"));
}

// ---- matmul and mm dtype rules --------------------------------------------------

OP_CASE("matmul", MatmulIntegerAndBFloat16) {
  // torch.matmul(torch.arange(6).view(2,3).int(), torch.arange(6).view(3,2).int())
  Tensor a = Make(Range(6), {2, 3}, DType::kInt32);
  Tensor b = Make(Range(6), {3, 2}, DType::kInt32);
  Tensor out = Run1("matmul", {a, b});
  EXPECT_EQ(out.dtype(), DType::kInt32);
  EXPECT_THAT(Values(out), ElementsAre(10, 13, 28, 40));
  // torch.matmul(torch.arange(6.).view(2,3).bfloat16()/2, torch.arange(6.).view(3,2).bfloat16()/4)
  // (sums exact in bfloat16: PyTorch rounds every product and partial sum to
  // bfloat16, tensord accumulates in float32 and rounds once).
  Tensor x = Run1("div", {Make(Range(6), {2, 3}, DType::kBFloat16)}, {{"other", int64_t{2}}});
  Tensor y = Run1("div", {Make(Range(6), {3, 2}, DType::kBFloat16)}, {{"other", int64_t{4}}});
  Tensor p = Run1("matmul", {x, y});
  EXPECT_EQ(p.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(p), ElementsAre(1.25, 1.625, 3.5, 5.0));
}

OP_ERROR_CASE(MatmulAndMmRejectBool, "matmul", "mm") {
  // torch.matmul on bool names the kernel its ranks reach.
  struct Case {
    std::vector<int64_t> a, b;
    const char* kernel;
  };
  for (const Case& c : std::vector<Case>{{{3}, {3}, "dot"},
                                         {{3}, {3, 2}, "addmm_impl_cpu_"},
                                         {{2, 3}, {3}, "addmv_impl_cpu"},
                                         {{2, 2, 3}, {3, 2}, "addmm_impl_cpu_"},
                                         {{2, 2, 3}, {2, 3, 2}, "bmm"},
                                         {{3}, {2, 3, 2}, "addmv_impl_cpu"}}) {
    Tensor a = Make(std::vector<double>(device::Numel(c.a), 1), c.a, DType::kBool);
    Tensor b = Make(std::vector<double>(device::Numel(c.b), 1), c.b, DType::kBool);
    auto r = Run("matmul", {a, b});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(),
                HasSubstr(absl::StrCat("\"", c.kernel, "\" not implemented for 'Bool'")));
  }
  Tensor m = Make({1, 0, 1, 1}, {2, 2}, DType::kBool);
  EXPECT_THAT(Run("mm", {m, m}).status().message(),
              HasSubstr("\"addmm_impl_cpu_\" not implemented for 'Bool'"));
  // torch.mm(float, double): expected scalar type Float but found Double
  EXPECT_THAT(Run("mm", {Make({1, 2, 3, 4}, {2, 2}), Make({1, 2, 3, 4}, {2, 2}, DType::kFloat64)})
                  .status()
                  .message(),
              HasSubstr("expected scalar type Float but found Double"));
}

// ---- mv ------------------------------------------------------------------------

OP_CASE("mv", Mv) {
  // torch.mv(torch.tensor([[1.,2,3],[4,5,6]]), torch.tensor([1.,-1,2]))
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kInt64}) {
    Tensor out =
        Run1("mv", {Make({1, 2, 3, 4, 5, 6}, {2, 3}, dtype), Make({1, -1, 2}, {3}, dtype)});
    EXPECT_THAT(Shape(out), ElementsAre(2));
    EXPECT_EQ(out.dtype(), dtype);
    EXPECT_THAT(Values(out), ElementsAre(5, 11));
  }
}

OP_ERROR_CASE(MvRejectsBadShapes, "mv") {
  Tensor m = Make(Range(6), {2, 3});
  // torch.mv(torch.ones(3), torch.ones(3)): vector + matrix @ vector expected
  auto r = Run("mv", {Make({1, 1, 1}, {3}), Make({1, 1, 1}, {3})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("vector + matrix @ vector expected"));
  // torch.mv(torch.ones(2,3), torch.ones(4)): size mismatch, got 2, 2x3,4
  r = Run("mv", {m, Make({1, 1, 1, 1}, {4})});
  EXPECT_THAT(r.status().message(), HasSubstr("size mismatch"));
  EXPECT_THAT(r.status().message(), HasSubstr("[2, 3] and [4]"));
  EXPECT_THAT(Run("mv", {m, Make({1, 1, 1}, {3}, DType::kFloat64)}).status().message(),
              HasSubstr("expected scalar type Float but found Double"));
  EXPECT_THAT(Run("mv", {Make(Range(6), {2, 3}, DType::kBool), Make({1, 1, 1}, {3}, DType::kBool)})
                  .status()
                  .message(),
              HasSubstr("\"addmv_impl_cpu\" not implemented for 'Bool'"));
}

// ---- dot -----------------------------------------------------------------------

OP_CASE("dot", DotIsZeroDim) {
  // torch.dot(torch.tensor([1,2,3]), torch.tensor([4,5,6])) == tensor(32)
  Tensor i =
      Run1("dot", {Make({1, 2, 3}, {3}, DType::kInt64), Make({4, 5, 6}, {3}, DType::kInt64)});
  EXPECT_EQ(i.dim(), 0);
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(32));
  // torch.dot(torch.tensor([1.5,2,3]), torch.tensor([4,5,-6.])) == tensor(-2.)
  Tensor f = Run1("dot", {Make({1.5, 2, 3}, {3}), Make({4, 5, -6}, {3})});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(-2));
  // Empty vectors give 0.
  EXPECT_THAT(Values(Run1("dot", {Make({}, {0}), Make({}, {0})})), ElementsAre(0));
}

OP_ERROR_CASE(DotRejectsBadOperands, "dot") {
  Tensor m = Make({1, 2, 3, 4}, {2, 2});
  // torch.dot(2-D, 2-D): 1D tensors expected, but got 2D and 2D tensors
  auto r = Run("dot", {m, m});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("1D tensors expected, but got 2D and 2D tensors"));
  EXPECT_THAT(Run("dot", {Make({1}, {}), Make({1, 2}, {2})}).status().message(),
              HasSubstr("but got 0D and 1D tensors"));
  // torch.dot(torch.ones(3), torch.ones(4))
  r = Run("dot", {Make({1, 1, 1}, {3}), Make({1, 1, 1, 1}, {4})});
  EXPECT_THAT(r.status().message(),
              HasSubstr("inconsistent tensor size, expected tensor [3] and src [4] to have the "
                        "same number of elements, but got 3 and 4 elements respectively"));
  // torch.dot(float, double)
  r = Run("dot", {Make({1, 1}, {2}), Make({1, 1}, {2}, DType::kFloat64)});
  EXPECT_THAT(r.status().message(),
              HasSubstr("dot : expected both vectors to have same dtype, but found Float and "
                        "Double"));
  r = Run("dot", {Make({1, 1}, {2}, DType::kBool), Make({1, 1}, {2}, DType::kBool)});
  EXPECT_THAT(r.status().message(), HasSubstr("\"dot\" not implemented for 'Bool'"));
}

// ---- outer ---------------------------------------------------------------------

OP_CASE("outer", OuterPromotes) {
  // torch.outer(torch.tensor([1,2,3]), torch.tensor([0.5,2.0]))
  Tensor out = Run1("outer", {Make({1, 2, 3}, {3}, DType::kInt64), Make({0.5, 2}, {2})});
  EXPECT_EQ(out.dtype(), DType::kFloat32);
  EXPECT_THAT(Shape(out), ElementsAre(3, 2));
  EXPECT_THAT(Values(out), ElementsAre(0.5, 2, 1, 4, 1.5, 6));
  // torch.outer(int32 [1,2], bool [True,False]) is int32 [[1,0],[2,0]]
  Tensor mixed = Run1("outer", {Make({1, 2}, {2}, DType::kInt32), Make({1, 0}, {2}, DType::kBool)});
  EXPECT_EQ(mixed.dtype(), DType::kInt32);
  EXPECT_THAT(Values(mixed), ElementsAre(1, 0, 2, 0));
  // torch.outer(bool, bool) is an and.
  Tensor b = Run1("outer", {Make({1, 0}, {2}, DType::kBool), Make({1, 1}, {2}, DType::kBool)});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(1, 1, 0, 0));
}

OP_ERROR_CASE(OuterRejectsNonVectors, "outer") {
  // torch.outer(torch.ones(2,2), torch.ones(2)): outer: Expected 1-D argument self, but got 2-D
  auto r = Run("outer", {Make({1, 2, 3, 4}, {2, 2}), Make({1, 2}, {2})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("Expected 1-D argument self, but got 2-D"));
  r = Run("outer", {Make({1, 2}, {2}), Make({1, 2}, {2, 1})});
  EXPECT_THAT(r.status().message(), HasSubstr("Expected 1-D argument vec2, but got 2-D"));
}

// ---- addmm ---------------------------------------------------------------------

OP_CASE("addmm", AddmmScalesAndBroadcastsSelf) {
  Tensor self = Make({1, 2}, {2});
  Tensor mat1 = Make(Range(6), {2, 3});
  Tensor mat2 = Make(Range(6), {3, 2});
  // torch.addmm(torch.tensor([1.,2.]), torch.arange(6.).view(2,3), torch.arange(6.).view(3,2))
  EXPECT_THAT(Values(Run1("addmm", {self, mat1, mat2})), ElementsAre(11, 15, 29, 42));
  // ... beta=0.5, alpha=2
  EXPECT_THAT(Values(Run1("addmm", {self, mat1, mat2}, {{"beta", 0.5}, {"alpha", int64_t{2}}})),
              ElementsAre(20.5, 27, 56.5, 81));
  // beta=0 ignores self, NaN included: torch.addmm(torch.tensor([nan, 1.]), ..., beta=0)
  Tensor nan_self = Make({std::nan(""), 1}, {2});
  EXPECT_THAT(Values(Run1("addmm", {nan_self, mat1, mat2}, {{"beta", int64_t{0}}})),
              ElementsAre(10, 13, 28, 40));
  // A 0-dim self: torch.addmm(torch.tensor(1.), ...)
  EXPECT_THAT(Values(Run1("addmm", {Make({1}, {}), mat1, mat2})), ElementsAre(11, 14, 29, 41));
}

OP_CASE("addmm", AddmmIntegersTruncateCoefficients) {
  Tensor self = Make({1, 2}, {2}, DType::kInt64);
  Tensor mat1 = Make(Range(6), {2, 3}, DType::kInt64);
  Tensor mat2 = Make(Range(6), {3, 2}, DType::kInt64);
  // torch.addmm(M.long(), m1.long(), m2.long(), beta=2, alpha=3)
  Tensor out = Run1("addmm", {self, mat1, mat2}, {{"beta", int64_t{2}}, {"alpha", int64_t{3}}});
  EXPECT_EQ(out.dtype(), DType::kInt64);
  EXPECT_THAT(Values(out), ElementsAre(32, 43, 86, 124));
  // ... beta=0.5, alpha=1.5: PyTorch 1.13 truncates both to 0 and 1.
  EXPECT_THAT(Values(Run1("addmm", {self, mat1, mat2}, {{"beta", 0.5}, {"alpha", 1.5}})),
              ElementsAre(10, 13, 28, 40));
}

OP_CASE("addmm_", AddmmInPlace) {
  Tensor self = Make({1, 1, 1, 1}, {2, 2});
  // torch.ones(2,2).addmm_(torch.arange(6.).view(2,3), torch.arange(6.).view(3,2))
  auto r = Run("addmm_", {self, Make(Range(6), {2, 3}), Make(Range(6), {3, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->outputs[0].SharesStorageWith(self));
  EXPECT_THAT(Values(self), ElementsAre(11, 14, 29, 41));
}

OP_ERROR_CASE(AddmmRejectsBadOperands, "addmm", "addmm_") {
  Tensor self = Make({1, 2}, {2});
  Tensor mat1 = Make(Range(6), {2, 3});
  Tensor mat2 = Make(Range(6), {3, 2});
  // torch.addmm(M, torch.ones(3), m2): mat1 must be a matrix, got 1-D tensor
  auto r = Run("addmm", {self, Make({1, 1, 1}, {3}), mat2});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("mat1 must be a matrix, got 1-D tensor"));
  EXPECT_THAT(Run("addmm", {self, mat1, Make({1, 1, 1}, {3})}).status().message(),
              HasSubstr("mat2 must be a matrix, got 1-D tensor"));
  // torch.addmm(M, m1, m1): mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)
  EXPECT_THAT(Run("addmm", {self, mat1, mat1}).status().message(),
              HasSubstr("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"));
  // torch.addmm(torch.ones(3), m1, m2): the expanded size ... must match
  r = Run("addmm", {Make({1, 1, 1}, {3}), mat1, mat2});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("[3]"));
  EXPECT_THAT(r.status().message(), HasSubstr("[2, 2]"));
  // torch.addmm(M.double(), m1, m2): self and mat2 must have the same dtype
  EXPECT_THAT(Run("addmm", {Make({1, 2}, {2}, DType::kFloat64), mat1, mat2}).status().message(),
              HasSubstr("must have the same dtype"));
  Tensor b = Make({1, 0, 1, 1}, {2, 2}, DType::kBool);
  EXPECT_THAT(Run("addmm", {b, b, b}).status().message(),
              HasSubstr("\"addmm_impl_cpu_\" not implemented for 'Bool'"));
  // torch.ones(2).addmm_(m1, m2): the [2, 2] result does not fit self [2].
  r = Run("addmm_", {Make({1, 1}, {2}), mat1, mat2});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("[2, 2]"));
}

}  // namespace
}  // namespace tensord::autograd::testing
