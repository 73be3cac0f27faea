#include "device/functional.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device/backend.h"
#include "device/registry.h"
#include "device/status_macros.h"

namespace tensord::device {
namespace {

std::string Describe(const Tensor& t) {
  return absl::StrCat(ShapeToString(t.shape()), " ", DTypeName(t.dtype()));
}

}  // namespace

absl::Status CheckSameDevice(const Tensor& a, const Tensor& b) {
  if (a.device() == b.device()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "Expected all tensors to be on the same device, but found at least two devices, ",
      a.device().ToString(), " and ", b.device().ToString(), "! Move one with to()"));
}

absl::StatusOr<Tensor> Full(const Context& ctx, std::span<const int64_t> shape,
                            const Scalar& value, DType dtype, Device device) {
  TD_ASSIGN_OR_RETURN(Tensor t, ctx.Empty(shape, dtype, device));
  TD_RETURN_IF_ERROR(t.backend().Fill(t, value));
  return t;
}

absl::StatusOr<Tensor> ScalarTensor(const Context& ctx, const Scalar& value, DType dtype,
                                    Device device) {
  return Full(ctx, {}, value, dtype, device);
}

absl::StatusOr<Tensor> FromHost(const Context& ctx, const void* data, size_t nbytes,
                                std::span<const int64_t> shape, DType dtype, Device device) {
  TD_ASSIGN_OR_RETURN(Tensor t, ctx.Empty(shape, dtype, device));
  if (nbytes != t.nbytes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data holds ", nbytes, " bytes but a tensor of size ", ShapeToString(shape), " and dtype ",
        DTypeName(dtype), " needs ", t.nbytes()));
  }
  TD_RETURN_IF_ERROR(t.backend().CopyFromHost(data, t));
  return t;
}

absl::StatusOr<std::string> ToHost(const Context& ctx, const Tensor& t) {
  TD_ASSIGN_OR_RETURN(Tensor c, Contiguous(ctx, t));
  std::string out(c.nbytes(), '\0');
  TD_RETURN_IF_ERROR(c.backend().CopyToHost(c, out.data()));
  return out;
}

absl::StatusOr<Tensor> Contiguous(const Context& ctx, const Tensor& t) {
  if (t.is_contiguous()) return t;
  return Clone(ctx, t);
}

absl::StatusOr<Tensor> Clone(const Context& ctx, const Tensor& t) {
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(t.shape(), t.dtype(), t.device()));
  TD_RETURN_IF_ERROR(t.backend().Copy(t, out));
  return out;
}

absl::StatusOr<Tensor> To(const Context& ctx, const Tensor& t, DType dtype, Device device) {
  if (t.dtype() == dtype && t.device() == device) return t;
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(t.shape(), dtype, device));
  TD_RETURN_IF_ERROR(CopyInto(ctx, t, out));
  return out;
}

absl::StatusOr<Tensor> To(const Context& ctx, const Tensor& t, DType dtype) {
  return To(ctx, t, dtype, t.device());
}

absl::Status CopyInto(const Context& ctx, const Tensor& src, const Tensor& dst) {
  absl::StatusOr<Tensor> expanded = src.Expand(dst.shape());
  if (!expanded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("copy_: source of shape ",
                                                   ShapeToString(src.shape()),
                                                   " cannot be broadcast to destination shape ",
                                                   ShapeToString(dst.shape())));
  }
  Tensor from = *std::move(expanded);
  if (from.device() != dst.device()) {
    // Cross-device: stage through host memory in the destination dtype.
    TD_ASSIGN_OR_RETURN(Tensor cast, To(ctx, src, dst.dtype()));
    TD_ASSIGN_OR_RETURN(std::string bytes, ToHost(ctx, cast));
    TD_ASSIGN_OR_RETURN(Tensor moved, FromHost(ctx, bytes.data(), bytes.size(), cast.shape(),
                                               cast.dtype(), dst.device()));
    TD_ASSIGN_OR_RETURN(from, moved.Expand(dst.shape()));
  } else if (from.SharesStorageWith(dst) &&
             (from.offset() != dst.offset() || from.strides() != dst.strides())) {
    // Overlapping source and destination: read from a snapshot.
    TD_ASSIGN_OR_RETURN(from, Clone(ctx, from));
  }
  dst.storage().BumpVersion();
  return dst.backend().Copy(from, dst);
}

