// Recording (Call) and replay (Backward) of the autograd graph.
#include "autograd/engine.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <queue>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/graph.h"
#include "autograd/op_registry.h"
#include "device/dtype.h"
#include "device/functional.h"
#include "device/shape.h"
#include "device/status_macros.h"

namespace tensord::autograd {
namespace {

using device::Tensor;

constexpr char kLeafInPlace[] =
    "a leaf Variable that requires grad is being used in an in-place operation.";
constexpr char kSecondBackward[] =
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.";

uint64_t NextSequence() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// PyTorch's legacy type name for a tensor in version errors:
// "torch.FloatTensor [2, 2]".
std::string TorchTensorName(const Tensor& t) {
  return absl::StrCat("torch.", device::ScalarTypeName(t.dtype()), "Tensor ",
                      device::ShapeToString(t.shape()));
}

// The node through which gradients reach v (its grad_fn, or its leaf's
// AccumulateGrad, created on first use), or an empty edge.
Edge EdgeOf(const Variable& v) {
  if (!v.requires_grad()) return {};
  AutogradMeta& m = *v.meta;
  if (m.grad_fn != nullptr) return {m.grad_fn, m.output_nr};
  std::shared_ptr<Node> acc = m.accumulator.lock();
  if (acc == nullptr) {
    acc = std::make_shared<Node>();
    acc->name = "AccumulateGrad";
    acc->leaf = v.meta;
    acc->sequence = NextSequence();
    acc->input_shapes = {v.tensor.shape()};
    acc->input_dtypes = {v.tensor.dtype()};
    m.accumulator = acc;
  }
  return {acc, 0};
}

bool AnyRequiresGrad(std::span<const Variable> vs) {
  return std::any_of(vs.begin(), vs.end(), [](const Variable& v) { return v.requires_grad(); });
}

absl::StatusOr<Tensor> Add(const device::Context& ctx, const Tensor& a, const Tensor& b) {
  TD_ASSIGN_OR_RETURN(DispatchResult r, Dispatch(ctx, "add", std::vector<Tensor>{a, b}, {}));
  return r.outputs.at(0);
}

}  // namespace

std::string Variable::grad_fn_name() const {
  return meta != nullptr && meta->grad_fn != nullptr ? meta->grad_fn->name : std::string();
}

absl::Status SetRequiresGrad(Variable& v, bool requires_grad) {
  if (!v.is_leaf()) {
    if (requires_grad) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach().");
  }
  if (requires_grad && !device::IsFloating(v.tensor.dtype())) {
    return absl::InvalidArgumentError(
        absl::StrCat("only Tensors of floating point dtype can require gradients (got ",
                     device::DTypeName(v.tensor.dtype()), "): convert with to(float32) first"));
  }
  if (v.meta == nullptr) {
    if (!requires_grad) return absl::OkStatus();
    v.meta = std::make_shared<AutogradMeta>();
  }
  v.meta->requires_grad = requires_grad;
  return absl::OkStatus();
}

absl::Status RetainGrad(Variable& v) {
  if (!v.requires_grad()) {
    return absl::InvalidArgumentError("can't retain_grad on Tensor that has requires_grad=False");
  }
  if (!v.is_leaf()) {
    v.meta->retains_grad = true;
    Node& n = *v.meta->grad_fn;
    n.retained.resize(n.num_outputs);
    n.retained[v.meta->output_nr] = v.meta;
  }
  return absl::OkStatus();
}

Variable Detach(const Variable& v) { return Variable{v.tensor, nullptr}; }

absl::StatusOr<CallResult> Call(const device::Context& ctx, absl::string_view name,
                                std::span<const Variable> inputs,
                                const std::map<std::string, AttrValue>& attrs, const Variable* out,
                                bool grad_enabled) {
  TD_ASSIGN_OR_RETURN(const OpDef* op, OpRegistry::Global().Find(name));
  const OpDef* fwd = op;
  if (!op->inplace_of.empty()) {
    TD_ASSIGN_OR_RETURN(fwd, OpRegistry::Global().Find(op->inplace_of));
  }
  const bool writes_self = !op->inplace_of.empty() || op->kind != OpKind::kFunctional;
  const bool wants_grad = grad_enabled && AnyRequiresGrad(inputs);
  const bool record = wants_grad && fwd->derivative.has_value() && !fwd->not_differentiable;
  if (wants_grad) {
    if (out != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          op->name,
          "(): functions with out=... arguments don't support automatic differentiation, but "
          "one of the arguments requires grad: drop out= or run under no_grad"));
    }
    if (writes_self && !inputs.empty()) {
      if (inputs[0].requires_grad() && inputs[0].is_leaf()) {
        return absl::InvalidArgumentError(kLeafInPlace);
      }
      if (inputs[0].meta != nullptr && inputs[0].meta->is_view) {
        return absl::UnimplementedError(
            absl::StrCat(op->name,
                         ": in-place changes to a view of a tensor that requires grad are not "
                         "supported yet: clone() the view first"));
      }
      if (!record && !fwd->not_differentiable) {
        return absl::UnimplementedError(
            absl::StrCat("the derivative for '", fwd->name,
                         "' is not implemented: run it under no_grad or on detach()ed inputs"));
      }
    }
  }

  std::vector<Tensor> tensors;
  tensors.reserve(inputs.size());
  for (const Variable& v : inputs) tensors.push_back(v.tensor);
  // An in-place op overwrites self: a rule that reads it gets a copy.
  Tensor original_self;
  if (record && writes_self && fwd->derivative->saves_inputs) {
    TD_ASSIGN_OR_RETURN(original_self, device::Clone(ctx, tensors[0]));
  }
  TD_ASSIGN_OR_RETURN(DispatchResult r,
                      Dispatch(ctx, name, tensors, attrs, out != nullptr ? &out->tensor : nullptr));

  CallResult result;
  result.target = r.target;
  const bool any_float = std::any_of(r.outputs.begin(), r.outputs.end(),
                                     [](const Tensor& t) { return device::IsFloating(t.dtype()); });
  if (wants_grad && !record && !fwd->not_differentiable && any_float) {
    return absl::UnimplementedError(
        absl::StrCat("the derivative for '", fwd->name,
                     "' is not implemented: run it under no_grad or on detach()ed inputs"));
  }
  if (!record || !any_float) {
    for (size_t i = 0; i < r.outputs.size(); ++i) {
      Variable v{r.outputs[i], nullptr};
      // A tensor written in place keeps its autograd state.
      if (i == 0 && r.target == DispatchResult::Target::kSelf) v.meta = inputs[0].meta;
      if (i == 0 && r.target == DispatchResult::Target::kOut) v.meta = out->meta;
      result.outputs.push_back(std::move(v));
    }
    return result;
  }

  auto node = std::make_shared<Node>();
  TD_ASSIGN_OR_RETURN(node->attrs, Attrs::Bind(fwd->name, fwd->attrs, attrs));
  const Derivative& d = *fwd->derivative;
  node->derivative = &d;
  node->name = d.grad_fn;
  if (inputs.size() > 1 && !d.grad_fn_tensors.empty()) node->name = d.grad_fn_tensors;
  if (node->attrs.Has("dim") && !d.grad_fn_dim.empty()) node->name = d.grad_fn_dim;
  if (d.grad_fn_for != nullptr) node->name = d.grad_fn_for(tensors, node->attrs);
  node->sequence = NextSequence();
  node->num_outputs = static_cast<int>(r.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    node->input_shapes.push_back(tensors[i].shape());
    node->input_dtypes.push_back(tensors[i].dtype());
    node->next.push_back(EdgeOf(inputs[i]));
    if (fwd->derivative->saves_inputs) {
      const Tensor& t = i == 0 && original_self.defined() ? original_self : tensors[i];
      node->saved.push_back({t, t.storage().version(), -1, static_cast<int>(i)});
    }
  }
  for (size_t j = 0; j < r.outputs.size(); ++j) {
    const Tensor& t = r.outputs[j];
    node->output_shapes.push_back(t.shape());
    node->output_dtypes.push_back(t.dtype());
    if (fwd->derivative->saves_outputs) {
      node->saved.push_back({t, t.storage().version(), static_cast<int>(j), -1});
    }
  }
  for (size_t j = 0; j < r.outputs.size(); ++j) {
    Variable v{r.outputs[j], nullptr};
    if (device::IsFloating(v.tensor.dtype())) {
      // An in-place write rebases the target's history onto this node.
      if (j == 0 && r.target == DispatchResult::Target::kSelf && inputs[0].meta != nullptr) {
        v.meta = inputs[0].meta;
      } else {
        v.meta = std::make_shared<AutogradMeta>();
      }
      v.meta->requires_grad = true;
      v.meta->is_view = fwd->is_view && fwd->kind == OpKind::kFunctional;
      v.meta->grad_fn = node;
      v.meta->output_nr = static_cast<int>(j);
      v.meta->retains_grad = false;
    }
    result.outputs.push_back(std::move(v));
  }
  return result;
}

