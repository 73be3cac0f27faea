// Matrix and vector products: matmul (torch.matmul's 1-D, 2-D and batched
// rules), mm, bmm, mv, dot, outer and addmm. Every product goes through
// device::Matmul (BLAS for float32/float64); shape, rank and dtype checks
// and their messages follow PyTorch's.
#include <map>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/grad_ops.h"
#include "autograd/ops/op_helpers.h"
#include "device/functional.h"
#include "device/status_macros.h"

namespace tensord::autograd::ops {
namespace {

using device::DType;
using device::Scalar;
using device::Tensor;

std::string Shape(const Tensor& t) { return device::ShapeToString(t.shape()); }

// Products of bool tensors are refused, as PyTorch's kernels do; `kernel` is
// the name PyTorch reports for the product's rank combination.
absl::Status RejectBool(const Tensor& t, const char* kernel) {
  if (t.dtype() != DType::kBool) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("\"", kernel,
                   "\" not implemented for 'Bool': convert the operands with to(), e.g. to "
                   "int64 or float32"));
}

// The kernel PyTorch runs for matmul of these ranks (named in its errors).
const char* MatmulKernel(int64_t a_dim, int64_t b_dim) {
  if (a_dim == 1 && b_dim == 1) return "dot";
  if (b_dim == 1 || (a_dim == 1 && b_dim >= 3)) return "addmv_impl_cpu";
  if (b_dim == 2) return "addmm_impl_cpu_";
  return "bmm";
}

// "expected scalar type Float but found Double" unless the dtypes agree.
absl::Status SameDType(const Tensor& expected, const Tensor& found) {
  if (expected.dtype() == found.dtype()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("expected scalar type ", device::ScalarTypeName(expected.dtype()), " but found ",
                   device::ScalarTypeName(found.dtype()), ": convert one operand with to()"));
}

absl::Status RequireRank(const Tensor& t, int64_t rank, absl::string_view message) {
  if (t.dim() == rank) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(message, ", got ", t.dim(), "-D tensor of shape ", Shape(t)));
}

// A Python number as the element type `dtype` takes it: integer results
// truncate beta and alpha, as PyTorch 1.13's CPU addmm does.
Scalar Coefficient(double v, DType dtype) {
  if (device::IsFloating(dtype)) return Scalar(v);
  return Scalar(Scalar(v).ToInt());
}

ForwardFn Binary(absl::StatusOr<Tensor> (*f)(const OpCall&, const Tensor&, const Tensor&)) {
  return Single([f](const OpCall& c) { return f(c, c.inputs[0], c.inputs[1]); });
}

absl::StatusOr<Tensor> MatmulOp(const OpCall& c, const Tensor& a, const Tensor& b) {
  if (a.dim() > 0 && b.dim() > 0 && a.dtype() == b.dtype()) {
    TD_RETURN_IF_ERROR(RejectBool(a, MatmulKernel(a.dim(), b.dim())));
  }
  return device::Matmul(c.ctx, a, b);
}

absl::StatusOr<Tensor> MmOp(const OpCall& c, const Tensor& a, const Tensor& b) {
  if (a.dim() != 2 || b.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("expected 2-D matrices, got ", Shape(a), " and ",
                                                   Shape(b), ": use matmul for other ranks"));
  }
  TD_RETURN_IF_ERROR(SameDType(a, b));
  TD_RETURN_IF_ERROR(RejectBool(a, "addmm_impl_cpu_"));
  return device::Matmul(c.ctx, a, b);
}

absl::StatusOr<Tensor> BmmOp(const OpCall& c, const Tensor& a, const Tensor& b) {
  TD_RETURN_IF_ERROR(RequireRank(a, 3, "batch1 must be a 3D tensor"));
  TD_RETURN_IF_ERROR(RequireRank(b, 3, "batch2 must be a 3D tensor"));
  if (b.shape()[0] != a.shape()[0] || b.shape()[1] != a.shape()[2]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Expected size for first two dimensions of batch2 tensor to be: [", a.shape()[0], ", ",
        a.shape()[2], "] but got: [", b.shape()[0], ", ", b.shape()[1], "] (bmm of ", Shape(a),
        " and ", Shape(b), "; use matmul to broadcast batches)"));
  }
  TD_RETURN_IF_ERROR(SameDType(a, b));
  TD_RETURN_IF_ERROR(RejectBool(a, "bmm"));
  return device::Matmul(c.ctx, a, b);
}

