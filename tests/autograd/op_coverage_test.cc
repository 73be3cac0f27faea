// Fails for every registered op that has no OP_CASE (a checked result) or no
// OP_ERROR_CASE (a checked error path) in the *_cases_test.cc files.
#include "autograd/op_registry.h"
#include "gmock/gmock.h"
#include "tests/autograd/op_cases.h"

namespace tensord::autograd::testing {
namespace {

using device::Tensor;

std::vector<std::string> Missing(const std::set<std::string>& covered) {
  std::vector<std::string> missing;
  for (const OpDef* op : OpRegistry::Global().List()) {
    if (!covered.contains(op->name)) missing.push_back(op->name);
  }
  return missing;
}

TEST(OpRegistryCoverage, EveryRegisteredOpHasACase) {
  EXPECT_THAT(Missing(CoveredOps()), ::testing::IsEmpty())
      << "ops without an OP_CASE in tests/autograd/*_cases_test.cc";
}

TEST(OpRegistryCoverage, EveryRegisteredOpHasAnErrorCase) {
  EXPECT_THAT(Missing(ErrorCoveredOps()), ::testing::IsEmpty())
      << "ops without an OP_ERROR_CASE in tests/autograd/*_cases_test.cc";
}

// Every op, through the registry: a wrong number of inputs and an unknown
// attribute are INVALID_ARGUMENT naming the op, and nothing runs.
TEST_F(OpTest, EveryOpRejectsWrongArityAndUnknownAttributes) {
  Tensor x = Make({1, 2, 3, 4}, {2, 2});
  for (const OpDef* op : OpRegistry::Global().List()) {
    const bool variadic = !op->inputs.empty() && op->inputs.back().ends_with("...");
    if (!variadic) {
      std::vector<Tensor> too_many(op->inputs.size() + 1, x);
      auto r = Run(op->name, too_many);
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op->name;
      EXPECT_THAT(r.status().message(), ::testing::HasSubstr(op->name));
    }
    std::vector<Tensor> inputs;
    for (const std::string& in : op->inputs) {
      if (!in.ends_with("?") && !in.ends_with("...")) inputs.push_back(x);
    }
    auto r = Run(op->name, inputs, {{"no_such_attribute", int64_t{1}}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << op->name;
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("no_such_attribute"));
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr(op->name));
  }
}

}  // namespace
}  // namespace tensord::autograd::testing
