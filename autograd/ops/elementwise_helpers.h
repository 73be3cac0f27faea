// Builders shared by the elementwise op files (arithmetic, unary,
// comparison): the second operand of a binary op as a tensor or a Python
// number, the dtype it is computed in, PyTorch's wording for dtype refusals,
// and an OpDef builder so that declaring a binary op is one table line.
#ifndef TENSORD_AUTOGRAD_OPS_ELEMENTWISE_HELPERS_H_
#define TENSORD_AUTOGRAD_OPS_ELEMENTWISE_HELPERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "autograd/op_registry.h"
#include "device/dtype.h"
#include "device/functional.h"
#include "device/primitives.h"
#include "device/tensor.h"

namespace tensord::autograd::ops {

// INVALID_ARGUMENT with PyTorch's refusal of a dtype. `message` is its text
// with $0 standing for the type name, e.g. "\"abs_cpu\" not implemented for
// '$0'"; a hint on what to do follows it.
absl::Status RefuseDType(absl::string_view message, device::DType t);

// How a binary op turns its operands' promoted dtype (torch.result_type)
// into the dtype it is computed in.
enum class Compute {
  kPromoted,  // the promoted dtype itself
  kFloat,     // integers and bool go to the default float dtype (true division, atan2)
  kBool,      // both operands are read as truth values (logical ops)
};

// Runs a binary op whose operands are self (c.inputs[0]) and `other`,
// computed in `dtype`. Ops with attributes of their own (alpha,
// rounding_mode) or special cases supply one; the default is
// device::BinaryOpTensor(op, self, other, dtype).
using BinaryBody = absl::StatusOr<device::Tensor> (*)(const OpCall& c, device::BinaryOp op,
                                                      const device::Operand& other,
                                                      device::DType dtype);

struct BinarySpec {
  std::string name;
  device::BinaryOp op;
  std::string doc;
  Compute compute = Compute::kPromoted;
  // The second operand's name: an input tensor, or (with scalar_other) an
  // attribute of that name holding a Python number.
  std::string other = "other";
  bool scalar_other = true;
  // The kernel name PyTorch reports when the op refuses to compute in bool
  // ("remainder_cpu"); null when bool is accepted.
  const char* bool_kernel = nullptr;
  bool inplace = true;         // also registers name_
  bool out = true;             // accepts out=
  std::vector<AttrDef> attrs;  // read by body
  BinaryBody body = nullptr;
  std::optional<Derivative> derivative;
  bool not_differentiable = false;  // bool results (comparisons, logical ops)
};

// The OpDef of a broadcasting binary op with PyTorch's type promotion.
OpDef BinaryOpDef(BinarySpec spec);

}  // namespace tensord::autograd::ops

#endif  // TENSORD_AUTOGRAD_OPS_ELEMENTWISE_HELPERS_H_
