// Runs one op by name: checks inputs and attributes against its schema,
// calls its forward, and applies the calling convention (new result,
// in-place into the first input, or out=) uniformly for every op.
#ifndef TENSORD_AUTOGRAD_DISPATCH_H_
#define TENSORD_AUTOGRAD_DISPATCH_H_

#include <map>
#include <span>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "autograd/attrs.h"
#include "device/context.h"
#include "device/tensor.h"

namespace tensord::autograd {

struct DispatchResult {
  enum class Target {
    kNew,   // outputs are new tensors
    kSelf,  // outputs[0] replaces inputs[0] under its handle
    kOut,   // outputs[0] replaces the out= tensor under its handle
  };
  Target target = Target::kNew;
  std::vector<device::Tensor> outputs;
};

absl::StatusOr<DispatchResult> Dispatch(const device::Context& ctx, absl::string_view op,
                                        std::span<const device::Tensor> inputs,
                                        const std::map<std::string, AttrValue>& attrs,
                                        const device::Tensor* out = nullptr);

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_DISPATCH_H_
