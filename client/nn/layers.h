// torch.nn's layers for the C++ client, each a Module whose forward runs the
// daemon's registry op of the same name (linear, conv2d, max_pool2d, relu,
// dropout, batch_norm), plus Sequential. Weights are initialised as
// PyTorch's reset_parameters does (kaiming_uniform_(a=sqrt(5)), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias with the same bound)
// from the session's generator, so Session::manual_seed makes them
// reproducible. Each layer checks its input shape when the client knows it
// (see output_shape) and names itself in the error.
#ifndef TENSORD_CLIENT_NN_LAYERS_H_
#define TENSORD_CLIENT_NN_LAYERS_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "client/nn/module.h"

namespace tensord::nn {

class Linear : public Module {
 public:
  Linear(const Session& s, int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;
  Tensor& weight() { return param(0); }
  Tensor& bias() { return param(1); }

 private:
  int64_t in_, out_;
  bool bias_;
};

struct Conv2dOptions {
  int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(const Session& s, int64_t in_channels, int64_t out_channels, int64_t kernel_size,
         const Conv2dOptions& o = {});
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;
  Tensor& weight() { return param(0); }
  Tensor& bias() { return param(1); }

 private:
  int64_t in_, out_, k_;
  Conv2dOptions o_;
};

class MaxPool2d : public Module {
 public:
  // stride 0: the kernel size, as PyTorch's default.
  explicit MaxPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;

 private:
  int64_t k_, s_, p_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "ReLU()"; }
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_(start_dim), end_(end_dim) {}
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;

 private:
  int64_t start_, end_;
};

// Zeroes elements with probability p in training (scaling the rest by
// 1/(1-p)) from the session's generator; the identity in eval.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

 private:
  double p_;
};

class BatchNorm2d : public Module {
 public:
  BatchNorm2d(const Session& s, int64_t num_features, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;

 private:
  int64_t c_;
  double eps_, momentum_;
};

// Runs its children in order; they are named "0", "1", ... as in PyTorch.
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers);
  void push_back(std::shared_ptr<Module> layer);
  // Checks the whole chain's shapes first when the input's shape is known,
  // so a mismatch names the layer before anything runs.
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string repr() const override;
};

// torch.nn.functional.cross_entropy(input, target): mean over the batch.
Tensor cross_entropy(const Tensor& input, const Tensor& target);

}  // namespace tensord::nn

#endif  // TENSORD_CLIENT_NN_LAYERS_H_
