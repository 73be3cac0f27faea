// Batched matrix product on CUDA. The float dtypes go to one
// cublasGemmStridedBatchedEx call (row-major results through the transpose
// trick, see blas_layout.h): float32 with CUBLAS_COMPUTE_32F (exact) or
// CUBLAS_COMPUTE_32F_FAST_TF32 when the launch allows TF32, float16 and
// bfloat16 on tensor cores with float accumulation, float64 with
// CUBLAS_COMPUTE_64F. Operands cuBLAS reads in place (unit stride in one of
// the last two dims, any batch stride including 0) go straight in; others
// are first copied to contiguous scratch, as is an out that cuBLAS cannot
// write or that shares memory with an input. The integer dtypes and bool
// use a tiled kernel that accumulates in int64 with wrapping, as the CPU
// backend does (bool: an or of ands).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cuda/blas_layout.h"
#include "device/cuda/kernel_util.cuh"
#include "device/cuda/kernels.h"
#include "device/status_macros.h"

namespace tensord::device::cuda {
namespace {

// ---------------------------------------------------------------------------
// Integer matmul.

constexpr int kTile = 16;

// One operand: element strides of the batch, row and column dims.
struct IntOperand {
  int64_t batch, row, col;
};

template <typename T>
struct IntMatmulArgs {
  const T* a;
  const T* b;
  T* out;
  int64_t batches, m, n, k;
  IntOperand sa, sb, so;
};

template <typename T>
__global__ void __launch_bounds__(kTile* kTile) IntMatmulKernel(IntMatmulArgs<T> p) {
  __shared__ int64_t tile_a[kTile][kTile];
  __shared__ int64_t tile_b[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  // Loop bounds depend on block indices only: the barriers are uniform.
  for (int64_t batch = blockIdx.z; batch < p.batches; batch += gridDim.z) {
    for (int64_t row0 = int64_t{blockIdx.y} * kTile; row0 < p.m;
         row0 += int64_t{gridDim.y} * kTile) {
      for (int64_t col0 = int64_t{blockIdx.x} * kTile; col0 < p.n;
           col0 += int64_t{gridDim.x} * kTile) {
        const int64_t row = row0 + ty, col = col0 + tx;
        uint64_t acc = 0;  // wraps like the CPU's int64 sums
        for (int64_t k0 = 0; k0 < p.k; k0 += kTile) {
          tile_a[ty][tx] =
              row < p.m && k0 + tx < p.k
                  ? ops::Cast<int64_t>(
                        p.a[batch * p.sa.batch + row * p.sa.row + (k0 + tx) * p.sa.col])
                  : 0;
          tile_b[ty][tx] =
              k0 + ty < p.k && col < p.n
                  ? ops::Cast<int64_t>(
                        p.b[batch * p.sb.batch + (k0 + ty) * p.sb.row + col * p.sb.col])
                  : 0;
          __syncthreads();
#pragma unroll
          for (int kk = 0; kk < kTile; ++kk) {
            acc += static_cast<uint64_t>(tile_a[ty][kk]) * static_cast<uint64_t>(tile_b[kk][tx]);
          }
          __syncthreads();
        }
        if (row < p.m && col < p.n) {
          p.out[batch * p.so.batch + row * p.so.row + col * p.so.col] =
              ops::Cast<T>(static_cast<int64_t>(acc));
        }
      }
    }
  }
}

template <typename T>
absl::Status IntMatmul(const Launch& l, const DeviceView& a, const DeviceView& b,
                       const DeviceView& out) {
  IntMatmulArgs<T> p;
  p.a = static_cast<const T*>(a.data);
  p.b = static_cast<const T*>(b.data);
  p.out = static_cast<T*>(out.data);
  p.batches = out.shape[0];
  p.m = out.shape[1];
  p.n = out.shape[2];
  p.k = a.shape[2];
  p.sa = {a.strides[0], a.strides[1], a.strides[2]};
  p.sb = {b.strides[0], b.strides[1], b.strides[2]};
  p.so = {out.strides[0], out.strides[1], out.strides[2]};
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(CeilDiv(p.n, kTile), kMaxBlocks)),
                  static_cast<unsigned>(std::min<int64_t>(CeilDiv(p.m, kTile), 65535)),
                  static_cast<unsigned>(std::min<int64_t>(p.batches, 65535)));
  IntMatmulKernel<T><<<grid, dim3(kTile, kTile), 0, l.stream>>>(p);
  return LaunchStatus("IntMatmulKernel");
}

// ---------------------------------------------------------------------------
// cuBLAS.

struct BlasTypes {
  cudaDataType_t data;
  cublasComputeType_t compute;
  bool double_scalars;  // alpha and beta are double (else float)
};

BlasTypes TypesFor(DType t, bool allow_tf32) {
  switch (t) {
    case DType::kFloat64:
      return {CUDA_R_64F, CUBLAS_COMPUTE_64F, true};
    case DType::kFloat16:
      return {CUDA_R_16F, CUBLAS_COMPUTE_32F, false};
    case DType::kBFloat16:
      return {CUDA_R_16BF, CUBLAS_COMPUTE_32F, false};
    default:
      return {CUDA_R_32F, allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, false};
  }
}

cublasOperation_t ToCublas(BlasOp op) { return op == BlasOp::kN ? CUBLAS_OP_N : CUBLAS_OP_T; }

MatLayout LayoutOf(const DeviceView& v, int row_dim, int col_dim) {
  return MatLayout{v.shape[row_dim], v.shape[col_dim], v.strides[row_dim], v.strides[col_dim],
                   v.strides[0]};
}

// A contiguous [batches, rows, cols] copy of v in scratch memory.
struct ContiguousCopy {
  std::shared_ptr<void> memory;
  Shape shape;
  Strides strides;
  DeviceView view;
};

absl::Status MakeContiguous(const Launch& l, const DeviceView& v, ContiguousCopy* copy,
                            bool copy_values) {
  copy->shape.assign(v.shape.begin(), v.shape.end());
  copy->strides = ContiguousStrides(copy->shape);
  TD_ASSIGN_OR_RETURN(copy->memory, Scratch(l, static_cast<size_t>(v.numel()) * ItemSize(v.dtype)));
  copy->view = DeviceView{copy->memory.get(), copy->shape, copy->strides, v.dtype};
  if (copy_values) TD_RETURN_IF_ERROR(CopyKernel(l, v, copy->view));
  return absl::OkStatus();
}

absl::Status BlasMatmul(const Launch& l, const DeviceView& a_in, const DeviceView& b_in,
                        const DeviceView& out) {
  if (l.blas == nullptr) return absl::InternalError("CUDA matmul without a cuBLAS handle");
  const int64_t batches = out.shape[0];
  DeviceView a = a_in, b = b_in, c = out;
  GemmPlan plan = PlanGemm(LayoutOf(a, 1, 2), LayoutOf(b, 1, 2), LayoutOf(c, 1, 2), batches);
  ContiguousCopy a_copy, b_copy, c_copy;
  if (plan.copy_a) {
    TD_RETURN_IF_ERROR(MakeContiguous(l, a, &a_copy, true));
    a = a_copy.view;
  }
  if (plan.copy_b) {
    TD_RETURN_IF_ERROR(MakeContiguous(l, b, &b_copy, true));
    b = b_copy.view;
  }
  if (plan.copy_out) {
    TD_RETURN_IF_ERROR(MakeContiguous(l, out, &c_copy, false));
    c = c_copy.view;
  }
  if (plan.copy_a || plan.copy_b || plan.copy_out) {
    plan = PlanGemm(LayoutOf(a, 1, 2), LayoutOf(b, 1, 2), LayoutOf(c, 1, 2), batches);
    if (plan.copy_a || plan.copy_b || plan.copy_out) {
      return absl::InternalError("matmul: contiguous operands still need a copy");
    }
  }
  for (int64_t d : {plan.m, plan.n, plan.k, plan.x.ld, plan.y.ld, plan.ldc}) {
    if (d > kBlasIntMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("matmul: a matrix dim or leading dimension of ", d,
                       " is beyond what cuBLAS takes (2^31 - 1); split the product"));
    }
  }
  const DeviceView& x = plan.out_row_major ? b : a;
  const DeviceView& y = plan.out_row_major ? a : b;
  const BlasTypes types = TypesFor(out.dtype, l.allow_tf32);
  const size_t itemsize = ItemSize(out.dtype);
  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const void* alpha = types.double_scalars ? static_cast<const void*>(&one_d) : &one_f;
  const void* beta = types.double_scalars ? static_cast<const void*>(&zero_d) : &zero_f;
  constexpr int64_t kMaxBatch = kBlasIntMax;
  for (int64_t b0 = 0; b0 < batches; b0 += kMaxBatch) {
    const int64_t count = std::min(kMaxBatch, batches - b0);
    const char* px = static_cast<const char*>(x.data) + b0 * plan.stride_x * itemsize;
    const char* py = static_cast<const char*>(y.data) + b0 * plan.stride_y * itemsize;
    char* pc = static_cast<char*>(c.data) + b0 * plan.stride_c * itemsize;
    TD_CUBLAS_RETURN_IF_ERROR(cublasGemmStridedBatchedEx(
        l.blas, ToCublas(plan.x.op), ToCublas(plan.y.op), static_cast<int>(plan.m),
        static_cast<int>(plan.n), static_cast<int>(plan.k), alpha, px, types.data,
        static_cast<int>(plan.x.ld), plan.stride_x, py, types.data, static_cast<int>(plan.y.ld),
        plan.stride_y, beta, pc, types.data, static_cast<int>(plan.ldc), plan.stride_c,
        static_cast<int>(count), types.compute, CUBLAS_GEMM_DEFAULT));
  }
  if (plan.copy_out) TD_RETURN_IF_ERROR(CopyKernel(l, c, out));
  return absl::OkStatus();
}

}  // namespace

absl::Status MatmulKernel(const Launch& l, const DeviceView& a, const DeviceView& b,
                          const DeviceView& out, bool out_aliases_input) {
  if (out.numel() == 0) return absl::OkStatus();
  if (a.shape[2] == 0) return FillKernel(l, out, Scalar(0));
  if (out_aliases_input) {
    // The product goes through a temporary, then into out.
    ContiguousCopy tmp;
    TD_RETURN_IF_ERROR(MakeContiguous(l, out, &tmp, false));
    TD_RETURN_IF_ERROR(MatmulKernel(l, a, b, tmp.view, false));
    return CopyKernel(l, tmp.view, out);
  }
  switch (out.dtype) {
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kFloat16:
    case DType::kBFloat16:
      return BlasMatmul(l, a, b, out);
    case DType::kInt64:
      return IntMatmul<int64_t>(l, a, b, out);
    case DType::kInt32:
      return IntMatmul<int32_t>(l, a, b, out);
    case DType::kBool:
      return IntMatmul<bool>(l, a, b, out);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("matmul: unsupported dtype ", DTypeString(out.dtype)));
}

}  // namespace tensord::device::cuda
