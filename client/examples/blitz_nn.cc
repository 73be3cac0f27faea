// The "Neural Networks" section of PyTorch's 60 Minute Blitz, run remotely
// on tensord through the C++ client and tensord::nn: define the network,
// run it, a loss, backprop, and the weight updates (by hand, then with
// nn::SGD). Each step prints the Python line it mirrors, then the result.
//
//   blitz_nn [ADDRESS]     (default: $TENSORD_ADDR or 127.0.0.1:50051)
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "client/nn/layers.h"
#include "client/nn/optim.h"

namespace {

using tensord::client::Session;
using tensord::client::Tensor;
namespace nn = tensord::nn;

void Step(const std::string& python) { std::cout << ">>> " << python << "\n"; }

// The blitz's Net: 1 input image channel, 6 then 16 output channels, 5x5
// convolutions, then three fully connected layers.
class Net : public nn::Module {
 public:
  explicit Net(const Session& s)
      : conv1_(register_module("conv1", std::make_shared<nn::Conv2d>(s, 1, 6, 5))),
        conv2_(register_module("conv2", std::make_shared<nn::Conv2d>(s, 6, 16, 5))),
        fc1_(register_module("fc1", std::make_shared<nn::Linear>(s, 16 * 5 * 5, 120))),
        fc2_(register_module("fc2", std::make_shared<nn::Linear>(s, 120, 84))),
        fc3_(register_module("fc3", std::make_shared<nn::Linear>(s, 84, 10))) {}

  Tensor forward(const Tensor& input) override {
    // F.max_pool2d(F.relu(self.conv1(x)), (2, 2)), then the same with conv2.
    Tensor x = (*pool_)(relu_((*conv1_)(input)));
    x = (*pool_)(relu_((*conv2_)(x)));
    x = x.Op("flatten", {}, {{"start_dim", int64_t{1}}});
    x = relu_((*fc1_)(x));
    x = relu_((*fc2_)(x));
    return (*fc3_)(x);
  }

  std::string repr() const override {
    return "Net(\n  (conv1): " + conv1_->repr() + "\n  (conv2): " + conv2_->repr() +
           "\n  (fc1): " + fc1_->repr() + "\n  (fc2): " + fc2_->repr() +
           "\n  (fc3): " + fc3_->repr() + "\n)";
  }

  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Linear> fc1_, fc2_, fc3_;

 private:
  // Stateless helpers, not registered (F.relu and F.max_pool2d in the blitz).
  static Tensor relu_(const Tensor& x) { return x.Op("relu"); }
  std::shared_ptr<nn::MaxPool2d> pool_ = std::make_shared<nn::MaxPool2d>(2);
};

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("TENSORD_ADDR");
  const std::string address = argc > 1 ? argv[1] : env != nullptr ? env : "127.0.0.1:50051";
  try {
    Session s = Session::Open(address);
    s.manual_seed(0);
    std::cout << "## Neural Networks\n";
    Step("net = Net(); print(net)");
    Net net(s);
    std::cout << net.repr() << "\n";
    Step("params = list(net.parameters()); print(len(params)); print(params[0].size())");
    std::vector<Tensor> params = net.parameters();
    std::cout << params.size() << "\n" << params[0].size() << "\n";
    Step("input = torch.randn(1, 1, 32, 32); out = net(input); print(out)");
    Tensor input = s.randn({1, 1, 32, 32});
    Tensor out = net(input);
    std::cout << out << "\n";
    Step("net.zero_grad(); out.backward(torch.randn(1, 10))");
    net.zero_grad();
    out.backward(s.randn({1, 10}));

    std::cout << "\n## Loss Function\n";
    Step("output = net(input); target = torch.randn(10).view(1, -1)");
    Tensor output = net(input);
    Tensor target = s.randn({10}).view({1, -1});
    Step("criterion = nn.MSELoss(); loss = criterion(output, target); print(loss)");
    Tensor loss = output.Op("mse_loss", {target});
    std::cout << loss << "\n";
    Step("print(loss.grad_fn)");
    std::cout << loss.grad_fn_repr() << "\n";

    std::cout << "\n## Backprop\n";
    Step("net.zero_grad(); print(net.conv1.bias.grad)");
    net.zero_grad();
    std::cout << net.conv1_->bias().grad().value() << "\n";
    Step("loss.backward(); print(net.conv1.bias.grad)");
    loss.backward();
    std::cout << net.conv1_->bias().grad().value() << "\n";

    std::cout << "\n## Update the weights\n";
    Step("for f in net.parameters(): f.data.sub_(f.grad.data * learning_rate)");
    {
      tensord::client::NoGradGuard no_grad(s);
      for (Tensor& f : net.parameters()) f.sub_(f.grad().value() * 0.01);
    }
    Step("optimizer = optim.SGD(net.parameters(), lr=0.01)");
    nn::SGD optimizer(net.parameters(), {.lr = 0.01});
    Step("optimizer.zero_grad(); output = net(input); loss = criterion(output, target)");
    optimizer.zero_grad();
    output = net(input);
    loss = output.Op("mse_loss", {target});
    Step("loss.backward(); optimizer.step(); print(loss)");
    loss.backward();
    optimizer.step();
    std::cout << loss << "\n";
    Step("print(criterion(net(input), target))  # lower after the step");
    std::cout << net(input).Op("mse_loss", {target}) << "\n";
  } catch (const tensord::client::Error& e) {
    std::cerr << "error: " << e.code_name() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
