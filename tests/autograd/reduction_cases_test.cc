// Cases for the reductions: prod, max/min, amax/amin, argmax/argmin,
// var/std, norm, logsumexp, all/any, cumsum/cumprod (and their in-place
// forms), softmax and log_softmax. Through max/min/argmax and cumsum/cumprod
// they also exercise the ArgReduce and Scan primitives on contiguous,
// strided and 0-dim inputs. Expected values come from PyTorch 1.13; each
// literal carries the expression that produced it, with
//   x    = torch.tensor([[3., -1., 2.5], [0.5, 7., -4.]])
//   a    = torch.arange(1., 25.).reshape(2, 3, 4)
//   ties = torch.tensor([[1, 3, 3], [2, 2, 1]])
//   nanx = torch.tensor([[1., nan, 3.], [2., 5., 4.]])
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using device::Tensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;


using Dims = std::vector<int64_t>;
using Attrs = std::map<std::string, AttrValue>;


const std::vector<double> kX = {3, -1, 2.5, 0.5, 7, -4};
const std::vector<double> kTies = {1, 3, 3, 2, 2, 1};
const std::vector<double> kNanX = {1, kNaN, 3, 2, 5, 4};
std::vector<double> ARange() {
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i + 1;
  return v;
}

// Elementwise closeness relative to max(1, |want|); NaN matches NaN and
// infinities must match exactly.
void ExpectNear(const std::vector<double>& got, const std::vector<double>& want,
                double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i];
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "element " << i;
    }
  }
}

void ExpectInvalid(const absl::Status& s, const std::string& substr) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr(substr));
}

// ---- prod --------------------------------------------------------------------

OP_CASE("prod", Prod) {
  Tensor x = Make(kX, {2, 3});
  Tensor all = Run1("prod", {x});  // torch.prod(x) -> 105.
  EXPECT_EQ(all.dim(), 0);
  EXPECT_THAT(Values(all), ElementsAre(105));
  // torch.prod(x, 1) -> [-7.5, -14.]
  EXPECT_THAT(Values(Run1("prod", {x}, {{"dim", Dims{1}}})), ElementsAre(-7.5, -14));
  // Several dims at once (torch.prod takes one; this is both in turn):
  // torch.prod(torch.prod(x, 1, keepdim=True), 0, keepdim=True) -> [[105.]]
  Tensor kept = Run1("prod", {x}, {{"dim", Dims{0, -1}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(1, 1));
  EXPECT_THAT(Values(kept), ElementsAre(105));
  // torch.prod(torch.tensor([2, 3, 4], dtype=torch.int32)) -> tensor(24) (int64)
  Tensor i = Run1("prod", {Make({2, 3, 4}, {3}, DType::kInt32)});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(24));
  // torch.prod(torch.tensor([True, True])) -> tensor(1) (int64)
  Tensor b = Run1("prod", {Make({1, 1}, {2}, DType::kBool)});
  EXPECT_EQ(b.dtype(), DType::kInt64);
  EXPECT_THAT(Values(b), ElementsAre(1));
  // Integer products wrap: torch.prod(torch.tensor([2**40, 2**40])) -> 0
  const double p40 = std::ldexp(1.0, 40);
  EXPECT_THAT(Values(Run1("prod", {Make({p40, p40}, {2}, DType::kInt64)})), ElementsAre(0));
  // Half and bfloat16 keep their dtype: 1.5 * 2.25 * 3 = 10.125, exact in both
  // (torch 1.13's CPU prod refuses them; its CUDA prod gives this).
  for (DType d : {DType::kFloat16, DType::kBFloat16}) {
    Tensor r = Run1("prod", {Make({1.5, 2.25, 3.0}, {1, 3}, d)}, {{"dim", Dims{1}}});
    EXPECT_EQ(r.dtype(), d);
    EXPECT_THAT(Values(r), ElementsAre(10.125));
  }
  // torch.prod(torch.empty(0, 3)) -> 1.
  EXPECT_THAT(Values(Run1("prod", {Make({}, {0, 3})})), ElementsAre(1));
  // torch.prod(torch.tensor([True]), dtype=torch.float) -> 1. (float32)
  EXPECT_EQ(Run1("prod", {Make({1}, {1}, DType::kBool)}, {{"dtype", DType::kFloat32}}).dtype(),
            DType::kFloat32);
}

OP_ERROR_CASE(ProdRejectsBadDims, "prod") {
  // torch.prod(torch.ones(2, 3), 2) -> Dimension out of range ...
  ExpectInvalid(Run("prod", {Make(kX, {2, 3})}, {{"dim", Dims{2}}}).status(),
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  ExpectInvalid(Run("prod", {Make(kX, {2, 3})}, {{"dim", Dims{1, -1}}}).status(),
                "appears multiple times");
}

// ---- max, min ----------------------------------------------------------------

OP_CASE("max", Max) {
  Tensor x = Make(kX, {2, 3});
  Tensor all = Run1("max", {x});  // torch.max(x) -> 7.
  EXPECT_EQ(all.dim(), 0);
  EXPECT_THAT(Values(all), ElementsAre(7));
  // torch.max(x, 1) -> values [3., 7.], indices [0, 1]
  std::vector<Tensor> r = Run("max", {x}, {{"dim", int64_t{1}}})->outputs;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].dtype(), DType::kFloat32);
  EXPECT_EQ(r[1].dtype(), DType::kInt64);
  EXPECT_THAT(Values(r[0]), ElementsAre(3, 7));
  EXPECT_THAT(Values(r[1]), ElementsAre(0, 1));
  // torch.max(x, -2, keepdim=True) -> values [[3., 7., 2.5]], indices [[0, 1, 0]]
  r = Run("max", {x}, {{"dim", int64_t{-2}}, {"keepdim", true}})->outputs;
  EXPECT_THAT(Shape(r[0]), ElementsAre(1, 3));
  EXPECT_THAT(Shape(r[1]), ElementsAre(1, 3));
  EXPECT_THAT(Values(r[0]), ElementsAre(3, 7, 2.5));
  EXPECT_THAT(Values(r[1]), ElementsAre(0, 1, 0));
  // Ties keep the first occurrence: torch.max(ties, 1) -> [3, 2], [1, 0];
  // torch.max(ties, 0) -> [2, 3, 3], [1, 0, 0]
  Tensor ties = Make(kTies, {2, 3}, DType::kInt64);
  r = Run("max", {ties}, {{"dim", int64_t{1}}})->outputs;
  EXPECT_EQ(r[0].dtype(), DType::kInt64);
  EXPECT_THAT(Values(r[0]), ElementsAre(3, 2));
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 0));
  r = Run("max", {ties}, {{"dim", int64_t{0}}})->outputs;
  EXPECT_THAT(Values(r[0]), ElementsAre(2, 3, 3));
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 0, 0));
  // NaN wins: torch.max(nanx, 1) -> [nan, 5.], [1, 1]; torch.max(nanx) -> nan
  Tensor nanx = Make(kNanX, {2, 3});
  r = Run("max", {nanx}, {{"dim", int64_t{1}}})->outputs;
  ExpectNear(Values(r[0]), {kNaN, 5});
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 1));
  EXPECT_TRUE(std::isnan(Values(Run1("max", {nanx}))[0]));
  // Strided input: torch.max(x.t(), 0) -> [3., 7.], [0, 1]
  r = Run("max", {*x.Transpose(0, 1)}, {{"dim", int64_t{0}}})->outputs;
  EXPECT_THAT(Values(r[0]), ElementsAre(3, 7));
  EXPECT_THAT(Values(r[1]), ElementsAre(0, 1));
  // A middle dim: torch.max(a, 1) -> values a[:, 2, :], indices all 2
  r = Run("max", {Make(ARange(), {2, 3, 4})}, {{"dim", int64_t{1}}})->outputs;
  EXPECT_THAT(Shape(r[0]), ElementsAre(2, 4));
  EXPECT_THAT(Values(r[0]), ElementsAre(9, 10, 11, 12, 21, 22, 23, 24));
  EXPECT_THAT(Values(r[1]), ::testing::Each(2.0));
  // bool: torch.max(torch.tensor([[True, False], [False, False]]), 1)
  //   -> [True, False], [0, 0]
  r = Run("max", {Make({1, 0, 0, 0}, {2, 2}, DType::kBool)}, {{"dim", int64_t{1}}})->outputs;
  EXPECT_EQ(r[0].dtype(), DType::kBool);
  EXPECT_THAT(Values(r[0]), ElementsAre(1, 0));
  EXPECT_THAT(Values(r[1]), ElementsAre(0, 0));
  // torch.max(x.bfloat16()) -> 7. (bfloat16)
  Tensor bf = Run1("max", {Make(kX, {2, 3}, DType::kBFloat16)});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(7));
  // 0-dim: torch.max(torch.tensor(3.), 0) -> (3., 0)
  r = Run("max", {Make({3}, {})}, {{"dim", int64_t{0}}})->outputs;
  EXPECT_EQ(r[0].dim(), 0);
  EXPECT_THAT(Values(r[0]), ElementsAre(3));
  EXPECT_THAT(Values(r[1]), ElementsAre(0));
  // torch.max(torch.empty(0, 3), 1) -> values [], indices []
  r = Run("max", {Make({}, {0, 3})}, {{"dim", int64_t{1}}})->outputs;
  EXPECT_THAT(Shape(r[0]), ElementsAre(0));
  EXPECT_THAT(Shape(r[1]), ElementsAre(0));
}

