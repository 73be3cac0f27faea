// Helpers for op tests: build CPU tensors from values, run ops through the
// dispatcher, and read results back as doubles.
#ifndef TENSORD_TESTS_AUTOGRAD_OP_TEST_UTIL_H_
#define TENSORD_TESTS_AUTOGRAD_OP_TEST_UTIL_H_

#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "autograd/attrs.h"
#include "autograd/dispatch.h"
#include "device/context.h"
#include "device/functional.h"
#include "device/generator.h"
#include "gtest/gtest.h"

namespace tensord::autograd::testing {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline std::vector<int64_t> Shape(const device::Tensor& t) { return t.shape(); }

class OpTest : public ::testing::Test {
 protected:
  OpTest() : ctx_(&gen_, device::Device::Cpu(), device::Limits{}) {}

  // A tensor of `shape` holding `values` (given as doubles) in `dtype`.
  device::Tensor Make(const std::vector<double>& values, std::vector<int64_t> shape,
                      device::DType dtype = device::DType::kFloat32) {
    absl::StatusOr<device::Tensor> t =
        device::FromHost(ctx_, values.data(), values.size() * sizeof(double), shape,
                         device::DType::kFloat64, device::Device::Cpu());
    EXPECT_TRUE(t.ok()) << t.status();
    absl::StatusOr<device::Tensor> c = device::To(ctx_, *t, dtype);
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }

  std::vector<double> Values(const device::Tensor& t) {
    absl::StatusOr<device::Tensor> d = device::To(ctx_, t, device::DType::kFloat64);
    EXPECT_TRUE(d.ok()) << d.status();
    absl::StatusOr<std::string> bytes = device::ToHost(ctx_, *d);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    std::vector<double> out(d->numel());
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return out;
  }

  absl::StatusOr<DispatchResult> Run(const std::string& op, std::vector<device::Tensor> inputs,
                                     std::map<std::string, AttrValue> attrs = {},
                                     const device::Tensor* out = nullptr) {
    return Dispatch(ctx_, op, inputs, attrs, out);
  }

  // Runs an op expected to succeed with one output.
  device::Tensor Run1(const std::string& op, std::vector<device::Tensor> inputs,
                      std::map<std::string, AttrValue> attrs = {}) {
    absl::StatusOr<DispatchResult> r = Run(op, std::move(inputs), std::move(attrs));
    EXPECT_TRUE(r.ok()) << op << ": " << r.status();
    if (!r.ok() || r->outputs.empty()) return device::Tensor();
    return r->outputs[0];
  }

  device::Generator gen_;
  device::Context ctx_;
};

}  // namespace tensord::autograd::testing

#endif  // TENSORD_TESTS_AUTOGRAD_OP_TEST_UTIL_H_
