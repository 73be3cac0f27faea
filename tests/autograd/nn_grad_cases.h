// The gradcheck cases of the neural-network ops (linear, conv2d, pooling,
// losses), joined to the shared table in grad_cases.cc.
#ifndef TENSORD_TESTS_AUTOGRAD_NN_GRAD_CASES_H_
#define TENSORD_TESTS_AUTOGRAD_NN_GRAD_CASES_H_

#include <vector>

#include "tests/autograd/grad_cases.h"

namespace tensord::autograd::testing {

std::vector<GradCase> NnGradCases();

}  // namespace tensord::autograd::testing

#endif  // TENSORD_TESTS_AUTOGRAD_NN_GRAD_CASES_H_
