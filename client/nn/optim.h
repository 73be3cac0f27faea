// torch.optim for the C++ client: SGD, Adam and AdamW whose state (momentum
// buffers, moments, step counts) lives in the daemon beside the parameters.
// step() and zero_grad() are one pipelined command each for all parameters,
// so a training loop never waits on them; their errors surface at the next
// call that waits (item(), Fetch, Sync). Construction waits for the daemon,
// so bad hyper-parameters or parameters throw client::Error at once.
#ifndef TENSORD_CLIENT_NN_OPTIM_H_
#define TENSORD_CLIENT_NN_OPTIM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/tensor.h"

namespace tensord::client {
class SessionState;
}

namespace tensord::nn {

class Optimizer {
 public:
  // kind: "sgd", "adam" or "adamw"; options as torch.optim's keywords.
  Optimizer(const std::string& kind, const std::vector<client::Tensor>& params,
            const client::Attrs& options);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // optimizer.step(): parameters whose .grad is None are skipped.
  void step();
  // optimizer.zero_grad(set_to_none): torch 1.13 zeros the grads in place
  // by default.
  void zero_grad(bool set_to_none = false);

 private:
  std::shared_ptr<client::SessionState> session_;
  uint64_t id_ = 0;
};

struct SGDOptions {
  double lr = 0;  // required, as in torch.optim.SGD
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(const std::vector<client::Tensor>& params, const SGDOptions& o);
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // AdamW's default is 1e-2: see AdamW below
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  Adam(const std::vector<client::Tensor>& params, const AdamOptions& o);
};

class AdamW : public Optimizer {
 public:
  // torch.optim.AdamW's default weight_decay is 1e-2.
  static AdamOptions Defaults() { return AdamOptions{.weight_decay = 1e-2}; }
  AdamW(const std::vector<client::Tensor>& params, const AdamOptions& o = Defaults());
};

}  // namespace tensord::nn

#endif  // TENSORD_CLIENT_NN_OPTIM_H_
