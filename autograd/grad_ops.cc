#include "autograd/grad_ops.h"

#include <utility>

#include "autograd/dispatch.h"
#include "device/status_macros.h"

namespace tensord::autograd::grad {

absl::StatusOr<Tensor> Op(const GradCall& g, absl::string_view op, std::vector<Tensor> inputs,
                          const std::map<std::string, AttrValue>& attrs) {
  TD_ASSIGN_OR_RETURN(DispatchResult r, Dispatch(g.ctx, op, inputs, attrs));
  return r.outputs.at(0);
}

absl::StatusOr<Tensor> Mul(const GradCall& g, const Tensor& a, const Tensor& b) {
  return Op(g, "mul", {a, b});
}
absl::StatusOr<Tensor> Mul(const GradCall& g, const Tensor& a, double s) {
  return Op(g, "mul", {a}, {{"other", s}});
}
absl::StatusOr<Tensor> Div(const GradCall& g, const Tensor& a, const Tensor& b) {
  return Op(g, "div", {a, b});
}
absl::StatusOr<Tensor> Neg(const GradCall& g, const Tensor& a) { return Op(g, "neg", {a}); }
absl::StatusOr<Tensor> OneMinus(const GradCall& g, const Tensor& a) {
  TD_ASSIGN_OR_RETURN(Tensor n, Neg(g, a));
  return Op(g, "add", {n}, {{"other", 1.0}});
}

absl::StatusOr<Tensor> SumTo(const GradCall& g, const Tensor& grad, const device::Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) dims.push_back(d);
  }
  Tensor t = grad;
  if (!dims.empty()) {
    TD_ASSIGN_OR_RETURN(t, Op(g, "sum", {grad}, {{"dim", dims}, {"keepdim", true}}));
  }
  return Op(g, "reshape", {t}, {{"size", std::vector<int64_t>(shape.begin(), shape.end())}});
}

absl::StatusOr<Tensor> ExpandReduced(const GradCall& g, const Tensor& grad) {
  const device::Shape& in = g.input_shapes[0];
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> reduced(in.size(), !g.attrs.Has("dim") || g.attrs.Ints("dim").empty());
  if (g.attrs.Has("dim")) {
    for (int64_t d : g.attrs.Ints("dim")) {
      if (rank > 0) reduced[(d % rank + rank) % rank] = true;
    }
  }
  std::vector<int64_t> kept(in.begin(), in.end());
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) kept[d] = 1;
  }
  TD_ASSIGN_OR_RETURN(Tensor k, Op(g, "reshape", {grad}, {{"size", kept}}));
  return Op(g, "expand", {k}, {{"size", std::vector<int64_t>(in.begin(), in.end())}});
}

Derivative Pointwise(std::string grad_fn, LocalDerivative f, bool saves_inputs,
                     bool saves_outputs) {
  return Derivative{
      .grad_fn = std::move(grad_fn),
      .backward = [f](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
        TD_ASSIGN_OR_RETURN(Tensor local, f(g, g.inputs[0], g.outputs[0]));
        TD_ASSIGN_OR_RETURN(Tensor dx, Mul(g, g.grads[0], local));
        return std::vector<Tensor>{dx};
      },
      .saves_inputs = saves_inputs,
      .saves_outputs = saves_outputs,
  };
}

}  // namespace tensord::autograd::grad
