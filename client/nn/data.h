// Fashion-MNIST as the blitz's torchvision recipe prepares it (ToTensor then
// Normalize((0.5,), (0.5,)): pixels / 255, then (x - 0.5) / 0.5, in float32),
// and a DataLoader-like batcher that shuffles with a seed and uploads each
// batch through the client's fast path (FromRaw).
#ifndef TENSORD_CLIENT_NN_DATA_H_
#define TENSORD_CLIENT_NN_DATA_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "client/tensor.h"

namespace tensord::nn {

// Where Debian's dataset-fashion-mnist installs the files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

struct ImageDataset {
  int64_t size = 0;                  // number of images
  std::vector<int64_t> image_shape;  // [1, 28, 28]
  std::vector<float> images;         // size * prod(image_shape), normalised
  std::vector<int64_t> labels;       // size
};

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir`; `limit`
// > 0 keeps the first `limit` samples. Throws client::Error naming the file
// (NOT_FOUND when missing, INVALID_ARGUMENT when corrupt or inconsistent).
ImageDataset LoadFashionMnist(const std::string& dir, bool train, int64_t limit = 0);

class DataLoader {
 public:
  // drop_last = false: the last batch may be smaller, as PyTorch's default.
  DataLoader(const ImageDataset& data, int64_t batch_size, bool shuffle, uint64_t seed);
  int64_t num_batches() const;
  // Starts an epoch: reshuffles (when shuffling) from the seeded generator.
  void Reset();
  // The next batch as (images [B, 1, 28, 28] float32, labels [B] int64)
  // uploaded into `session`; false at the end of the epoch.
  bool Next(const client::Session& session, client::Tensor* images, client::Tensor* labels);
  // The number of samples in the batch Next gave last.
  int64_t last_batch_size() const { return last_batch_size_; }

 private:
  const ImageDataset& data_;
  const int64_t batch_size_;
  const bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  int64_t pos_ = 0;
  int64_t last_batch_size_ = 0;
  client::RawTensor x_, y_;  // reused from batch to batch
};

}  // namespace tensord::nn

#endif  // TENSORD_CLIENT_NN_DATA_H_
