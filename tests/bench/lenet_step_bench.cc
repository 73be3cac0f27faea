// One LeNet training step at batch 64 through tensord from the C++ client:
// upload the batch, forward, cross_entropy, backward, SGD step (lr 0.01,
// momentum 0.9). The steps are pipelined as a training loop sends them; the
// clock stops after a final Sync. Prints one JSON line;
// compare_lenet.py runs it beside PyTorch in-process.
//
//   lenet_step_bench --server unix:/tmp/tensord.sock --steps 200
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "client/nn/layers.h"
#include "client/nn/optim.h"

namespace nn = tensord::nn;
using tensord::client::RawTensor;
using tensord::client::Session;
using tensord::client::Tensor;

int main(int argc, char** argv) {
  CLI::App app("LeNet training step through tensord");
  std::string server = "127.0.0.1:50051";
  int steps = 200, warmup = 20;
  app.add_option("--server", server, "tensord address: HOST:PORT or unix:PATH");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup, "untimed steps first");
  CLI11_PARSE(app, argc, argv);

  Session s = Session::Open(server);
  s.manual_seed(0);
  nn::Sequential net({std::make_shared<nn::Conv2d>(s, 1, 6, 5), std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Conv2d>(s, 6, 16, 5),
                      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
                      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(s, 256, 120),
                      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(s, 120, 84),
                      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(s, 84, 10)});
  nn::SGD opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
  constexpr int kBatch = 64;
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  RawTensor x{.shape = {kBatch, 1, 28, 28}, .dtype = "float32"},
      y{.shape = {kBatch}, .dtype = "int64"};
  x.data.resize(kBatch * 28 * 28 * sizeof(float));
  y.data.resize(kBatch * sizeof(int64_t));
  float* xs = reinterpret_cast<float*>(x.data.data());
  for (int i = 0; i < kBatch * 28 * 28; ++i) xs[i] = normal(rng);
  int64_t* ys = reinterpret_cast<int64_t*>(y.data.data());
  for (int i = 0; i < kBatch; ++i) ys[i] = i % 10;

  auto step = [&] {
    Tensor xb = s.FromRaw(x), yb = s.FromRaw(y);
    opt.zero_grad();
    Tensor loss = nn::cross_entropy(net(xb), yb);
    loss.backward();
    opt.step();
  };
  for (int i = 0; i < warmup; ++i) step();
  s.Sync();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  s.Sync();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"ms_per_step\": %.4f, \"samples_per_s\": %.1f, \"steps\": %d}\n",
              1e3 * secs / steps, steps * kBatch / secs, steps);
  return 0;
}
