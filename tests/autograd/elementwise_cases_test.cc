// Cases for the elementwise ops: unary functions, clamp, binary arithmetic
// beyond add/sub/mul (rounding division, remainder, pow, maximum, atan2),
// comparisons, logical ops and where, with their in-place and out= forms.
// Expected values are PyTorch 1.13's, each with the torch expression that
// gives it. float16 values are PyTorch's computed in float and rounded once
// (its CPU build has no Half kernel for most of these; CUDA's computes so).
#include <cmath>
#include <limits>
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


// got == want elementwise within rel * |want| (NaN matches NaN, infinities
// and signed zeros exactly).
void ExpectClose(const std::vector<double>& got, const std::vector<double>& want, double rel = 0,
                 const std::string& what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " [" << i << "] = " << got[i];
    } else if (std::isinf(want[i]) || want[i] == 0) {
      EXPECT_EQ(got[i], want[i]) << what << " [" << i << "]";
      EXPECT_EQ(std::signbit(got[i]), std::signbit(want[i])) << what << " [" << i << "]";
    } else {
      EXPECT_NEAR(got[i], want[i], rel * std::abs(want[i])) << what << " [" << i << "]";
    }
  }
}


// ---- unary functions ---------------------------------------------------------

struct UnaryExpect {
  const char* op;
  std::vector<double> want;
};

// x = [-1.5, -0.5, 0.0, 0.5, 2.0, 3.7]; "gelu_tanh" is gelu(approximate="tanh").
const std::vector<double> kUnaryInput = {-1.5, -0.5, 0.0, 0.5, 2.0, 3.7};

// torch.<op>(torch.tensor(x)) (F.gelu / F.silu for the activations).
const std::vector<UnaryExpect> kFloat32Unary = {
    {"exp",
     {0.22313016653060913, 0.6065306663513184, 1.0, 1.6487212181091309, 7.389056205749512,
      40.44730758666992}},
    {"log", {kNaN, kNaN, -kInf, -0.6931471824645996, 0.6931471824645996, 1.3083328008651733}},
    {"log1p",
     {kNaN, -0.6931471824645996, 0.0, 0.40546509623527527, 1.0986123085021973, 1.5475624799728394}},
    {"expm1",
     {-0.7768698334693909, -0.39346933364868164, 0.0, 0.6487212777137756, 6.389056205749512,
      39.44730758666992}},
    {"sqrt", {kNaN, kNaN, 0.0, 0.7071067690849304, 1.4142135381698608, 1.9235384464263916}},
    {"rsqrt", {kNaN, kNaN, kInf, 1.4142135381698608, 0.7071067690849304, 0.5198752284049988}},
    {"reciprocal", {-0.6666666865348816, -2.0, kInf, 2.0, 0.5, 0.2702702581882477}},
    {"sin",
     {-0.9974949955940247, -0.4794255495071411, 0.0, 0.4794255495071411, 0.9092974066734314,
      -0.5298361778259277}},
    {"cos",
     {0.07073719799518585, 0.8775825500488281, 1.0, 0.8775825500488281, -0.416146844625473,
      -0.8481000065803528}},
    {"tanh",
     {-0.9051482677459717, -0.46211716532707214, 0.0, 0.46211716532707214, 0.9640275835990906,
      0.998778223991394}},
    {"sigmoid",
     {0.18242552876472473, 0.3775406777858734, 0.5, 0.622459352016449, 0.8807970285415649,
      0.9758729934692383}},
    {"relu", {0.0, 0.0, 0.0, 0.5, 2.0, 3.700000047683716}},
    {"gelu",
     {-0.10021086037158966, -0.1542687863111496, 0.0, 0.3457311987876892, 1.9544999599456787,
      3.699601173400879}},
    {"gelu_tanh",
     {-0.10042843222618103, -0.1542859971523285, 0.0, 0.3457140028476715, 1.9545977115631104,
      3.69972825050354}},
    {"silu",
     {-0.2736382782459259, -0.1887703388929367, 0.0, 0.3112296760082245, 1.7615940570831299,
      3.6107301712036133}},
    {"floor", {-2.0, -1.0, 0.0, 0.0, 2.0, 3.0}},
    {"ceil", {-1.0, -0.0, 0.0, 1.0, 2.0, 4.0}},
    {"round", {-2.0, -0.0, 0.0, 0.0, 2.0, 4.0}},
    {"abs", {1.5, 0.5, 0.0, 0.5, 2.0, 3.700000047683716}},
    {"sign", {-1.0, -1.0, 0.0, 1.0, 1.0, 1.0}},
    {"neg", {1.5, 0.5, -0.0, -0.5, -2.0, -3.700000047683716}},
};

// torch.<op>(torch.tensor(x, dtype=torch.bfloat16)).
const std::vector<UnaryExpect> kBFloat16Unary = {
    {"exp", {0.22265625, 0.60546875, 1.0, 1.6484375, 7.375, 40.5}},
    {"log", {kNaN, kNaN, -kInf, -0.69140625, 0.69140625, 1.3125}},
    {"log1p", {kNaN, -0.69140625, 0.0, 0.40625, 1.1015625, 1.546875}},
    {"expm1", {-0.77734375, -0.392578125, 0.0, 0.6484375, 6.375, 39.5}},
    {"sqrt", {kNaN, kNaN, 0.0, 0.70703125, 1.4140625, 1.921875}},
    {"rsqrt", {kNaN, kNaN, kInf, 1.4140625, 0.70703125, 0.51953125}},
    {"reciprocal", {-0.66796875, -2.0, kInf, 2.0, 0.5, 0.26953125}},
    {"sin", {-0.99609375, -0.478515625, 0.0, 0.478515625, 0.91015625, -0.53125}},
    {"cos", {0.07080078125, 0.87890625, 1.0, 0.87890625, -0.416015625, -0.84765625}},
    {"tanh", {-0.90625, -0.462890625, 0.0, 0.462890625, 0.96484375, 1.0}},
    {"sigmoid", {0.1826171875, 0.376953125, 0.5, 0.62109375, 0.87890625, 0.9765625}},
    {"relu", {0.0, 0.0, 0.0, 0.5, 2.0, 3.703125}},
    {"gelu", {-0.10009765625, -0.154296875, 0.0, 0.345703125, 1.953125, 3.703125}},
    // F.gelu(xb.float(), approximate="tanh").bfloat16() and F.silu(xb.float()).bfloat16():
    // PyTorch's bfloat16 CPU kernels for these two round intermediates to
    // bfloat16 (giving -0.1025 and 1.7656, 3.625 here); computing in float
    // rounds once.
    {"gelu_tanh", {-0.1005859375, -0.154296875, 0.0, 0.345703125, 1.953125, 3.703125}},
    {"silu", {-0.2734375, -0.1884765625, 0.0, 0.310546875, 1.7578125, 3.609375}},
    {"floor", {-2.0, -1.0, 0.0, 0.0, 2.0, 3.0}},
    {"ceil", {-1.0, -0.0, 0.0, 1.0, 2.0, 4.0}},
    {"round", {-2.0, -0.0, 0.0, 0.0, 2.0, 4.0}},
    {"abs", {1.5, 0.5, 0.0, 0.5, 2.0, 3.703125}},
    {"sign", {-1.0, -1.0, 0.0, 1.0, 1.0, 1.0}},
    {"neg", {1.5, 0.5, -0.0, -0.5, -2.0, -3.703125}},
};

