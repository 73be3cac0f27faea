#include "client/nn/layers.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensord::nn {

namespace {

constexpr int kInvalidArgument = 3;

[[noreturn]] void Mismatch(const std::string& layer, const Shape& in, const std::string& want) {
  throw client::Error(kInvalidArgument, absl::StrCat(layer, " got input of shape ", ShapeString(in),
                                                     ": expected ", want));
}

// A tensor of `shape` drawn from U(-bound, bound), as PyTorch's
// reset_parameters: kaiming_uniform_(a=sqrt(5)) has bound 1/sqrt(fan_in).
Tensor Uniform(const Session& s, const Shape& shape, double bound) {
  Tensor t = s.empty(shape);
  t.Op("uniform_", {}, {{"from", -bound}, {"to", bound}});
  return t;
}

// The output size of a window over one spatial dim, as PyTorch's pooling
// and convolution compute it.
int64_t WindowOut(int64_t size, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t span = size + 2 * pad - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// Checks the input's shape, when known, against `m`; remembers the
// output's shape for the next layer's check.
Tensor Checked(const Module& m, const Tensor& x, Tensor y) {
  if (std::optional<Shape> s = KnownShape(x)) RememberShape(y, m.output_shape(*s));
  return y;
}
void Check(const Module& m, const Tensor& x) {
  if (std::optional<Shape> s = KnownShape(x)) m.output_shape(*s);
}

}  // namespace

// ---- Linear ----

Linear::Linear(const Session& s, int64_t in_features, int64_t out_features, bool bias)
    : in_(in_features), out_(out_features), bias_(bias) {
  const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0;
  register_parameter("weight", Uniform(s, {out_features, in_features}, bound));
  if (bias) register_parameter("bias", Uniform(s, {out_features}, bound));
}

Shape Linear::output_shape(const Shape& in) const {
  const std::string name = absl::StrCat("Linear(", in_, " -> ", out_, ")");
  if (in.empty()) Mismatch(name, in, absl::StrCat("at least 1 dim with last dim ", in_));
  if (in.back() != in_) Mismatch(name, in, absl::StrCat("last dim ", in_));
  Shape out = in;
  out.back() = out_;
  return out;
}

Tensor Linear::forward(const Tensor& x) {
  Check(*this, x);
  std::vector<Tensor> inputs = {weight()};
  if (bias_) inputs.push_back(bias());
  return Checked(*this, x, x.Op("linear", inputs));
}

std::string Linear::repr() const {
  return absl::StrCat("Linear(in_features=", in_, ", out_features=", out_,
                      ", bias=", bias_ ? "True" : "False", ")");
}

// ---- Conv2d ----

Conv2d::Conv2d(const Session& s, int64_t in_channels, int64_t out_channels, int64_t kernel_size,
               const Conv2dOptions& o)
    : in_(in_channels), out_(out_channels), k_(kernel_size), o_(o) {
  const int64_t fan_in = in_channels / o.groups * kernel_size * kernel_size;
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0;
  register_parameter(
      "weight",
      Uniform(s, {out_channels, in_channels / o.groups, kernel_size, kernel_size}, bound));
  if (o.bias) register_parameter("bias", Uniform(s, {out_channels}, bound));
}

Shape Conv2d::output_shape(const Shape& in) const {
  const std::string name = absl::StrCat("Conv2d(", in_, " -> ", out_, ", kernel_size=", k_, ")");
  const std::string want = absl::StrCat("[N, ", in_, ", H, W] (or [", in_, ", H, W])");
  if (in.size() != 4 && in.size() != 3) Mismatch(name, in, want);
  const size_t c = in.size() - 3;
  if (in[c] != in_) Mismatch(name, in, want);
  Shape out = in;
  out[c] = out_;
  for (size_t d = c + 1; d < in.size(); ++d) {
    out[d] = WindowOut(in[d], k_, o_.stride, o_.padding, o_.dilation);
    if (out[d] < 1) {
      Mismatch(name, in,
               absl::StrCat("H and W of at least ", o_.dilation * (k_ - 1) + 1 - 2 * o_.padding));
    }
  }
  return out;
}

Tensor Conv2d::forward(const Tensor& x) {
  Check(*this, x);
  std::vector<Tensor> inputs = {weight()};
  if (o_.bias) inputs.push_back(bias());
  return Checked(*this, x,
                 x.Op("conv2d", inputs,
                      {{"stride", std::vector<int64_t>{o_.stride}},
                       {"padding", std::vector<int64_t>{o_.padding}},
                       {"dilation", std::vector<int64_t>{o_.dilation}},
                       {"groups", o_.groups}}));
}

std::string Conv2d::repr() const {
  std::string r = absl::StrFormat("Conv2d(%d, %d, kernel_size=(%d, %d), stride=(%d, %d)", in_, out_,
                                  k_, k_, o_.stride, o_.stride);
  if (o_.padding != 0) absl::StrAppendFormat(&r, ", padding=(%d, %d)", o_.padding, o_.padding);
  if (o_.dilation != 1) absl::StrAppendFormat(&r, ", dilation=(%d, %d)", o_.dilation, o_.dilation);
  if (o_.groups != 1) absl::StrAppendFormat(&r, ", groups=%d", o_.groups);
  if (!o_.bias) r += ", bias=False";
  return r + ")";
}

// ---- MaxPool2d ----

MaxPool2d::MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding)
    : k_(kernel_size), s_(stride == 0 ? kernel_size : stride), p_(padding) {}

