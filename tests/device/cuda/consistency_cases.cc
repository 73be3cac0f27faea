// The backend-consistency case table (see consistency_cases.h).
#include "tests/device/cuda/consistency_cases.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "autograd/op_registry.h"

namespace tensord::autograd::testing {
namespace {

using device::DType;
using Dims = std::vector<int64_t>;

ConsistencyCase FromGradCase(const GradCase& g) {
  return ConsistencyCase{.op = g.op,
                         .shapes = g.shapes,
                         .attrs = g.attrs,
                         .values = g.values,
                         .fixed = g.fixed,
                         .on_copy = g.on_copy,
                         .gradients = true,
                         .refuses = g.refuses,
                         .origin = "gradcheck"};
}

// Shorthands for the table below.
ConsistencyCase Values(std::string op, std::vector<std::vector<int64_t>> shapes,
                       std::map<std::string, AttrValue> attrs = {}, Domain values = Domain::kAny) {
  return {.op = std::move(op),
          .shapes = std::move(shapes),
          .attrs = std::move(attrs),
          .values = values,
          .origin = "consistency"};
}
// A case with a derivative: gradients are compared too.
ConsistencyCase WithGrad(std::string op, std::vector<std::vector<int64_t>> shapes,
                         std::map<std::string, AttrValue> attrs = {},
                         Domain values = Domain::kAny) {
  ConsistencyCase c = Values(std::move(op), std::move(shapes), std::move(attrs), values);
  c.gradients = true;
  return c;
}
// A creation op: no inputs.
ConsistencyCase Create(std::string op, std::map<std::string, AttrValue> attrs,
                       Check check = Check::kValues) {
  ConsistencyCase c = Values(std::move(op), {}, std::move(attrs));
  c.check = check;
  return c;
}
// Uninitialized memory: only shape, dtype and device are compared.
ConsistencyCase Metadata(ConsistencyCase c) {
  c.check = Check::kMetadata;
  return c;
}
ConsistencyCase Random(ConsistencyCase c, double low, double high) {
  c.check = Check::kRandom;
  c.low = low;
  c.high = high;
  c.sweep_dtypes = false;
  return c;
}
ConsistencyCase Permutation(ConsistencyCase c) {
  c.check = Check::kPermutation;
  c.sweep_dtypes = false;
  return c;
}
ConsistencyCase WithIndex(ConsistencyCase c, size_t input, int64_t below) {
  c.index_below[input] = below;
  return c;
}
ConsistencyCase WithMask(ConsistencyCase c, size_t input) {
  c.masks.insert(input);
  return c;
}
ConsistencyCase Tolerance(ConsistencyCase c, double factor) {
  c.tolerance = factor;
  return c;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<ConsistencyCase> OwnCases() {
  std::vector<ConsistencyCase> v = {
      // ---- Ops without a backward rule ----
      Values("all", {{3, 4}}),
      Values("all", {{3, 4}}, {{"dim", Dims{1}}}),
      Values("any", {{3, 4}}),
      Values("any", {{3, 4}}, {{"dim", Dims{0}}, {"keepdim", true}}),
      Values("argmax", {{3, 4}}),
      Values("argmax", {{3, 4}}, {{"dim", int64_t{1}}}),
      Values("argmin", {{3, 4}}, {{"dim", int64_t{0}}, {"keepdim", true}}),
      Values("argmin", {{3, 4}}),
      Values("detach", {{2, 3}}),
      Values("eq", {{2, 3}, {3}}),
      Values("eq", {{2, 3}}, {{"other", 0.0}}),
      Values("ne", {{2, 3}, {2, 3}}),
      Values("lt", {{2, 3}, {3}}),
      Values("le", {{2, 3}}, {{"other", 0.25}}),
      Values("gt", {{2, 1}, {1, 3}}),
      Values("ge", {{2, 3}, {2, 3}}),
      Values("logical_and", {{2, 3}, {2, 3}}),
      Values("logical_or", {{2, 3}, {3}}),
      Values("logical_xor", {{2, 3}, {2, 3}}),
      Values("logical_not", {{2, 3}}),
      Values("floor_divide", {{2, 3}, {3}}, {}, Domain::kAwayFromZero),
      Values("floor_divide", {{2, 3}}, {{"other", -0.3}}),
      ConsistencyCase{.op = "one_hot",
                      .shapes = {{5}},
                      .attrs = {{"num_classes", int64_t{6}}},
                      .fixed = {{0, {{0, 2, 1, 5, 2}}}},
                      .origin = "consistency"},
      ConsistencyCase{.op = "one_hot",
                      .shapes = {{2, 2}},
                      .fixed = {{0, {{3, 0, 1, 1}}}},
                      .origin = "consistency"},
      // ---- Creation: no inputs, the context's device (cuda:0 on the GPU side) ----
      Create("empty", {{"size", Dims{5, 3}}}, Check::kMetadata),
      Metadata(Values("empty_like", {{2, 3}})),
      Metadata(Values("new_empty", {{2, 3}}, {{"size", Dims{4}}})),
      Create("zeros", {{"size", Dims{5, 3}}, {"dtype", DType::kInt64}}),
      Create("zeros", {{"size", Dims{1000, 70}}}),
      Values("zeros_like", {{2, 3}}),
      Values("new_zeros", {{2, 3}}, {{"size", Dims{2, 2}}}),
      Create("ones", {{"size", Dims{2, 3}}, {"dtype", DType::kFloat64}}),
      Create("ones", {{"size", Dims{4}}, {"dtype", DType::kBool}}),
      Values("ones_like", {{2, 3}}),
      Values("new_ones", {{2, 3}}, {{"size", Dims{3}}}),
      Create("full", {{"size", Dims{2, 3}}, {"fill_value", 7.5}}),
      Create("full", {{"size", Dims{3}}, {"fill_value", int64_t{-7}}}),
      Create("full", {{"size", Dims{3}}, {"fill_value", 2.5}, {"dtype", DType::kBFloat16}}),
      Values("full_like", {{2, 3}}, {{"fill_value", int64_t{9}}}),
      Values("new_full", {{2, 3}}, {{"size", Dims{2}}, {"fill_value", 3.0}}),
      Create("arange", {{"end", int64_t{5}}}),
      Create("arange", {{"start", int64_t{1}}, {"end", 2.5}, {"step", 0.5}}),
      Create("arange", {{"start", int64_t{5}}, {"end", int64_t{-3}}, {"step", int64_t{-2}}}),
      Create("arange", {{"end", int64_t{100000}}}),
      Create("arange", {{"start", -1.0}, {"end", 1.0}, {"step", 0.001}}),
      Create("eye", {{"n", int64_t{3}}, {"m", int64_t{4}}}),
      Create("eye", {{"n", int64_t{3}}, {"dtype", DType::kBool}}),
      Create("eye", {{"n", int64_t{300}}, {"m", int64_t{200}}, {"dtype", DType::kInt32}}),
      Create("linspace", {{"start", 0.0}, {"end", 10.0}, {"steps", int64_t{7}}}),
      Create("linspace", {{"start", -3.0}, {"end", 1000.0}, {"steps", int64_t{10001}}}),
      Create("linspace", {{"start", int64_t{0}},
                          {"end", int64_t{10}},
                          {"steps", int64_t{4}},
                          {"dtype", DType::kInt64}}),
      Create("manual_seed", {{"seed", int64_t{3}}}),
      // ---- Random draws: the devices' generators differ (the CPU's is a
      // Mersenne Twister, CUDA's counter-based Philox), so only ranges and
      // moments are compared across them; each device repeats itself under
      // one seed ----
      Random(Create("rand", {{"size", Dims{64, 64}}}), 0, 1),
      Random(Create("rand", {{"size", Dims{4096}}, {"dtype", DType::kFloat64}}), 0, 1),
      Random(Create("randn", {{"size", Dims{64, 64}}}), -kInf, kInf),
      Random(Create("randn", {{"size", Dims{4096}}, {"dtype", DType::kFloat16}}), -kInf, kInf),
      Random(Values("rand_like", {{64, 64}}), 0, 1),
      Random(Values("randn_like", {{64, 64}}), -kInf, kInf),
      Random(
          Create("randint", {{"low", int64_t{3}}, {"high", int64_t{10}}, {"size", Dims{64, 64}}}),
          3, 9),
      Random(Create("randint",
                    {{"high", int64_t{1000}}, {"size", Dims{4096}}, {"dtype", DType::kInt32}}),
             0, 999),
      Permutation(Create("randperm", {{"n", int64_t{1000}}})),
      Permutation(Create("randperm", {{"n", int64_t{70000}}, {"dtype", DType::kInt32}})),
      // Dropout in training: zeros or x / (1 - p), the mask drawn on each device.
      Random(Values("dropout", {{64, 64}}, {{"p", 0.5}}), -2, 2),
      Random(Values("bernoulli", {{64, 64}}, {{"p", 0.3}}), 0, 1),
      Random(ConsistencyCase{.op = "bernoulli",
                             .shapes = {{4096}},
                             .fixed = {{0, {std::vector<double>(4096, 0.7), DType::kFloat32}}},
                             .origin = "consistency"},
             0, 1),
      Random(ConsistencyCase{.op = "normal_",
                             .shapes = {{64, 64}},
                             .attrs = {{"mean", 3.0}, {"std", 2.0}},
                             .on_copy = true,
                             .origin = "consistency"},
             -kInf, kInf),
      Random(ConsistencyCase{.op = "uniform_",
                             .shapes = {{64, 64}},
                             .attrs = {{"from", -2.0}, {"to", 3.0}},
                             .on_copy = true,
                             .origin = "consistency"},
             -2, 3),
      // ---- Sizes that span many thread blocks, broadcasts from both sides,
      // and long reductions and scans ----
      WithGrad("add", {{1000, 257}, {257}}),
      WithGrad("mul", {{30, 1, 70}, {1, 40, 1}}),
      WithGrad("sub", {{1, 513}, {700, 1}}, {{"alpha", 0.5}}),
      WithGrad("div", {{1000, 300}, {1000, 1}}, {}, Domain::kAwayFromZero),
      WithGrad("exp", {{100003}}),
      WithGrad("tanh", {{300, 301}}),
      WithGrad("gelu", {{70000}}),
      WithMask(WithGrad("where", {{300, 400}, {300, 400}, {400}}), 0),
      Tolerance(WithGrad("sum", {{1000, 300}}), 10),
      Tolerance(WithGrad("sum", {{1000, 300}}, {{"dim", Dims{0}}}), 10),
      Tolerance(WithGrad("sum", {{7, 300, 50}}, {{"dim", Dims{0, 2}}}), 10),
      Tolerance(WithGrad("mean", {{513, 129}}, {{"dim", Dims{1}}}), 10),
      WithGrad("amax", {{1000, 300}}, {{"dim", Dims{0}}}),
      WithGrad("max", {{300, 1000}}, {{"dim", int64_t{1}}}),
      WithGrad("min", {{100000}}),
      Values("argmax", {{300, 1000}}, {{"dim", int64_t{1}}}),
      Values("argmin", {{100003}}),
      Tolerance(WithGrad("var", {{1000, 300}}, {{"dim", Dims{1}}}), 10),
      Tolerance(WithGrad("norm", {{100000}}), 10),
      Tolerance(WithGrad("logsumexp", {{300, 1000}}, {{"dim", Dims{1}}}), 10),
      Tolerance(WithGrad("softmax", {{64, 1000}}, {{"dim", int64_t{1}}}), 10),
      Tolerance(WithGrad("log_softmax", {{1000, 64}}, {{"dim", int64_t{0}}}), 10),
      Tolerance(WithGrad("cumsum", {{50, 2000}}, {{"dim", int64_t{1}}}), 10),
      Tolerance(WithGrad("cumsum", {{2000, 50}}, {{"dim", int64_t{0}}}), 10),
      // Products of values below 1 shrink toward 0 rather than overflow, so
      // that 16-bit floats do not reach infinity at slightly different places.
      Tolerance(WithGrad("cumprod", {{4, 500}}, {{"dim", int64_t{1}}}, Domain::kAwayFromZero), 10),
      Tolerance(WithGrad("prod", {{64, 40}}, {{"dim", Dims{1}}}, Domain::kAwayFromZero), 10),
      Values("all", {{300, 1000}}, {{"dim", Dims{1}}}),
      Values("any", {{100003}}),
      WithGrad("matmul", {{128, 256}, {256, 64}}),
      WithGrad("matmul", {{4, 64, 128}, {128, 32}}),
      WithGrad("matmul", {{2, 1, 33, 65}, {3, 65, 17}}),
      WithGrad("bmm", {{8, 33, 65}, {8, 65, 17}}),
      WithGrad("mm", {{1, 300}, {300, 1}}),
      WithGrad("mv", {{500, 300}, {300}}),
      WithGrad("addmm", {{64}, {64, 128}, {128, 64}}, {{"beta", 0.5}, {"alpha", -2.0}}),
      Tolerance(WithGrad("dot", {{10000}, {10000}}), 10),
      WithGrad("outer", {{300}, {200}}),
      // ---- Casts: every pair of dtypes once the inputs are swept, on values
      // with integer parts ----
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kInt64}},
                      .scale = 300,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kInt32}},
                      .scale = 300,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kFloat16}},
                      .scale = 300,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kBFloat16}},
                      .scale = 300,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kBool}},
                      .scale = 3,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kFloat64}},
                      .scale = 300,
                      .origin = "consistency"},
      ConsistencyCase{.op = "to",
                      .shapes = {{300, 70}},
                      .attrs = {{"dtype", DType::kFloat32}, {"copy", true}},
                      .scale = 300,
                      .origin = "consistency"},
      // Strided copies (the strided variant makes the inputs transposed views).
      WithGrad("contiguous", {{300, 400}}),
      WithGrad("clone", {{3, 300, 40}}),
      ConsistencyCase{.op = "copy_",
                      .shapes = {{300, 400}, {400}},
                      .on_copy = true,
                      .gradients = true,
                      .origin = "consistency"},
      WithGrad("repeat", {{30, 40}}, {{"repeats", Dims{3, 2, 5}}}),
      WithGrad("cat", {{300, 40}, {100, 40}, {1, 40}}, {{"dim", int64_t{0}}}),
      WithGrad("stack", {{300, 40}, {300, 40}}, {{"dim", int64_t{2}}}),
      WithGrad("tril", {{3, 100, 130}}, {{"diagonal", int64_t{-2}}}),
      WithGrad("triu", {{130, 100}}, {{"diagonal", int64_t{3}}}),
      // ---- Indexing with random indices and masks, duplicates included ----
      WithIndex(WithGrad("gather", {{300, 400}, {300, 50}}, {{"dim", int64_t{1}}}), 1, 400),
      WithIndex(WithGrad("gather", {{300, 40}, {700, 40}}, {{"dim", int64_t{0}}}), 1, 300),
      WithIndex(WithGrad("scatter_add", {{30, 40}, {30, 500}, {30, 500}}, {{"dim", int64_t{1}}}), 1,
                40),
      // Duplicate indices: the last write in row-major order wins.
      WithIndex(WithGrad("scatter", {{30, 40}, {30, 50}, {30, 50}}, {{"dim", int64_t{1}}}), 1, 40),
      WithIndex(Values("scatter", {{30, 40}, {60, 40}}, {{"dim", int64_t{0}}, {"value", 2.5}}), 1,
                30),
      WithIndex(WithGrad("index_select", {{1000, 64}, {500}}, {{"dim", int64_t{0}}}), 1, 1000),
      WithIndex(WithGrad("index_select", {{64, 1000}, {700}}, {{"dim", int64_t{1}}}), 1, 1000),
      WithIndex(WithGrad("index_get", {{1000, 8}, {700}}), 1, 1000),
      WithIndex(WithGrad("index_put", {{100, 8}, {1000}, {1000, 8}}, {{"accumulate", true}}), 1,
                100),
      // Duplicates without accumulate: the last in row-major order wins.
      WithIndex(WithGrad("index_put", {{100, 8}, {1000}, {1000, 8}}), 1, 100),
      WithIndex(WithGrad("index_put", {{100, 8}, {1000}, {8}}), 1, 100),
      WithMask(WithGrad("index_get", {{300, 40}, {300}}), 1),
      WithMask(WithGrad("index_put", {{300, 40}, {300, 40}}, {{"value", -1.0}}), 1),
      WithMask(WithGrad("masked_select", {{300, 400}, {300, 400}}), 1),
      WithMask(WithGrad("masked_fill", {{300, 400}, {400}}, {{"value", 0.5}}), 1),
      WithMask(WithGrad("where", {{300, 400}, {300, 400}, {300, 400}}), 0),
      WithMask(Values("where", {{2, 3}, {2, 3}}, {{"other", 1.5}}), 0),
  };
  return v;
}

}  // namespace

