// The cases the CUDA backend-consistency test runs on the CPU and on cuda:0:
// every gradcheck case (tests/autograd/grad_cases.h, gradients included),
// the cases of consistency_cases.cc for what gradcheck does not reach (ops
// without a backward rule: creation, comparisons, random draws, argmax, ...;
// and sizes, broadcasts and duplicate indices that exercise a GPU's grids),
// and, for each in-place variant op_ without a case of its own, its
// functional op's cases run in place. A new op without a case fails
// BackendConsistencyCoverage here, with or without a GPU.
#ifndef TENSORD_TESTS_DEVICE_CUDA_CONSISTENCY_CASES_H_
#define TENSORD_TESTS_DEVICE_CUDA_CONSISTENCY_CASES_H_

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "autograd/attrs.h"
#include "tests/autograd/grad_cases.h"

namespace tensord::autograd::testing {

// How the two devices' results are compared.
enum class Check {
  kValues,       // elementwise: the dtype's tolerance, exact for integers and bool
  kMetadata,     // shape, dtype and device only (uninitialized memory: empty*)
  kRandom,       // draws: range, mean and spread against the CPU's draws
  kPermutation,  // draws that are a permutation: sorted values equal
};

struct ConsistencyCase {
  std::string op;
  std::vector<std::vector<int64_t>> shapes;  // one per tensor input
  std::map<std::string, AttrValue> attrs;
  Domain values = Domain::kAny;
  double scale = 1;               // random values are multiplied by this (casts)
  std::map<size_t, Fixed> fixed;  // inputs given by value (masks, indices)
  // Inputs drawn as random int64 indices in [0, n) (gather, index_select).
  std::map<size_t, int64_t> index_below;
  // Inputs drawn as random bool masks.
  std::set<size_t> masks;
  bool on_copy = false;    // in-place ops: run on a copy of input 0
  bool gradients = false;  // also run backward and compare input gradients
  std::string refuses;     // the backward refuses (gradcheck's expectation)
  Check check = Check::kValues;
  // kRandom: every drawn value lies in [low, high].
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  // Multiplies the dtype's tolerance (long reductions in 16-bit floats).
  double tolerance = 1;
  // Also run with the random inputs in every other dtype (forward only).
  bool sweep_dtypes = true;
  // Where the case comes from: "gradcheck", "consistency", or "in place of
  // OP's case" for the derived in-place cases.
  std::string origin;
  // A derived in-place case: skipped where the CPU refuses it (an op whose
  // result cannot be written into its first input with that case's shapes).
  bool derived = false;
};

// Every case, in a fixed order.
const std::vector<ConsistencyCase>& ConsistencyCases();

// "add(shapes [2, 3] [3]; alpha=0.5) from gradcheck", for messages.
std::string Describe(const ConsistencyCase& c);

}  // namespace tensord::autograd::testing

#endif  // TENSORD_TESTS_DEVICE_CUDA_CONSISTENCY_CASES_H_