absl::Status Backward(const device::Context& ctx, const Variable& root,
                      const BackwardOptions& options) {
  if (!root.requires_grad()) {
    return absl::InvalidArgumentError(
        "element 0 of tensors does not require grad and does not have a grad_fn: call "
        "requires_grad_() on the leaves first, or compute it outside no_grad");
  }
  Tensor seed;
  if (options.gradient.has_value()) {
    const Tensor& g = *options.gradient;
    if (g.shape() != root.tensor.shape()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Mismatch in shape: grad_output[0] has a shape of torch.Size(",
          device::ShapeToString(g.shape()), ") and output[0] has a shape of torch.Size(",
          device::ShapeToString(root.tensor.shape()), ")."));
    }
    if (!device::IsFloating(g.dtype())) {
      return absl::InvalidArgumentError(
          absl::StrCat("the gradient passed to backward must be floating point, got ",
                       device::DTypeName(g.dtype()), ": convert it with to()"));
    }
    // A copy: the caller's tensor must not become (and later alias) a .grad.
    TD_ASSIGN_OR_RETURN(seed, device::To(ctx, g, root.tensor.dtype()));
    if (seed.SharesStorageWith(g)) {
      TD_ASSIGN_OR_RETURN(seed, device::Clone(ctx, g));
    }
  } else {
    if (root.tensor.numel() != 1) {
      return absl::InvalidArgumentError(
          "grad can be implicitly created only for scalar outputs: pass a gradient of the "
          "output's shape");
    }
    TD_ASSIGN_OR_RETURN(seed, device::Full(ctx, root.tensor.shape(), device::Scalar(1.0),
                                           root.tensor.dtype(), root.tensor.device()));
  }
  const Edge start = EdgeOf(root);

  // Incoming edges per node, counted over the part of the graph reachable
  // from the root.
  absl::flat_hash_map<Node*, int> deps;
  {
    std::vector<Node*> stack = {start.node.get()};
    deps[start.node.get()] = 0;
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next) {
        if (e.node == nullptr) continue;
        auto [it, inserted] = deps.try_emplace(e.node.get(), 0);
        ++it->second;
        if (inserted) stack.push_back(e.node.get());
      }
    }
  }
  // Gradients waiting for each node, one slot per output it has.
  absl::flat_hash_map<Node*, std::vector<Tensor>> pending;
  auto add_grad = [&](Node* n, int slot, const Tensor& g) -> absl::Status {
    std::vector<Tensor>& buf = pending[n];
    if (buf.size() <= static_cast<size_t>(slot)) buf.resize(std::max(n->num_outputs, slot + 1));
    if (!buf[slot].defined()) {
      buf[slot] = g;
    } else {
      TD_ASSIGN_OR_RETURN(buf[slot], Add(ctx, buf[slot], g));
    }
    return absl::OkStatus();
  };
  TD_RETURN_IF_ERROR(add_grad(start.node.get(), start.input_nr, seed));

  // Later nodes first, as PyTorch orders its ready queue.
  auto later = [](Node* a, Node* b) { return a->sequence < b->sequence; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later)> ready(later);
  ready.push(start.node.get());
  std::vector<Node*> ran;
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(pending[n]);
    pending.erase(n);
    grads.resize(n->num_outputs);
    const bool any =
        std::any_of(grads.begin(), grads.end(), [](const Tensor& t) { return t.defined(); });
    std::vector<Tensor> input_grads(n->next.size());
    if (n->derivative == nullptr) {  // AccumulateGrad
      std::shared_ptr<AutogradMeta> leaf = n->leaf.lock();
      if (leaf != nullptr && any) {
        if (!leaf->grad.has_value()) {
          leaf->grad = grads[0];
        } else {
          TD_ASSIGN_OR_RETURN(leaf->grad, Add(ctx, *leaf->grad, grads[0]));
        }
      }
    } else if (any) {
      if (n->released) return absl::FailedPreconditionError(kSecondBackward);
      std::vector<Tensor> ins(n->input_shapes.size()), outs(n->num_outputs);
      for (const SavedTensor& s : n->saved) {
        if (s.tensor.storage().version() != s.version) {
          return absl::FailedPreconditionError(absl::StrCat(
              "one of the variables needed for gradient computation has been modified by an "
              "inplace operation: [",
              TorchTensorName(s.tensor), "], which is ",
              s.output_nr >= 0 ? absl::StrCat("output ", s.output_nr)
                               : absl::StrCat("input ", s.input_nr),
              " of ", n->name, ", is at version ", s.tensor.storage().version(),
              "; expected version ", s.version,
              " instead. Hint: clone() the tensor before changing it in place."));
        }
        (s.output_nr >= 0 ? outs[s.output_nr] : ins[s.input_nr]) = s.tensor;
      }
      for (int j = 0; j < n->num_outputs; ++j) {
        if (grads[j].defined()) continue;
        TD_ASSIGN_OR_RETURN(grads[j], device::Full(ctx, n->output_shapes[j], device::Scalar(0.0),
                                                   n->output_dtypes[j], root.tensor.device()));
      }
      for (size_t j = 0; j < n->retained.size(); ++j) {
        std::shared_ptr<AutogradMeta> m = n->retained[j].lock();
        if (m == nullptr || !m->retains_grad || m->grad_fn.get() != n) continue;
        if (!m->grad.has_value()) {
          TD_ASSIGN_OR_RETURN(m->grad, device::Clone(ctx, grads[j]));
        } else {
          TD_ASSIGN_OR_RETURN(m->grad, Add(ctx, *m->grad, grads[j]));
        }
      }
      absl::InlinedVector<bool, 8> needs(n->next.size());
      for (size_t i = 0; i < needs.size(); ++i) needs[i] = n->next[i].node != nullptr;
      const GradCall call{ctx, n->attrs, n->input_shapes, n->input_dtypes, ins, outs, grads, needs};
      absl::StatusOr<std::vector<Tensor>> got = n->derivative->backward(call);
      if (!got.ok()) {
        return absl::Status(got.status().code(),
                            absl::StrCat(n->name, ": ", got.status().message()));
      }
      if (got->size() != n->next.size()) {
        return absl::InternalError(absl::StrCat(n->name, " returned ", got->size(),
                                                " gradients for ", n->next.size(), " inputs"));
      }
      input_grads = *std::move(got);
      ran.push_back(n);
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Edge& e = n->next[i];
      if (e.node == nullptr) continue;
      Tensor& g = input_grads[i];
      if (g.defined()) {
        if (g.shape() != n->input_shapes[i]) {
          return absl::InternalError(absl::StrCat(
              n->name, " gave input ", i, " a gradient of shape ", device::ShapeToString(g.shape()),
              " for an input of shape ", device::ShapeToString(n->input_shapes[i])));
        }
        if (g.dtype() != n->input_dtypes[i]) {
          TD_ASSIGN_OR_RETURN(g, device::To(ctx, g, n->input_dtypes[i]));
        }
        TD_RETURN_IF_ERROR(add_grad(e.node.get(), e.input_nr, g));
      }
      if (--deps[e.node.get()] == 0) ready.push(e.node.get());
    }
  }
  if (!options.retain_graph) {
    for (Node* n : ran) {
      if (n->saved.empty()) continue;  // nothing to free: it can run again
      n->saved.clear();
      n->released = true;
    }
  }
  return absl::OkStatus();
}

}  // namespace tensord::autograd