// torch.<op>(h.float()).half() with h = torch.tensor(x, dtype=torch.float16).
const std::vector<UnaryExpect> kFloat16Unary = {
    {"exp", {0.22314453125, 0.6064453125, 1.0, 1.6484375, 7.390625, 40.40625}},
    {"log", {kNaN, kNaN, -kInf, -0.693359375, 0.693359375, 1.30859375}},
    {"log1p", {kNaN, -0.693359375, 0.0, 0.405517578125, 1.0986328125, 1.5478515625}},
    {"expm1", {-0.77685546875, -0.3935546875, 0.0, 0.64892578125, 6.390625, 39.40625}},
    {"sqrt", {kNaN, kNaN, 0.0, 0.70703125, 1.4140625, 1.9228515625}},
    {"rsqrt", {kNaN, kNaN, kInf, 1.4140625, 0.70703125, 0.52001953125}},
    {"reciprocal", {-0.66650390625, -2.0, kInf, 2.0, 0.5, 0.270263671875}},
    {"sin", {-0.99755859375, -0.4794921875, 0.0, 0.4794921875, 0.9091796875, -0.529296875}},
    {"cos", {0.07073974609375, 0.87744140625, 1.0, 0.87744140625, -0.416259765625, -0.8486328125}},
    {"tanh", {-0.9052734375, -0.462158203125, 0.0, 0.462158203125, 0.9638671875, 0.99853515625}},
    {"sigmoid", {0.182373046875, 0.37744140625, 0.5, 0.62255859375, 0.880859375, 0.97607421875}},
    {"relu", {0.0, 0.0, 0.0, 0.5, 2.0, 3.69921875}},
    {"gelu", {-0.1002197265625, -0.154296875, 0.0, 0.345703125, 1.9541015625, 3.69921875}},
    {"gelu_tanh", {-0.10040283203125, -0.154296875, 0.0, 0.345703125, 1.955078125, 3.69921875}},
    {"silu", {-0.273681640625, -0.188720703125, 0.0, 0.311279296875, 1.76171875, 3.609375}},
    {"floor", {-2.0, -1.0, 0.0, 0.0, 2.0, 3.0}},
    {"ceil", {-1.0, -0.0, 0.0, 1.0, 2.0, 4.0}},
    {"round", {-2.0, -0.0, 0.0, 0.0, 2.0, 4.0}},
    {"abs", {1.5, 0.5, 0.0, 0.5, 2.0, 3.69921875}},
    {"sign", {-1.0, -1.0, 0.0, 1.0, 1.0, 1.0}},
    {"neg", {1.5, 0.5, -0.0, -0.5, -2.0, -3.69921875}},
};

class UnaryCases : public OpTest {
 protected:
  // Runs every expectation on x in `dtype`; the result keeps the dtype.
  void Check(DType dtype, const std::vector<UnaryExpect>& table, double rel) {
    for (const UnaryExpect& e : table) {
      std::string op = e.op;
      std::map<std::string, AttrValue> attrs;
      if (op == "gelu_tanh") {
        op = "gelu";
        attrs["approximate"] = std::string("tanh");
      }
      Tensor r = Run1(op, {Make(kUnaryInput, {2, 3}, dtype)}, attrs);
      EXPECT_EQ(r.dtype(), dtype) << e.op;
      EXPECT_THAT(Shape(r), ElementsAre(2, 3));
      ExpectClose(Values(r), e.want, rel, e.op);
    }
  }
};

[[maybe_unused]] const bool kUnaryCovered =
    Cover(CoveredOps(),
          {"abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin",
           "cos", "tanh", "sigmoid", "relu", "gelu", "silu", "floor", "ceil", "round"});

// libm and PyTorch's vectorized math may differ in the last float bit.
TEST_F(UnaryCases, Float32) { Check(DType::kFloat32, kFloat32Unary, 1e-6); }
// Computed in float and rounded once, so the 16-bit results match exactly.
TEST_F(UnaryCases, BFloat16) { Check(DType::kBFloat16, kBFloat16Unary, 0); }
TEST_F(UnaryCases, Float16) { Check(DType::kFloat16, kFloat16Unary, 0); }

OP_CASE("exp", UnaryFloatFunctionsPromoteIntegersAndBool) {
  // torch.exp(torch.tensor([0, 1, 2])) is float32.
  Tensor e = Run1("exp", {Make({0, 1, 2}, {3}, DType::kInt64)});
  EXPECT_EQ(e.dtype(), DType::kFloat32);
  ExpectClose(Values(e), {1.0, 2.7182817459106445, 7.389056205749512}, 1e-7);
  // torch.sqrt(torch.tensor([True, False])) is float32 [1, 0].
  Tensor s = Run1("sqrt", {Make({1, 0}, {2}, DType::kBool)});
  EXPECT_EQ(s.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(s), ElementsAre(1, 0));
  // torch.sigmoid(torch.tensor([-1, 0, 1], dtype=torch.int32)).
  Tensor g = Run1("sigmoid", {Make({-1, 0, 1}, {3}, DType::kInt32)});
  EXPECT_EQ(g.dtype(), DType::kFloat32);
  ExpectClose(Values(g), {0.2689414322376251, 0.5, 0.7310585975646973}, 1e-7);
  // float64 stays float64.
  EXPECT_EQ(Run1("log", {Make({1}, {1}, DType::kFloat64)}).dtype(), DType::kFloat64);
}

