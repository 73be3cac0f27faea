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
using tensord::client::NoGradGuard;
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

    std::cout << "\n## Autograd\n";
    Step("x = torch.ones(2, 2, requires_grad=True)");
    x = torch.ones({2, 2}, {.requires_grad = true});
    Step("x");
    std::cout << x << "\n";
    Step("y = x + 2");
    y = x + 2;
    Step("y");
    std::cout << y << "\n";
    Step("y.grad_fn");
    std::cout << y.grad_fn_repr() << "\n";
    Step("z = y * y * 3");
    z = y * y * 3;
    Step("out = z.mean()");
    Tensor out = z.mean();
    Step("z, out");
    std::cout << z << " " << out << "\n";
    Step("a = torch.randn(2, 2)");
    Tensor a = torch.randn({2, 2});
    Step("a = ((a * 3) / (a - 1))");
    a = (a * 3) / (a - 1);
    Step("a.requires_grad");
    std::cout << (a.requires_grad() ? "True" : "False") << "\n";
    Step("a.requires_grad_(True)");
    a.requires_grad_(true);
    Step("a.requires_grad");
    std::cout << (a.requires_grad() ? "True" : "False") << "\n";
    Step("b = (a * a).sum()");
    Tensor b = (a * a).sum();
    Step("b.grad_fn");
    std::cout << b.grad_fn_repr() << "\n";
    Step("out.backward()");
    out.backward();
    Step("x.grad");
    std::cout << *x.grad() << "\n";
    Step("x = torch.randn(3, requires_grad=True)");
    x = torch.randn({3}, {.requires_grad = true});
    Step("y = x * 2");
    y = x * 2;
    Step("while y.data.norm() < 1000: y = y * 2");
    while (y.detach().Op("norm").item() < 1000) y = y * 2;
    Step("y");
    std::cout << y << "\n";
    Step("v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)");
    Tensor v = torch.tensor("[0.1, 1.0, 0.0001]", {.dtype = "float32"});
    Step("y.backward(v)");
    y.backward(v);
    Step("x.grad");
    std::cout << *x.grad() << "\n";
    Step("x.requires_grad");
    std::cout << (x.requires_grad() ? "True" : "False") << "\n";
    Step("(x ** 2).requires_grad");
    std::cout << (x.Op("pow", {}, {{"exponent", 2}}).requires_grad() ? "True" : "False") << "\n";
    {
      Step("with torch.no_grad(): (x ** 2).requires_grad");
      NoGradGuard no_grad(torch);
      std::cout << (x.Op("pow", {}, {{"exponent", 2}}).requires_grad() ? "True" : "False") << "\n";
    }
    Step("y = x.detach()");
    y = x.detach();
    Step("y.requires_grad");
    std::cout << (y.requires_grad() ? "True" : "False") << "\n";
    Step("x.eq(y).all()");
    std::cout << x.Op("eq", {y}).Op("all") << "\n";
  } catch (const Error& e) {
    std::cerr << "blitz: " << e.code_name() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
