#include "client/nn/optim.h"

#include <utility>

#include "client/session_state.h"

namespace tensord::nn {

namespace {

client::Attrs AdamAttrs(const AdamOptions& o) {
  return {{"lr", o.lr},
          {"betas", std::vector<double>{o.beta1, o.beta2}},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad}};
}

}  // namespace

Optimizer::Optimizer(const std::string& kind, const std::vector<client::Tensor>& params,
                     const client::Attrs& options) {
  if (params.empty()) throw client::Error(3, "optimizer got an empty parameter list");
  v1::Command cmd;
  v1::OptimizerCreate* create = cmd.mutable_optimizer()->mutable_create();
  create->set_kind(kind);
  for (const client::Tensor& p : params) {
    if (!p.defined()) throw client::Error(3, "optimizer got an undefined tensor");
    const std::shared_ptr<client::TensorHandle>& h = client::SessionState::Unwrap(p);
    if (session_ == nullptr) session_ = h->session;
    if (h->session != session_) {
      throw client::Error(3, "optimizer parameters must all belong to one session");
    }
    create->add_params()->set_handle(h->handle);
  }
  for (const auto& [name, value] : options) (*create->mutable_options())[name] = value.proto();
  // Ids come from the client's handle range: unique in the session and
  // chosen here, so later commands need not wait for this one's reply.
  id_ = session_->NewHandle();
  cmd.mutable_optimizer()->set_optimizer_id(id_);
  session_->pipeline.Call(std::move(cmd));
}

Optimizer::~Optimizer() {
  if (session_ == nullptr || session_->closed) return;
  v1::Command cmd;
  cmd.mutable_optimizer()->set_optimizer_id(id_);
  cmd.mutable_optimizer()->mutable_destroy();
  try {
    session_->pipeline.Send(std::move(cmd));
  } catch (...) {  // a destructor must not throw: a broken stream frees it with the session
  }
}

void Optimizer::step() {
  v1::Command cmd;
  cmd.mutable_optimizer()->set_optimizer_id(id_);
  cmd.mutable_optimizer()->mutable_step();
  session_->pipeline.Send(std::move(cmd));
}

void Optimizer::zero_grad(bool set_to_none) {
  v1::Command cmd;
  cmd.mutable_optimizer()->set_optimizer_id(id_);
  cmd.mutable_optimizer()->mutable_zero_grad()->set_set_to_none(set_to_none);
  session_->pipeline.Send(std::move(cmd));
}

SGD::SGD(const std::vector<client::Tensor>& params, const SGDOptions& o)
    : Optimizer("sgd", params,
                {{"lr", o.lr},
                 {"momentum", o.momentum},
                 {"dampening", o.dampening},
                 {"weight_decay", o.weight_decay},
                 {"nesterov", o.nesterov}}) {}

Adam::Adam(const std::vector<client::Tensor>& params, const AdamOptions& o)
    : Optimizer("adam", params, AdamAttrs(o)) {}

AdamW::AdamW(const std::vector<client::Tensor>& params, const AdamOptions& o)
    : Optimizer("adamw", params, AdamAttrs(o)) {}

}  // namespace tensord::nn