absl::StatusOr<Tensor> MvOp(const OpCall& c, const Tensor& m, const Tensor& v) {
  if (m.dim() != 2 || v.dim() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vector + matrix @ vector expected: mv takes a 2-D matrix and a 1-D vector, got ", Shape(m),
        " and ", Shape(v)));
  }
  if (m.shape()[1] != v.shape()[0]) {
    return absl::InvalidArgumentError(absl::StrCat("size mismatch, got ", Shape(m), " and ",
                                                   Shape(v), ": the vector needs ", m.shape()[1],
                                                   " elements"));
  }
  TD_RETURN_IF_ERROR(SameDType(m, v));
  TD_RETURN_IF_ERROR(RejectBool(m, "addmv_impl_cpu"));
  return device::Matmul(c.ctx, m, v);
}

absl::StatusOr<Tensor> DotOp(const OpCall& c, const Tensor& a, const Tensor& b) {
  if (a.dim() != 1 || b.dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors"));
  }
  if (a.dtype() != b.dtype()) {
    return absl::InvalidArgumentError(
        absl::StrCat("dot : expected both vectors to have same dtype, but found ",
                     device::ScalarTypeName(a.dtype()), " and ", device::ScalarTypeName(b.dtype()),
                     ": convert one with to()"));
  }
  if (a.numel() != b.numel()) {
    return absl::InvalidArgumentError(
        absl::StrCat("inconsistent tensor size, expected tensor [", a.numel(), "] and src [",
                     b.numel(), "] to have the same number of elements, but got ", a.numel(),
                     " and ", b.numel(), " elements respectively"));
  }
  TD_RETURN_IF_ERROR(RejectBool(a, "dot"));
  return device::Matmul(c.ctx, a, b);
}

absl::StatusOr<Tensor> OuterOp(const OpCall& c, const Tensor& a, const Tensor& b) {
  if (a.dim() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("outer: Expected 1-D argument self, but got ",
                                                   a.dim(), "-D (shape ", Shape(a), ")"));
  }
  if (b.dim() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("outer: Expected 1-D argument vec2, but got ",
                                                   b.dim(), "-D (shape ", Shape(b), ")"));
  }
  TD_ASSIGN_OR_RETURN(Tensor column, a.Unsqueeze(1));
  return device::BinaryOpTensor(c.ctx, device::BinaryOp::kMul, column, b);
}

absl::StatusOr<Tensor> AddmmOp(const OpCall& c) {
  const Tensor& self = c.inputs[0];
  const Tensor& mat1 = c.inputs[1];
  const Tensor& mat2 = c.inputs[2];
  TD_RETURN_IF_ERROR(RequireRank(mat1, 2, "mat1 must be a matrix"));
  TD_RETURN_IF_ERROR(RequireRank(mat2, 2, "mat2 must be a matrix"));
  if (mat1.shape()[1] != mat2.shape()[0]) {
    return absl::InvalidArgumentError(absl::StrCat("mat1 and mat2 shapes cannot be multiplied (",
                                                   mat1.shape()[0], "x", mat1.shape()[1], " and ",
                                                   mat2.shape()[0], "x", mat2.shape()[1], ")"));
  }
  if (self.dtype() != mat2.dtype() || mat1.dtype() != mat2.dtype()) {
    return absl::InvalidArgumentError(
        absl::StrCat("self and mat2 must have the same dtype, but got self ",
                     device::DTypeName(self.dtype()), ", mat1 ", device::DTypeName(mat1.dtype()),
                     " and mat2 ", device::DTypeName(mat2.dtype()), ": convert them with to()"));
  }
  TD_RETURN_IF_ERROR(RejectBool(self, "addmm_impl_cpu_"));
  TD_RETURN_IF_ERROR(device::CheckSameDevice(self, mat1));
  const std::vector<int64_t> out_shape = {mat1.shape()[0], mat2.shape()[1]};
  absl::StatusOr<Tensor> expanded = self.Expand(out_shape);
  if (!expanded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("self of shape ", Shape(self), " cannot be broadcast to the product's shape ",
                     device::ShapeToString(out_shape), ": ", expanded.status().message()));
  }
  TD_ASSIGN_OR_RETURN(Tensor product, device::Matmul(c.ctx, mat1, mat2));
  const DType dtype = product.dtype();
  const Scalar alpha = Coefficient(c.attrs.Scalar("alpha").ToDouble(), dtype);
  const Scalar beta = Coefficient(c.attrs.Scalar("beta").ToDouble(), dtype);
  if (alpha.ToDouble() != 1.0) {
    TD_ASSIGN_OR_RETURN(product,
                        device::BinaryOpTensor(c.ctx, device::BinaryOp::kMul, product, alpha));
  }
  // beta == 0 ignores self entirely, so NaN and inf in it do not propagate.
  if (beta.ToDouble() == 0.0) return product;
  Tensor scaled = *expanded;
  if (beta.ToDouble() != 1.0) {
    TD_ASSIGN_OR_RETURN(scaled,
                        device::BinaryOpTensor(c.ctx, device::BinaryOp::kMul, *expanded, beta));
  }
  return device::BinaryOpTensor(c.ctx, device::BinaryOp::kAdd, scaled, product);
}

