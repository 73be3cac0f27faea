#include "device/operand_checks.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "device/backend.h"
#include "device/status_macros.h"

namespace tensord::device {

absl::StatusOr<int64_t> CheckOperand(const Backend& backend, const Tensor& t, const char* what) {
  if (!t.defined()) return absl::InvalidArgumentError(absl::StrCat(what, " is undefined"));
  if (&t.storage().backend() != &backend) {
    return absl::InvalidArgumentError(absl::StrCat(what, " lives on ", t.device().ToString(),
                                                   ", not on the ", backend.device().ToString(),
                                                   " backend"));
  }
  if (t.strides().size() != t.shape().size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has ", t.shape().size(), " dims but ",
                                                   t.strides().size(), " strides"));
  }
  const int64_t itemsize = static_cast<int64_t>(ItemSize(t.dtype()));
  bool empty = false;
  int64_t lo = t.offset(), hi = t.offset();  // element offsets reached
  bool overflow = false;
  for (size_t d = 0; d < t.shape().size(); ++d) {
    const int64_t size = t.shape()[d];
    if (size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has a negative size in ", ShapeToString(t.shape())));
    }
    if (size == 0) empty = true;
    int64_t span = 0;
    overflow |= __builtin_mul_overflow(size - 1, t.strides()[d], &span);
    overflow |= __builtin_add_overflow(span < 0 ? lo : hi, span, span < 0 ? &lo : &hi);
  }
  if (empty) return 0;
  int64_t end_byte = 0;
  overflow |= __builtin_mul_overflow(hi + 1, itemsize, &end_byte);
  if (overflow || lo < 0 || static_cast<uint64_t>(end_byte) > t.storage().nbytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (shape ", ShapeToString(t.shape()), ", stride ",
                     ShapeToString(t.strides()), ", offset ", t.offset(),
                     ") reaches outside its storage of ", t.storage().nbytes(), " bytes"));
  }
  return t.offset() * itemsize;
}

absl::Status CheckSameShape(const Tensor& x, const Tensor& y, const char* what) {
  if (x.shape() == y.shape()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": shapes differ: ", ShapeToString(x.shape()), " vs ", ShapeToString(y.shape())));
}

absl::Status CheckDType(const Tensor& t, DType want, const char* what) {
  if (t.dtype() == want) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ",
                                                 std::string(DTypeName(t.dtype())), ", expected ",
                                                 std::string(DTypeName(want))));
}

absl::Status CheckContiguous(const Tensor& t, const char* what) {
  if (t.is_contiguous()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " must be contiguous; got shape ",
                                                 ShapeToString(t.shape()), " and stride ",
                                                 ShapeToString(t.strides())));
}

absl::Status CheckShape(const char* what, const Tensor& t, const Shape& want) {
  if (t.shape() == want) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " has shape ", ShapeToString(t.shape()),
                                                 ", expected ", ShapeToString(want)));
}

Shape HeadShape(const Tensor& in, int64_t dim) {
  Shape s = in.shape();
  if (in.dim() > 0) s[dim] = 1;
  return s;
}

absl::Status CheckDim(const char* what, const Tensor& in, int64_t dim) {
  const int64_t rank = std::max<int64_t>(in.dim(), 1);
  if (dim < 0 || dim >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": dim ", dim, " must be within [0, ", rank, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckCopyOperands(const Tensor& src, const Tensor& out) {
  return CheckSameShape(src, out, "Copy");
}

absl::Status CheckUnaryOperands(const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckSameShape(in, out, "Unary"));
  return CheckDType(out, in.dtype(), "Unary: out");
}

absl::Status CheckBinaryOperands(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckSameShape(a, out, "Binary (a, out)"));
  TD_RETURN_IF_ERROR(CheckSameShape(b, out, "Binary (b, out)"));
  TD_RETURN_IF_ERROR(CheckDType(b, a.dtype(), "Binary: b"));
  const DType out_dtype = WritesBool(op) ? DType::kBool : a.dtype();
  return CheckDType(out, out_dtype, "Binary: out");
}

absl::Status CheckReduceOperands(const Tensor& in, std::span<const int64_t> dims,
                                 const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckDType(out, in.dtype(), "Reduce: out"));
  Shape want = in.shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 || dims[i] >= in.dim() || (i > 0 && dims[i] <= dims[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat("Reduce: dims ", ShapeToString(dims),
                                                     " must be sorted, unique and within [0, ",
                                                     in.dim(), ")"));
    }
    want[dims[i]] = 1;
  }
  if (out.shape() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Reduce: out has shape ", ShapeToString(out.shape()), ", expected ", ShapeToString(want)));
  }
  return absl::OkStatus();
}