OP_CASE("min", Min) {
  Tensor x = Make(kX, {2, 3});
  EXPECT_THAT(Values(Run1("min", {x})), ElementsAre(-4));  // torch.min(x) -> -4.
  // torch.min(x, 0) -> [0.5, -1., -4.], [1, 0, 1]
  std::vector<Tensor> r = Run("min", {x}, {{"dim", int64_t{0}}})->outputs;
  EXPECT_THAT(Values(r[0]), ElementsAre(0.5, -1, -4));
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 0, 1));
  // torch.min(ties, 1) -> [1, 1], [0, 2]
  r = Run("min", {Make(kTies, {2, 3}, DType::kInt64)}, {{"dim", int64_t{1}}})->outputs;
  EXPECT_THAT(Values(r[0]), ElementsAre(1, 1));
  EXPECT_THAT(Values(r[1]), ElementsAre(0, 2));
  // torch.min(nanx, 1) -> [nan, 2.], [1, 0]
  r = Run("min", {Make(kNanX, {2, 3})}, {{"dim", int64_t{1}}})->outputs;
  ExpectNear(Values(r[0]), {kNaN, 2});
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 0));
  // torch.min(x.half(), 1) -> [-1., -4.] (float16), [1, 2]
  r = Run("min", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", int64_t{-1}}})->outputs;
  EXPECT_EQ(r[0].dtype(), DType::kFloat16);
  EXPECT_THAT(Values(r[0]), ElementsAre(-1, -4));
  EXPECT_THAT(Values(r[1]), ElementsAre(1, 2));
}

OP_ERROR_CASE(MaxMinRejectEmptyAndBadDims, "max", "min") {
  Tensor empty = Make({}, {0, 3});
  for (const char* op : {"max", "min"}) {
    // torch.max(torch.empty(0, 3)) -> RuntimeError: max(): Expected reduction
    // dim to be specified for input.numel() == 0. ...
    ExpectInvalid(Run(op, {empty}).status(), std::string(op) +
                                                 "(): Expected reduction dim to be specified for "
                                                 "input.numel() == 0");
    // torch.max(torch.empty(0, 3), 0) -> max(): Expected reduction dim 0 to
    // have non-zero size.
    ExpectInvalid(Run(op, {empty}, {{"dim", int64_t{0}}}).status(),
                  "Expected reduction dim 0 to have non-zero size");
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", int64_t{2}}}).status(),
                  "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", Dims{0, 1}}}).status(), "expected int");
  }
}

// ---- amax, amin --------------------------------------------------------------

