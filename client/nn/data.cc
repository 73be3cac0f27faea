#include "client/nn/data.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "client/idx.h"
#include "client/nn/module.h"

namespace tensord::nn {

namespace {

// The file `base` in `dir`, compressed or not.
std::string Find(const std::string& dir, const std::string& base) {
  const std::string gz = absl::StrCat(dir, "/", base, ".gz");
  if (std::filesystem::exists(gz)) return gz;
  return absl::StrCat(dir, "/", base);
}

client::IdxArray Read(const std::string& path) {
  absl::StatusOr<client::IdxArray> a = client::ReadIdx(path);
  if (!a.ok())
    throw client::Error(static_cast<int>(a.status().code()), std::string(a.status().message()));
  return *std::move(a);
}

}  // namespace

ImageDataset LoadFashionMnist(const std::string& dir, bool train, int64_t limit) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images_path = Find(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = Find(dir, prefix + "-labels-idx1-ubyte");
  client::IdxArray images = Read(images_path);
  client::IdxArray labels = Read(labels_path);
  if (images.dims.size() != 3) {
    throw client::Error(
        3, absl::StrCat(images_path, ": expected 3 dims [N, H, W], got ", images.dims.size()));
  }
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0]) {
    throw client::Error(3, absl::StrCat(labels_path, ": expected ", images.dims[0],
                                        " labels (one per image of ", images_path, ")"));
  }
  ImageDataset d;
  d.size = images.dims[0];
  if (limit > 0) d.size = std::min(d.size, limit);
  d.image_shape = {1, images.dims[1], images.dims[2]};
  const int64_t per = images.dims[1] * images.dims[2];
  d.images.resize(d.size * per);
  for (int64_t i = 0; i < d.size * per; ++i) {
    // ToTensor divides by 255; Normalize then subtracts 0.5 and divides by 0.5.
    const float x = static_cast<float>(images.data[i]) / 255.0f;
    d.images[i] = (x - 0.5f) / 0.5f;
  }
  d.labels.resize(d.size);
  for (int64_t i = 0; i < d.size; ++i) {
    if (labels.data[i] > 9) {
      throw client::Error(3, absl::StrCat(labels_path, ": label ", int{labels.data[i]},
                                          " of sample ", i, " is not a class 0..9"));
    }
    d.labels[i] = labels.data[i];
  }
  return d;
}

DataLoader::DataLoader(const ImageDataset& data, int64_t batch_size, bool shuffle, uint64_t seed)
    : data_(data), batch_size_(batch_size), shuffle_(shuffle), rng_(seed) {
  if (batch_size <= 0) throw client::Error(3, "batch_size must be positive");
  order_.resize(data.size);
  std::iota(order_.begin(), order_.end(), 0);
  Reset();
}

int64_t DataLoader::num_batches() const { return (data_.size + batch_size_ - 1) / batch_size_; }

void DataLoader::Reset() {
  pos_ = 0;
  if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
}

bool DataLoader::Next(const client::Session& session, client::Tensor* images,
                      client::Tensor* labels) {
  if (pos_ >= data_.size) return false;
  const int64_t b = std::min(batch_size_, data_.size - pos_);
  int64_t per = 1;
  for (int64_t d : data_.image_shape) per *= d;
  x_.shape = {b};
  x_.shape.insert(x_.shape.end(), data_.image_shape.begin(), data_.image_shape.end());
  x_.dtype = "float32";
  x_.data.resize(b * per * sizeof(float));
  y_.shape = {b};
  y_.dtype = "int64";
  y_.data.resize(b * sizeof(int64_t));
  float* xs = reinterpret_cast<float*>(x_.data.data());
  int64_t* ys = reinterpret_cast<int64_t*>(y_.data.data());
  for (int64_t i = 0; i < b; ++i) {
    const int64_t s = order_[pos_ + i];
    std::memcpy(xs + i * per, data_.images.data() + s * per, per * sizeof(float));
    ys[i] = data_.labels[s];
  }
  pos_ += b;
  last_batch_size_ = b;
  *images = session.FromRaw(x_);
  *labels = session.FromRaw(y_);
  RememberShape(*images, x_.shape);
  RememberShape(*labels, y_.shape);
  return true;
}

}  // namespace tensord::nn