absl::Status CheckMatmulOperands(const Tensor& a, const Tensor& b, const Tensor& out) {
  const bool ranks_ok = a.dim() == 3 && b.dim() == 3 && out.dim() == 3;
  if (!ranks_ok || a.shape()[0] != b.shape()[0] || a.shape()[2] != b.shape()[1] ||
      out.shape() != Shape{a.shape()[0], a.shape()[1], b.shape()[2]}) {
    return absl::InvalidArgumentError(
        absl::StrCat("Matmul: expected a [B, M, K], b [B, K, N], out [B, M, N]; got a ",
                     ShapeToString(a.shape()), ", b ", ShapeToString(b.shape()), ", out ",
                     ShapeToString(out.shape())));
  }
  TD_RETURN_IF_ERROR(CheckDType(b, a.dtype(), "Matmul: b"));
  return CheckDType(out, a.dtype(), "Matmul: out");
}

absl::Status CheckArangeOperands(const Tensor& out) {
  if (out.dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Arange: out must be 1-D, got shape ", ShapeToString(out.shape())));
  }
  return CheckContiguous(out, "Arange: out");
}

absl::Status CheckWhereOperands(const Tensor& cond, const Tensor& a, const Tensor& b,
                                const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckSameShape(cond, out, "Where (cond, out)"));
  TD_RETURN_IF_ERROR(CheckSameShape(a, out, "Where (a, out)"));
  TD_RETURN_IF_ERROR(CheckSameShape(b, out, "Where (b, out)"));
  TD_RETURN_IF_ERROR(CheckDType(cond, DType::kBool, "Where: cond"));
  TD_RETURN_IF_ERROR(CheckDType(a, out.dtype(), "Where: a"));
  return CheckDType(b, out.dtype(), "Where: b");
}

absl::Status CheckArgReduceOperands(ReduceOp op, const Tensor& in, int64_t dim,
                                    const Tensor& values, const Tensor& indices) {
  if (op != ReduceOp::kMax && op != ReduceOp::kMin) {
    return absl::InvalidArgumentError("ArgReduce: op must be kMax or kMin");
  }
  TD_RETURN_IF_ERROR(CheckDim("ArgReduce", in, dim));
  const Shape head = HeadShape(in, dim);
  TD_RETURN_IF_ERROR(CheckShape("ArgReduce: values", values, head));
  TD_RETURN_IF_ERROR(CheckShape("ArgReduce: indices", indices, head));
  TD_RETURN_IF_ERROR(CheckDType(values, in.dtype(), "ArgReduce: values"));
  TD_RETURN_IF_ERROR(CheckDType(indices, DType::kInt64, "ArgReduce: indices"));
  if (in.dim() > 0 && in.shape()[dim] == 0) {
    return absl::InvalidArgumentError(absl::StrCat("ArgReduce: Expected reduction dim ", dim,
                                                   " to have non-zero size; reduce another dim "
                                                   "or check the input's shape ",
                                                   ShapeToString(in.shape())));
  }
  return absl::OkStatus();
}

absl::Status CheckScanOperands(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) {
  if (op != ReduceOp::kSum && op != ReduceOp::kProd) {
    return absl::InvalidArgumentError("Scan: op must be kSum or kProd");
  }
  TD_RETURN_IF_ERROR(CheckDim("Scan", in, dim));
  TD_RETURN_IF_ERROR(CheckSameShape(in, out, "Scan (in, out)"));
  return CheckDType(out, in.dtype(), "Scan: out");
}

absl::Status CheckIndexOperands(const char* what, const Tensor& data, int64_t dim,
                                const Tensor& index, const Tensor& other) {
  TD_RETURN_IF_ERROR(CheckDType(index, DType::kInt64, what));
  TD_RETURN_IF_ERROR(CheckSameShape(index, other, what));
  TD_RETURN_IF_ERROR(CheckDType(other, data.dtype(), what));
  if (index.dim() != data.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": index ", ShapeToString(index.shape()),
                                                   " must have as many dims as ",
                                                   ShapeToString(data.shape())));
  }
  if (dim < 0 || dim >= std::max<int64_t>(data.dim(), 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": dim ", dim, " is outside [0, ", data.dim(), ")"));
  }
  for (int64_t d = 0; d < data.dim(); ++d) {
    if (d != dim && index.shape()[d] > data.shape()[d]) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": index ", ShapeToString(index.shape()), " must not be larger than ",
                       ShapeToString(data.shape()), " apart from dimension ", dim));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNonzeroOperands(const Tensor& in, int64_t count, const Tensor& out) {
  const Shape want = {count, in.dim()};
  if (out.shape() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Nonzero: out has shape ", ShapeToString(out.shape()), ", expected ", ShapeToString(want)));
  }
  return absl::OkStatus();
}

}  // namespace tensord::device
