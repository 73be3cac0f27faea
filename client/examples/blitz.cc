// The "Tensors" and "Operations" steps of PyTorch's 60 Minute Blitz, run
// remotely on tensord through the C++ client. Each step prints the Python
// line it mirrors, then what PyTorch would print.
//
//   blitz [ADDRESS]     (default: $TENSORD_ADDR or 127.0.0.1:50051)
#include <cstdlib>
#include <iostream>
#include <string>

#include "client/tensor.h"

using tensord::client::Error;
using tensord::client::Options;
using tensord::client::Session;
using tensord::client::SessionConfig;
using tensord::client::Tensor;

namespace {
void Step(const std::string& python) { std::cout << ">>> " << python << "\n"; }
}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("TENSORD_ADDR");
  const std::string address = argc > 1 ? argv[1] : env != nullptr ? env : "127.0.0.1:50051";
  try {
    Session torch = Session::Open(SessionConfig{.address = address});
    torch.manual_seed(0);

    std::cout << "## Tensors\n";
    Step("torch.empty(5, 3)");
    std::cout << torch.empty({5, 3}) << "\n";
    Step("torch.rand(5, 3)");
    std::cout << torch.rand({5, 3}) << "\n";
    Step("torch.zeros(5, 3, dtype=torch.long)");
    std::cout << torch.zeros({5, 3}, Options{.dtype = "long"}) << "\n";
    Step("torch.tensor([5.5, 3])");
    std::cout << torch.tensor("[5.5, 3]") << "\n";
    Step("x = torch.zeros(5, 3, dtype=torch.double)");
    Tensor x = torch.zeros({5, 3}, Options{.dtype = "double"});
    Step("x = x.new_ones(5, 3, dtype=torch.double)");
    x = x.new_ones({5, 3}, Options{.dtype = "double"});
    Step("x");
    std::cout << x << "\n";
    Step("x = torch.randn_like(x, dtype=torch.float)");
    x = torch.randn_like(x, Options{.dtype = "float"});
    Step("x");
    std::cout << x << "\n";
    Step("x.size()");
    std::cout << x.size() << "\n";

    std::cout << "\n## Operations\n";
    Step("y = torch.rand(5, 3)");
    Tensor y = torch.rand({5, 3});
    Step("x + y");
    std::cout << x + y << "\n";
    Step("torch.add(x, y)");
    std::cout << torch.add(x, y) << "\n";
    Step("result = torch.empty(5, 3)");
    Tensor result = torch.empty({5, 3});
    Step("torch.add(x, y, out=result)");
    torch.add(x, y, &result);
    Step("result");
    std::cout << result << "\n";
    Step("y.add_(x)");
    y.add_(x);
    Step("y");
    std::cout << y << "\n";
    Step("x[:, 1]");
    std::cout << x.index(":, 1") << "\n";
    Step("x = torch.randn(4, 4)");
    x = torch.randn({4, 4});
    Step("y = x.view(16)");
    y = x.view({16});
    Step("z = x.view(-1, 8)");
    Tensor z = x.view({-1, 8});
    Step("x.size(), y.size(), z.size()");
    std::cout << x.size() << " " << y.size() << " " << z.size() << "\n";
    Step("x = torch.randn(1)");
    x = torch.randn({1});
    Step("x");
    std::cout << x << "\n";
    Step("x.item()");
    std::cout << x.item_repr() << "\n";
  } catch (const Error& e) {
    std::cerr << "blitz: " << e.code_name() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
