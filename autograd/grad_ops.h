// Shorthands for writing backward rules with ops: each runs an op through
// the dispatcher (never recording a graph), so rules read like the
// derivative formulas and run on every backend.
#ifndef TENSORD_AUTOGRAD_GRAD_OPS_H_
#define TENSORD_AUTOGRAD_GRAD_OPS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "autograd/attrs.h"
#include "autograd/op_registry.h"
#include "device/scalar.h"
#include "device/shape.h"
#include "device/tensor.h"

namespace tensord::autograd::grad {

using device::Tensor;

// op(inputs..., attrs) -> its first output.
absl::StatusOr<Tensor> Op(const GradCall& g, absl::string_view op, std::vector<Tensor> inputs,
                          const std::map<std::string, AttrValue>& attrs = {});

absl::StatusOr<Tensor> Mul(const GradCall& g, const Tensor& a, const Tensor& b);
absl::StatusOr<Tensor> Mul(const GradCall& g, const Tensor& a, double s);
absl::StatusOr<Tensor> Div(const GradCall& g, const Tensor& a, const Tensor& b);
absl::StatusOr<Tensor> Neg(const GradCall& g, const Tensor& a);
absl::StatusOr<Tensor> OneMinus(const GradCall& g, const Tensor& a);  // 1 - a
// Zeros of input i's shape in the gradient's dtype (the gradient of an input
// the op ignores or overwrites, or a canvas to scatter a gradient into).
absl::StatusOr<Tensor> Zeros(const GradCall& g, size_t i = 0);

// grad summed over the dims that broadcasting added or stretched, so that
// it has `shape` (the input's).
absl::StatusOr<Tensor> SumTo(const GradCall& g, const Tensor& grad, const device::Shape& shape);

// The gradient of a reduction over the `dim` attribute (every dim when
// absent; one int or a list) with `keepdim`, broadcast back to the input's
// shape.
absl::StatusOr<Tensor> ExpandReduced(const GradCall& g, const Tensor& grad);
// The same for an explicit set of dims (negative ones wrap; empty: all).
absl::StatusOr<Tensor> ExpandOver(const GradCall& g, const Tensor& grad, std::vector<int64_t> dims,
                                  bool keepdim);
// The reduced dims of the call: the `dim` attribute (one int or a list),
// or every dim; wrapped.
std::vector<int64_t> ReducedDims(const GradCall& g);
// t as float of the gradient's dtype (for masks).
absl::StatusOr<Tensor> AsGradType(const GradCall& g, const Tensor& t);

// Every output of op(inputs..., attrs).
absl::StatusOr<std::vector<Tensor>> OpAll(const GradCall& g, absl::string_view op,
                                          std::vector<Tensor> inputs,
                                          const std::map<std::string, AttrValue>& attrs);

// The rule of a view op whose outputs do not overlap (select, slice,
// permute, split, ...): the op applied to zeros of the input's shape gives
// views of it, each output's gradient is copied into its view, and the
// zeros with those copies are the input's gradient.
Derivative ViewDerivative(std::string grad_fn, std::string op);

// The rule of an op whose gradient for input 0 is grad * f(input, output)
// and which has one input: f gives the local derivative.
using LocalDerivative = absl::StatusOr<Tensor> (*)(const GradCall& g, const Tensor& x,
                                                   const Tensor& y);
Derivative Pointwise(std::string grad_fn, LocalDerivative f, bool saves_inputs, bool saves_outputs);

}  // namespace tensord::autograd::grad

#endif  // TENSORD_AUTOGRAD_GRAD_OPS_H_
