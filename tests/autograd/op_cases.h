// The op-case registry for tests: OP_CASE(op, Name) defines a test of `op`
// and records that `op` has one; OP_ERROR_CASE records a test of its error
// path. op_coverage_test.cc fails for any registered op missing either, so
// an op cannot be added without tests. Case files are *_cases_test.cc here.
#ifndef TENSORD_TESTS_AUTOGRAD_OP_CASES_H_
#define TENSORD_TESTS_AUTOGRAD_OP_CASES_H_

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "tests/autograd/op_test_util.h"

namespace tensord::autograd::testing {

inline std::set<std::string>& CoveredOps() {
  static auto* covered = new std::set<std::string>;
  return *covered;
}
inline std::set<std::string>& ErrorCoveredOps() {
  static auto* covered = new std::set<std::string>;
  return *covered;
}
inline bool Cover(std::set<std::string>& set, std::initializer_list<const char*> ops) {
  for (const char* op : ops) set.insert(op);
  return true;
}

class OpCases : public OpTest {};

// OP_CASE("add", AddBroadcasts) { ... }  (a test of the op's results)
#define OP_CASE(op, name)                                                                    \
  [[maybe_unused]] static const bool kCovered##name =                                        \
      ::tensord::autograd::testing::Cover(::tensord::autograd::testing::CoveredOps(), {op}); \
  TEST_F(OpCases, name)

// OP_ERROR_CASE(AddRejectsBadShapes, "add", "add_") { ... }  (their errors)
#define OP_ERROR_CASE(name, ...)                                                                \
  [[maybe_unused]] static const bool kErrorCovered##name = ::tensord::autograd::testing::Cover( \
      ::tensord::autograd::testing::ErrorCoveredOps(), {__VA_ARGS__});                          \
  TEST_F(OpCases, name)

}  // namespace tensord::autograd::testing

#endif  // TENSORD_TESTS_AUTOGRAD_OP_CASES_H_