// d(a @ b) for any operands matmul takes: vectors become a row (a) or a
// column (b), the gradient gets those dims back, and each side is
// grad @ b^T or a^T @ grad summed over broadcast batch dims.
absl::StatusOr<std::vector<Tensor>> MatmulBackward(const GradCall& g) {
  const Tensor &a = g.inputs[0], &b = g.inputs[1];
  std::vector<Tensor> out(2);
  TD_ASSIGN_OR_RETURN(Tensor a2, a.dim() == 1 ? grad::Op(g, "unsqueeze", {a}, {{"dim", int64_t{0}}})
                                              : absl::StatusOr<Tensor>(a));
  TD_ASSIGN_OR_RETURN(Tensor b2, b.dim() == 1 ? grad::Op(g, "unsqueeze", {b}, {{"dim", int64_t{1}}})
                                              : absl::StatusOr<Tensor>(b));
  // The column first: a 0-dim gradient (vector . vector) has no dim -2 yet.
  Tensor g2 = g.grads[0];
  if (b.dim() == 1) {
    TD_ASSIGN_OR_RETURN(g2, grad::Op(g, "unsqueeze", {g2}, {{"dim", int64_t{-1}}}));
  }
  if (a.dim() == 1) {
    TD_ASSIGN_OR_RETURN(g2, grad::Op(g, "unsqueeze", {g2}, {{"dim", int64_t{-2}}}));
  }
  const std::map<std::string, AttrValue> last2 = {{"dim0", int64_t{-1}}, {"dim1", int64_t{-2}}};
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(Tensor bt, grad::Op(g, "transpose", {b2}, last2));
    TD_ASSIGN_OR_RETURN(Tensor da, grad::Op(g, "matmul", {g2, bt}));
    TD_ASSIGN_OR_RETURN(Tensor summed, grad::SumTo(g, da, a2.shape()));
    TD_ASSIGN_OR_RETURN(
        out[0], grad::Op(g, "reshape", {summed},
                         {{"size", std::vector<int64_t>(a.shape().begin(), a.shape().end())}}));
  }
  if (g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor at, grad::Op(g, "transpose", {a2}, last2));
    TD_ASSIGN_OR_RETURN(Tensor db, grad::Op(g, "matmul", {at, g2}));
    TD_ASSIGN_OR_RETURN(Tensor summed, grad::SumTo(g, db, b2.shape()));
    TD_ASSIGN_OR_RETURN(
        out[1], grad::Op(g, "reshape", {summed},
                         {{"size", std::vector<int64_t>(b.shape().begin(), b.shape().end())}}));
  }
  return out;
}

// PyTorch's node for torch.matmul by operand ranks.
std::string MatmulName(std::span<const Tensor> in, const Attrs&) {
  const int64_t a = in[0].dim(), b = in[1].dim();
  if (a == 1 && b == 1) return "DotBackward0";
  if (a == 2 && b == 1) return "MvBackward0";
  if (a == 2 && b == 2) return "MmBackward0";
  return "UnsafeViewBackward0";
}

Derivative MatmulDerivative(std::string name) {
  return Derivative{.grad_fn = std::move(name), .backward = &MatmulBackward, .saves_inputs = true};
}

// d outer(a, b) = (grad @ b, a @ grad).
absl::StatusOr<std::vector<Tensor>> OuterBackward(const GradCall& g) {
  std::vector<Tensor> out(2);
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(out[0], grad::Op(g, "matmul", {g.grads[0], g.inputs[1]}));
  }
  if (g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(out[1], grad::Op(g, "matmul", {g.inputs[0], g.grads[0]}));
  }
  return out;
}

