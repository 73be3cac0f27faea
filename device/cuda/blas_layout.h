// How a row-major batched product out[b] = a[b] x b[b] maps onto one
// column-major cuBLAS strided-batched GEMM, without copying operands that
// cuBLAS can read in place. Pure host code (no CUDA types), so the host unit
// tests check the decisions matmul.cu acts on.
//
// cuBLAS computes C' = op(X) op(Y) on column-major matrices. When out is
// row-major (unit column stride) it is read as column-major out^T, and
// out^T = b^T a^T: X is b, Y is a, m = N, n = M. When out is column-major,
// X is a, Y is b, m = M, n = N. An operand is passed as is (kN) when its
// column-major view has unit row stride, transposed (kT) when it has unit
// column stride, and is copied to a contiguous buffer otherwise.
#ifndef TENSORD_DEVICE_CUDA_BLAS_LAYOUT_H_
#define TENSORD_DEVICE_CUDA_BLAS_LAYOUT_H_

#include <algorithm>
#include <cstdint>

namespace tensord::device::cuda {

inline constexpr int64_t kBlasIntMax = 0x7fffffff;

// One operand of a batch: rows x cols with element strides, plus the
// stride between batches (0 when every batch reads the same matrix).
struct MatLayout {
  int64_t rows = 0, cols = 0;
  int64_t row_stride = 0, col_stride = 0;
  int64_t batch_stride = 0;
};

enum class BlasOp { kN, kT };

struct BlasOperand {
  bool copy = false;  // cuBLAS cannot read it: copy it to a contiguous buffer
  BlasOp op = BlasOp::kN;
  int64_t ld = 1;
};

// Whether m (read as a column-major matrix) has unit row stride, with its
// leading dimension. Strides of size-1 dims do not matter.
inline bool ColumnMajorLd(const MatLayout& m, int64_t* ld) {
  const int64_t min_ld = std::max<int64_t>(1, m.rows);
  if (m.rows > 1 && m.row_stride != 1) return false;
  *ld = m.cols > 1 ? m.col_stride : min_ld;
  return *ld >= min_ld && *ld <= kBlasIntMax;
}
inline bool RowMajorLd(const MatLayout& m, int64_t* ld) {
  const int64_t min_ld = std::max<int64_t>(1, m.cols);
  if (m.cols > 1 && m.col_stride != 1) return false;
  *ld = m.rows > 1 ? m.row_stride : min_ld;
  return *ld >= min_ld && *ld <= kBlasIntMax;
}

// m as the column-major operand of a GEMM.
inline BlasOperand PlanOperand(const MatLayout& m) {
  BlasOperand o;
  if (ColumnMajorLd(m, &o.ld)) {
    o.op = BlasOp::kN;
  } else if (RowMajorLd(m, &o.ld)) {
    o.op = BlasOp::kT;
  } else {
    o.copy = true;
  }
  return o;
}

// The transpose of m (a view: strides swapped).
inline MatLayout Transposed(const MatLayout& m) {
  return MatLayout{m.cols, m.rows, m.col_stride, m.row_stride, m.batch_stride};
}

struct GemmPlan {
  bool out_row_major = true;  // C' is out^T (X = b^T, Y = a^T) rather than out
  bool copy_out = false;      // out is neither: compute into a contiguous buffer
  int64_t m = 0, n = 0, k = 0;
  BlasOperand x, y;  // the operands in cuBLAS's order
  bool copy_a = false, copy_b = false;
  int64_t ldc = 1;
  // Batch strides of X, Y and C'; a batch count of 1 makes them 0.
  int64_t stride_x = 0, stride_y = 0, stride_c = 0;
};

// a [M, K], b [K, N], out [M, N], `batches` of each. A plan with copy_a,
// copy_b or copy_out set asks the caller to copy that operand into a
// contiguous row-major [batches, rows, cols] buffer and plan again.
inline GemmPlan PlanGemm(const MatLayout& a, const MatLayout& b, const MatLayout& out,
                         int64_t batches) {
  GemmPlan p;
  int64_t ld = 0;
  const bool batched = batches > 1;
  // Distinct batches of out must not share memory.
  const bool out_batches_ok = !batched || out.batch_stride != 0;
  if (RowMajorLd(out, &ld) && out_batches_ok) {
    p.out_row_major = true;
  } else if (ColumnMajorLd(out, &ld) && out_batches_ok) {
    p.out_row_major = false;
  } else {
    p.copy_out = true;
    p.out_row_major = true;
    ld = std::max<int64_t>(1, out.cols);
  }
  p.ldc = ld;
  p.k = a.cols;
  const MatLayout x = p.out_row_major ? Transposed(b) : a;
  const MatLayout y = p.out_row_major ? Transposed(a) : b;
  p.m = p.out_row_major ? out.cols : out.rows;
  p.n = p.out_row_major ? out.rows : out.cols;
  p.x = PlanOperand(x);
  p.y = PlanOperand(y);
  p.copy_a = p.out_row_major ? p.y.copy : p.x.copy;
  p.copy_b = p.out_row_major ? p.x.copy : p.y.copy;
  p.stride_x = batched ? x.batch_stride : 0;
  p.stride_y = batched ? y.batch_stride : 0;
  p.stride_c = batched ? (p.copy_out ? out.rows * out.cols : out.batch_stride) : 0;
  return p;
}

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_BLAS_LAYOUT_H_
