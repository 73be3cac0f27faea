#include "client/repr.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace tensord::client {
namespace {

// PyTorch's default print options.
constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

// len("tensor("): every continuation line is indented relative to it.
constexpr int kPrefixIndent = 7;

enum class Kind { kFloating, kInteger, kBool };

Kind KindOf(const std::string& dtype) {
  if (dtype == "bool") return Kind::kBool;
  if (dtype.starts_with("float") || dtype == "bfloat16") {
    return Kind::kFloating;
  }
  if (dtype.starts_with("int") || dtype.starts_with("uint")) {
    return Kind::kInteger;
  }
  throw std::invalid_argument("tensord::client: unknown dtype '" + dtype + "'");
}

// Whether PyTorch leaves the dtype out of a non-empty tensor's repr: the
// default float dtype, int64 and bool can be inferred from the printed values.
bool HasDefaultDtype(const std::string& dtype) {
  return dtype == "float32" || dtype == "int64" || dtype == "bool";
}

// Rounds to a binary floating type with `mantissa_bits` explicit fraction
// bits, round-half-to-even, with gradual underflow below 2^min_exponent and
// overflow to infinity above max_finite. Used to mimic float -> half/bfloat16.
double RoundToFormat(double x, int mantissa_bits, int min_exponent,
                     double max_finite) {
  if (!std::isfinite(x) || x == 0) return x;
  int exp2 = 0;
  std::frexp(x, &exp2);
  // frexp yields a mantissa in [0.5, 1), so the unbiased exponent is exp2 - 1.
  const int exponent = std::max(exp2 - 1, min_exponent);
  const double ulp = std::ldexp(1.0, exponent - mantissa_bits);
  const double rounded = std::nearbyint(x / ulp) * ulp;
  if (std::fabs(rounded) > max_finite) {
    return std::copysign(std::numeric_limits<double>::infinity(), x);
  }
  return rounded;
}

// torch builds float16/bfloat16 tensors from Python floats by going through
// float32 first, so the double rounding is reproduced here.
double RoundToDtype(double x, const std::string& dtype) {
  if (dtype == "float64") return x;
  if (std::isnan(x)) return x;
  const double as_float = static_cast<float>(x);
  if (dtype == "float16") return RoundToFormat(as_float, 10, -14, 65504.0);
  if (dtype == "bfloat16") {
    return RoundToFormat(as_float, 7, -126, 3.3895313892515355e38);
  }
  return as_float;
}

// Python's "{:.Nf}" / "{:.Ne}" for a float; Python never prints a sign on
// nan, unlike printf.
std::string FormatDouble(double v, int precision, char conversion) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const char format[] = {'%', '.', '*', conversion, '\0'};
  const int size = std::snprintf(nullptr, 0, format, precision, v);
  std::string out(static_cast<size_t>(size) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, precision, v);
  out.resize(static_cast<size_t>(size));
  return out;
}

std::string PadLeft(const std::string& s, int width) {
  const int pad = width - static_cast<int>(s.size());
  return pad > 0 ? std::string(static_cast<size_t>(pad), ' ') + s : s;
}

std::string PythonFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto result =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  // Python's repr switches to exponent notation outside [1e-4, 1e16).
  const int decimal_point = exponent + 1;
  const int num_digits = static_cast<int>(digits.size());
  if (decimal_point > -4 && decimal_point <= 16) {
    if (decimal_point <= 0) {
      return sign + "0." +
             std::string(static_cast<size_t>(-decimal_point), '0') + digits;
    }
    if (decimal_point >= num_digits) {
      return sign + digits +
             std::string(static_cast<size_t>(decimal_point - num_digits), '0') +
             ".0";
    }
    return sign + digits.substr(0, static_cast<size_t>(decimal_point)) + "." +
           digits.substr(static_cast<size_t>(decimal_point));
  }
  std::string mantissa = digits.substr(0, 1);
  if (num_digits > 1) mantissa += "." + digits.substr(1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+',
                std::abs(exponent));
  return sign + mantissa + exp_buf;
}

// "(0, 3)", "(0,)", "()": Python's repr of a tuple of ints.
std::string TupleRepr(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

// A validated tensor with its values normalized to the storage dtype.
struct Prepared {
  Kind kind;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  int64_t numel = 1;
};

Prepared Prepare(const HostTensor& t) {
  Prepared p;
  p.kind = KindOf(t.dtype);
  p.shape = t.shape;
  p.strides.assign(t.shape.size(), 1);
  for (size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] < 0) {
      throw std::invalid_argument("tensord::client: negative dimension");
    }
    p.strides[i] = p.numel;
    p.numel *= t.shape[i];
  }
  const size_t count =
      p.kind == Kind::kFloating ? t.floats.size() : t.ints.size();
  if (count != static_cast<size_t>(p.numel)) {
    throw std::invalid_argument(
        "tensord::client: value count does not match shape " +
        TupleRepr(t.shape));
  }
  if (p.kind == Kind::kFloating) {
    p.floats.reserve(t.floats.size());
    for (double v : t.floats) p.floats.push_back(RoundToDtype(v, t.dtype));
  } else if (p.kind == Kind::kBool) {
    p.ints.reserve(t.ints.size());
    for (int64_t v : t.ints) p.ints.push_back(v != 0 ? 1 : 0);
  } else {
    p.ints = t.ints;
  }
  return p;
}