// d addmm(self, m1, m2) = (beta grad, alpha grad @ m2^T, alpha m1^T @ grad).
absl::StatusOr<std::vector<Tensor>> AddmmBackward(const GradCall& g) {
  const double beta = g.attrs.Scalar("beta").ToDouble(), alpha = g.attrs.Scalar("alpha").ToDouble();
  std::vector<Tensor> out(3);
  if (g.needs_grad[0]) {
    TD_ASSIGN_OR_RETURN(Tensor d, grad::Mul(g, g.grads[0], beta));
    TD_ASSIGN_OR_RETURN(out[0], grad::SumTo(g, d, g.input_shapes[0]));
  }
  if (g.needs_grad[1]) {
    TD_ASSIGN_OR_RETURN(Tensor m2t, grad::Op(g, "t", {g.inputs[2]}));
    TD_ASSIGN_OR_RETURN(Tensor d, grad::Op(g, "mm", {g.grads[0], m2t}));
    TD_ASSIGN_OR_RETURN(out[1], grad::Mul(g, d, alpha));
  }
  if (g.needs_grad[2]) {
    TD_ASSIGN_OR_RETURN(Tensor m1t, grad::Op(g, "t", {g.inputs[1]}));
    TD_ASSIGN_OR_RETURN(Tensor d, grad::Op(g, "mm", {m1t, g.grads[0]}));
    TD_ASSIGN_OR_RETURN(out[2], grad::Mul(g, d, alpha));
  }
  return out;
}

TENSORD_REGISTER_OP(OpDef{
    .name = "matmul",
    .doc = "Matrix product with torch.matmul's rules: dot for 1-D x 1-D, matrix-vector, and "
           "broadcast batches for more dims. Both operands need one dtype (not bool); "
           "float32/float64 go through BLAS.",
    .inputs = {"self", "other"},
    .forward = Binary(MatmulOp),
    .supports_out = true,
    .derivative = Derivative{.grad_fn_for = &MatmulName,
                             .backward = &MatmulBackward,
                             .saves_inputs = true},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "mm",
    .doc = "Product of two 2-D matrices [n, m] x [m, p] -> [n, p] of one dtype (not bool).",
    .inputs = {"self", "mat2"},
    .forward = Binary(MmOp),
    .supports_out = true,
    .derivative = MatmulDerivative("MmBackward0"),
});

TENSORD_REGISTER_OP(OpDef{
    .name = "bmm",
    .doc = "Batched matrix product of 3-D tensors [b, n, m] x [b, m, p] -> [b, n, p]: batch "
           "sizes must be equal (use matmul to broadcast them); one dtype, not bool.",
    .inputs = {"self", "mat2"},
    .forward = Binary(BmmOp),
    .supports_out = true,
    .derivative = MatmulDerivative("BmmBackward0"),
});

TENSORD_REGISTER_OP(OpDef{
    .name = "mv",
    .doc = "Matrix-vector product: a 2-D matrix [n, m] times a 1-D vector [m] -> [n], of one "
           "dtype (not bool).",
    .inputs = {"self", "vec"},
    .forward = Binary(MvOp),
    .supports_out = true,
    .derivative = MatmulDerivative("MvBackward0"),
});

TENSORD_REGISTER_OP(OpDef{
    .name = "dot",
    .doc = "Inner product of two 1-D tensors with the same number of elements and the same "
           "dtype (not bool), as a 0-dim tensor.",
    .inputs = {"self", "other"},
    .forward = Binary(DotOp),
    .supports_out = true,
    .derivative = MatmulDerivative("DotBackward0"),
});

TENSORD_REGISTER_OP(OpDef{
    .name = "outer",
    .doc = "Outer product of two 1-D tensors [n] and [m] -> [n, m] (self[i] * vec2[j]), with "
           "PyTorch's type promotion.",
    .inputs = {"self", "vec2"},
    .forward = Binary(OuterOp),
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "MulBackward0",
                             .backward = &OuterBackward,
                             .saves_inputs = true},
});

TENSORD_REGISTER_OP(OpDef{
    .name = "addmm",
    .doc = "beta * self + alpha * (mat1 @ mat2) for 2-D mat1 [n, m] and mat2 [m, p]; self is "
           "broadcast to [n, p] and all three share one dtype (not bool). With beta = 0 self "
           "is ignored (NaN in it does not propagate); integer results truncate beta and "
           "alpha.",
    .inputs = {"self", "mat1", "mat2"},
    .attrs = {ScalarAttr("beta", AttrValue(int64_t{1}), "multiplier of self"),
              ScalarAttr("alpha", AttrValue(int64_t{1}), "multiplier of mat1 @ mat2")},
    .forward = Single(AddmmOp),
    .inplace_variant = true,
    .supports_out = true,
    .derivative = Derivative{.grad_fn = "AddmmBackward0",
                             .backward = &AddmmBackward,
                             .saves_inputs = true},
});

}  // namespace
}  // namespace tensord::autograd::ops
