// The autograd engine: runs ops on Variables, recording a graph node for
// each differentiable call while grad mode is on, and runs backward through
// those graphs, accumulating into leaves' .grad, as torch.autograd does.
#ifndef TENSORD_AUTOGRAD_ENGINE_H_
#define TENSORD_AUTOGRAD_ENGINE_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "autograd/attrs.h"
#include "autograd/dispatch.h"
#include "autograd/variable.h"
#include "device/context.h"

namespace tensord::autograd {

struct CallResult {
  DispatchResult::Target target = DispatchResult::Target::kNew;
  // kNew: the new tensors. kSelf / kOut: outputs[0] is the written tensor,
  // carrying the autograd state it now has (in-place ops rebase history).
  std::vector<Variable> outputs;
};

// Dispatch on Variables. With grad_enabled and some input requiring grad,
// a differentiable op records a node and its floating-point outputs require
// grad; an op without a derivative refuses (naming it), and a leaf that
// requires grad refuses in-place writes, as in PyTorch.
absl::StatusOr<CallResult> Call(const device::Context& ctx, absl::string_view op,
                                std::span<const Variable> inputs,
                                const std::map<std::string, AttrValue>& attrs, const Variable* out,
                                bool grad_enabled);

struct BackwardOptions {
  // The vector in the vector-Jacobian product; needed unless root has one
  // element.
  std::optional<device::Tensor> gradient;
  // Keep saved tensors so that backward can run through the graph again.
  bool retain_graph = false;
};

// root.backward(gradient, retain_graph): gradients accumulate into the
// .grad of every leaf that requires grad (and of retained non-leaves).
absl::Status Backward(const device::Context& ctx, const Variable& root,
                      const BackwardOptions& options);

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_ENGINE_H_
