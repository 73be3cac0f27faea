// Client-side rendering of tensors as text. Users compare tensord output with
// what they would see in a local PyTorch session, so these functions reproduce
// PyTorch 1.13's torch.Tensor.__repr__ (default print options) byte for byte.

#ifndef TENSORD_CLIENT_REPR_H_
#define TENSORD_CLIENT_REPR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tensord::client {

// A tensor's values on the host, row-major (C-contiguous).
struct HostTensor {
  std::vector<int64_t> shape;  // empty = 0-dim scalar
  // "float32", "float64", "float16", "bfloat16", "int64", "int32", "bool".
  // Other "intN"/"uintN"/"floatN" names are accepted and printed as
  // torch.<dtype>.
  std::string dtype;
  std::vector<double> floats;  // values when dtype is floating
  std::vector<int64_t> ints;   // values when dtype is integer or bool (0/1)
};

struct ReprOptions {
  std::string device = "cpu";  // anything but "cpu" adds device='...'
  // Adds requires_grad=True; ignored when grad_fn is set, as in PyTorch.
  bool requires_grad = false;
  std::string grad_fn;  // e.g. "AddBackward0" adds grad_fn=<AddBackward0>
};

// torch.Tensor.__repr__ of PyTorch 1.13 with default print options
// (precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None).
// Floating values are first rounded to the storage type (float32, float16,
// bfloat16) exactly as torch does when it builds a tensor from Python floats,
// so passing already-rounded values is also fine.
// Throws std::invalid_argument for an unknown dtype, a negative dimension, or
// a value count that does not match the shape.
std::string FormatTensor(const HostTensor& t, const ReprOptions& opts = {});

// "torch.Size([5, 3])", "torch.Size([])".
std::string FormatSize(const std::vector<int64_t>& shape);

// Python's repr of the value .item() returns: repr(float) for floating dtypes
// (shortest round-trip digits: "0.9551321864128113", "27.0", "1e-05",
// "1e+16", "inf", "nan", "-0.0"), repr(int) for integers, "True"/"False" for
// bool. Throws std::invalid_argument unless t has exactly one element.
std::string FormatItem(const HostTensor& t);

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_REPR_H_
