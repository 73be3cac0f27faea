// Pieces shared by the op definitions: common attribute declarations and
// how an op resolves its dtype and device from attributes and inputs.
#ifndef TENSORD_AUTOGRAD_OPS_OP_HELPERS_H_
#define TENSORD_AUTOGRAD_OPS_OP_HELPERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "autograd/op_registry.h"
#include "device/device.h"
#include "device/dtype.h"

namespace tensord::autograd::ops {

inline AttrDef SizeAttr() { return {"size", AttrType::kInts, std::nullopt, false, "the shape"}; }
inline AttrDef DTypeAttr(std::string doc = "element type (default: see op)") {
  return {"dtype", AttrType::kDType, std::nullopt, true, std::move(doc)};
}
inline AttrDef DeviceAttr() {
  return {"device", AttrType::kDevice, std::nullopt, true,
          "device such as cpu or cuda:0 (default: the session's, or the input's)"};
}
inline AttrDef IntAttr(std::string name, std::optional<int64_t> def, std::string doc) {
  AttrDef a{std::move(name), AttrType::kInt, std::nullopt, false, std::move(doc)};
  if (def.has_value()) a.default_value = *def;
  return a;
}
inline AttrDef ScalarAttr(std::string name, std::optional<AttrValue> def, std::string doc,
                          bool optional = false) {
  return {std::move(name), AttrType::kScalar, std::move(def), optional, std::move(doc)};
}
inline AttrDef BoolAttr(std::string name, bool def, std::string doc) {
  return {std::move(name), AttrType::kBool, def, false, std::move(doc)};
}

// A forward for ops with one result: f(call) -> StatusOr<Tensor>.
template <typename F>
ForwardFn Single(F f) {
  return [f](const OpCall& c) -> absl::StatusOr<std::vector<device::Tensor>> {
    absl::StatusOr<device::Tensor> t = f(c);
    if (!t.ok()) return t.status();
    return std::vector<device::Tensor>{*std::move(t)};
  };
}

// The "device" attr if given, else `fallback`.
absl::StatusOr<device::Device> DeviceFrom(const Attrs& attrs, device::Device fallback);

}  // namespace tensord::autograd::ops

#endif  // TENSORD_AUTOGRAD_OPS_OP_HELPERS_H_
