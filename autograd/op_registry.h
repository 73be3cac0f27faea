// The op registry: every op the daemon runs, each declared in one place
// with its inputs, typed attributes, and forward (its backward rule joins it
// there). Ops register themselves with TENSORD_REGISTER_OP at start-up;
// ListOps, the dispatcher and the tests all read this table.
#ifndef TENSORD_AUTOGRAD_OP_REGISTRY_H_
#define TENSORD_AUTOGRAD_OP_REGISTRY_H_

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "autograd/attrs.h"
#include "device/context.h"
#include "device/tensor.h"

namespace tensord::autograd {

struct OpCall {
  const device::Context& ctx;
  std::span<const device::Tensor> inputs;
  const Attrs& attrs;
  // Where the dispatcher will write the result (the out= tensor, or self for
  // an in-place variant). An op may compute straight into it when shape and
  // dtype fit, which saves a temporary and a copy; the dispatcher notices.
  const device::Tensor* into = nullptr;
};

using ForwardFn = std::function<absl::StatusOr<std::vector<device::Tensor>>(const OpCall&)>;

// What a backward rule sees: the forward call's attributes, the shapes and
// dtypes of its inputs, the tensors it saved, and the gradient of each
// output (zeros where an output got none).
struct GradCall {
  const device::Context& ctx;
  const Attrs& attrs;
  std::span<const device::Shape> input_shapes;
  std::span<const device::DType> input_dtypes;
  // The inputs and outputs as the forward saw them, when the derivative
  // saves them (undefined tensors otherwise).
  std::span<const device::Tensor> inputs;
  std::span<const device::Tensor> outputs;
  std::span<const device::Tensor> grads;
  // Which inputs need a gradient; a rule may skip the others.
  std::span<const bool> needs_grad;
};

// Gradients of the inputs, one per input (undefined where there is none:
// an integer input, or one that needs none). Written with ops, so backward
// runs on every backend.
using BackwardFn = std::function<absl::StatusOr<std::vector<device::Tensor>>(const GradCall&)>;

// An op's derivative: PyTorch's grad_fn name for its graph node
// ("AddBackward0") and the rule, with what the rule reads.
struct Derivative {
  std::string grad_fn;
  // The name when the optional second operand is a tensor, where PyTorch
  // names that overload differently (pow: PowBackward1); empty: grad_fn.
  std::string grad_fn_tensors;
  // The name when the `dim` attribute is given, where PyTorch names that
  // overload differently (sum: SumBackward1); empty: grad_fn.
  std::string grad_fn_dim;
  // When set, picks the name from the inputs and attributes (matmul:
  // DotBackward0 for two vectors, MvBackward0, ...); overrides the fields
  // above.
  std::string (*grad_fn_for)(std::span<const device::Tensor> inputs, const Attrs& attrs) = nullptr;
  BackwardFn backward;
  bool saves_inputs = false;
  bool saves_outputs = false;
};

enum class OpKind {
  kFunctional,   // returns new tensors (or views)
  kWritesSelf,   // writes into inputs[0] itself and returns it (copy_, fill_)
  kRebindsSelf,  // its result replaces inputs[0] under the same handle (t_)
};

struct OpDef {
  std::string name;
  std::string doc;
  // Input names; a last name ending in "..." takes any number of tensors.
  std::vector<std::string> inputs;
  std::vector<AttrDef> attrs;
  ForwardFn forward;
  OpKind kind = OpKind::kFunctional;
  // Also register name_ (in-place: the result is written into inputs[0]).
  bool inplace_variant = false;
  // Accepts an existing tensor to write the result into (out=).
  bool supports_out = false;
  bool is_view = false;
  // -1: the count depends on the inputs and attributes (split, chunk).
  int num_outputs = 1;
  // Set on generated in-place variants: the functional op they run.
  std::string inplace_of;
  // How gradients flow through the op; unset for ops without a derivative
  // (their float outputs refuse to join a graph until one is written).
  std::optional<Derivative> derivative;
  // Ops whose outputs never carry gradients (comparisons, argmax, random
  // draws, creation): their outputs simply do not require grad.
  bool not_differentiable = false;
};

class OpRegistry {
 public:
  static OpRegistry& Global();
  // Registers op and, if asked, its in-place variant. Duplicate names abort:
  // that is a programming error found at start-up.
  void Register(OpDef op);
  // NOT_FOUND naming the op and how to list them.
  absl::StatusOr<const OpDef*> Find(absl::string_view name) const;
  // Sorted by name.
  std::vector<const OpDef*> List() const;

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<OpDef>> ops_;
};

// Registers at static-initialization time; the ops library is linked whole.
struct OpRegistrar {
  explicit OpRegistrar(OpDef op) { OpRegistry::Global().Register(std::move(op)); }
};

#define TENSORD_OP_CONCAT_INNER_(a, b) a##b
#define TENSORD_OP_CONCAT_(a, b) TENSORD_OP_CONCAT_INNER_(a, b)
#define TENSORD_REGISTER_OP(...)                                                 \
  static const ::tensord::autograd::OpRegistrar TENSORD_OP_CONCAT_(kOpRegistrar, \
                                                                   __LINE__)(__VA_ARGS__)

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_OP_REGISTRY_H_
