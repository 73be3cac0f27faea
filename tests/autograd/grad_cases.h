// The gradcheck cases: for every op with a backward rule, inputs (shapes,
// value domain, fixed index or mask inputs) and attributes on which its
// analytical gradients are checked. gradcheck_test.cc checks them against
// finite differences; the CUDA backend-consistency test
// (tests/device/cuda) runs the same cases on the CPU and on a GPU.
#ifndef TENSORD_TESTS_AUTOGRAD_GRAD_CASES_H_
#define TENSORD_TESTS_AUTOGRAD_GRAD_CASES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autograd/attrs.h"
#include "device/dtype.h"

namespace tensord::autograd::testing {

// The values random inputs are drawn from: [-1, 1], [0.5, 2], or
// +-[0.2, 1] (away from a kink or pole at 0).
enum class Domain { kAny, kPositive, kAwayFromZero };

// An input that takes no gradient (a mask, an index): given values and dtype.
struct Fixed {
  std::vector<double> values;
  device::DType dtype = device::DType::kInt64;
};

struct GradCase {
  std::string op;
  std::vector<std::vector<int64_t>> shapes;  // one per tensor input
  std::map<std::string, AttrValue> attrs;
  Domain values = Domain::kAny;
  std::map<size_t, Fixed> fixed;  // inputs by position that are not differentiated
  // In-place ops: run on a copy of input 0 (x * 1, not a leaf), as a leaf
  // that requires grad refuses in-place writes.
  bool on_copy = false;
  // Ops whose backward refuses, as PyTorch's does: the expected message.
  std::string refuses;
};

// Every case, in a fixed order; an op may have several.
const std::vector<GradCase>& GradCases();

}  // namespace tensord::autograd::testing

#endif  // TENSORD_TESTS_AUTOGRAD_GRAD_CASES_H_