const std::vector<ConsistencyCase>& ConsistencyCases() {
  static const auto* cases = [] {
    auto* all = new std::vector<ConsistencyCase>;
    for (const GradCase& g : GradCases()) all->push_back(FromGradCase(g));
    for (ConsistencyCase& c : OwnCases()) all->push_back(std::move(c));
    // In-place variants without a case of their own run their functional
    // op's cases in place.
    std::set<std::string> named;
    for (const ConsistencyCase& c : *all) named.insert(c.op);
    const size_t functional_cases = all->size();
    for (const OpDef* op : OpRegistry::Global().List()) {
      if (op->inplace_of.empty() || named.contains(op->name)) continue;
      for (size_t i = 0; i < functional_cases; ++i) {
        const ConsistencyCase& f = (*all)[i];
        if (f.op != op->inplace_of) continue;
        ConsistencyCase c = f;
        c.op = op->name;
        c.on_copy = true;
        c.derived = true;
        c.origin = absl::StrCat("in place of ", f.op, "'s case from ", f.origin);
        all->push_back(std::move(c));
      }
    }
    return all;
  }();
  return *cases;
}

std::string Describe(const ConsistencyCase& c) {
  std::vector<std::string> shapes;
  for (const auto& s : c.shapes) shapes.push_back(absl::StrCat("[", absl::StrJoin(s, ", "), "]"));
  std::vector<std::string> attrs;
  for (const auto& [name, value] : c.attrs) {
    attrs.push_back(absl::StrCat(name, "=", AttrValueToString(value)));
  }
  std::string out = absl::StrCat(c.op, "(shapes ", absl::StrJoin(shapes, " "));
  if (!attrs.empty()) absl::StrAppend(&out, "; ", absl::StrJoin(attrs, ", "));
  absl::StrAppend(&out, ") from ", c.origin);
  return out;
}

}  // namespace tensord::autograd::testing
