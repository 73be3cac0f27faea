// torch.optim's SGD, Adam and AdamW run inside the daemon, next to the
// parameters they update: a client creates one over a list of parameter
// tensors and then calls step() and zero_grad() by the optimizer's id, one
// command per training step for all parameters, with no data crossing the
// wire. The state (momentum buffers, exp_avg, exp_avg_sq, step counts) lives
// here; each parameter is held as a Variable (tensor plus autograd state), as
// a torch.optim optimizer holds references to its tensors, so releasing a
// parameter's handle neither breaks the optimizer nor frees the tensor.
#ifndef TENSORD_SERVER_OPTIMIZER_H_
#define TENSORD_SERVER_OPTIMIZER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "autograd/variable.h"
#include "device/context.h"
#include "device/tensor.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // Checks the kind, the options (names and ranges, with torch.optim's
  // messages) and the parameters (floating-point leaves that require grad).
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(const v1::OptimizerCreate& spec,
                                                           std::vector<autograd::Variable> params);

  // optimizer.step(): parameters whose .grad is None are skipped.
  virtual absl::Status Step(const device::Context& ctx) = 0;
  // optimizer.zero_grad(set_to_none), as torch 1.13: zeros in place by default.
  absl::Status ZeroGrad(const device::Context& ctx, bool set_to_none);

 protected:
  explicit Optimizer(std::vector<autograd::Variable> params) : params_(std::move(params)) {}
  std::vector<autograd::Variable> params_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_OPTIMIZER_H_
