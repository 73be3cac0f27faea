// ExpectError: runs a client call that must throw client::Error with a given
// gRPC code, and returns its message for further checks.
#ifndef TENSORD_TESTS_INTEGRATION_EXPECT_ERROR_H_
#define TENSORD_TESTS_INTEGRATION_EXPECT_ERROR_H_

#include <functional>
#include <string>

#include "client/error.h"
#include "gtest/gtest.h"

namespace tensord::testing {

// Runs `fn`, which must throw Error with `code`; returns the message.
inline std::string ExpectError(const std::function<void()>& fn, int code) {
  try {
    fn();
  } catch (const client::Error& e) {
    EXPECT_EQ(e.code(), code) << e.code_name() << ": " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error with code " << code << ", but the call succeeded";
  return "";
}

}  // namespace tensord::testing

#endif  // TENSORD_TESTS_INTEGRATION_EXPECT_ERROR_H_
