// torch.nn.Module for the C++ client: a module owns named parameters and
// buffers (tensors living in the daemon) and named submodules, and lists
// them with PyTorch's dotted names ("0.weight", "features.3.bias"), so a
// state dict saved here loads in PyTorch and back. Layers (layers.h) are
// modules whose forward calls the daemon's registry ops by name.
#ifndef TENSORD_CLIENT_NN_MODULE_H_
#define TENSORD_CLIENT_NN_MODULE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/tensor.h"

namespace tensord::nn {

using client::Session;
using client::Tensor;
using Shape = std::vector<int64_t>;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  // The shape forward gives for an input of shape `in`; throws client::Error
  // (INVALID_ARGUMENT) naming this layer and both shapes when `in` does not
  // fit. Containers chain it, so a mismatch is reported before any op runs.
  virtual Shape output_shape(const Shape& in) const { return in; }
  // PyTorch's repr of the layer: "Linear(in_features=4, out_features=2, bias=True)".
  virtual std::string repr() const = 0;

  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;
  // Parameters and buffers, in PyTorch's state_dict order (each module's
  // parameters, then its buffers, then its children's).
  NamedTensors state_dict() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

  // module.zero_grad(): zeros each parameter's .grad in place (torch 1.13's
  // default), or sets it to None with set_to_none.
  void zero_grad(bool set_to_none = false);

  // module.train(mode) / module.eval(), for this module and its children.
  void train(bool mode = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // module.to(device): moves every parameter and buffer (a parameter stays
  // a leaf that requires grad). Optimizers made before keep the old
  // tensors, as in PyTorch: move first, then make the optimizer.
  void to(const std::string& device);

  // Writes state_dict() to a safetensors file: to a temporary file next to
  // `path` that is renamed over it once complete, so a failed save leaves
  // any existing file as it was.
  void save(const std::string& path) const;
  // Loads a safetensors state dict into the parameters and buffers (copied
  // in place, under no_grad). Checks the whole file first: a missing or
  // unexpected key, or a shape or dtype that differs, throws
  // INVALID_ARGUMENT naming the key, and nothing is changed.
  void load(const std::string& path);

 protected:
  // Registers and returns a parameter (a leaf that requires grad) or a buffer.
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  Tensor& param(size_t i) { return params_[i].second; }
  Tensor& buffer(size_t i) { return buffers_[i].second; }

 private:
  void Collect(const std::string& prefix, bool params, bool buffers, NamedTensors* out) const;

  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// The shape of `t` when the client knows it without waiting for the daemon:
// from the daemon's last reply, or as remembered for a layer's output or a
// DataLoader batch (pipelined results whose replies never come).
std::optional<Shape> KnownShape(const Tensor& t);
void RememberShape(const Tensor& t, const Shape& shape);
// "[64, 400]".
std::string ShapeString(const Shape& s);

}  // namespace tensord::nn

#endif  // TENSORD_CLIENT_NN_MODULE_H_