// Indices kept along a dimension of `size` elements; a summarized tensor only
// shows (and only measures) the first and last kEdgeItems of each dimension.
std::vector<int64_t> KeptIndices(int64_t size, bool summarize) {
  std::vector<int64_t> kept;
  if (summarize && size > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) kept.push_back(i);
    for (int64_t i = size - kEdgeItems; i < size; ++i) kept.push_back(i);
  } else {
    for (int64_t i = 0; i < size; ++i) kept.push_back(i);
  }
  return kept;
}

void CollectVisible(const Prepared& p, size_t dim, int64_t offset,
                    bool summarize, std::vector<int64_t>& out) {
  if (dim == p.shape.size()) {
    out.push_back(offset);
    return;
  }
  for (int64_t i : KeptIndices(p.shape[dim], summarize)) {
    CollectVisible(p, dim + 1, offset + i * p.strides[dim], summarize, out);
  }
}

// Decides one layout (integer-valued, scientific or fixed) and one column
// width for every printed value, so that columns line up across rows.
class Formatter {
 public:
  Formatter(const Prepared& p, const std::vector<int64_t>& visible) : p_(p) {
    if (p.kind != Kind::kFloating) {
      for (int64_t i : visible) {
        max_width_ = std::max(max_width_, Width(IntText(p.ints[i])));
      }
      return;
    }
    std::vector<double> nonzero_finite;
    for (int64_t i : visible) {
      const double v = p.floats[i];
      if (std::isfinite(v) && v != 0) nonzero_finite.push_back(v);
    }
    if (nonzero_finite.empty()) return;
    double min_abs = std::numeric_limits<double>::infinity();
    double max_abs = 0;
    for (double v : nonzero_finite) {
      min_abs = std::min(min_abs, std::fabs(v));
      max_abs = std::max(max_abs, std::fabs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    const bool wide_range = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
    if (int_mode_) {
      sci_mode_ = wide_range;
    } else {
      sci_mode_ = wide_range || min_abs < 1.0e-4;
    }
    for (double v : nonzero_finite) {
      int width;
      if (sci_mode_) {
        width = Width(FormatDouble(v, kPrecision, 'e'));
      } else if (int_mode_) {
        // Room for the "." that marks integral values as floating.
        width = Width(FormatDouble(v, 0, 'f')) + 1;
      } else {
        width = Width(FormatDouble(v, kPrecision, 'f'));
      }
      max_width_ = std::max(max_width_, width);
    }
  }

  int width() const { return max_width_; }

  std::string Format(int64_t index) const {
    if (p_.kind != Kind::kFloating) {
      return PadLeft(IntText(p_.ints[index]), max_width_);
    }
    const double v = p_.floats[index];
    std::string text;
    if (sci_mode_) {
      text = FormatDouble(v, kPrecision, 'e');
    } else if (int_mode_) {
      text = FormatDouble(v, 0, 'f');
      if (std::isfinite(v)) text += ".";
    } else {
      text = FormatDouble(v, kPrecision, 'f');
    }
    return PadLeft(text, max_width_);
  }

 private:
  static int Width(const std::string& s) { return static_cast<int>(s.size()); }

  std::string IntText(int64_t v) const {
    if (p_.kind == Kind::kBool) return v != 0 ? "True" : "False";
    return std::to_string(v);
  }

  const Prepared& p_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  int max_width_ = 1;
};

std::string Join(const std::vector<std::string>& parts,
                 const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string VectorStr(const Prepared& p, int64_t offset, int indent,
                      bool summarize, const Formatter& formatter) {
  const size_t dim = p.shape.size() - 1;
  const int64_t size = p.shape[dim];
  // Each element takes its width plus ", ".
  const int element_length = formatter.width() + 2;
  const int elements_per_line = std::max(
      1, static_cast<int>(std::floor(static_cast<double>(kLineWidth - indent) /
                                     element_length)));
  std::vector<std::string> data;
  const bool elide = summarize && size > 2 * kEdgeItems;
  for (int64_t i : KeptIndices(size, summarize)) {
    if (elide && i == size - kEdgeItems) data.push_back(" ...");
    data.push_back(formatter.Format(offset + i * p.strides[dim]));
  }
  std::vector<std::string> lines;
  for (size_t i = 0; i < data.size(); i += elements_per_line) {
    const size_t end = std::min(data.size(), i + elements_per_line);
    lines.push_back(Join(
        std::vector<std::string>(data.begin() + i, data.begin() + end), ", "));
  }
  return "[" +
         Join(lines,
              ",\n" + std::string(static_cast<size_t>(indent + 1), ' ')) +
         "]";
}

std::string TensorStr(const Prepared& p, size_t dim, int64_t offset, int indent,
                      bool summarize, const Formatter& formatter) {
  const size_t remaining = p.shape.size() - dim;
  if (remaining == 0) return formatter.Format(offset);
  if (remaining == 1) return VectorStr(p, offset, indent, summarize, formatter);
  const int64_t size = p.shape[dim];
  const bool elide = summarize && size > 2 * kEdgeItems;
  std::vector<std::string> slices;
  for (int64_t i : KeptIndices(size, summarize)) {
    if (elide && i == size - kEdgeItems) slices.push_back("...");
    slices.push_back(TensorStr(p, dim + 1, offset + i * p.strides[dim],
                               indent + 1, summarize, formatter));
  }
  // Higher-dimensional slices are set apart by blank lines.
  const std::string separator =
      "," + std::string(remaining - 1, '\n') +
      std::string(static_cast<size_t>(indent + 1), ' ');
  return "[" + Join(slices, separator) + "]";
}

// Appends ", suffix" items, moving one to its own indented line when the
// current line would pass the line width.
std::string AddSuffixes(const std::string& tensor_str,
                        const std::vector<std::string>& suffixes, int indent) {
  std::string out = tensor_str;
  // PyTorch's bookkeeping starts two above the true last-line length and
  // resets without that offset after a break; reproduce it so that breaks
  // fall in the same places.
  const size_t newline = tensor_str.rfind('\n');
  int last_line_len =
      static_cast<int>(tensor_str.size()) -
      (newline == std::string::npos ? -1 : static_cast<int>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const int suffix_len = static_cast<int>(suffix.size());
    if (last_line_len + suffix_len + 2 > kLineWidth) {
      out += ",\n" + std::string(static_cast<size_t>(indent), ' ') + suffix;
      last_line_len = indent + suffix_len;
    } else {
      out += ", " + suffix;
      last_line_len += suffix_len + 2;
    }
  }
  return out + ")";
}

}  // namespace

std::string FormatTensor(const HostTensor& t, const ReprOptions& opts) {
  const Prepared p = Prepare(t);
  std::vector<std::string> suffixes;
  if (!opts.device.empty() && opts.device != "cpu") {
    suffixes.push_back("device='" + opts.device + "'");
  }
  std::string tensor_str;
  if (p.numel == 0) {
    // NumPy-style: a shape other than (0,) cannot be read from "[]".
    if (p.shape.size() != 1) suffixes.push_back("size=" + TupleRepr(p.shape));
    // Nothing hints at the dtype of an empty tensor, so only the default
    // float dtype is left out.
    if (t.dtype != "float32") suffixes.push_back("dtype=torch." + t.dtype);
    tensor_str = "[]";
  } else {
    if (!HasDefaultDtype(t.dtype)) {
      suffixes.push_back("dtype=torch." + t.dtype);
    }
    const bool summarize = p.numel > kThreshold;
    std::vector<int64_t> visible;
    CollectVisible(p, 0, 0, summarize, visible);
    const Formatter formatter(p, visible);
    tensor_str = TensorStr(p, 0, 0, kPrefixIndent, summarize, formatter);
  }
  if (!opts.grad_fn.empty()) {
    suffixes.push_back("grad_fn=<" + opts.grad_fn + ">");
  } else if (opts.requires_grad) {
    suffixes.push_back("requires_grad=True");
  }
  return AddSuffixes("tensor(" + tensor_str, suffixes, kPrefixIndent);
}

std::string FormatSize(const std::vector<int64_t>& shape) {
  std::string out = "torch.Size([";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "])";
}

std::string FormatItem(const HostTensor& t) {
  const Prepared p = Prepare(t);
  if (p.numel != 1) {
    throw std::invalid_argument(
        "tensord::client: FormatItem needs exactly one element, got " +
        std::to_string(p.numel));
  }
  switch (p.kind) {
    case Kind::kFloating:
      return PythonFloatRepr(p.floats[0]);
    case Kind::kBool:
      return p.ints[0] != 0 ? "True" : "False";
    case Kind::kInteger:
      break;
  }
  return std::to_string(p.ints[0]);
}

}  // namespace tensord::client