absl::StatusOr<Tensor> Reshape(const Context& ctx, const Tensor& t,
                               std::span<const int64_t> shape) {
  TD_ASSIGN_OR_RETURN(Shape inferred, InferSize(shape, t.numel()));
  if (absl::StatusOr<Tensor> v = t.View(inferred); v.ok()) return v;
  TD_ASSIGN_OR_RETURN(Tensor c, Clone(ctx, t));
  return c.View(inferred);
}

DType ResultType(std::initializer_list<Operand> operands) {
  ResultTypeState state;
  for (const Operand& o : operands) {
    if (o.tensor != nullptr) {
      state.AddTensor(o.tensor->dtype(), o.tensor->dim() == 0);
    } else {
      state.AddScalar(o.scalar.dtype());
    }
  }
  return state.Result();
}

bool SameView(const Tensor& a, const Tensor& b) {
  return a.SharesStorageWith(b) && a.offset() == b.offset() && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.dtype() == b.dtype();
}

namespace {
// `into` can take the result: right shape, dtype and device, and every input
// either elsewhere or exactly `into` (elementwise kernels read each element
// before writing it).
bool CanWriteInto(const Tensor* into, std::span<const int64_t> shape, DType dtype, Device device,
                  std::initializer_list<const Tensor*> inputs) {
  if (into == nullptr || into->dtype() != dtype || into->device() != device ||
      !std::equal(shape.begin(), shape.end(), into->shape().begin(), into->shape().end())) {
    return false;
  }
  for (const Tensor* in : inputs) {
    if (in->SharesStorageWith(*into) && !SameView(*in, *into)) return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<Tensor> BinaryOpTensor(const Context& ctx, BinaryOp op, const Operand& a,
                                      const Operand& b, std::optional<DType> compute,
                                      const Tensor* into) {
  if (a.tensor == nullptr && b.tensor == nullptr) {
    return absl::InvalidArgumentError("a binary op needs at least one tensor operand");
  }
  const DType dtype = compute.value_or(ResultType({a, b}));
  if (a.tensor != nullptr && b.tensor != nullptr) {
    TD_RETURN_IF_ERROR(CheckSameDevice(*a.tensor, *b.tensor));
  }
  const Device device = (a.tensor != nullptr ? a.tensor : b.tensor)->device();
  auto prepare = [&](const Operand& o) -> absl::StatusOr<Tensor> {
    if (o.tensor != nullptr) return To(ctx, *o.tensor, dtype);
    return ScalarTensor(ctx, o.scalar, dtype, device);
  };
  TD_ASSIGN_OR_RETURN(Tensor ta, prepare(a));
  TD_ASSIGN_OR_RETURN(Tensor tb, prepare(b));
  absl::StatusOr<Shape> shape = BroadcastShapes(ta.shape(), tb.shape());
  if (!shape.ok()) return shape.status();
  TD_ASSIGN_OR_RETURN(Tensor ea, ta.Expand(*shape));
  TD_ASSIGN_OR_RETURN(Tensor eb, tb.Expand(*shape));
  const DType out_dtype = WritesBool(op) ? DType::kBool : dtype;
  Tensor out;
  if (CanWriteInto(into, *shape, out_dtype, device, {&ea, &eb})) {
    out = *into;
    out.storage().BumpVersion();
  } else {
    TD_ASSIGN_OR_RETURN(out, ctx.Empty(*shape, out_dtype, device));
  }
  TD_RETURN_IF_ERROR(out.backend().Binary(op, ea, eb, out));
  return out;
}

absl::StatusOr<Tensor> UnaryOpTensor(const Context& ctx, UnaryOp op, const Tensor& a,
                                     const Tensor* into) {
  Tensor out;
  if (CanWriteInto(into, a.shape(), a.dtype(), a.device(), {&a})) {
    out = *into;
    out.storage().BumpVersion();
  } else {
    TD_ASSIGN_OR_RETURN(out, ctx.Empty(a.shape(), a.dtype(), a.device()));
  }
  TD_RETURN_IF_ERROR(out.backend().Unary(op, a, out));
  return out;
}

absl::StatusOr<Tensor> ReduceTensor(const Context& ctx, ReduceOp op, const Tensor& in,
                                    std::span<const int64_t> dims, bool keepdim,
                                    std::optional<DType> dtype) {
  std::vector<int64_t> wrapped;
  if (dims.empty()) {
    for (int64_t d = 0; d < in.dim(); ++d) wrapped.push_back(d);
  } else {
    for (int64_t d : dims) {
      absl::StatusOr<int64_t> w = WrapDim(d, in.dim());
      if (!w.ok()) return w.status();
      if (in.dim() == 0) continue;
      if (std::find(wrapped.begin(), wrapped.end(), *w) != wrapped.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("dim ", *w, " appears multiple times in the list of dims"));
      }
      wrapped.push_back(*w);
    }
  }
  std::sort(wrapped.begin(), wrapped.end());
  TD_ASSIGN_OR_RETURN(Tensor src, To(ctx, in, dtype.value_or(in.dtype())));
  Shape kept = src.shape();
  for (int64_t d : wrapped) kept[d] = 1;
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(kept, src.dtype(), src.device()));
  TD_RETURN_IF_ERROR(out.backend().Reduce(op, src, wrapped, out));
  if (keepdim) return out;
  Shape squeezed;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (!std::binary_search(wrapped.begin(), wrapped.end(), d)) squeezed.push_back(kept[d]);
  }
  return out.View(squeezed);
}

