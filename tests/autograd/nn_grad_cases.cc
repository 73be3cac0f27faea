#include "tests/autograd/nn_grad_cases.h"

#include <string>

namespace tensord::autograd::testing {

using Dims = std::vector<int64_t>;

std::vector<GradCase> NnGradCases() {
  const Fixed targets{{2, 0, 4, 1}};
  const Fixed class_weights{{0.5, 1.0, 2.0, 1.5, 0.25}, device::DType::kFloat64};
  return {
      {"linear", {{3, 4}, {5, 4}, {5}}},
      {"linear", {{4}, {2, 4}}},
      {"linear", {{2, 3, 4}, {5, 4}}},
      {"conv2d",
       {{2, 3, 5, 5}, {4, 3, 3, 3}, {4}},
       {{"stride", Dims{2, 1}}, {"padding", Dims{1, 2}}}},
      {"conv2d",
       {{1, 4, 6, 6}, {6, 2, 2, 3}},
       {{"padding", int64_t{1}}, {"dilation", int64_t{2}}, {"groups", int64_t{2}}}},
      {"conv2d", {{2, 4, 4}, {3, 2, 3, 3}}, {{"padding", int64_t{1}}}},
      {"max_pool2d", {{2, 2, 4, 6}}, {{"kernel_size", int64_t{2}}}},
      {"max_pool2d",
       {{1, 2, 5, 6}},
       {{"kernel_size", int64_t{3}},
        {"stride", int64_t{2}},
        {"padding", int64_t{1}},
        {"ceil_mode", true},
        {"return_indices", true}}},
      {"max_pool2d",
       {{2, 5, 5}},
       {{"kernel_size", Dims{2, 3}}, {"stride", int64_t{1}}, {"dilation", Dims{2, 1}}}},
      {"avg_pool2d",
       {{1, 2, 5, 6}},
       {{"kernel_size", int64_t{3}},
        {"stride", int64_t{2}},
        {"padding", int64_t{1}},
        {"ceil_mode", true},
        {"count_include_pad", false}}},
      {"avg_pool2d",
       {{2, 4, 7}},
       {{"kernel_size", Dims{2, 3}}, {"stride", Dims{1, 2}}, {"divisor_override", int64_t{4}}}},
      {"adaptive_avg_pool2d", {{1, 2, 5, 7}}, {{"output_size", Dims{3, 4}}}},
      {"nll_loss", {{4, 5}, {4}}, {}, Domain::kAny, {{1, targets}}},
      {"nll_loss",
       {{4, 5}, {4}, {5}},
       {{"ignore_index", int64_t{1}}, {"reduction", std::string("sum")}},
       Domain::kAny,
       {{1, targets}, {2, class_weights}}},
      {"nll_loss", {{2, 3, 2, 2}, {2, 2, 2}}, {}, Domain::kAny, {{1, {{1, 0, 2, 2, 0, 1, 1, 2}}}}},
      {"cross_entropy", {{4, 5}, {4}}, {}, Domain::kAny, {{1, targets}}},
      {"cross_entropy",
       {{4, 5}, {4}, {5}},
       {{"ignore_index", int64_t{4}}, {"label_smoothing", 0.2}},
       Domain::kAny,
       {{1, targets}, {2, class_weights}}},
      {"cross_entropy",
       {{4, 5}, {4}},
       {{"reduction", std::string("none")}, {"label_smoothing", 0.1}},
       Domain::kAny,
       {{1, targets}}},
      {"mse_loss", {{3, 4}, {3, 4}}},
      {"mse_loss", {{3, 4}, {4}}, {{"reduction", std::string("sum")}}},
      {"binary_cross_entropy_with_logits", {{3, 4}, {3, 4}}},
      {"binary_cross_entropy_with_logits",
       {{3, 4}, {3, 4}, {4}, {4}},
       {{"reduction", std::string("none")}},
       Domain::kAny,
       {{2, {{0.5, 1.0, 2.0, 0.25}, device::DType::kFloat64}},
        {3, {{1.5, 0.5, 3.0, 1.0}, device::DType::kFloat64}}}},
      {"layer_norm", {{2, 3, 4}, {4}, {4}}, {{"normalized_shape", Dims{4}}}},
      {"layer_norm", {{2, 3, 4}}, {{"normalized_shape", Dims{3, 4}}}},
      {"batch_norm",
       {{3, 2, 2, 2}, {2}, {2}, {2}, {2}},
       {{"training", true}},
       Domain::kAny,
       {{1, {{0.1, -0.2}, device::DType::kFloat64}}, {2, {{0.5, 2.0}, device::DType::kFloat64}}}},
      {"batch_norm",
       {{3, 2, 2}, {2}, {2}, {2}},
       {},
       Domain::kAny,
       {{1, {{0.1, -0.2}, device::DType::kFloat64}}, {2, {{0.5, 2.0}, device::DType::kFloat64}}}},
      {"batch_norm", {{4, 3}}, {{"training", true}, {"running_stats", false}}},
      // (padding_idx withholds a true gradient by design: nn_cases_test checks it.)
      {"embedding", {{2, 3}, {5, 3}}, {}, Domain::kAny, {{0, {{1, 3, 0, 3, 3, 4}}}}},
      // p = 0 keeps every element, so the finite differences see one mask.
      {"dropout", {{3, 4}}, {{"p", 0.0}}},
  };
}

}  // namespace tensord::autograd::testing