OP_CASE("abs", IntegerPreservingUnaryOpsKeepIntegerDTypes) {
  Tensor i = Make({-3, 0, 5}, {3}, DType::kInt64);
  Tensor i32 = Make({-2, 0, 3}, {3}, DType::kInt32);
  struct Case {
    const char* op;
    Tensor in;
    std::vector<double> want;
  };
  // torch.abs / sign / relu / floor / ceil / round of torch.tensor([-3, 0, 5])
  // (and of int32 [-2, 0, 3]) keep the dtype; rounding is the identity.
  for (const Case& c : {Case{"abs", i, {3, 0, 5}}, Case{"sign", i32, {-1, 0, 1}},
                        Case{"relu", i, {0, 0, 5}}, Case{"floor", i, {-3, 0, 5}},
                        Case{"ceil", i32, {-2, 0, 3}}, Case{"round", i, {-3, 0, 5}}}) {
    Tensor r = Run1(c.op, {c.in});
    EXPECT_EQ(r.dtype(), c.in.dtype()) << c.op;
    EXPECT_EQ(Values(r), c.want) << c.op;
  }
  // torch.sign(torch.tensor([True, False])) stays bool.
  Tensor b = Run1("sign", {Make({1, 0}, {2}, DType::kBool)});
  EXPECT_EQ(b.dtype(), DType::kBool);
  EXPECT_THAT(Values(b), ElementsAre(1, 0));
}

OP_CASE("round", UnarySpecialValues) {
  // torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5, -2.5, 2.4999])): half to even.
  ExpectClose(Values(Run1("round", {Make({0.5, 1.5, 2.5, -0.5, -2.5, 2.4999}, {6})})),
              {0.0, 2.0, 2.0, -0.0, -2.0, 2.0});
  // torch.sign(torch.tensor([nan, -0.0, 0.0, -2])) is [0, 0, 0, -1].
  ExpectClose(Values(Run1("sign", {Make({kNaN, -0.0, 0.0, -2}, {4})})), {0, 0, 0, -1});
  // torch.relu(torch.tensor([nan, -0.0, -1])) is [nan, -0., 0.].
  ExpectClose(Values(Run1("relu", {Make({kNaN, -0.0, -1}, {3})})), {kNaN, -0.0, 0.0});
  // torch.exp(torch.tensor([12.], dtype=torch.float16)) overflows to inf.
  ExpectClose(Values(Run1("exp", {Make({12}, {1}, DType::kFloat16)})), {kInf});
}

OP_CASE("logical_not", LogicalNot) {
  // torch.logical_not(torch.tensor([nan, 0., -1.])) is bool [False, True, False].
  Tensor r = Run1("logical_not", {Make({kNaN, 0, -1}, {3})});
  EXPECT_EQ(r.dtype(), DType::kBool);
  EXPECT_THAT(Values(r), ElementsAre(0, 1, 0));
  EXPECT_THAT(Values(Run1("logical_not", {Make({-7, 0}, {2}, DType::kInt64)})), ElementsAre(0, 1));
  // torch.logical_not(x, out=torch.empty(2)) writes 0/1 floats.
  Tensor out = Make({9, 9}, {2});
  ASSERT_TRUE(Run("logical_not", {Make({1, 0}, {2})}, {}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(0, 1));
}

// The in-place forms write the functional result into self.
[[maybe_unused]] const bool kUnaryInPlaceCovered =
    Cover(CoveredOps(), {"abs_", "sign_", "exp_", "log_", "log1p_", "expm1_", "sqrt_", "rsqrt_",
                         "reciprocal_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "silu_",
                         "floor_", "ceil_", "round_", "logical_not_"});
TEST_F(OpCases, UnaryInPlaceFormsWriteSelf) {
  for (const char* op :
       {"abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin", "cos",
        "tanh", "sigmoid", "relu", "silu", "floor", "ceil", "round", "logical_not"}) {
    Tensor self = Make({-1.5, 0.25, 2.5}, {3}, DType::kBFloat16);
    std::vector<double> want = Values(Run1(op, {self}));
    auto r = Run(std::string(op) + "_", {self});
    ASSERT_TRUE(r.ok()) << op << ": " << r.status();
    EXPECT_EQ(r->target, DispatchResult::Target::kSelf);
    EXPECT_TRUE(r->outputs[0].SharesStorageWith(self));
    EXPECT_EQ(self.dtype(), DType::kBFloat16);
    ExpectClose(Values(self), want, 0, op);
  }
  // x = torch.tensor([1, -2]); x.abs_() keeps int64.
  Tensor i = Make({1, -2}, {2}, DType::kInt64);
  ASSERT_TRUE(Run("abs_", {i}).ok());
  EXPECT_THAT(Values(i), ElementsAre(1, 2));
}

OP_CASE("sigmoid", UnaryOutForms) {
  // torch.sigmoid(torch.tensor([1., 0.]), out=torch.empty(2, dtype=torch.float64)).
  Tensor out = Make({0, 0}, {2}, DType::kFloat64);
  auto r = Run("sigmoid", {Make({1, 0}, {2})}, {}, &out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->target, DispatchResult::Target::kOut);
  ExpectClose(Values(out), {0.7310585975646973, 0.5}, 1e-7);
  // torch.exp(torch.tensor([1, 2]), out=torch.empty(2, dtype=torch.long)) fails.
  Tensor long_out = Make({0, 0}, {2}, DType::kInt64);
  auto bad = Run("exp", {Make({1, 2}, {2}, DType::kInt64)}, {}, &long_out);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("can't be cast"));
  // torch.relu has no out=.
  EXPECT_EQ(Run("relu", {Make({1}, {1})}, {}, &out).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(UnaryOpsRefuseBoolAsTorch, "abs", "abs_", "floor", "floor_", "ceil", "ceil_", "round",
              "round_", "relu", "relu_") {
  Tensor b = Make({1, 0}, {2}, DType::kBool);
  const std::map<std::string, std::string> want = {
      {"abs", "\"abs_cpu\" not implemented for 'Bool'"},
      {"floor", "\"floor_vml_cpu\" not implemented for 'Bool'"},
      {"ceil", "\"ceil_vml_cpu\" not implemented for 'Bool'"},
      {"round", "\"round_vml_cpu\" not implemented for 'Bool'"},
      {"relu", "Boolean inputs not supported for relu"}};
  for (const auto& [op, message] : want) {
    for (const std::string& name : {op, op + "_"}) {
      auto r = Run(name, {b});
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
      EXPECT_THAT(r.status().message(), HasSubstr(message)) << name;
      EXPECT_THAT(r.status().message(), HasSubstr(name + "([2] bool)")) << name;
    }
  }
}

OP_ERROR_CASE(FloatOnlyActivationsRefuseIntegers, "gelu", "silu", "silu_") {
  Tensor i = Make({1, 2}, {2}, DType::kInt64);
  // F.gelu(torch.tensor([1, 2])): "GeluKernelImpl" not implemented for 'Long'.
  auto g = Run("gelu", {i});
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("\"GeluKernelImpl\" not implemented for 'Long'"));
  for (const char* op : {"silu", "silu_"}) {
    auto s = Run(op, {Make({1}, {1}, DType::kBool)});
    EXPECT_THAT(s.status().message(), HasSubstr("\"silu_cpu\" not implemented for 'Bool'"));
  }
  // F.gelu(x, approximate='foo').
  auto a = Run("gelu", {Make({1}, {1})}, {{"approximate", std::string("foo")}});
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(a.status().message(), HasSubstr("approximate argument must be either none or tanh"));
}

OP_ERROR_CASE(FloatFunctionsInPlaceOnIntegersCannotCast, "exp", "exp_", "log", "log_", "log1p",
              "log1p_", "expm1", "expm1_", "sqrt", "sqrt_", "rsqrt", "rsqrt_", "reciprocal",
              "reciprocal_", "sin", "sin_", "cos", "cos_", "tanh", "tanh_", "sigmoid", "sigmoid_",
              "sign", "sign_", "logical_not", "logical_not_") {
  // torch.tensor([1, 2]).exp_(): result type Float can't be cast to Long.
  for (const char* op : {"exp_", "log_", "log1p_", "expm1_", "sqrt_", "rsqrt_", "reciprocal_",
                         "sin_", "cos_", "tanh_", "sigmoid_"}) {
    auto r = Run(op, {Make({1, 2}, {2}, DType::kInt64)});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("can't be cast")) << op;
  }
  // The functional forms (and sign, logical_not) report the shapes they
  // could not broadcast into out=.
  Tensor out = Run1("expand", {Make({0}, {1})}, {{"size", std::vector<int64_t>{2}}});
  for (const char* op : {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin",
                         "cos", "tanh", "sigmoid", "sign", "logical_not"}) {
    auto r = Run(op, {Make({1, 2}, {2})}, {}, &out);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("single memory location")) << op;
  }
  // sign_ and logical_not_ on an expanded self.
  for (const char* op : {"sign_", "logical_not_"}) {
    EXPECT_EQ(Run(op, {out}).status().code(), absl::StatusCode::kInvalidArgument) << op;
  }
}