OP_CASE("amax", Amax) {
  Tensor a = Make(ARange(), {2, 3, 4});
  // torch.amax(a, (0, 2)) -> [16., 20., 24.]
  EXPECT_THAT(Values(Run1("amax", {a}, {{"dim", Dims{0, 2}}})), ElementsAre(16, 20, 24));
  // torch.amax(a, (-1,), keepdim=True) -> shape [2, 3, 1], [4., 8., ..., 24.]
  Tensor kept = Run1("amax", {a}, {{"dim", Dims{-1}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(2, 3, 1));
  EXPECT_THAT(Values(kept), ElementsAre(4, 8, 12, 16, 20, 24));
  // torch.amax(nanx, 1) -> [nan, 5.]
  ExpectNear(Values(Run1("amax", {Make(kNanX, {2, 3})}, {{"dim", Dims{1}}})), {kNaN, 5});
  // torch.amax(ties) -> tensor(3) (int64, all dims)
  Tensor t = Run1("amax", {Make(kTies, {2, 3}, DType::kInt64)});
  EXPECT_EQ(t.dtype(), DType::kInt64);
  EXPECT_EQ(t.dim(), 0);
  EXPECT_THAT(Values(t), ElementsAre(3));
  // torch.amax(x.half(), 1) -> [3., 7.] (float16)
  Tensor h = Run1("amax", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", Dims{1}}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(3, 7));
  // torch.amax(torch.tensor([True, False]), 0) -> tensor(True)
  Tensor b = Run1("amax", {Make({1, 0}, {2}, DType::kBool)}, {{"dim", Dims{0}}});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(1));
  // torch.amax(torch.empty(0, 3), 1) -> tensor([])
  EXPECT_THAT(Shape(Run1("amax", {Make({}, {0, 3})}, {{"dim", Dims{1}}})), ElementsAre(0));
}

OP_CASE("amin", Amin) {
  // torch.amin(a, (0, 1)) -> [1., 2., 3., 4.]
  EXPECT_THAT(Values(Run1("amin", {Make(ARange(), {2, 3, 4})}, {{"dim", Dims{0, 1}}})),
              ElementsAre(1, 2, 3, 4));
  // torch.amin(x.bfloat16(), 0) -> [0.5, -1., -4.] (bfloat16)
  Tensor bf = Run1("amin", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", Dims{0}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(0.5, -1, -4));
  // torch.amin(torch.tensor([[2, 5], [7, 1]], dtype=torch.int32), 1) -> [2, 1] (int32)
  Tensor i = Run1("amin", {Make({2, 5, 7, 1}, {2, 2}, DType::kInt32)}, {{"dim", Dims{1}}});
  EXPECT_EQ(i.dtype(), DType::kInt32);
  EXPECT_THAT(Values(i), ElementsAre(2, 1));
  // torch.amin(nanx) -> nan
  EXPECT_TRUE(std::isnan(Values(Run1("amin", {Make(kNanX, {2, 3})}))[0]));
}

OP_ERROR_CASE(AmaxAminRejectEmptyAndBadDims, "amax", "amin") {
  Tensor empty = Make({}, {0, 3});
  for (const char* op : {"amax", "amin"}) {
    // torch.amax(torch.empty(0, 3)) -> amax(): Expected reduction dim to be
    // specified for input.numel() == 0. ...
    ExpectInvalid(Run(op, {empty}).status(),
                  std::string(op) + "(): Expected reduction dim to be specified");
    // torch.amax(torch.empty(0, 3), 0) -> amax(): Expected reduction dim 0 to
    // have non-zero size.
    ExpectInvalid(Run(op, {empty}, {{"dim", Dims{0}}}).status(),
                  std::string(op) + "(): Expected reduction dim 0 to have non-zero size");
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", Dims{-3}}}).status(),
                  "Dimension out of range");
    // torch.amax(torch.ones(2, 3), dim=(0, 0)) -> dim 0 appears multiple times
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", Dims{0, -2}}}).status(),
                  "appears multiple times");
  }
}

// ---- argmax, argmin ----------------------------------------------------------

OP_CASE("argmax", Argmax) {
  Tensor x = Make(kX, {2, 3});
  Tensor flat = Run1("argmax", {x});  // torch.argmax(x) -> tensor(4)
  EXPECT_EQ(flat.dtype(), DType::kInt64);
  EXPECT_EQ(flat.dim(), 0);
  EXPECT_THAT(Values(flat), ElementsAre(4));
  // torch.argmax(x, keepdim=True) -> [[4]]
  Tensor flat_kept = Run1("argmax", {x}, {{"keepdim", true}});
  EXPECT_THAT(Shape(flat_kept), ElementsAre(1, 1));
  EXPECT_THAT(Values(flat_kept), ElementsAre(4));
  // torch.argmax(x, 1) -> [0, 1]; torch.argmax(x, 0, keepdim=True) -> [[0, 1, 0]]
  EXPECT_THAT(Values(Run1("argmax", {x}, {{"dim", int64_t{1}}})), ElementsAre(0, 1));
  Tensor kept = Run1("argmax", {x}, {{"dim", int64_t{0}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(1, 3));
  EXPECT_THAT(Values(kept), ElementsAre(0, 1, 0));
  // Ties: torch.argmax(ties, 1) -> [1, 0]
  EXPECT_THAT(Values(Run1("argmax", {Make(kTies, {2, 3}, DType::kInt64)}, {{"dim", int64_t{-1}}})),
              ElementsAre(1, 0));
  // NaN wins: torch.argmax(nanx, 1) -> [1, 1];
  // torch.argmax(torch.tensor([1., nan, 3., nan])) -> 1 (the first NaN)
  EXPECT_THAT(Values(Run1("argmax", {Make(kNanX, {2, 3})}, {{"dim", int64_t{1}}})),
              ElementsAre(1, 1));
  EXPECT_THAT(Values(Run1("argmax", {Make({1, kNaN, 3, kNaN}, {4})})), ElementsAre(1));
  // torch.argmax(x.half(), 1) -> [0, 1]
  EXPECT_THAT(Values(Run1("argmax", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", int64_t{1}}})),
              ElementsAre(0, 1));
  // torch.argmax(torch.tensor(3.)) -> tensor(0)
  Tensor scalar = Run1("argmax", {Make({3}, {})});
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_THAT(Values(scalar), ElementsAre(0));
}

OP_CASE("argmin", Argmin) {
  Tensor ties = Make(kTies, {2, 3}, DType::kInt64);
  // torch.argmin(ties, 1) -> [0, 2]; torch.argmin(ties) -> 0
  EXPECT_THAT(Values(Run1("argmin", {ties}, {{"dim", int64_t{1}}})), ElementsAre(0, 2));
  EXPECT_THAT(Values(Run1("argmin", {ties})), ElementsAre(0));
  // torch.argmin(torch.tensor([1., nan, 3., nan])) -> 1
  EXPECT_THAT(Values(Run1("argmin", {Make({1, kNaN, 3, kNaN}, {4})})), ElementsAre(1));
  // torch.argmin(x.bfloat16(), 0) -> [1, 0, 1]
  EXPECT_THAT(Values(Run1("argmin", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", int64_t{0}}})),
              ElementsAre(1, 0, 1));
  // Strided input: torch.argmin(a.transpose(0, 2), 1) -> zeros of shape [4, 2]
  Tensor at = *Make(ARange(), {2, 3, 4}).Transpose(0, 2);
  Tensor r = Run1("argmin", {at}, {{"dim", int64_t{1}}});
  EXPECT_THAT(Shape(r), ElementsAre(4, 2));
  EXPECT_THAT(Values(r), ::testing::Each(0.0));
  // torch.argmin(torch.empty(2, 0), 0) -> tensor([], dtype=torch.int64)
  EXPECT_THAT(Shape(Run1("argmin", {Make({}, {2, 0})}, {{"dim", int64_t{0}}})), ElementsAre(0));
}

OP_ERROR_CASE(ArgmaxArgminRejectEmptyBoolAndBadDims, "argmax", "argmin") {
  for (const char* op : {"argmax", "argmin"}) {
    // torch.argmax(torch.empty(0, 3)) -> argmax(): Expected reduction dim to
    // be specified for input.numel() == 0.
    ExpectInvalid(Run(op, {Make({}, {0, 3})}).status(),
                  std::string(op) +
                      "(): Expected reduction dim to be specified for "
                      "input.numel() == 0.");
    // torch.argmax(torch.empty(0, 3), 0) -> ... dim 0 to have non-zero size.
    ExpectInvalid(Run(op, {Make({}, {0, 3})}, {{"dim", int64_t{0}}}).status(),
                  "Expected reduction dim 0 to have non-zero size");
    // torch.argmax(torch.tensor([True, False])) -> "argmax_cpu" not
    // implemented for 'Bool'
    ExpectInvalid(Run(op, {Make({1, 0}, {2}, DType::kBool)}).status(), "bool");
    // torch.argmax(torch.ones(2, 3), 2) -> Dimension out of range ...
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", int64_t{2}}}).status(),
                  "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  }
}

// ---- var, std ----------------------------------------------------------------

OP_CASE("var", Var) {
  Tensor x = Make(kX, {2, 3});
  // torch.var(x) -> 14.166666984558105; torch.var(x, unbiased=False) -> 11.80555534362793
  ExpectNear(Values(Run1("var", {x})), {14.166666984558105});
  ExpectNear(Values(Run1("var", {x}, {{"unbiased", false}})), {11.80555534362793});
  // torch.var(x, 1) -> [4.75, 30.58333396911621]
  ExpectNear(Values(Run1("var", {x}, {{"dim", Dims{1}}})), {4.75, 30.58333396911621});
  // torch.var(a, (0, 2), keepdim=True) -> shape [1, 3, 1], each 42.57143020629883
  Tensor kept = Run1("var", {Make(ARange(), {2, 3, 4})}, {{"dim", Dims{0, 2}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(1, 3, 1));
  ExpectNear(Values(kept), {42.57143020629883, 42.57143020629883, 42.57143020629883});
  // torch.var(x, dim=0, correction=0) -> [1.5625, 16., 10.5625]
  ExpectNear(Values(Run1("var", {x}, {{"dim", Dims{0}}, {"correction", int64_t{0}}})),
             {1.5625, 16, 10.5625});
  // torch.var(torch.tensor([[1., 2.], [3., 5.]]), dim=None, correction=2) -> 4.375
  ExpectNear(Values(Run1("var", {Make({1, 2, 3, 5}, {2, 2})}, {{"correction", int64_t{2}}})),
             {4.375});
  // N - correction <= 0: torch.var(torch.tensor([[1.]]), 1) -> [nan];
  // torch.var(torch.tensor([1., 2.]), 0, correction=2) -> inf;
  // torch.var(torch.empty(0, 3)) -> nan; torch.var(torch.tensor(3.), unbiased=False) -> 0.
  ExpectNear(Values(Run1("var", {Make({1}, {1, 1})}, {{"dim", Dims{1}}})), {kNaN});
  ExpectNear(
      Values(Run1("var", {Make({1, 2}, {2})}, {{"dim", Dims{0}}, {"correction", int64_t{2}}})),
      {kInf});
  ExpectNear(Values(Run1("var", {Make({}, {0, 3})})), {kNaN});
  ExpectNear(Values(Run1("var", {Make({3}, {})}, {{"unbiased", false}})), {0});
  // torch.var(x.half(), 1) -> [4.75, 30.578125] (float16)
  Tensor h = Run1("var", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", Dims{1}}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(4.75, 30.578125));
  // torch.var(x.bfloat16(), 0) -> [3.125, 32., 21.125] (bfloat16)
  Tensor bf = Run1("var", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", Dims{0}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(3.125, 32, 21.125));
}

OP_CASE("std", Std) {
  Tensor x = Make(kX, {2, 3});
  // torch.std(x) -> 3.7638633251190186
  ExpectNear(Values(Run1("std", {x})), {3.7638633251190186});
  // torch.std(x, 1, unbiased=False) -> [1.7795130014419556, 4.515405654907227]
  ExpectNear(Values(Run1("std", {x}, {{"dim", Dims{1}}, {"unbiased", false}})),
             {1.7795130014419556, 4.515405654907227});
  // torch.std(a, (-1, 0)) -> each 6.5246782302856445
  ExpectNear(Values(Run1("std", {Make(ARange(), {2, 3, 4})}, {{"dim", Dims{-1, 0}}})),
             {6.5246782302856445, 6.5246782302856445, 6.5246782302856445});
  // torch.std(x.bfloat16()) -> 3.765625 (bfloat16)
  Tensor bf = Run1("std", {Make(kX, {2, 3}, DType::kBFloat16)});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(3.765625));
  // torch.std(torch.tensor([1.])) -> nan
  ExpectNear(Values(Run1("std", {Make({1}, {1})})), {kNaN});
}

OP_ERROR_CASE(VarStdRejectIntegersAndBadDims, "var", "std") {
  for (const char* op : {"var", "std"}) {
    // torch.var(torch.tensor([1, 2, 3])) -> std and var only support floating
    // point and complex dtypes
    ExpectInvalid(Run(op, {Make({1, 2, 3}, {3}, DType::kInt64)}).status(),
                  "std and var only support floating point");
    ExpectInvalid(Run(op, {Make({1, 0}, {2}, DType::kBool)}).status(),
                  "std and var only support floating point");
    // torch.var(torch.tensor([1., 2., 3.]), 2) -> Dimension out of range
    ExpectInvalid(Run(op, {Make({1, 2, 3}, {3})}, {{"dim", Dims{1}}}).status(),
                  "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  }
}

// ---- norm --------------------------------------------------------------------

OP_CASE("norm", Norm) {
  Tensor x = Make(kX, {2, 3});
  // torch.norm(x) -> 9.027734756469727; p=1 -> 18.; p=inf -> 7.; p=0 -> 6.
  ExpectNear(Values(Run1("norm", {x})), {9.027734756469727});
  ExpectNear(Values(Run1("norm", {x}, {{"p", 1.0}})), {18});
  ExpectNear(Values(Run1("norm", {x}, {{"p", kInf}})), {7});
  ExpectNear(Values(Run1("norm", {x}, {{"p", int64_t{0}}})), {6});
  // torch.norm(x, p=-inf, dim=1) -> [1., 0.5]; torch.norm(x, p=inf, dim=0) -> [3., 7., 4.]
  ExpectNear(Values(Run1("norm", {x}, {{"p", -kInf}, {"dim", Dims{1}}})), {1, 0.5});
  ExpectNear(Values(Run1("norm", {x}, {{"p", kInf}, {"dim", Dims{0}}})), {3, 7, 4});
  // torch.norm(x, p=3, dim=1) -> [3.5202903747558594, 7.411554336547852]
  ExpectNear(Values(Run1("norm", {x}, {{"p", 3.0}, {"dim", Dims{1}}})),
             {3.5202903747558594, 7.411554336547852});
  // torch.norm(x, p=0.5) -> 93.43246459960938
  ExpectNear(Values(Run1("norm", {x}, {{"p", 0.5}})), {93.43246459960938});
  // torch.norm(torch.tensor([1., 2.]), p=-1) -> 0.6667; with a zero -> 0.
  ExpectNear(Values(Run1("norm", {Make({1, 2}, {2})}, {{"p", -1.0}})), {2.0 / 3.0});
  ExpectNear(Values(Run1("norm", {Make({1, 0}, {2})}, {{"p", -1.0}})), {0});
  // torch.norm(x, dim=1, keepdim=True) -> [[4.031128883361816], [8.077747344970703]]
  Tensor kept = Run1("norm", {x}, {{"dim", Dims{-1}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(2, 1));
  ExpectNear(Values(kept), {4.031128883361816, 8.077747344970703});
  // torch.norm(a, dim=(0, 2)) -> [29.59729766845703, 39.34463119506836, 49.759422302246094]
  ExpectNear(Values(Run1("norm", {Make(ARange(), {2, 3, 4})}, {{"dim", Dims{0, 2}}})),
             {29.59729766845703, 39.34463119506836, 49.759422302246094});
  // torch.norm(x.half()) -> 9.03125 (float16);
  // torch.norm(x.bfloat16(), p=1, dim=1) -> [6.5, 11.5] (bfloat16)
  Tensor h = Run1("norm", {Make(kX, {2, 3}, DType::kFloat16)});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(9.03125));
  Tensor bf = Run1("norm", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"p", 1.0}, {"dim", Dims{1}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(6.5, 11.5));
  // Empty: torch.norm(torch.empty(0, 3)) -> 0.; p=inf -> 0.; p=inf, dim=0 -> [0., 0., 0.]
  Tensor e = Make({}, {0, 3});
  ExpectNear(Values(Run1("norm", {e})), {0});
  ExpectNear(Values(Run1("norm", {e}, {{"p", kInf}})), {0});
  ExpectNear(Values(Run1("norm", {e}, {{"p", kInf}, {"dim", Dims{0}}})), {0, 0, 0});
  // NaN: torch.norm(torch.tensor([1., nan]), p=inf) -> nan
  ExpectNear(Values(Run1("norm", {Make({1, kNaN}, {2})}, {{"p", kInf}})), {kNaN});
}

OP_ERROR_CASE(NormRejectsNonFloatAndBadDims, "norm") {
  // torch.norm(torch.tensor([1, 2, 3])) -> norm(): input dtype should be
  // either floating point or complex. Got Long instead.
  ExpectInvalid(Run("norm", {Make({1, 2, 3}, {3}, DType::kInt64)}).status(),
                "norm(): input dtype should be either floating point or complex");
  ExpectInvalid(Run("norm", {Make({1, 0}, {2}, DType::kBool)}).status(), "Got bool instead");
  ExpectInvalid(Run("norm", {Make(kX, {2, 3})}, {{"dim", Dims{5}}}).status(),
                "Dimension out of range");
  ExpectInvalid(Run("norm", {Make(kX, {2, 3})}, {{"p", std::string("fro")}}).status(),
                "expected float");
}

// ---- logsumexp ---------------------------------------------------------------

OP_CASE("logsumexp", Logsumexp) {
  Tensor x = Make(kX, {2, 3});
  // torch.logsumexp(x, 1) -> [3.4854133129119873, 7.001519203186035]
  ExpectNear(Values(Run1("logsumexp", {x}, {{"dim", Dims{1}}})),
             {3.4854133129119873, 7.001519203186035});
  // torch.logsumexp(x, 0, keepdim=True)
  //   -> [[3.078889846801758, 7.000335216522217, 2.501502275466919]]
  Tensor kept = Run1("logsumexp", {x}, {{"dim", Dims{-2}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(1, 3));
  ExpectNear(Values(kept), {3.078889846801758, 7.000335216522217, 2.501502275466919});
  // torch.logsumexp(a, (0, 2)) -> [16.440195083618164, 20.440195083618164, 24.440195083618164]
  ExpectNear(Values(Run1("logsumexp", {Make(ARange(), {2, 3, 4})}, {{"dim", Dims{0, 2}}})),
             {16.440195083618164, 20.440195083618164, 24.440195083618164});
  // Large values stay finite: torch.logsumexp(torch.tensor([1000., 1000.]), 0) ->
  // 1000.6931762695312
  ExpectNear(Values(Run1("logsumexp", {Make({1000, 1000}, {2})}, {{"dim", Dims{0}}})),
             {1000.6931762695312});
  // torch.logsumexp(torch.tensor([[-inf, -inf], [0., inf]]), 1) -> [-inf, inf]
  ExpectNear(Values(Run1("logsumexp", {Make({-kInf, -kInf, 0, kInf}, {2, 2})}, {{"dim", Dims{1}}})),
             {-kInf, kInf});
  // torch.logsumexp(torch.tensor([[1., nan]]), 1) -> [nan]
  ExpectNear(Values(Run1("logsumexp", {Make({1, kNaN}, {1, 2})}, {{"dim", Dims{1}}})), {kNaN});
  // Integers give float32: torch.logsumexp(torch.tensor([1, 2, 3]), 0) -> 3.4076058864593506
  Tensor i = Run1("logsumexp", {Make({1, 2, 3}, {3}, DType::kInt64)}, {{"dim", Dims{0}}});
  EXPECT_EQ(i.dtype(), DType::kFloat32);
  ExpectNear(Values(i), {3.4076058864593506});
  // torch.logsumexp(x.bfloat16(), 1) -> [3.484375, 7.] (bfloat16);
  // torch.logsumexp(x.double(), 1).half() -> [3.486328125, 7.] (torch 1.13's
  // CPU kernel refuses float16)
  Tensor bf = Run1("logsumexp", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", Dims{1}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(3.484375, 7));
  Tensor h = Run1("logsumexp", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", Dims{1}}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(3.486328125, 7));
  // torch.logsumexp(torch.empty(0, 3), 0) -> [-inf, -inf, -inf]
  ExpectNear(Values(Run1("logsumexp", {Make({}, {0, 3})}, {{"dim", Dims{0}}})),
             {-kInf, -kInf, -kInf});
}

OP_ERROR_CASE(LogsumexpNeedsValidDims, "logsumexp") {
  // torch.logsumexp(x) -> missing the dim argument
  ExpectInvalid(Run("logsumexp", {Make(kX, {2, 3})}).status(), "missing required attribute 'dim'");
  ExpectInvalid(Run("logsumexp", {Make(kX, {2, 3})}, {{"dim", Dims{2}}}).status(),
                "Dimension out of range");
  ExpectInvalid(Run("logsumexp", {Make(kX, {2, 3})}, {{"dim", Dims{1, -1}}}).status(),
                "appears multiple times");
}

// ---- all, any ----------------------------------------------------------------

OP_CASE("all", All) {
  // torch.all(x) -> True; torch.all(torch.tensor([[1., 0.], [2., 3.]]), 1) -> [False, True]
  Tensor t = Run1("all", {Make(kX, {2, 3})});
  EXPECT_EQ(t.dtype(), DType::kBool);
  EXPECT_EQ(t.dim(), 0);
  EXPECT_THAT(Values(t), ElementsAre(1));
  EXPECT_THAT(Values(Run1("all", {Make({1, 0, 2, 3}, {2, 2})}, {{"dim", Dims{-1}}})),
              ElementsAre(0, 1));
  // torch.all(torch.tensor([nan, 1.])) -> True; torch.all(torch.empty(0, 3)) -> True
  EXPECT_THAT(Values(Run1("all", {Make({kNaN, 1}, {2})})), ElementsAre(1));
  EXPECT_THAT(Values(Run1("all", {Make({}, {0, 3})})), ElementsAre(1));
  // torch.all(torch.empty(0, 3), 1) -> tensor([], dtype=torch.bool)
  EXPECT_THAT(Shape(Run1("all", {Make({}, {0, 3})}, {{"dim", Dims{1}}})), ElementsAre(0));
  // bool and half inputs
  EXPECT_THAT(Values(Run1("all", {Make({1, 0}, {2}, DType::kBool)})), ElementsAre(0));
  EXPECT_THAT(Values(Run1("all", {Make({1, 2}, {2}, DType::kFloat16)})), ElementsAre(1));
}

OP_CASE("any", Any) {
  Tensor i = Make({0, 0, 2, 0}, {2, 2}, DType::kInt32);
  // torch.any(torch.tensor([[0, 0], [2, 0]]), 0) -> [True, False]
  Tensor t = Run1("any", {i}, {{"dim", Dims{0}}});
  EXPECT_EQ(t.dtype(), DType::kBool);
  EXPECT_THAT(Values(t), ElementsAre(1, 0));
  // torch.any(torch.tensor([[0, 0], [2, 0]]), 1, keepdim=True) -> [[False], [True]]
  Tensor kept = Run1("any", {i}, {{"dim", Dims{1}}, {"keepdim", true}});
  EXPECT_THAT(Shape(kept), ElementsAre(2, 1));
  EXPECT_THAT(Values(kept), ElementsAre(0, 1));
  // torch.any(torch.tensor([False, False])) -> False; torch.any(torch.empty(0, 3)) -> False
  EXPECT_THAT(Values(Run1("any", {Make({0, 0}, {2}, DType::kBool)})), ElementsAre(0));
  EXPECT_THAT(Values(Run1("any", {Make({}, {0, 3})})), ElementsAre(0));
  EXPECT_THAT(Values(Run1("any", {Make({0, kNaN}, {2}, DType::kBFloat16)})), ElementsAre(1));
}

OP_ERROR_CASE(AllAnyRejectBadDims, "all", "any") {
  for (const char* op : {"all", "any"}) {
    // torch.all(torch.ones(2, 3), 2) -> Dimension out of range ...
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", Dims{2}}}).status(),
                  "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  }
}

// ---- cumsum, cumprod ---------------------------------------------------------

OP_CASE("cumsum", Cumsum) {
  Tensor x = Make(kX, {2, 3});
  // torch.cumsum(x, 1) -> [[3., 2., 4.5], [0.5, 7.5, 3.5]]
  Tensor r = Run1("cumsum", {x}, {{"dim", int64_t{1}}});
  EXPECT_THAT(Shape(r), ElementsAre(2, 3));
  EXPECT_THAT(Values(r), ElementsAre(3, 2, 4.5, 0.5, 7.5, 3.5));
  // torch.cumsum(x, 0) -> [[3., -1., 2.5], [3.5, 6., -1.5]]
  EXPECT_THAT(Values(Run1("cumsum", {x}, {{"dim", int64_t{-2}}})),
              ElementsAre(3, -1, 2.5, 3.5, 6, -1.5));
  // A middle dim: torch.cumsum(a, 1)
  EXPECT_THAT(Values(Run1("cumsum", {Make(ARange(), {2, 3, 4})}, {{"dim", int64_t{1}}})),
              ElementsAre(1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 21, 24, 13, 14, 15, 16, 30, 32, 34, 36,
                          51, 54, 57, 60));
  // Strided input: torch.cumsum(x.t(), 1) -> [[3., 3.5], [-1., 6.], [2.5, -1.5]]
  EXPECT_THAT(Values(Run1("cumsum", {*x.Transpose(0, 1)}, {{"dim", int64_t{1}}})),
              ElementsAre(3, 3.5, -1, 6, 2.5, -1.5));
  // Integers and bool accumulate in int64:
  // torch.cumsum(torch.tensor([1, 2, 3], dtype=torch.int32), 0) -> [1, 3, 6] (int64)
  // torch.cumsum(torch.tensor([True, True, False]), 0) -> [1, 2, 2] (int64)
  Tensor i = Run1("cumsum", {Make({1, 2, 3}, {3}, DType::kInt32)}, {{"dim", int64_t{0}}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(1, 3, 6));
  Tensor b = Run1("cumsum", {Make({1, 1, 0}, {3}, DType::kBool)}, {{"dim", int64_t{0}}});
  EXPECT_EQ(b.dtype(), DType::kInt64);
  EXPECT_THAT(Values(b), ElementsAre(1, 2, 2));
  // int64 wraps: torch.cumsum(torch.tensor([2**62] * 3), 0) -> [2**62, -2**63, -2**62]
  const double p62 = std::ldexp(1.0, 62);
  EXPECT_THAT(
      Values(Run1("cumsum", {Make({p62, p62, p62}, {3}, DType::kInt64)}, {{"dim", int64_t{0}}})),
      ElementsAre(p62, -2 * p62, -p62));
  // torch.cumsum(x, 0, dtype=torch.float64)
  EXPECT_EQ(Run1("cumsum", {x}, {{"dim", int64_t{0}}, {"dtype", DType::kFloat64}}).dtype(),
            DType::kFloat64);
  // torch.cumsum(torch.tensor([1.5, 2.25, 3.0]).bfloat16(), 0) -> [1.5, 3.75, 6.75]
  for (DType d : {DType::kBFloat16, DType::kFloat16}) {
    Tensor h = Run1("cumsum", {Make({1.5, 2.25, 3.0}, {3}, d)}, {{"dim", int64_t{0}}});
    EXPECT_EQ(h.dtype(), d);
    EXPECT_THAT(Values(h), ElementsAre(1.5, 3.75, 6.75));
  }
  // 0-dim and empty: torch.cumsum(torch.tensor(3.), 0) -> 3.;
  // torch.cumsum(torch.empty(0, 3), 0) -> shape [0, 3]
  Tensor s = Run1("cumsum", {Make({3}, {})}, {{"dim", int64_t{-1}}});
  EXPECT_EQ(s.dim(), 0);
  EXPECT_THAT(Values(s), ElementsAre(3));
  EXPECT_THAT(Shape(Run1("cumsum", {Make({}, {0, 3})}, {{"dim", int64_t{0}}})), ElementsAre(0, 3));
}

OP_CASE("cumprod", Cumprod) {
  Tensor x = Make(kX, {2, 3});
  // torch.cumprod(x, 1) -> [[3., -3., -7.5], [0.5, 3.5, -14.]]
  EXPECT_THAT(Values(Run1("cumprod", {x}, {{"dim", int64_t{1}}})),
              ElementsAre(3, -3, -7.5, 0.5, 3.5, -14));
  // Strided: torch.cumprod(x.t(), 0) -> [[3., 0.5], [-3., 3.5], [-7.5, -14.]]
  EXPECT_THAT(Values(Run1("cumprod", {*x.Transpose(0, 1)}, {{"dim", int64_t{0}}})),
              ElementsAre(3, 0.5, -3, 3.5, -7.5, -14));
  // torch.cumprod(a, 0)[1] -> [13., 28., ..., 288.]
  std::vector<double> a0 =
      Values(Run1("cumprod", {Make(ARange(), {2, 3, 4})}, {{"dim", int64_t{0}}}));
  EXPECT_THAT(std::vector<double>(a0.begin() + 12, a0.end()),
              ElementsAre(13, 28, 45, 64, 85, 108, 133, 160, 189, 220, 253, 288));
  // torch.cumprod(torch.tensor([2, 3, 4]), 0) -> [2, 6, 24] (int64)
  Tensor i = Run1("cumprod", {Make({2, 3, 4}, {3}, DType::kInt32)}, {{"dim", int64_t{0}}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(2, 6, 24));
  // torch.cumprod(torch.tensor([1.5, 2.25, 3.0]).bfloat16(), 0) -> [1.5, 3.375, 10.125]
  Tensor bf =
      Run1("cumprod", {Make({1.5, 2.25, 3.0}, {3}, DType::kBFloat16)}, {{"dim", int64_t{0}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(bf), ElementsAre(1.5, 3.375, 10.125));
}

OP_CASE("cumsum_", CumsumInPlace) {
  // torch.tensor([1, 2], dtype=torch.int32).cumsum_(0) -> [1, 3] (int32)
  Tensor t = Make({1, 2}, {2}, DType::kInt32);
  ASSERT_TRUE(Run("cumsum_", {t}, {{"dim", int64_t{0}}}).ok());
  EXPECT_EQ(t.dtype(), DType::kInt32);
  EXPECT_THAT(Values(t), ElementsAre(1, 3));
}

OP_CASE("cumprod_", CumprodInPlace) {
  // torch.tensor([1., 2., 3.]).cumprod_(0) -> [1., 2., 6.]
  Tensor t = Make({1, 2, 3}, {3});
  ASSERT_TRUE(Run("cumprod_", {t}, {{"dim", int64_t{0}}}).ok());
  EXPECT_THAT(Values(t), ElementsAre(1, 2, 6));
}

OP_ERROR_CASE(CumulativeOpsRejectBadDims, "cumsum", "cumprod", "cumsum_", "cumprod_") {
  for (const char* op : {"cumsum", "cumprod", "cumsum_", "cumprod_"}) {
    // torch.cumsum(torch.ones(2, 3), 2) -> Dimension out of range ...
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", int64_t{2}}}).status(),
                  "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}).status(), "missing required attribute 'dim'");
  }
  // torch.tensor([True]).cumsum_(0) refuses bool: its int64 result can't be
  // written back into bool.
  ExpectInvalid(Run("cumsum_", {Make({1}, {1}, DType::kBool)}, {{"dim", int64_t{0}}}).status(),
                "can't be cast");
}

// ---- softmax, log_softmax ----------------------------------------------------

OP_CASE("softmax", Softmax) {
  Tensor x = Make(kX, {2, 3});
  // torch.softmax(x, 1)
  ExpectNear(Values(Run1("softmax", {x}, {{"dim", int64_t{1}}})),
             {0.6154428124427795, 0.011272228322923183, 0.3732849359512329, 0.0015011571813374758,
              0.9984821677207947, 1.667634933255613e-05});
  // torch.softmax(x, 0)
  ExpectNear(Values(Run1("softmax", {x}, {{"dim", int64_t{-2}}})),
             {0.9241418242454529, 0.00033535013790242374, 0.998498797416687, 0.07585817575454712,
              0.9996646642684937, 0.0015011822106316686});
  // Large inputs stay finite:
  // torch.softmax(torch.tensor([[1000., 0., 999.]]), -1) -> [[0.7310585975646973, 0.,
  // 0.2689414322376251]]
  ExpectNear(Values(Run1("softmax", {Make({1000, 0, 999}, {1, 3})}, {{"dim", int64_t{-1}}})),
             {0.7310585975646973, 0, 0.2689414322376251});
  // Rows sum to 1: torch.softmax(torch.arange(0., 3000.).reshape(3, 1000) * 0.7, 1).sum(1)
  std::vector<double> big(3000);
  for (int i = 0; i < 3000; ++i) big[i] = i * 0.7;
  Tensor sm = Run1("softmax", {Make(big, {3, 1000})}, {{"dim", int64_t{1}}});
  ExpectNear(Values(Run1("sum", {sm}, {{"dim", Dims{1}}})), {1, 1, 1}, 1e-6);
  for (double v : Values(sm)) EXPECT_TRUE(std::isfinite(v));
  // Integers with dtype: torch.softmax(torch.tensor([1, 2, 3]), 0, dtype=torch.float64)
  Tensor d = Run1("softmax", {Make({1, 2, 3}, {3}, DType::kInt64)},
                  {{"dim", int64_t{0}}, {"dtype", DType::kFloat64}});
  EXPECT_EQ(d.dtype(), DType::kFloat64);
  ExpectNear(Values(d), {0.09003057317038045, 0.2447284710547976, 0.6652409557748218}, 1e-15);
  // torch.softmax(x.bfloat16(), 1); torch.softmax(x.double(), 1).half()
  // (torch 1.13's CPU kernel refuses float16)
  Tensor bf = Run1("softmax", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", int64_t{1}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  ExpectNear(
      Values(bf),
      {0.6171875, 0.01129150390625, 0.373046875, 0.00150299072265625, 1.0, 1.6689300537109375e-05},
      4e-3);
  Tensor h = Run1("softmax", {Make(kX, {2, 3}, DType::kFloat16)}, {{"dim", int64_t{1}}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(0.615234375, 0.01126861572265625, 0.373291015625,
                                     0.0015010833740234375, 0.99853515625, 1.6689300537109375e-05));
  // All -inf or +inf rows are NaN: torch.softmax(torch.tensor([-inf, -inf]), 0) -> [nan, nan]
  ExpectNear(Values(Run1("softmax", {Make({-kInf, -kInf}, {2})}, {{"dim", int64_t{0}}})),
             {kNaN, kNaN});
  ExpectNear(Values(Run1("softmax", {Make({1, kInf}, {2})}, {{"dim", int64_t{0}}})), {kNaN, kNaN});
  // 0-dim and empty: torch.softmax(torch.tensor(3.), 0) -> 1.;
  // torch.softmax(torch.empty(0, 3), 0) -> shape [0, 3]
  EXPECT_THAT(Values(Run1("softmax", {Make({3}, {})}, {{"dim", int64_t{0}}})), ElementsAre(1));
  EXPECT_THAT(Shape(Run1("softmax", {Make({}, {0, 3})}, {{"dim", int64_t{0}}})), ElementsAre(0, 3));
}

OP_CASE("log_softmax", LogSoftmax) {
  Tensor x = Make(kX, {2, 3});
  // torch.log_softmax(x, 1)
  ExpectNear(Values(Run1("log_softmax", {x}, {{"dim", int64_t{1}}})),
             {-0.48541325330734253, -4.485413074493408, -0.9854132533073425, -6.501519203186035,
              -0.0015190026024356484, -11.001519203186035});
  // torch.log_softmax(torch.tensor([[1000., 0., 999.]]), -1)
  //   -> [[-0.31326165795326233, -1000.313232421875, -1.31326162815094]]
  ExpectNear(Values(Run1("log_softmax", {Make({1000, 0, 999}, {1, 3})}, {{"dim", int64_t{-1}}})),
             {-0.31326165795326233, -1000.313232421875, -1.31326162815094});
  // torch.log_softmax(x.double(), 0)
  ExpectNear(
      Values(Run1("log_softmax", {Make(kX, {2, 3}, DType::kFloat64)}, {{"dim", int64_t{0}}})),
      {-0.07888973429254957, -8.000335406372896, -0.001502310159754285, -2.5788897342925496,
       -0.0003354063728956624, -6.501502310159754},
      1e-14);
  // torch.log_softmax(x.bfloat16(), 1) -> [-0.486328125, -4.5, -0.984375, -6.5, 0., -11.]
  // (rounded from float64 here, so -0.0015 rather than 0)
  Tensor bf = Run1("log_softmax", {Make(kX, {2, 3}, DType::kBFloat16)}, {{"dim", int64_t{1}}});
  EXPECT_EQ(bf.dtype(), DType::kBFloat16);
  ExpectNear(Values(bf), {-0.486328125, -4.5, -0.984375, -6.5, 0, -11}, 4e-3);
  // torch.log_softmax(torch.tensor([[-inf, -inf]]), 1) -> [[nan, nan]]
  ExpectNear(Values(Run1("log_softmax", {Make({-kInf, -kInf}, {1, 2})}, {{"dim", int64_t{1}}})),
             {kNaN, kNaN});
}

OP_ERROR_CASE(SoftmaxRejectsIntegersAndBadDims, "softmax", "log_softmax") {
  for (const char* op : {"softmax", "log_softmax"}) {
    // torch.softmax(torch.tensor([1, 2, 3]), 0) -> "softmax_lastdim_kernel_impl"
    // not implemented for 'Long'
    ExpectInvalid(Run(op, {Make({1, 2, 3}, {3}, DType::kInt64)}, {{"dim", int64_t{0}}}).status(),
                  "pass dtype=float32");
    ExpectInvalid(Run(op, {Make({1, 0}, {2}, DType::kBool)}, {{"dim", int64_t{0}}}).status(),
                  "expected a floating-point input");
    // torch.softmax(torch.ones(2, 3), 2) -> Dimension out of range ...
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}, {{"dim", int64_t{2}}}).status(),
                  "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    ExpectInvalid(Run(op, {Make(kX, {2, 3})}).status(), "missing required attribute 'dim'");
  }
}

}  // namespace
}  // namespace tensord::autograd::testing
