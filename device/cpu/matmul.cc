// Batched matrix product on the CPU. float32/float64 go to OpenBLAS gemm,
// one call per batch: a transposed operand is passed by flag (its other
// stride as the leading dimension) and only layouts BLAS cannot read are
// copied to a contiguous temporary. Other dtypes use a plain loop that
// accumulates in ComputeType (int64 for integers and bool).
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "device/cpu/kernels.h"
#include "device/cpu/parallel.h"
#include "device/cpu/scalar_ops.h"
#include "device/cpu/strided_loop.h"

namespace tensord::device::cpu {
namespace {

// One rows x cols matrix of a batch; strides in elements.
struct Mat {
  char* data;
  int64_t rows, cols, rs, cs;

  template <typename T>
  T& at(int64_t i, int64_t j) const {
    return *reinterpret_cast<T*>(data + (i * rs + j * cs) * static_cast<int64_t>(sizeof(T)));
  }
};

constexpr int64_t kBlasMax = std::numeric_limits<blasint>::max();

// Whether BLAS can read m as row-major (resp. column-major) storage, and
// with which leading dimension. Strides of size-1 dims do not matter.
bool RowMajorLd(const Mat& m, int64_t* ld) {
  const int64_t min_ld = std::max<int64_t>(1, m.cols);
  if (m.cols > 1 && m.cs != 1) return false;
  *ld = m.rows > 1 ? m.rs : min_ld;
  return *ld >= min_ld && *ld <= kBlasMax;
}
bool ColMajorLd(const Mat& m, int64_t* ld) {
  const int64_t min_ld = std::max<int64_t>(1, m.rows);
  if (m.rows > 1 && m.rs != 1) return false;
  *ld = m.cols > 1 ? m.cs : min_ld;
  return *ld >= min_ld && *ld <= kBlasMax;
}

// Copies m into a contiguous row-major buffer and points m at it.
template <typename T>
void MakeContiguous(Mat* m, std::vector<T>* buf) {
  buf->resize(static_cast<size_t>(m->rows * m->cols));
  const int64_t shape[2] = {m->rows, m->cols};
  const int64_t src_strides[2] = {m->rs, m->cs};
  const int64_t dst_strides[2] = {m->cols, 1};
  constexpr DType kDType = std::is_same_v<T, float> ? DType::kFloat32 : DType::kFloat64;
  const HostView src{m->data, shape, src_strides, kDType};
  const HostView dst{reinterpret_cast<char*>(buf->data()), shape, dst_strides, kDType};
  Map<T, T>([](T v) { return v; }, dst, src);
  *m = Mat{reinterpret_cast<char*>(buf->data()), m->rows, m->cols, m->cols, 1};
}

// A gemm operand: storage order relative to the call's order, and ld.
struct BlasOperand {
  const void* data;
  CBLAS_TRANSPOSE trans;
  blasint ld;
};

template <typename T>
BlasOperand PrepareOperand(Mat m, CBLAS_ORDER order, std::vector<T>* buf) {
  int64_t row_ld = 0, col_ld = 0;
  const bool row_ok = RowMajorLd(m, &row_ld);
  const bool col_ok = ColMajorLd(m, &col_ld);
  const bool want_row = order == CblasRowMajor;
  if (want_row ? row_ok : col_ok) {
    return {m.data, CblasNoTrans, static_cast<blasint>(want_row ? row_ld : col_ld)};
  }
  if (want_row ? col_ok : row_ok) {
    return {m.data, CblasTrans, static_cast<blasint>(want_row ? col_ld : row_ld)};
  }
  MakeContiguous(&m, buf);
  RowMajorLd(m, &row_ld);
  return {m.data, want_row ? CblasNoTrans : CblasTrans, static_cast<blasint>(row_ld)};
}

// Products big enough for OpenBLAS to use its threads take turns with the
// kernel pool's regions (parallel.h); small ones run side by side.
void RunBlas(blasint m, blasint n, blasint k, absl::FunctionRef<void()> gemm) {
  constexpr int64_t kThreadedWork = int64_t{1} << 20;  // multiply-adds
  if (int64_t{m} * n * k >= kThreadedWork) {
    RunExclusive(gemm);
  } else {
    gemm();
  }
}

void Gemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
          const float* a, blasint lda, const float* b, blasint ldb, float* c, blasint ldc) {
  RunBlas(m, n, k, [&] { cblas_sgemm(o, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc); });
}
void Gemm(CBLAS_ORDER o, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
          const double* a, blasint lda, const double* b, blasint ldb, double* c, blasint ldc) {
  RunBlas(m, n, k, [&] { cblas_dgemm(o, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc); });
}

// c = a * b for one batch through BLAS; false when a size is too big for
// BLAS's integers (the caller then uses the plain loop).
template <typename T>
bool BlasBatch(const Mat& a, const Mat& b, const Mat& c) {
  const int64_t m = c.rows, n = c.cols, k = a.cols;
  if (m > kBlasMax || n > kBlasMax || k > kBlasMax) return false;
  int64_t ldc = 0;
  CBLAS_ORDER order = CblasRowMajor;
  std::vector<T> c_buf;
  Mat target = c;
  if (RowMajorLd(c, &ldc)) {
    order = CblasRowMajor;
  } else if (ColMajorLd(c, &ldc)) {
    order = CblasColMajor;
  } else {
    c_buf.resize(static_cast<size_t>(m * n));
    target = Mat{reinterpret_cast<char*>(c_buf.data()), m, n, n, 1};
    RowMajorLd(target, &ldc);
  }
  std::vector<T> a_buf, b_buf;
  const BlasOperand pa = PrepareOperand(a, order, &a_buf);
  const BlasOperand pb = PrepareOperand(b, order, &b_buf);
  Gemm(order, pa.trans, pb.trans, static_cast<blasint>(m), static_cast<blasint>(n),
       static_cast<blasint>(k), static_cast<const T*>(pa.data), pa.ld,
       static_cast<const T*>(pb.data), pb.ld, reinterpret_cast<T*>(target.data),
       static_cast<blasint>(ldc));
  if (!c_buf.empty()) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c.at<T>(i, j) = target.at<T>(i, j);
    }
  }
  return true;
}