// ---- clamp -------------------------------------------------------------------

OP_CASE("clamp", Clamp) {
  // torch.clamp(torch.tensor([-2., 0.5, 3., nan]), min=-1, max=1) keeps NaN.
  ExpectClose(Values(Run1("clamp", {Make({-2, 0.5, 3, kNaN}, {4})},
                          {{"min", int64_t{-1}}, {"max", int64_t{1}}})),
              {-1.0, 0.5, 1.0, kNaN});
  // torch.clamp(torch.tensor([-2, 0, 3]), min=-1, max=1) stays int64.
  Tensor i = Run1("clamp", {Make({-2, 0, 3}, {3}, DType::kInt64)},
                  {{"min", int64_t{-1}}, {"max", int64_t{1}}});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(-1, 0, 1));
  // torch.clamp(torch.tensor([-2, 0, 3]), min=0.5) promotes to float32.
  Tensor f = Run1("clamp", {Make({-2, 0, 3}, {3}, DType::kInt64)}, {{"min", 0.5}});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(f), ElementsAre(0.5, 0.5, 3.0));
  // torch.clamp(torch.tensor([True, False]), min=0) is int64 [1, 0].
  Tensor b = Run1("clamp", {Make({1, 0}, {2}, DType::kBool)}, {{"min", int64_t{0}}});
  EXPECT_EQ(b.dtype(), DType::kInt64);
  EXPECT_THAT(Values(b), ElementsAre(1, 0));
  // torch.clamp(torch.tensor([-2., 0.5, 3.]), min=2, max=1): max wins.
  EXPECT_THAT(
      Values(Run1("clamp", {Make({-2, 0.5, 3}, {3})}, {{"min", int64_t{2}}, {"max", int64_t{1}}})),
      ElementsAre(1, 1, 1));
  // torch.clamp(torch.tensor([-1.5, 0.3, 2.5], dtype=torch.bfloat16), min=0, max=1.1).
  Tensor h = Run1("clamp", {Make({-1.5, 0.3, 2.5}, {3}, DType::kBFloat16)},
                  {{"min", int64_t{0}}, {"max", 1.1}});
  EXPECT_EQ(h.dtype(), DType::kBFloat16);
  EXPECT_THAT(Values(h), ElementsAre(0.0, 0.30078125, 1.1015625));
}

OP_CASE("clamp", ClampNaNBounds) {
  Tensor x = Make({-2, kNaN, 3}, {3});
  // torch.clamp(x, min=nan) and torch.clamp(x, max=nan) ignore the bound.
  ExpectClose(Values(Run1("clamp", {x}, {{"min", kNaN}})), {-2, kNaN, 3});
  ExpectClose(Values(Run1("clamp", {x}, {{"max", kNaN}})), {-2, kNaN, 3});
  // torch.clamp(x, min=0, max=nan) is all NaN.
  ExpectClose(Values(Run1("clamp", {x}, {{"min", int64_t{0}}, {"max", kNaN}})), {kNaN, kNaN, kNaN});
}