absl::StatusOr<Tensor> WhereTensor(const Context& ctx, const Tensor& cond, const Operand& a,
                                   const Operand& b) {
  if (cond.dtype() != DType::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(
        "where expected condition to be a boolean tensor, but got a tensor with dtype ",
        DTypeName(cond.dtype()), ": compare it first, e.g. x > 0"));
  }
  const DType dtype = ResultType({a, b});
  auto prepare = [&](const Operand& o) -> absl::StatusOr<Tensor> {
    if (o.tensor != nullptr) {
      TD_RETURN_IF_ERROR(CheckSameDevice(cond, *o.tensor));
      return To(ctx, *o.tensor, dtype);
    }
    return ScalarTensor(ctx, o.scalar, dtype, cond.device());
  };
  TD_ASSIGN_OR_RETURN(Tensor ta, prepare(a));
  TD_ASSIGN_OR_RETURN(Tensor tb, prepare(b));
  TD_ASSIGN_OR_RETURN(Shape ab, BroadcastShapes(ta.shape(), tb.shape()));
  TD_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(cond.shape(), ab));
  TD_ASSIGN_OR_RETURN(Tensor ec, cond.Expand(shape));
  TD_ASSIGN_OR_RETURN(Tensor ea, ta.Expand(shape));
  TD_ASSIGN_OR_RETURN(Tensor eb, tb.Expand(shape));
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(shape, dtype, cond.device()));
  TD_RETURN_IF_ERROR(out.backend().Where(ec, ea, eb, out));
  return out;
}

