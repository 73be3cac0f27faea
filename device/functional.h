// Composite tensor functions written once on top of the backend primitives:
// broadcasting, type promotion, casts, device moves, reductions with dims,
// and torch.matmul's rules. They run on every backend and know nothing of
// autograd or RPC; the op registry builds on them.
#ifndef TENSORD_DEVICE_FUNCTIONAL_H_
#define TENSORD_DEVICE_FUNCTIONAL_H_

#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "device/context.h"
#include "device/primitives.h"
#include "device/scalar.h"
#include "device/tensor.h"

namespace tensord::device {

absl::StatusOr<Tensor> Full(const Context& ctx, std::span<const int64_t> shape,
                            const Scalar& value, DType dtype, Device device);
// A 0-dim tensor holding `value` in `dtype` on `device`.
absl::StatusOr<Tensor> ScalarTensor(const Context& ctx, const Scalar& value, DType dtype,
                                    Device device);
absl::StatusOr<Tensor> FromHost(const Context& ctx, const void* data, size_t nbytes,
                                std::span<const int64_t> shape, DType dtype, Device device);
// Row-major little-endian bytes of `t`.
absl::StatusOr<std::string> ToHost(const Context& ctx, const Tensor& t);

// Returns `t` itself when already contiguous.
absl::StatusOr<Tensor> Contiguous(const Context& ctx, const Tensor& t);
absl::StatusOr<Tensor> Clone(const Context& ctx, const Tensor& t);
// Returns `t` itself when nothing changes.
absl::StatusOr<Tensor> To(const Context& ctx, const Tensor& t, DType dtype, Device device);
absl::StatusOr<Tensor> To(const Context& ctx, const Tensor& t, DType dtype);
// torch.Tensor.copy_: src broadcast to dst's shape, cast and moved across devices.
absl::Status CopyInto(const Context& ctx, const Tensor& src, const Tensor& dst);
// A view when possible, otherwise a contiguous copy.
absl::StatusOr<Tensor> Reshape(const Context& ctx, const Tensor& t, std::span<const int64_t> shape);

// The operand of a binary op: a tensor or a Python number.
struct Operand {
  Operand(const Tensor& t) : tensor(&t) {}  // NOLINT
  Operand(const Scalar& s) : scalar(s) {}   // NOLINT
  const Tensor* tensor = nullptr;
  Scalar scalar;
};
// torch.result_type over the operands.
DType ResultType(std::initializer_list<Operand> operands);
// Broadcasting binary op with PyTorch's type promotion. `compute` forces the
// dtype both sides are computed in (e.g. float for true division of ints).
// `into`, when given and of the result's shape, dtype and device, receives
// the result instead of a new tensor (it may alias an input exactly).
absl::StatusOr<Tensor> BinaryOpTensor(const Context& ctx, BinaryOp op, const Operand& a,
                                      const Operand& b,
                                      std::optional<DType> compute = std::nullopt,
                                      const Tensor* into = nullptr);
absl::StatusOr<Tensor> UnaryOpTensor(const Context& ctx, UnaryOp op, const Tensor& a,
                                     const Tensor* into = nullptr);
// Whether two tensors are the same view: storage, offset, shape and strides.
bool SameView(const Tensor& a, const Tensor& b);
// Reduction over `dims` (empty = all); negative dims wrap. The result keeps
// `in`'s dtype unless `dtype` is given.
absl::StatusOr<Tensor> ReduceTensor(const Context& ctx, ReduceOp op, const Tensor& in,
                                    std::span<const int64_t> dims, bool keepdim,
                                    std::optional<DType> dtype = std::nullopt);
// torch.where: cond ? a : b, broadcasting all three; cond must be bool.
absl::StatusOr<Tensor> WhereTensor(const Context& ctx, const Tensor& cond, const Operand& a,
                                   const Operand& b);
// torch.matmul with its 1-D, 2-D and batched broadcasting rules.
absl::StatusOr<Tensor> Matmul(const Context& ctx, const Tensor& a, const Tensor& b);

// INVALID_ARGUMENT unless both tensors are on one device.
absl::Status CheckSameDevice(const Tensor& a, const Tensor& b);

// ---- reductions along one dim ----
// Max or min (op kMax or kMin) along `dim` (negative wraps) with the index
// of its first occurrence, NaN winning over numbers: {values, indices} as
// torch.max(x, dim). The dim must have a non-zero size.
absl::StatusOr<std::pair<Tensor, Tensor>> ArgReduceTensor(const Context& ctx, ReduceOp op,
                                                          const Tensor& in, int64_t dim,
                                                          bool keepdim);
// Inclusive cumulative sum or product (op kSum or kProd) along `dim`
// (negative wraps), computed and returned in `dtype` (default: in's).
absl::StatusOr<Tensor> ScanTensor(const Context& ctx, ReduceOp op, const Tensor& in, int64_t dim,
                                  std::optional<DType> dtype = std::nullopt);
// ---- end of reductions along one dim ----

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_FUNCTIONAL_H_
