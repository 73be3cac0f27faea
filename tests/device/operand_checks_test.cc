// The operand checks every backend shares (device/operand_checks.h): where
// a tensor lives and whether its layout fits its storage. The per-primitive
// shape and dtype rules are exercised through the CPU backend's tests.
#include "device/operand_checks.h"

#include "device/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/device/fake_backend.h"

namespace tensord::device {
namespace {

using ::testing::HasSubstr;

class OperandChecks : public ::testing::Test {
 protected:
  testing::FakeBackend a_{Device{Device::Type::kCuda, 1}};
  testing::FakeBackend b_{Device{Device::Type::kCuda, 2}};

  Tensor On(testing::FakeBackend& backend, size_t nbytes, Shape shape, Strides strides,
            int64_t offset) {
    return Tensor(*backend.Allocate(nbytes), std::move(shape), std::move(strides), offset,
                  DType::kFloat32);
  }
};

TEST_F(OperandChecks, AcceptsInBoundsViews) {
  const Tensor t = On(a_, 24, {2, 3}, {3, 1}, 0);
  EXPECT_EQ(*CheckOperand(a_, t, "x"), 0);
  const Tensor col = On(a_, 24, {2}, {3}, 1);  // t[:, 1]
  EXPECT_EQ(*CheckOperand(a_, col, "x"), 4);
  absl::StatusOr<char*> data = a_.Operand(col, "x");
  ASSERT_TRUE(data.ok());
  const Tensor reversed = On(a_, 24, {3}, {-1}, 2);
  EXPECT_TRUE(CheckOperand(a_, reversed, "x").ok());
  const Tensor expanded = On(a_, 4, {5, 7}, {0, 0}, 0);
  EXPECT_TRUE(CheckOperand(a_, expanded, "x").ok());
  const Tensor empty = On(a_, 0, {0, 3}, {3, 1}, 100);  // may point anywhere
  EXPECT_EQ(*CheckOperand(a_, empty, "x"), 0);
}

TEST_F(OperandChecks, RejectsTensorsOfAnotherBackend) {
  const Tensor t = On(b_, 24, {2, 3}, {3, 1}, 0);
  absl::StatusOr<int64_t> r = CheckOperand(a_, t, "Binary: b");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Binary: b lives on cuda:2, not on the cuda:1 backend");
}

TEST_F(OperandChecks, RejectsLayoutsOutsideTheStorage) {
  EXPECT_THAT(CheckOperand(a_, On(a_, 20, {2, 3}, {3, 1}, 0), "x").status().message(),
              HasSubstr("reaches outside its storage of 20 bytes"));
  EXPECT_FALSE(CheckOperand(a_, On(a_, 24, {3}, {-1}, 1), "x").ok());         // before the start
  EXPECT_FALSE(CheckOperand(a_, On(a_, 24, {2}, {INT64_MAX}, 0), "x").ok());  // overflow
  EXPECT_THAT(CheckOperand(a_, On(a_, 24, {2, 3}, {3}, 0), "x").status().message(),
              HasSubstr("has 2 dims but 1 strides"));
  EXPECT_THAT(CheckOperand(a_, On(a_, 24, {-1}, {1}, 0), "x").status().message(),
              HasSubstr("negative size"));
  EXPECT_THAT(CheckOperand(a_, Tensor(), "out").status().message(), HasSubstr("out is undefined"));
}

}  // namespace
}  // namespace tensord::device
