#include "server/optimizer.h"

#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::server {

namespace {

using device::BinaryOp;
using device::Context;
using device::Tensor;

// The options of one optimizer kind with their defaults (torch.optim's).
struct Options {
  double lr = 0;
  double momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool amsgrad = false;
};

absl::StatusOr<double> Number(const std::string& name, const v1::AttrValue& v) {
  if (v.value_case() == v1::AttrValue::kF) return v.f();
  if (v.value_case() == v1::AttrValue::kI) return static_cast<double>(v.i());
  return absl::InvalidArgumentError(absl::StrCat("optimizer option ", name, " must be a number"));
}

absl::StatusOr<bool> Flag(const std::string& name, const v1::AttrValue& v) {
  if (v.value_case() == v1::AttrValue::kB) return v.b();
  return absl::InvalidArgumentError(absl::StrCat("optimizer option ", name, " must be a bool"));
}

// Reads the options `kind` takes; torch.optim's checks and messages.
absl::StatusOr<Options> ParseOptions(const std::string& kind, const v1::OptimizerCreate& spec) {
  const bool sgd = kind == "sgd";
  const std::vector<std::string> allowed =
      sgd ? std::vector<std::string>{"lr", "momentum", "dampening", "weight_decay", "nesterov"}
          : std::vector<std::string>{"lr", "betas", "eps", "weight_decay", "amsgrad"};
  Options o;
  if (!sgd) o.weight_decay = kind == "adamw" ? 1e-2 : 0;
  bool has_lr = false;
  for (const auto& [name, v] : spec.options()) {
    if (name == "lr") {
      TD_ASSIGN_OR_RETURN(o.lr, Number(name, v));
      has_lr = true;
    } else if (name == "weight_decay") {
      TD_ASSIGN_OR_RETURN(o.weight_decay, Number(name, v));
    } else if (sgd && name == "momentum") {
      TD_ASSIGN_OR_RETURN(o.momentum, Number(name, v));
    } else if (sgd && name == "dampening") {
      TD_ASSIGN_OR_RETURN(o.dampening, Number(name, v));
    } else if (sgd && name == "nesterov") {
      TD_ASSIGN_OR_RETURN(o.nesterov, Flag(name, v));
    } else if (!sgd && name == "eps") {
      TD_ASSIGN_OR_RETURN(o.eps, Number(name, v));
    } else if (!sgd && name == "amsgrad") {
      TD_ASSIGN_OR_RETURN(o.amsgrad, Flag(name, v));
    } else if (!sgd && name == "betas") {
      if (v.value_case() != v1::AttrValue::kFloats || v.floats().values_size() != 2) {
        return absl::InvalidArgumentError("optimizer option betas must be two floats");
      }
      o.beta1 = v.floats().values(0);
      o.beta2 = v.floats().values(1);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(kind, " has no option '", name, "': it takes ",
                                                     absl::StrJoin(allowed, ", ")));
    }
  }
  // torch.optim.SGD requires lr; Adam and AdamW default it to 1e-3.
  if (!has_lr) {
    if (sgd) return absl::InvalidArgumentError("sgd needs option lr (the learning rate)");
    o.lr = 1e-3;
  }
  if (!(o.lr >= 0))
    return absl::InvalidArgumentError(absl::StrCat("Invalid learning rate: ", o.lr));
  if (!(o.weight_decay >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid weight_decay value: ", o.weight_decay));
  }
  if (sgd) {
    if (!(o.momentum >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid momentum value: ", o.momentum));
    }
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
      return absl::InvalidArgumentError("Nesterov momentum requires a momentum and zero dampening");
    }
  } else {
    if (!(o.eps >= 0))
      return absl::InvalidArgumentError(absl::StrCat("Invalid epsilon value: ", o.eps));
    if (!(o.beta1 >= 0 && o.beta1 < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid beta parameter at index 0: ", o.beta1, " (must be in [0, 1))"));
    }
    if (!(o.beta2 >= 0 && o.beta2 < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid beta parameter at index 1: ", o.beta2, " (must be in [0, 1))"));
    }
  }
  return o;
}

// dst = a op b, written into dst.
absl::Status Into(const Context& ctx, BinaryOp op, const device::Operand& a,
                  const device::Operand& b, const Tensor& dst) {
  return device::BinaryOpTensor(ctx, op, a, b, std::nullopt, &dst).status();
}

// a.add_(b, alpha=alpha) as torch computes it: a + alpha * b.
absl::Status AddScaled(const Context& ctx, const Tensor& a, const Tensor& b, double alpha) {
  if (alpha == 1) return Into(ctx, BinaryOp::kAdd, a, b, a);
  TD_ASSIGN_OR_RETURN(Tensor scaled,
                      device::BinaryOpTensor(ctx, BinaryOp::kMul, b, device::Scalar(alpha)));
  return Into(ctx, BinaryOp::kAdd, a, scaled, a);
}

// grad.add(param, alpha=weight_decay) as a new tensor.
absl::StatusOr<Tensor> WithWeightDecay(const Context& ctx, const Tensor& grad, const Tensor& p,
                                       double weight_decay) {
  TD_ASSIGN_OR_RETURN(Tensor g, device::Clone(ctx, grad));
  TD_RETURN_IF_ERROR(AddScaled(ctx, g, p, weight_decay));
  return g;
}

absl::StatusOr<Tensor> ZerosLike(const Context& ctx, const Tensor& t) {
  return device::Full(ctx, t.shape(), device::Scalar(0.0), t.dtype(), t.device());
}

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<autograd::Variable> params, Options o)
      : Optimizer(std::move(params)), o_(o), buffers_(params_.size()) {}

  // torch.optim.sgd._single_tensor_sgd, step for step.
  absl::Status Step(const Context& ctx) override {
    for (size_t i = 0; i < params_.size(); ++i) {
      const autograd::Variable& v = params_[i];
      if (v.meta == nullptr || !v.meta->grad.has_value()) continue;
      const Tensor& p = v.tensor;
      Tensor d_p = *v.meta->grad;
      if (o_.weight_decay != 0) {
        TD_ASSIGN_OR_RETURN(d_p, WithWeightDecay(ctx, d_p, p, o_.weight_decay));
      }
      if (o_.momentum != 0) {
        std::optional<Tensor>& buf = buffers_[i];
        if (!buf.has_value()) {
          TD_ASSIGN_OR_RETURN(buf, device::Clone(ctx, d_p));
        } else {
          TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kMul, *buf, device::Scalar(o_.momentum), *buf));
          TD_RETURN_IF_ERROR(AddScaled(ctx, *buf, d_p, 1 - o_.dampening));
        }
        if (o_.nesterov) {
          TD_ASSIGN_OR_RETURN(Tensor n, device::Clone(ctx, d_p));
          TD_RETURN_IF_ERROR(AddScaled(ctx, n, *buf, o_.momentum));
          d_p = n;
        } else {
          d_p = *buf;
        }
      }
      TD_RETURN_IF_ERROR(AddScaled(ctx, p, d_p, -o_.lr));
    }
    return absl::OkStatus();
  }

 private:
  const Options o_;
  std::vector<std::optional<Tensor>> buffers_;  // momentum_buffer, made at the first step
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<autograd::Variable> params, Options o, bool decoupled)
      : Optimizer(std::move(params)), o_(o), decoupled_(decoupled), state_(params_.size()) {}

  // torch.optim.adam._single_tensor_adam (and adamw's, whose weight decay
  // scales the parameter instead of adding to the gradient).
  absl::Status Step(const Context& ctx) override {
    for (size_t i = 0; i < params_.size(); ++i) {
      const autograd::Variable& v = params_[i];
      if (v.meta == nullptr || !v.meta->grad.has_value()) continue;
      const Tensor& p = v.tensor;
      Tensor grad = *v.meta->grad;
      State& s = state_[i];
      if (!s.exp_avg.has_value()) {
        TD_ASSIGN_OR_RETURN(s.exp_avg, ZerosLike(ctx, p));
        TD_ASSIGN_OR_RETURN(s.exp_avg_sq, ZerosLike(ctx, p));
        if (o_.amsgrad) {
          TD_ASSIGN_OR_RETURN(s.max_exp_avg_sq, ZerosLike(ctx, p));
        }
      }
      s.step += 1;
      if (o_.weight_decay != 0) {
        if (decoupled_) {
          TD_RETURN_IF_ERROR(
              Into(ctx, BinaryOp::kMul, p, device::Scalar(1 - o_.lr * o_.weight_decay), p));
        } else {
          TD_ASSIGN_OR_RETURN(grad, WithWeightDecay(ctx, grad, p, o_.weight_decay));
        }
      }
      const Tensor& m = *s.exp_avg;
      const Tensor& sq = *s.exp_avg_sq;
      TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kMul, m, device::Scalar(o_.beta1), m));
      TD_RETURN_IF_ERROR(AddScaled(ctx, m, grad, 1 - o_.beta1));
      TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kMul, sq, device::Scalar(o_.beta2), sq));
      // addcmul_(grad, grad, value=1 - beta2): sq + value * (grad * grad).
      TD_ASSIGN_OR_RETURN(Tensor g2, device::BinaryOpTensor(ctx, BinaryOp::kMul, grad, grad));
      TD_RETURN_IF_ERROR(AddScaled(ctx, sq, g2, 1 - o_.beta2));

      const double bias_correction1 = 1 - std::pow(o_.beta1, static_cast<double>(s.step));
      const double bias_correction2 = 1 - std::pow(o_.beta2, static_cast<double>(s.step));
      const double step_size = o_.lr / bias_correction1;
      const double bias_correction2_sqrt = std::sqrt(bias_correction2);
      const Tensor* second = &sq;
      if (o_.amsgrad) {
        TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kMaximum, *s.max_exp_avg_sq, sq, *s.max_exp_avg_sq));
        second = &*s.max_exp_avg_sq;
      }
      // denom = (second.sqrt() / bias_correction2_sqrt).add_(eps)
      TD_ASSIGN_OR_RETURN(Tensor denom,
                          device::UnaryOpTensor(ctx, device::UnaryOp::kSqrt, *second));
      TD_RETURN_IF_ERROR(
          Into(ctx, BinaryOp::kDiv, denom, device::Scalar(bias_correction2_sqrt), denom));
      TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kAdd, denom, device::Scalar(o_.eps), denom));
      // param.addcdiv_(exp_avg, denom, value=-step_size): p + value * (m / denom).
      TD_RETURN_IF_ERROR(Into(ctx, BinaryOp::kDiv, m, denom, denom));
      TD_RETURN_IF_ERROR(AddScaled(ctx, p, denom, -step_size));
    }
    return absl::OkStatus();
  }

 private:
  struct State {
    int64_t step = 0;
    std::optional<Tensor> exp_avg, exp_avg_sq, max_exp_avg_sq;
  };
  const Options o_;
  const bool decoupled_;
  std::vector<State> state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Optimizer>> Optimizer::Create(
    const v1::OptimizerCreate& spec, std::vector<autograd::Variable> params) {
  const std::string& kind = spec.kind();
  if (kind != "sgd" && kind != "adam" && kind != "adamw") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown optimizer '", kind, "': use sgd, adam or adamw"));
  }
  if (params.empty()) return absl::InvalidArgumentError("optimizer got an empty parameter list");
  absl::flat_hash_set<const void*> seen;
  for (size_t i = 0; i < params.size(); ++i) {
    const autograd::Variable& v = params[i];
    if (!v.requires_grad()) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer parameter ", i,
                       " does not require grad: an optimizer updates tensors made "
                       "with requires_grad=True (call requires_grad_() on it first)"));
    }
    if (!v.is_leaf()) {
      return absl::InvalidArgumentError(absl::StrCat("can't optimize a non-leaf Tensor (parameter ",
                                                     i, " has grad_fn ", v.grad_fn_name(), ")"));
    }
    if (!seen.insert(v.meta.get()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer parameter ", i, " appears more than once in the list"));
    }
  }
  TD_ASSIGN_OR_RETURN(Options o, ParseOptions(kind, spec));
  if (kind == "sgd") return std::unique_ptr<Optimizer>(new Sgd(std::move(params), o));
  return std::unique_ptr<Optimizer>(new Adam(std::move(params), o, kind == "adamw"));
}

absl::Status Optimizer::ZeroGrad(const Context& ctx, bool set_to_none) {
  for (autograd::Variable& v : params_) {
    if (v.meta == nullptr || !v.meta->grad.has_value()) continue;
    if (set_to_none) {
      v.meta->grad.reset();
      continue;
    }
    const Tensor& g = *v.meta->grad;
    TD_ASSIGN_OR_RETURN(Tensor zero,
                        device::ScalarTensor(ctx, device::Scalar(0.0), g.dtype(), g.device()));
    TD_RETURN_IF_ERROR(device::CopyInto(ctx, zero, g));
  }
  return absl::OkStatus();
}

}  // namespace tensord::server