// c = a * b for one batch with a plain i-k-j loop, accumulating a row of c
// in ComputeType (int64 for integers and bool, which makes bool an or of
// ands).
template <typename T>
void LoopBatch(const Mat& a, const Mat& b, const Mat& c) {
  using A = std::conditional_t<kIsFloat<T>, ComputeType<T>, int64_t>;
  const int64_t m = c.rows, n = c.cols, k = a.cols;
  std::vector<A> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), A{0});
    for (int64_t p = 0; p < k; ++p) {
      const A av = Cast<A>(a.at<T>(i, p));
      for (int64_t j = 0; j < n; ++j) {
        const A prod = av * Cast<A>(b.at<T>(p, j));
        if constexpr (kIsFloat<T>) {
          row[j] += prod;
        } else {
          row[j] = WrapAdd(row[j], prod);
        }
      }
    }
    for (int64_t j = 0; j < n; ++j) c.at<T>(i, j) = Cast<T>(row[j]);
  }
}

template <typename T>
void MatmulTyped(const HostView& a, const HostView& b, const HostView& out,
                 bool out_aliases_input) {
  if (out_aliases_input) {
    // unique_ptr rather than vector: vector<bool> has no data().
    const std::unique_ptr<T[]> tmp(new T[static_cast<size_t>(out.numel())]);
    const Strides st = ContiguousStrides(out.shape);
    const HostView t{reinterpret_cast<char*>(tmp.get()), out.shape, st, out.dtype};
    MatmulTyped<T>(a, b, t, false);
    Map<T, T>([](T v) { return v; }, out, t);
    return;
  }
  const int64_t batches = out.shape[0], m = out.shape[1], n = out.shape[2], k = a.shape[2];
  if (out.numel() == 0) return;
  if (k == 0) {
    Map<T>([] { return T{}; }, out);
    return;
  }
  constexpr int64_t kSize = sizeof(T);
  for (int64_t i = 0; i < batches; ++i) {
    const Mat am{a.data + i * a.strides[0] * kSize, m, k, a.strides[1], a.strides[2]};
    const Mat bm{b.data + i * b.strides[0] * kSize, k, n, b.strides[1], b.strides[2]};
    const Mat cm{out.data + i * out.strides[0] * kSize, m, n, out.strides[1], out.strides[2]};
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (BlasBatch<T>(am, bm, cm)) continue;
    }
    LoopBatch<T>(am, bm, cm);
  }
}

}  // namespace

absl::Status MatmulKernel(const HostView& a, const HostView& b, const HostView& out,
                          bool out_aliases_input) {
  DispatchDType(out.dtype, [&]<typename T>() { MatmulTyped<T>(a, b, out, out_aliases_input); });
  return absl::OkStatus();
}

}  // namespace tensord::device::cpu
