#include "autograd/grad_ops.h"

#include <utility>
#include <variant>

#include "autograd/dispatch.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::grad {

absl::StatusOr<Tensor> Op(const GradCall& g, absl::string_view op, std::vector<Tensor> inputs,
                          const std::map<std::string, AttrValue>& attrs) {
  TD_ASSIGN_OR_RETURN(DispatchResult r, Dispatch(g.ctx, op, inputs, attrs));
  return r.outputs.at(0);
}

absl::StatusOr<std::vector<Tensor>> OpAll(const GradCall& g, absl::string_view op,
                                          std::vector<Tensor> inputs,
                                          const std::map<std::string, AttrValue>& attrs) {
  TD_ASSIGN_OR_RETURN(DispatchResult r, Dispatch(g.ctx, op, inputs, attrs));
  return std::move(r.outputs);
}

Derivative ViewDerivative(std::string grad_fn, std::string op) {
  return Derivative{
      .grad_fn = std::move(grad_fn),
      .backward = [op = std::move(op)](const GradCall& g) -> absl::StatusOr<std::vector<Tensor>> {
        TD_ASSIGN_OR_RETURN(Tensor dx, Zeros(g));
        TD_ASSIGN_OR_RETURN(std::vector<Tensor> views, OpAll(g, op, {dx}, g.attrs.values()));
        for (size_t j = 0; j < views.size() && j < g.grads.size(); ++j) {
          TD_ASSIGN_OR_RETURN(
              DispatchResult r,
              Dispatch(g.ctx, "copy_", std::vector<Tensor>{views[j], g.grads[j]}, {}));
        }
        std::vector<Tensor> out(g.input_shapes.size());
        out[0] = dx;
        return out;
      },
  };
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
absl::StatusOr<Tensor> Zeros(const GradCall& g, size_t i) {
  return device::Full(g.ctx, g.input_shapes[i], device::Scalar(0.0), g.grads[0].dtype(),
                      g.grads[0].device());
}

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

std::vector<int64_t> ReducedDims(const GradCall& g) {
  const int64_t rank = static_cast<int64_t>(g.input_shapes[0].size());
  std::vector<int64_t> dims;
  if (g.attrs.Has("dim")) {
    if (std::holds_alternative<int64_t>(g.attrs.Get("dim"))) {
      dims.push_back(g.attrs.Int("dim"));
    } else {
      dims = g.attrs.Ints("dim");
    }
  }
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  }
  for (int64_t& d : dims) d = rank == 0 ? 0 : (d % rank + rank) % rank;
  return dims;
}

absl::StatusOr<Tensor> ExpandOver(const GradCall& g, const Tensor& grad, std::vector<int64_t> dims,
                                  bool keepdim) {
  const device::Shape& in = g.input_shapes[0];
  const int64_t rank = static_cast<int64_t>(in.size());
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  }
  std::vector<int64_t> kept(in.begin(), in.end());
  for (int64_t d : dims) {
    if (rank > 0) kept[(d % rank + rank) % rank] = 1;
  }
  Tensor k = grad;
  if (!keepdim || grad.shape() != device::Shape(kept.begin(), kept.end())) {
    TD_ASSIGN_OR_RETURN(k, Op(g, "reshape", {grad}, {{"size", kept}}));
  }
  return Op(g, "expand", {k}, {{"size", std::vector<int64_t>(in.begin(), in.end())}});
}

absl::StatusOr<Tensor> ExpandReduced(const GradCall& g, const Tensor& grad) {
  const bool keepdim = g.attrs.Has("keepdim") && g.attrs.Bool("keepdim");
  return ExpandOver(g, grad, ReducedDims(g), keepdim);
}

absl::StatusOr<Tensor> AsGradType(const GradCall& g, const Tensor& t) {
  return Op(g, "to", {t}, {{"dtype", g.grads[0].dtype()}});
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
