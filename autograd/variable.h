// A tensor as autograd sees it: its data plus, once it requires grad, the
// shared autograd state (PyTorch's AutogradMeta): whether it requires grad,
// the graph node that made it (grad_fn; none for a leaf), its accumulated
// .grad, and whether a non-leaf keeps its grad (retain_grad). Handles that
// name the same tensor share one state, as Python references share one
// torch.Tensor.
#ifndef TENSORD_AUTOGRAD_VARIABLE_H_
#define TENSORD_AUTOGRAD_VARIABLE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "device/tensor.h"

namespace tensord::autograd {

struct Node;

struct AutogradMeta {
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // null for a leaf
  int output_nr = 0;              // which output of grad_fn this is
  std::optional<device::Tensor> grad;
  bool retains_grad = false;
  std::weak_ptr<Node> accumulator;  // a leaf's AccumulateGrad node, while a graph holds it
  // Made by a view op from a tensor that requires grad: writing into it in
  // place would bypass its base's graph, so that is refused.
  bool is_view = false;
};

struct Variable {
  device::Tensor tensor;
  std::shared_ptr<AutogradMeta> meta;  // null: does not require grad

  bool requires_grad() const { return meta != nullptr && meta->requires_grad; }
  bool is_leaf() const { return meta == nullptr || meta->grad_fn == nullptr; }
  // PyTorch's grad_fn name ("AddBackward0"), empty for a leaf.
  std::string grad_fn_name() const;
};

// x.requires_grad_(flag). Only leaves change, and only floating-point ones
// may require grad; errors use PyTorch's wording.
absl::Status SetRequiresGrad(Variable& v, bool requires_grad);

// x.retain_grad(): a non-leaf keeps its gradient in .grad (a no-op on leaves).
absl::Status RetainGrad(Variable& v);

// x.detach(): the same data, out of the graph.
Variable Detach(const Variable& v);

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_VARIABLE_H_
