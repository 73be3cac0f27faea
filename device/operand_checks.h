// Operand checks shared by every backend, so that the CPU and CUDA backends
// reject exactly the same calls with exactly the same messages. Each returns
// INVALID_ARGUMENT naming `what` ("Binary: b") when an operand is off.
// CheckOperand validates a tensor's layout against its storage before a
// backend turns it into a raw view (Backend::OperandData); the Check*Operands
// functions are the shape and dtype rules of one primitive each (backend.h).
#ifndef TENSORD_DEVICE_OPERAND_CHECKS_H_
#define TENSORD_DEVICE_OPERAND_CHECKS_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device/dtype.h"
#include "device/primitives.h"
#include "device/shape.h"
#include "device/tensor.h"

namespace tensord::device {

class Backend;

// Checks that t is defined, lives on `backend`, has one stride per dim and
// no negative size, and that every element it addresses lies inside its
// storage. Returns the byte offset of element (0, ..., 0) in the storage
// (0 for a tensor without elements, which may point anywhere).
absl::StatusOr<int64_t> CheckOperand(const Backend& backend, const Tensor& t, const char* what);

absl::Status CheckSameShape(const Tensor& x, const Tensor& y, const char* what);
absl::Status CheckDType(const Tensor& t, DType want, const char* what);
absl::Status CheckContiguous(const Tensor& t, const char* what);
// t has shape `want`.
absl::Status CheckShape(const char* what, const Tensor& t, const Shape& want);

// The shape of `in` with `dim` set to 1 (in's own shape when it is 0-dim):
// ArgReduce's outputs, the lines Scan walks.
Shape HeadShape(const Tensor& in, int64_t dim);
// dim within [0, max(in.dim(), 1)).
absl::Status CheckDim(const char* what, const Tensor& in, int64_t dim);

// One function per primitive of backend.h.
absl::Status CheckCopyOperands(const Tensor& src, const Tensor& out);
absl::Status CheckUnaryOperands(const Tensor& in, const Tensor& out);
absl::Status CheckBinaryOperands(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
absl::Status CheckReduceOperands(const Tensor& in, std::span<const int64_t> dims,
                                 const Tensor& out);
absl::Status CheckMatmulOperands(const Tensor& a, const Tensor& b, const Tensor& out);
absl::Status CheckArangeOperands(const Tensor& out);
absl::Status CheckWhereOperands(const Tensor& cond, const Tensor& a, const Tensor& b,
                                const Tensor& out);
absl::Status CheckArgReduceOperands(ReduceOp op, const Tensor& in, int64_t dim,
                                    const Tensor& values, const Tensor& indices);
absl::Status CheckScanOperands(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out);
// Gather and Scatter: `data` is the tensor indexed along dim (Gather's in,
// Scatter's out), `index` the int64 index whose shape must equal `other`'s
// (Gather's out, Scatter's src). `what` is "Gather" or "Scatter".
absl::Status CheckIndexOperands(const char* what, const Tensor& data, int64_t dim,
                                const Tensor& index, const Tensor& other);
// Nonzero's out, once the count of nonzero elements of `in` is known.
absl::Status CheckNonzeroOperands(const Tensor& in, int64_t count, const Tensor& out);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_OPERAND_CHECKS_H_