Shape MaxPool2d::output_shape(const Shape& in) const {
  const std::string name = absl::StrCat("MaxPool2d(kernel_size=", k_, ")");
  if (in.size() != 4 && in.size() != 3) Mismatch(name, in, "[N, C, H, W] or [C, H, W]");
  Shape out = in;
  for (size_t d = in.size() - 2; d < in.size(); ++d) {
    out[d] = WindowOut(in[d], k_, s_, p_, 1);
    if (out[d] < 1) Mismatch(name, in, absl::StrCat("H and W of at least ", k_ - 2 * p_));
  }
  return out;
}

Tensor MaxPool2d::forward(const Tensor& x) {
  Check(*this, x);
  return Checked(*this, x,
                 x.Op("max_pool2d", {},
                      {{"kernel_size", std::vector<int64_t>{k_}},
                       {"stride", std::vector<int64_t>{s_}},
                       {"padding", std::vector<int64_t>{p_}}}));
}

std::string MaxPool2d::repr() const {
  return absl::StrCat("MaxPool2d(kernel_size=", k_, ", stride=", s_, ", padding=", p_,
                      ", dilation=1, ceil_mode=False)");
}

// ---- ReLU ----

Tensor ReLU::forward(const Tensor& x) { return Checked(*this, x, x.Op("relu")); }

// ---- Flatten ----

Shape Flatten::output_shape(const Shape& in) const {
  const int64_t n = static_cast<int64_t>(in.size());
  const int64_t start = start_ < 0 ? start_ + n : start_;
  const int64_t end = end_ < 0 ? end_ + n : end_;
  if (n == 0 || start < 0 || end >= n || start > end) {
    Mismatch(repr(), in, absl::StrCat("dims ", start_, " to ", end_, " to exist"));
  }
  Shape out(in.begin(), in.begin() + start);
  int64_t prod = 1;
  for (int64_t d = start; d <= end; ++d) prod *= in[d];
  out.push_back(prod);
  out.insert(out.end(), in.begin() + end + 1, in.end());
  return out;
}

Tensor Flatten::forward(const Tensor& x) {
  Check(*this, x);
  return Checked(*this, x, x.Op("flatten", {}, {{"start_dim", start_}, {"end_dim", end_}}));
}

std::string Flatten::repr() const {
  return absl::StrCat("Flatten(start_dim=", start_, ", end_dim=", end_, ")");
}

// ---- Dropout ----

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0 && p <= 1)) {
    throw client::Error(kInvalidArgument,
                        absl::StrCat("dropout probability has to be between 0 and 1, but got ", p));
  }
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0) return x;
  return Checked(*this, x, x.Op("dropout", {}, {{"p", p_}, {"training", true}}));
}

std::string Dropout::repr() const { return absl::StrCat("Dropout(p=", p_, ", inplace=False)"); }

// ---- BatchNorm2d ----

BatchNorm2d::BatchNorm2d(const Session& s, int64_t num_features, double eps, double momentum)
    : c_(num_features), eps_(eps), momentum_(momentum) {
  register_parameter("weight", s.ones({num_features}));
  register_parameter("bias", s.zeros({num_features}));
  register_buffer("running_mean", s.zeros({num_features}));
  register_buffer("running_var", s.ones({num_features}));
  register_buffer("num_batches_tracked", s.tensor("0"));  // int64, 0-dim
}

Shape BatchNorm2d::output_shape(const Shape& in) const {
  if (in.size() != 4 || in[1] != c_) {
    Mismatch(absl::StrCat("BatchNorm2d(", c_, ")"), in, absl::StrCat("[N, ", c_, ", H, W]"));
  }
  return in;
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  Check(*this, x);
  if (is_training()) buffer(2).add_(1);
  return Checked(*this, x,
                 x.Op("batch_norm", {buffer(0), buffer(1), param(0), param(1)},
                      {{"training", is_training()}, {"momentum", momentum_}, {"eps", eps_}}));
}

std::string BatchNorm2d::repr() const {
  return absl::StrCat("BatchNorm2d(", c_, ", eps=", eps_, ", momentum=", momentum_,
                      ", affine=True, track_running_stats=True)");
}

// ---- Sequential ----

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) {
  for (auto& l : layers) push_back(std::move(l));
}

void Sequential::push_back(std::shared_ptr<Module> layer) {
  register_module(std::to_string(children().size()), std::move(layer));
}

Shape Sequential::output_shape(const Shape& in) const {
  Shape s = in;
  for (const auto& [n, m] : children()) s = m->output_shape(s);
  return s;
}

Tensor Sequential::forward(const Tensor& x) {
  if (std::optional<Shape> s = KnownShape(x)) output_shape(*s);
  Tensor y = x;
  for (const auto& [n, m] : children()) y = m->forward(y);
  return y;
}

std::string Sequential::repr() const {
  std::string r = "Sequential(\n";
  for (const auto& [n, m] : children()) absl::StrAppend(&r, "  (", n, "): ", m->repr(), "\n");
  return r + ")";
}

Tensor cross_entropy(const Tensor& input, const Tensor& target) {
  return input.Op("cross_entropy", {target});
}

}  // namespace tensord::nn