OP_CASE("clamp_", ClampInPlaceAndOut) {
  Tensor x = Make({-2, 0.5, 3}, {3}, DType::kFloat16);
  ASSERT_TRUE(Run("clamp_", {x}, {{"min", int64_t{0}}, {"max", int64_t{1}}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 0.5, 1));
  // torch.clamp(torch.tensor([1., 0.]), min=0.5, out=torch.empty(2)).
  Tensor out = Make({9, 9}, {2});
  ASSERT_TRUE(Run("clamp", {Make({1, 0}, {2})}, {{"min", 0.5}}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(1.0, 0.5));
  // torch.tensor([1, 2]).clamp_(min=0.5): the float result can't be cast to int64.
  auto r = Run("clamp_", {Make({1, 2}, {2}, DType::kInt64)}, {{"min", 0.5}});
  EXPECT_THAT(r.status().message(), HasSubstr("can't be cast"));
}

OP_ERROR_CASE(ClampNeedsABoundAndANonBoolResult, "clamp", "clamp_") {
  Tensor x = Make({1, 2}, {2});
  for (const char* op : {"clamp", "clamp_"}) {
    auto r = Run(op, {x});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("At least one of 'min' or 'max' must not be None"));
  }
  Tensor b = Make({1, 0}, {2}, DType::kBool);
  // torch.clamp(b, min=True) / torch.clamp(b, min=False, max=True).
  EXPECT_THAT(Run("clamp", {b}, {{"min", true}}).status().message(),
              HasSubstr("\"clamp_min_cpu\" not implemented for 'Bool'"));
  EXPECT_THAT(Run("clamp", {b}, {{"min", false}, {"max", true}}).status().message(),
              HasSubstr("\"clamp_scalar_cpu\" not implemented for 'Bool'"));
  EXPECT_EQ(Run("clamp", {x}, {{"min", std::string("a")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- binary arithmetic ---------------------------------------------------------

OP_CASE("floor_divide", FloorDivide) {
  // torch.floor_divide(torch.tensor([-7, 7, -7, 7, 0]), torch.tensor([2, -2, -2, 2, 3])).
  Tensor a = Make({-7, 7, -7, 7, 0}, {5}, DType::kInt64);
  Tensor b = Make({2, -2, -2, 2, 3}, {5}, DType::kInt64);
  Tensor q = Run1("floor_divide", {a, b});
  EXPECT_EQ(q.dtype(), DType::kInt64);
  EXPECT_THAT(Values(q), ElementsAre(-4, -4, 3, 3, 0));
  // torch.floor_divide(torch.tensor([-7.5, 7.5, -7.5, 7.5, 5.0, -0.0]),
  //                    torch.tensor([2., -2., -2., 2., 0.1, 3.])): 5 // 0.1 is 49.
  Tensor af = Make({-7.5, 7.5, -7.5, 7.5, 5.0, -0.0}, {6});
  Tensor bf = Make({2, -2, -2, 2, 0.1, 3}, {6});
  ExpectClose(Values(Run1("floor_divide", {af, bf})), {-4, -4, 3, 3, 49, -0.0});
  // torch.floor_divide(torch.tensor([7, -7]), 2.5) is float32 [2, -3].
  Tensor s = Run1("floor_divide", {Make({7, -7}, {2}, DType::kInt64)}, {{"other", 2.5}});
  EXPECT_EQ(s.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(s), ElementsAre(2, -3));
  // torch.floor_divide(torch.tensor([-1.5, 0.5, 2.5, 3.7], dtype=torch.float16), 2).
  Tensor h = Run1("floor_divide", {Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kFloat16)},
                  {{"other", int64_t{2}}});
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(h), ElementsAre(-1, 0, 1, 1));
  // torch.tensor([1, 2]) // torch.tensor([0.0, 1.0]) is [inf, 2].
  ExpectClose(Values(Run1("floor_divide", {Make({1, 2}, {2}, DType::kInt64), Make({0, 1}, {2})})),
              {kInf, 2});
}

OP_CASE("floor_divide_", FloorDivideInPlace) {
  // torch.tensor([1, 2]).floor_divide_(torch.tensor(2)) is [0, 1].
  Tensor x = Make({1, 2}, {2}, DType::kInt64);
  ASSERT_TRUE(Run("floor_divide_", {x, Make({2}, {}, DType::kInt64)}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0, 1));
}

OP_CASE("div", DivRoundingModes) {
  Tensor a = Make({-7, 7, -7, 7, 0}, {5}, DType::kInt64);
  Tensor b = Make({2, -2, -2, 2, 3}, {5}, DType::kInt64);
  // torch.div(a, b, rounding_mode='trunc') / 'floor' stay int64.
  Tensor t = Run1("div", {a, b}, {{"rounding_mode", std::string("trunc")}});
  EXPECT_EQ(t.dtype(), DType::kInt64);
  EXPECT_THAT(Values(t), ElementsAre(-3, -3, 3, 3, 0));
  EXPECT_THAT(Values(Run1("div", {a, b}, {{"rounding_mode", std::string("floor")}})),
              ElementsAre(-4, -4, 3, 3, 0));
  Tensor af = Make({-7.5, 7.5, -7.5, 7.5, 5.0, -0.0}, {6});
  Tensor bf = Make({2, -2, -2, 2, 0.1, 3}, {6});
  ExpectClose(Values(Run1("div", {af, bf}, {{"rounding_mode", std::string("trunc")}})),
              {-3, -3, 3, 3, 50, -0.0});
  // torch.div(torch.tensor([5., -5., 0.]), 0., rounding_mode=...) is [inf, -inf, nan].
  for (const char* mode : {"trunc", "floor"}) {
    ExpectClose(Values(Run1("div", {Make({5, -5, 0}, {3})},
                            {{"other", 0.0}, {"rounding_mode", std::string(mode)}})),
                {kInf, -kInf, kNaN}, 0, mode);
  }
  // div_ with a rounding mode keeps an integer self.
  Tensor x = Make({7, -7}, {2}, DType::kInt32);
  ASSERT_TRUE(
      Run("div_", {x}, {{"other", int64_t{2}}, {"rounding_mode", std::string("floor")}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(3, -4));
}

OP_ERROR_CASE(IntegerDivisionByZeroAndBadRoundingMode, "floor_divide", "floor_divide_", "remainder",
              "remainder_") {
  Tensor a = Make({-7, 7}, {2}, DType::kInt64);
  Tensor z = Make({1, 0}, {2}, DType::kInt64);
  // torch.floor_divide(a, 0), torch.remainder(a, 0), torch.div(a, 0, rounding_mode=...).
  for (const char* op : {"floor_divide", "floor_divide_", "remainder", "remainder_"}) {
    Tensor self = Make({-7, 7}, {2}, DType::kInt64);
    auto r = Run(op, {self, z});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(), HasSubstr("ZeroDivisionError")) << op;
    EXPECT_THAT(Values(self), ElementsAre(-7, 7)) << op;  // nothing written
  }
  EXPECT_THAT(Run("div", {a, z}, {{"rounding_mode", std::string("trunc")}}).status().message(),
              HasSubstr("ZeroDivisionError"));
  auto bad = Run("div", {a, a}, {{"rounding_mode", std::string("bad")}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                        "found 'bad'"));
  // Bool: torch.floor_divide(b, b), torch.remainder(b, b), torch.div(b, b, rounding_mode=...).
  Tensor b = Make({1, 1}, {2}, DType::kBool);
  EXPECT_THAT(Run("floor_divide", {b, b}).status().message(),
              HasSubstr("\"div_floor_cpu\" not implemented for 'Bool'"));
  EXPECT_THAT(Run("remainder", {b, b}).status().message(),
              HasSubstr("\"remainder_cpu\" not implemented for 'Bool'"));
  EXPECT_THAT(Run("div", {b, b}, {{"rounding_mode", std::string("trunc")}}).status().message(),
              HasSubstr("\"div_trunc_cpu\" not implemented for 'Bool'"));
}

OP_CASE("remainder", RemainderTakesTheDivisorsSign) {
  // torch.remainder(torch.tensor([-7, 7, -7, 7, 0]), torch.tensor([2, -2, -2, 2, 3])).
  Tensor r = Run1("remainder", {Make({-7, 7, -7, 7, 0}, {5}, DType::kInt64),
                                Make({2, -2, -2, 2, 3}, {5}, DType::kInt64)});
  EXPECT_EQ(r.dtype(), DType::kInt64);
  EXPECT_THAT(Values(r), ElementsAre(1, -1, -1, 1, 0));
  // Same operands as floats, plus 5 % 0.1 and -0.0 % 3.
  ExpectClose(Values(Run1("remainder", {Make({-7.5, 7.5, -7.5, 7.5, 5.0, -0.0}, {6}),
                                        Make({2, -2, -2, 2, 0.1, 3}, {6})})),
              {0.5, -0.5, -1.5, 1.5, 0.09999992698431015, -0.0}, 1e-7);
  // torch.remainder(torch.tensor([-0.0, 0.0, 3.0]), -2.) and by 0.
  ExpectClose(Values(Run1("remainder", {Make({-0.0, 0.0, 3.0}, {3})}, {{"other", -2.0}})),
              {-0.0, 0.0, -1.0});
  ExpectClose(Values(Run1("remainder", {Make({5, -5}, {2})}, {{"other", 0.0}})), {kNaN, kNaN});
  // torch.remainder(torch.tensor([7, -7]), 2.5) is float32 [2, 0.5].
  EXPECT_THAT(Values(Run1("remainder", {Make({7, -7}, {2}, DType::kInt64)}, {{"other", 2.5}})),
              ElementsAre(2.0, 0.5));
  // torch.remainder(torch.tensor([-1.5, 0.5, 2.5, 3.7], dtype=torch.float16), 2).
  EXPECT_THAT(Values(Run1("remainder", {Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kFloat16)},
                          {{"other", int64_t{2}}})),
              ElementsAre(0.5, 0.5, 0.5, 1.69921875));
}

OP_CASE("remainder_", RemainderInPlace) {
  Tensor x = Make({-7, 7}, {2}, DType::kInt32);
  ASSERT_TRUE(Run("remainder_", {x}, {{"other", int64_t{3}}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(2, 1));
  EXPECT_EQ(x.dtype(), DType::kInt32);
}

OP_CASE("pow", Pow) {
  // torch.pow(torch.tensor([2, -1, 1, 0, 3, -3]), torch.tensor([10, -3, -2, -1, 3, 3])).
  Tensor i = Run1("pow", {Make({2, -1, 1, 0, 3, -3}, {6}, DType::kInt64),
                          Make({10, -3, -2, -1, 3, 3}, {6}, DType::kInt64)});
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_THAT(Values(i), ElementsAre(1024, -1, 1, 0, 27, -27));
  // torch.pow(torch.tensor([2], dtype=torch.int32), torch.tensor([31], dtype=torch.int32)) wraps.
  EXPECT_THAT(Values(Run1("pow", {Make({2}, {1}, DType::kInt32), Make({31}, {1}, DType::kInt32)})),
              ElementsAre(-2147483648.0));
  // torch.pow(torch.tensor([2, -3, 5]), 3) stays int64.
  EXPECT_THAT(
      Values(Run1("pow", {Make({2, -3, 5}, {3}, DType::kInt64)}, {{"exponent", int64_t{3}}})),
      ElementsAre(8, -27, 125));
  // torch.pow(torch.tensor([4, -4, 2]), 0.5) is float32.
  Tensor h = Run1("pow", {Make({4, -4, 2}, {3}, DType::kInt64)}, {{"exponent", 0.5}});
  EXPECT_EQ(h.dtype(), DType::kFloat32);
  ExpectClose(Values(h), {2.0, kNaN, 1.4142135381698608}, 1e-7);
  // torch.pow(torch.tensor([-0.0, -inf, 4.]), 0.5) is [-0., nan, 2.] (sqrt).
  ExpectClose(Values(Run1("pow", {Make({-0.0, -kInf, 4}, {3})}, {{"exponent", 0.5}})),
              {-0.0, kNaN, 2.0});
  // torch.pow(torch.tensor([0., -0., 2.]), -1) is [inf, -inf, 0.5].
  ExpectClose(Values(Run1("pow", {Make({0, -0.0, 2}, {3})}, {{"exponent", int64_t{-1}}})),
              {kInf, -kInf, 0.5});
  // torch.pow(torch.tensor([True, False]), 2) is int64 [1, 0].
  Tensor b = Run1("pow", {Make({1, 0}, {2}, DType::kBool)}, {{"exponent", int64_t{2}}});
  EXPECT_EQ(b.dtype(), DType::kInt64);
  EXPECT_THAT(Values(b), ElementsAre(1, 0));
  // torch.pow(x, x) for x = torch.tensor([-1.5, 0.5, 2.5, 3.7]) in float16 / bfloat16.
  Tensor x16 = Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kFloat16);
  ExpectClose(Values(Run1("pow", {x16, x16})), {kNaN, 0.70703125, 9.8828125, 126.375});
  Tensor xb = Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kBFloat16);
  ExpectClose(Values(Run1("pow", {xb, xb})), {kNaN, 0.70703125, 9.875, 127.5});
  // Broadcast: torch.pow(torch.tensor([[2.], [3.]]), torch.tensor([0.5, -2.])).
  Tensor p = Run1("pow", {Make({2, 3}, {2, 1}), Make({0.5, -2}, {2})});
  EXPECT_THAT(Shape(p), ElementsAre(2, 2));
  ExpectClose(Values(p), {1.4142135381698608, 0.25, 1.7320508075688772, 0.1111111119389534}, 1e-7);
}

OP_CASE("pow_", PowInPlace) {
  // torch.tensor([1, 2]).pow_(2).
  Tensor x = Make({1, 2}, {2}, DType::kInt64);
  ASSERT_TRUE(Run("pow_", {x}, {{"exponent", int64_t{2}}}).ok());
  EXPECT_THAT(Values(x), ElementsAre(1, 4));
  EXPECT_EQ(Run("pow_", {x}, {{"exponent", 0.5}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_ERROR_CASE(PowRefusals, "pow", "pow_") {
  Tensor i = Make({2, 3}, {2}, DType::kInt64);
  for (const char* op : {"pow", "pow_"}) {
    // torch.pow(torch.tensor([2, 3]), -1).
    auto r = Run(op, {i}, {{"exponent", int64_t{-1}}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(),
                HasSubstr("Integers to negative integer powers are not allowed."));
  }
  // torch.pow(b, b): "pow" not implemented for 'Bool'.
  Tensor b = Make({1, 0}, {2}, DType::kBool);
  EXPECT_THAT(Run("pow", {b, b}).status().message(),
              HasSubstr("\"pow\" not implemented for 'Bool'"));
  // Neither or both exponents.
  EXPECT_THAT(Run("pow", {i}).status().message(), HasSubstr("exponent=<number>"));
  EXPECT_EQ(Run("pow", {i, i}, {{"exponent", int64_t{2}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

OP_CASE("maximum", MaximumMinimumPropagateNaN) {
  Tensor a = Make({1, kNaN, 2, -0.0}, {4});
  Tensor b = Make({kNaN, 1, 3, 0.0}, {4});
  // torch.maximum / torch.minimum(torch.tensor([1., nan, 2, -0.]), torch.tensor([nan, 1., 3, 0.])).
  ExpectClose(Values(Run1("maximum", {a, b})), {kNaN, kNaN, 3.0, -0.0});
  ExpectClose(Values(Run1("minimum", {a, b})), {kNaN, kNaN, 2.0, -0.0});
  // torch.maximum(torch.tensor([1, 5]), torch.tensor([2.5, 2.5], dtype=torch.float64)).
  Tensor m =
      Run1("maximum", {Make({1, 5}, {2}, DType::kInt64), Make({2.5, 2.5}, {2}, DType::kFloat64)});
  EXPECT_EQ(m.dtype(), DType::kFloat64);
  EXPECT_THAT(Values(m), ElementsAre(2.5, 5.0));
  // torch.maximum(b, b) on bool.
  Tensor bb = Make({1, 0}, {2}, DType::kBool);
  EXPECT_EQ(Run1("maximum", {bb, bb}).dtype(), DType::kBool);
  // out= in bfloat16.
  Tensor out = Make({0, 0, 0, 0}, {4}, DType::kBFloat16);
  ASSERT_TRUE(Run("minimum", {Make({1, 2, 3, 4}, {4}), Make({4, 3, 2, 1}, {4})}, {}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(1, 2, 2, 1));
}

OP_CASE("minimum", MinimumOfIntegers) {
  Tensor r = Run1("minimum", {Make({-3, 7}, {2}, DType::kInt32), Make({5}, {1}, DType::kInt32)});
  EXPECT_EQ(r.dtype(), DType::kInt32);
  EXPECT_THAT(Values(r), ElementsAre(-3, 5));
}

OP_CASE("atan2", Atan2) {
  // torch.atan2(torch.tensor([1, -1, 0]), torch.tensor([1, -1, -1])) is float32.
  Tensor r =
      Run1("atan2", {Make({1, -1, 0}, {3}, DType::kInt64), Make({1, -1, -1}, {3}, DType::kInt64)});
  EXPECT_EQ(r.dtype(), DType::kFloat32);
  ExpectClose(Values(r), {0.7853981852531433, -2.356194496154785, 3.1415927410125732}, 1e-7);
  // torch.atan2(y, x) with y = [-1.5, 0.5, 2.5, 3.7], x = [1., -1, -2, 0.5] in bfloat16.
  Tensor yb = Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kBFloat16);
  Tensor xb = Make({1, -1, -2, 0.5}, {4}, DType::kBFloat16);
  ExpectClose(Values(Run1("atan2", {yb, xb})), {-0.984375, 2.671875, 2.25, 1.4375});
  // torch.atan2(y.float(), x.float()).half() for the float16 forms.
  Tensor yh = Make({-1.5, 0.5, 2.5, 3.7}, {4}, DType::kFloat16);
  Tensor xh = Make({1, -1, -2, 0.5}, {4}, DType::kFloat16);
  ExpectClose(Values(Run1("atan2", {yh, xh})),
              {-0.98291015625, 2.677734375, 2.24609375, 1.4365234375});
}

OP_CASE("atan2_", Atan2InPlace) {
  Tensor y = Make({1, -1}, {2}, DType::kFloat64);
  ASSERT_TRUE(Run("atan2_", {y, Make({0, 0}, {2}, DType::kFloat64)}).ok());
  ExpectClose(Values(y), {M_PI / 2, -M_PI / 2}, 1e-15);
  // An int64 self can't hold the float32 result.
  EXPECT_THAT(Run("atan2_", {Make({1}, {1}, DType::kInt64), Make({1}, {1}, DType::kInt64)})
                  .status()
                  .message(),
              HasSubstr("can't be cast"));
}

OP_ERROR_CASE(BinaryElementwiseOpsRejectImpossibleBroadcasts, "floor_divide", "floor_divide_",
              "remainder", "remainder_", "pow", "pow_", "maximum", "minimum", "atan2", "atan2_",
              "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor") {
  Tensor a = Make(std::vector<double>(15, 1), {5, 3});
  Tensor b = Make(std::vector<double>(8, 1), {4, 2});
  for (const char* op : {"floor_divide", "floor_divide_", "remainder", "remainder_", "pow", "pow_",
                         "maximum", "minimum", "atan2", "atan2_", "eq", "ne", "lt", "le", "gt",
                         "ge", "logical_and", "logical_or", "logical_xor"}) {
    auto r = Run(op, {a, b});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op;
    EXPECT_THAT(r.status().message(),
                HasSubstr(std::string(op) + "([5, 3] float32, [4, 2] float32)"));
    EXPECT_THAT(r.status().message(), HasSubstr("cannot be broadcast")) << op;
  }
  // Ops whose other operand must be a tensor, as in torch (maximum(t, 2) is a TypeError).
  for (const char* op : {"maximum", "minimum", "atan2", "logical_and"}) {
    EXPECT_EQ(Run(op, {a}, {{"other", int64_t{2}}}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << op;
  }
}

OP_ERROR_CASE(SubRefusesBoolAsTorch, "sub", "sub_") {
  Tensor b = Make({1, 0}, {2}, DType::kBool);
  // torch.sub(b, b) and torch.sub(b, 1).
  for (const char* op : {"sub", "sub_"}) {
    EXPECT_THAT(Run(op, {b, b}).status().message(),
                HasSubstr("Subtraction, the `-` operator, with two bool tensors is not supported"));
    EXPECT_THAT(Run(op, {b}, {{"other", int64_t{1}}}).status().message(),
                HasSubstr("Subtraction, the `-` operator, with a bool tensor is not supported"));
  }
}

// ---- comparisons and logical ops ---------------------------------------------

[[maybe_unused]] const bool kComparisonsCovered =
    Cover(CoveredOps(), {"eq", "ne", "lt", "le", "gt", "ge"});
TEST_F(OpCases, ComparisonsGiveBool) {
  Tensor a = Make({1, 2, kNaN}, {3});
  Tensor b = Make({2, 2, kNaN}, {3});
  const std::map<std::string, std::vector<double>> want = {
      // torch.<op>(torch.tensor([1., 2., nan]), torch.tensor([2., 2., nan])).
      {"eq", {0, 1, 0}}, {"ne", {1, 0, 1}}, {"lt", {1, 0, 0}},
      {"le", {1, 1, 0}}, {"gt", {0, 0, 0}}, {"ge", {0, 1, 0}}};
  for (const auto& [op, values] : want) {
    Tensor r = Run1(op, {a, b});
    EXPECT_EQ(r.dtype(), DType::kBool) << op;
    EXPECT_EQ(Values(r), values) << op;
  }
  // torch.eq(torch.tensor([1, 2, 3]), 2.5): compared as float.
  EXPECT_THAT(Values(Run1("eq", {Make({1, 2, 3}, {3}, DType::kInt64)}, {{"other", 2.5}})),
              ElementsAre(0, 0, 0));
  // torch.ge(torch.tensor([1, 2, 3]), 2).
  EXPECT_THAT(Values(Run1("ge", {Make({1, 2, 3}, {3}, DType::kInt64)}, {{"other", int64_t{2}}})),
              ElementsAre(0, 1, 1));
  // Broadcast [2, 1] against [3] in float16 vs bfloat16 (promotes to float32).
  Tensor l =
      Run1("lt", {Make({1, 3}, {2, 1}, DType::kFloat16), Make({0, 2, 4}, {3}, DType::kBFloat16)});
  EXPECT_THAT(Shape(l), ElementsAre(2, 3));
  EXPECT_THAT(Values(l), ElementsAre(0, 1, 1, 0, 0, 1));
  // torch.eq(torch.tensor([1., 0.]), 1, out=torch.empty(2)) writes 1/0 floats.
  Tensor out = Make({9, 9}, {2});
  ASSERT_TRUE(Run("eq", {Make({1, 0}, {2})}, {{"other", int64_t{1}}}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(1, 0));
}

[[maybe_unused]] const bool kLogicalCovered =
    Cover(CoveredOps(), {"logical_and", "logical_or", "logical_xor"});
TEST_F(OpCases, LogicalOpsTreatNonzeroAsTrue) {
  Tensor a = Make({-7, 0, 3, 0}, {4}, DType::kInt64);
  Tensor b = Make({0, 1, kNaN, 0}, {4});
  // torch.logical_*(torch.tensor([-7, 0, 3, 0]), torch.tensor([0., 1, nan, 0])).
  const std::map<std::string, std::vector<double>> want = {
      {"logical_and", {0, 0, 1, 0}}, {"logical_or", {1, 1, 1, 0}}, {"logical_xor", {1, 1, 0, 0}}};
  for (const auto& [op, values] : want) {
    Tensor r = Run1(op, {a, b});
    EXPECT_EQ(r.dtype(), DType::kBool) << op;
    EXPECT_EQ(Values(r), values) << op;
  }
  // A float64 1e-300 stays true next to float32 (it is read as a truth value,
  // not rounded to float32 first).
  Tensor tiny = Make({1e-300}, {}, DType::kFloat64);
  EXPECT_THAT(Values(Run1("logical_and", {Make({1, 0}, {2}), tiny})), ElementsAre(1, 0));
  // torch.logical_and(x, y, out=torch.empty(2)).
  Tensor out = Make({9, 9}, {2});
  ASSERT_TRUE(Run("logical_and", {Make({1, 0}, {2}), Make({1, 1}, {2})}, {}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(1, 0));
}

// ---- where --------------------------------------------------------------------

OP_CASE("where", Where) {
  Tensor c = Make({1, 0, 1}, {3}, DType::kBool);
  // torch.where(c, torch.tensor([1, 2, 3], dtype=torch.int32), 2.5) is float32.
  Tensor ts = Run1("where", {c, Make({1, 2, 3}, {3}, DType::kInt32)}, {{"other", 2.5}});
  EXPECT_EQ(ts.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(ts), ElementsAre(1.0, 2.5, 3.0));
  // torch.where(c, 1, 2) is int64.
  Tensor ss = Run1("where", {c}, {{"self", int64_t{1}}, {"other", int64_t{2}}});
  EXPECT_EQ(ss.dtype(), DType::kInt64);
  EXPECT_THAT(Values(ss), ElementsAre(1, 2, 1));
  // torch.where(c, 0.5, torch.tensor([7, 8, 9])) is float32.
  Tensor st = Run1("where", {c, Make({7, 8, 9}, {3}, DType::kInt64)}, {{"self", 0.5}});
  EXPECT_EQ(st.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(st), ElementsAre(0.5, 8, 0.5));
  // Three-way broadcast: [2, 1] condition, [3] and [] values.
  Tensor cond = Make({1, 0}, {2, 1}, DType::kBool);
  Tensor w =
      Run1("where", {cond, Make({1, 2, 3}, {3}, DType::kFloat16), Make({-1}, {}, DType::kFloat16)});
  EXPECT_THAT(Shape(w), ElementsAre(2, 3));
  EXPECT_EQ(w.dtype(), DType::kFloat16);
  EXPECT_THAT(Values(w), ElementsAre(1, 2, 3, -1, -1, -1));
  // torch.where(c, x, y, out=torch.empty(3)).
  Tensor out = Make({0, 0, 0}, {3});
  ASSERT_TRUE(Run("where", {c, Make({1, 2, 3}, {3}), Make({4, 5, 6}, {3})}, {}, &out).ok());
  EXPECT_THAT(Values(out), ElementsAre(1, 5, 3));
}

OP_ERROR_CASE(WhereNeedsABoolConditionAndTwoValues, "where") {
  Tensor x = Make({1, 2}, {2});
  // torch.where(torch.tensor([1, 0]), 1., 2.).
  auto r = Run("where", {Make({1, 0}, {2}, DType::kInt64)}, {{"self", 1.0}, {"other", 2.0}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("where expected condition to be a boolean tensor"));
  Tensor c = Make({1, 0}, {2}, DType::kBool);
  EXPECT_THAT(Run("where", {c, x}).status().message(), HasSubstr("where needs other"));
  EXPECT_EQ(Run("where", {c, x, x}, {{"other", 1.0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto shapes = Run("where", {c, x, Make({1, 2, 3}, {3})});
  EXPECT_THAT(shapes.status().message(), HasSubstr("cannot be broadcast"));
  EXPECT_THAT(shapes.status().message(), HasSubstr("[3]"));
}

}  // namespace
}  // namespace tensord::autograd::testing