absl::StatusOr<Tensor> Matmul(const Context& ctx, const Tensor& a, const Tensor& b) {
  TD_RETURN_IF_ERROR(CheckSameDevice(a, b));
  if (a.dim() == 0 || b.dim() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "both arguments to matmul need to be at least 1D, but they are ", a.dim(), "D and ",
        b.dim(), "D"));
  }
  if (a.dtype() != b.dtype()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "matmul: expected both operands to have the same dtype, but got ", Describe(a), " and ",
        Describe(b), ": convert one with to()"));
  }
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  TD_ASSIGN_OR_RETURN(Tensor a2, a_vec ? a.Unsqueeze(0) : absl::StatusOr<Tensor>(a));
  TD_ASSIGN_OR_RETURN(Tensor b2, b_vec ? b.Unsqueeze(1) : absl::StatusOr<Tensor>(b));
  const int64_t m = a2.shape()[a2.dim() - 2], k = a2.shape()[a2.dim() - 1];
  const int64_t k2 = b2.shape()[b2.dim() - 2], n = b2.shape()[b2.dim() - 1];
  if (k != k2) {
    if (a_vec && b_vec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "inconsistent tensor size, expected tensor [", a.numel(), "] and src [", b.numel(),
          "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
          " elements respectively"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "mat1 and mat2 shapes cannot be multiplied (", m, "x", k, " and ", k2, "x", n,
        "): matmul of ", ShapeToString(a.shape()), " and ", ShapeToString(b.shape())));
  }
  const std::span<const int64_t> a_batch(a2.shape().data(), a2.shape().size() - 2);
  const std::span<const int64_t> b_batch(b2.shape().data(), b2.shape().size() - 2);
  absl::StatusOr<Shape> batch = BroadcastShapes(a_batch, b_batch);
  if (!batch.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("matmul: batch dimensions of ",
                                                   ShapeToString(a.shape()), " and ",
                                                   ShapeToString(b.shape()),
                                                   " cannot be broadcast"));
  }
  const int64_t nb = Numel(*batch);
  Shape ea = *batch, eb = *batch;
  ea.insert(ea.end(), {m, k});
  eb.insert(eb.end(), {k, n});
  TD_ASSIGN_OR_RETURN(Tensor xa, a2.Expand(ea));
  TD_ASSIGN_OR_RETURN(Tensor xb, b2.Expand(eb));
  const std::vector<int64_t> a3 = {nb, m, k}, b3 = {nb, k, n};
  TD_ASSIGN_OR_RETURN(Tensor ra, Reshape(ctx, xa, a3));
  TD_ASSIGN_OR_RETURN(Tensor rb, Reshape(ctx, xb, b3));
  const std::vector<int64_t> o3 = {nb, m, n};
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(o3, a.dtype(), a.device()));
  TD_RETURN_IF_ERROR(out.backend().Matmul(ra, rb, out));
  Shape final_shape = *batch;
  if (!a_vec) final_shape.push_back(m);
  if (!b_vec) final_shape.push_back(n);
  return out.View(final_shape);
}

// ---- reductions along one dim ----

absl::StatusOr<std::pair<Tensor, Tensor>> ArgReduceTensor(const Context& ctx, ReduceOp op,
                                                          const Tensor& in, int64_t dim,
                                                          bool keepdim) {
  TD_ASSIGN_OR_RETURN(const int64_t d, WrapDim(dim, in.dim()));
  Shape kept = in.shape();
  if (in.dim() > 0) kept[d] = 1;
  TD_ASSIGN_OR_RETURN(Tensor values, ctx.Empty(kept, in.dtype(), in.device()));
  TD_ASSIGN_OR_RETURN(Tensor indices, ctx.Empty(kept, DType::kInt64, in.device()));
  TD_RETURN_IF_ERROR(in.backend().ArgReduce(op, in, d, values, indices));
  if (keepdim || in.dim() == 0) return std::make_pair(values, indices);
  TD_ASSIGN_OR_RETURN(Tensor v, values.Squeeze(d));
  TD_ASSIGN_OR_RETURN(Tensor i, indices.Squeeze(d));
  return std::make_pair(v, i);
}

absl::StatusOr<Tensor> ScanTensor(const Context& ctx, ReduceOp op, const Tensor& in, int64_t dim,
                                  std::optional<DType> dtype) {
  TD_ASSIGN_OR_RETURN(const int64_t d, WrapDim(dim, in.dim()));
  TD_ASSIGN_OR_RETURN(Tensor src, To(ctx, in, dtype.value_or(in.dtype())));
  TD_ASSIGN_OR_RETURN(Tensor out, ctx.Empty(src.shape(), src.dtype(), src.device()));
  TD_RETURN_IF_ERROR(out.backend().Scan(op, src, d, out));
  return out;
}

// ---- end of reductions along one dim ----

}  // namespace tensord::device
