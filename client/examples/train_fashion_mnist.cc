// Trains the blitz's LeNet (adapted to 1x28x28 images) on Fashion-MNIST
// through tensord: every tensor, the autograd graph and the SGD state live
// in the daemon; this program only uploads batches and reads the loss now
// and then. The recipe matches train_fashion_mnist_torch.py: SGD lr 0.01
// momentum 0.9, batch 64, cross_entropy, inputs normalised with
// Normalize((0.5,), (0.5,)).
//
//   train_fashion_mnist --server unix:/run/tensord.sock --epochs 10
//
// Progress (epoch, batch, mean loss, samples/s) goes to stderr; the test
// accuracy after each epoch to stdout.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "client/nn/data.h"
#include "client/nn/layers.h"
#include "client/nn/optim.h"

namespace {

using tensord::client::Session;
using tensord::client::Tensor;
namespace nn = tensord::nn;

std::shared_ptr<nn::Sequential> LeNet(const Session& s) {
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Conv2d>(s, 1, 6, 5));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(std::make_shared<nn::Conv2d>(s, 6, 16, 5));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(s, 16 * 4 * 4, 120));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Linear>(s, 120, 84));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Linear>(s, 84, 10));
  return net;
}

// Correct predictions over the test set, counted in the daemon.
double Accuracy(const Session& s, nn::Module& net, const nn::ImageDataset& test) {
  tensord::client::NoGradGuard no_grad(s);
  net.eval();
  nn::DataLoader loader(test, 1000, /*shuffle=*/false, 0);
  Tensor correct = s.tensor("0");  // int64, 0-dim
  Tensor x, y;
  while (loader.Next(s, &x, &y)) {
    Tensor pred = net(x).Op("argmax", {}, {{"dim", int64_t{1}}});
    correct = correct + pred.Op("eq", {y}).sum();
  }
  net.train();
  return correct.item() / static_cast<double>(test.size);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Trains LeNet on Fashion-MNIST through tensord");
  std::string server = "127.0.0.1:50051", data_dir = nn::kFashionMnistDir, save_path;
  int epochs = 2;
  uint64_t seed = 0;
  int64_t batch_size = 64, limit = 0, log_every = 50;
  double lr = 0.01, momentum = 0.9;
  app.add_option("--server", server, "tensord address: HOST:PORT or unix:PATH");
  app.add_option("--epochs", epochs, "passes over the training set");
  app.add_option("--seed", seed, "seeds the daemon's generator (weights) and the shuffling");
  app.add_option("--data", data_dir, "directory of the Fashion-MNIST IDX files (.gz or not)");
  app.add_option("--batch_size", batch_size, "samples per step");
  app.add_option("--lr", lr, "SGD learning rate");
  app.add_option("--momentum", momentum, "SGD momentum");
  app.add_option("--limit", limit, "train on the first N samples only (0: all)");
  app.add_option("--log_every", log_every, "batches between progress updates");
  app.add_option("--save", save_path, "write the trained state dict here (safetensors)");
  CLI11_PARSE(app, argc, argv);

  try {
    const nn::ImageDataset train = nn::LoadFashionMnist(data_dir, /*train=*/true, limit);
    const nn::ImageDataset test = nn::LoadFashionMnist(data_dir, /*train=*/false);
    Session s = Session::Open(server);
    s.manual_seed(seed);
    std::shared_ptr<nn::Sequential> net = LeNet(s);
    nn::SGD opt(net->parameters(), {.lr = lr, .momentum = momentum});
    nn::DataLoader loader(train, batch_size, /*shuffle=*/true, seed);
    const bool tty = isatty(fileno(stderr));

    for (int epoch = 1; epoch <= epochs; ++epoch) {
      loader.Reset();
      const auto start = std::chrono::steady_clock::now();
      auto window_start = start;
      int64_t batch = 0, seen = 0, window_seen = 0;
      Tensor running = s.tensor("0.0");
      int64_t running_n = 0;
      Tensor x, y;
      while (loader.Next(s, &x, &y)) {
        opt.zero_grad();
        Tensor loss = nn::cross_entropy((*net)(x), y);
        loss.backward();
        opt.step();
        running = running + loss.detach();
        ++running_n;
        ++batch;
        const int64_t b = loader.last_batch_size();
        seen += b;
        window_seen += b;
        if (batch % log_every == 0 || batch == loader.num_batches()) {
          const double mean = running.item() / static_cast<double>(running_n);  // waits
          const auto now = std::chrono::steady_clock::now();
          const double rate =
              window_seen / std::chrono::duration<double>(now - window_start).count();
          std::string line =
              absl::StrFormat("epoch %d/%d batch %d/%d loss %.4f %.0f samples/s", epoch, epochs,
                              batch, loader.num_batches(), mean, rate);
          if (tty) {
            std::cerr << "\r" << line << "\033[K" << std::flush;
          } else {
            std::cerr << line << "\n";
          }
          running = s.tensor("0.0");
          running_n = 0;
          window_start = now;
          window_seen = 0;
        }
      }
      if (tty) std::cerr << "\n";
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double acc = Accuracy(s, *net, test);
      std::cout << absl::StrFormat(
                       "epoch %d: test accuracy %.2f%% (%d samples in %.1f s, %.0f samples/s)\n",
                       epoch, 100 * acc, seen, secs, seen / secs)
                << std::flush;
    }
    if (!save_path.empty()) net->save(save_path);
  } catch (const tensord::client::Error& e) {
    std::cerr << "error: " << e.code_name() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
