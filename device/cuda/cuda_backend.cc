#include "device/cuda/cuda_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "device/cuda/cuda_status.h"
#include "device/operand_checks.h"
#include "device/queue.h"
#include "device/settings.h"
#include "device/status_macros.h"

namespace tensord::device::cuda {

CudaBackend::CudaBackend(int index, Properties props)
    : index_(index),
      props_(std::move(props)),
      raw_(index),
      allocator_(&raw_, absl::StrCat("cuda:", index)),
      queues_(index, &allocator_),
      staging_(index) {}

std::string CudaBackend::description() const {
  return absl::StrCat(props_.name, ", compute capability ", props_.major, ".", props_.minor);
}

absl::Status CudaBackend::Enter() {
  if (broken_.load(std::memory_order_acquire)) {
    absl::MutexLock lock(&broken_mu_);
    return broken_status_;
  }
  return Done(CudaStatus(cudaSetDevice(index_), "cudaSetDevice", index_));
}

absl::Status CudaBackend::Done(absl::Status s) {
  if (IsStickyStatus(s)) {
    absl::MutexLock lock(&broken_mu_);
    if (!broken_.load(std::memory_order_relaxed)) {
      broken_status_ = s;
      broken_.store(true, std::memory_order_release);
    }
  }
  return s;
}

absl::StatusOr<Launch> CudaBackend::Begin(Queues::Queue** queue) {
  TD_RETURN_IF_ERROR(Enter());
  const uint64_t id = CurrentQueue();
  absl::StatusOr<Queues::Queue*> q = queues_.Get(id);
  if (!q.ok()) return Done(q.status());
  if (queue != nullptr) *queue = *q;
  Launch l;
  l.stream = (*q)->stream;
  l.scratch = [this, id](size_t nbytes) -> absl::StatusOr<std::shared_ptr<void>> {
    absl::StatusOr<void*> p = allocator_.Allocate(nbytes, id);
    if (!p.ok()) return Done(p.status());
    return std::shared_ptr<void>(*p, [this](void* ptr) { allocator_.Free(ptr); });
  };
  l.allow_tf32 = AllowTf32();
  return l;
}

absl::StatusOr<DeviceView> CudaBackend::View(const Tensor& t, const char* what) const {
  TD_ASSIGN_OR_RETURN(char* data, OperandData(t, what));
  return DeviceView{data, t.shape(), t.strides(), t.dtype()};
}

absl::StatusOr<std::shared_ptr<Storage>> CudaBackend::Allocate(size_t nbytes) {
  TD_RETURN_IF_ERROR(Enter());
  const uint64_t id = CurrentQueue();
  // The queue's state exists before its first block, so that releasing the
  // queue always shares its blocks.
  if (absl::StatusOr<Queues::Queue*> q = queues_.Get(id); !q.ok()) return Done(q.status());
  absl::StatusOr<void*> ptr = allocator_.Allocate(nbytes, id);
  if (!ptr.ok()) return Done(ptr.status());
  return std::make_shared<Storage>(this, *ptr, nbytes);
}

void CudaBackend::Free(void* ptr, size_t) {
  // Bookkeeping only (no CUDA call), so any thread may free. A broken
  // device's memory is gone with its context.
  if (!broken_.load(std::memory_order_acquire)) allocator_.Free(ptr);
}

MemoryStats CudaBackend::memory_stats() const { return allocator_.stats(); }

void CudaBackend::EmptyCache() {
  if (Enter().ok()) (void)Done(allocator_.EmptyCache());
}

void CudaBackend::ReleaseQueue(uint64_t id) {
  if (id == 0 || !Enter().ok()) return;
  (void)Done(queues_.Release(id));
}

absl::Status CudaBackend::CopyFromHost(const void* src, const Tensor& dst) {
  TD_RETURN_IF_ERROR(CheckContiguous(dst, "CopyFromHost: dst"));
  TD_ASSIGN_OR_RETURN(const DeviceView view, View(dst, "CopyFromHost: dst"));
  Queues::Queue* q = nullptr;
  TD_RETURN_IF_ERROR(Begin(&q).status());
  return Done(staging_.ToDevice(src, view.data, dst.nbytes(), q->stream));
}

absl::Status CudaBackend::CopyToHost(const Tensor& src, void* dst) {
  TD_RETURN_IF_ERROR(CheckContiguous(src, "CopyToHost: src"));
  TD_ASSIGN_OR_RETURN(const DeviceView view, View(src, "CopyToHost: src"));
  Queues::Queue* q = nullptr;
  TD_RETURN_IF_ERROR(Begin(&q).status());
  return Done(staging_.ToHost(view.data, dst, src.nbytes(), q->stream));
}

absl::Status CudaBackend::Fill(const Tensor& out, const Scalar& value) {
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Fill: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(FillKernel(l, o, value));
}

absl::Status CudaBackend::Copy(const Tensor& src, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckCopyOperands(src, out));
  TD_ASSIGN_OR_RETURN(const DeviceView i, View(src, "Copy: src"));
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Copy: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(CopyKernel(l, i, o));
}

absl::Status CudaBackend::Unary(UnaryOp op, const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckUnaryOperands(in, out));
  TD_ASSIGN_OR_RETURN(const DeviceView i, View(in, "Unary: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Unary: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(UnaryKernel(l, op, i, o));
}

absl::Status CudaBackend::Binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckBinaryOperands(op, a, b, out));
  TD_ASSIGN_OR_RETURN(const DeviceView va, View(a, "Binary: a"));
  TD_ASSIGN_OR_RETURN(const DeviceView vb, View(b, "Binary: b"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Binary: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(BinaryKernel(l, op, va, vb, vo));
}

absl::Status CudaBackend::Reduce(ReduceOp op, const Tensor& in, std::span<const int64_t> dims,
                                 const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckReduceOperands(in, dims, out));
  TD_ASSIGN_OR_RETURN(const DeviceView i, View(in, "Reduce: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Reduce: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(ReduceKernel(l, op, i, dims, o));
}

absl::Status CudaBackend::Matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckMatmulOperands(a, b, out));
  TD_ASSIGN_OR_RETURN(const DeviceView va, View(a, "Matmul: a"));
  TD_ASSIGN_OR_RETURN(const DeviceView vb, View(b, "Matmul: b"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Matmul: out"));
  Queues::Queue* q = nullptr;
  TD_ASSIGN_OR_RETURN(Launch l, Begin(&q));
  absl::MutexLock lock(&q->blas_mu);
  absl::StatusOr<cublasHandle_t> blas = queues_.Blas(*q, CurrentQueue());
  if (!blas.ok()) return Done(blas.status());
  l.blas = *blas;
  return Done(MatmulKernel(l, va, vb, vo, out.SharesStorageWith(a) || out.SharesStorageWith(b)));
}

absl::Status CudaBackend::Arange(const Scalar& start, const Scalar& step, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckArangeOperands(out));
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Arange: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(ArangeKernel(l, start, step, o));
}

absl::Status CudaBackend::Random(RandomOp op, double p0, double p1, Generator& gen,
                                 const Tensor& out) {
  TD_ASSIGN_OR_RETURN(const DeviceView o, View(out, "Random: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  // One draw from the session's generator seeds a counter-based stream, so
  // manual_seed makes the tensor reproducible (though not equal to the
  // CPU's draws, as in PyTorch).
  return Done(RandomKernel(l, op, p0, p1, gen.Next(), o));
}

absl::Status CudaBackend::Where(const Tensor& cond, const Tensor& a, const Tensor& b,
                                const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckWhereOperands(cond, a, b, out));
  TD_ASSIGN_OR_RETURN(const DeviceView vc, View(cond, "Where: cond"));
  TD_ASSIGN_OR_RETURN(const DeviceView va, View(a, "Where: a"));
  TD_ASSIGN_OR_RETURN(const DeviceView vb, View(b, "Where: b"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Where: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(WhereKernel(l, vc, va, vb, vo));
}

absl::Status CudaBackend::ArgReduce(ReduceOp op, const Tensor& in, int64_t dim,
                                    const Tensor& values, const Tensor& indices) {
  TD_RETURN_IF_ERROR(CheckArgReduceOperands(op, in, dim, values, indices));
  TD_ASSIGN_OR_RETURN(const DeviceView vi, View(in, "ArgReduce: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView vv, View(values, "ArgReduce: values"));
  TD_ASSIGN_OR_RETURN(const DeviceView vx, View(indices, "ArgReduce: indices"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(ArgReduceKernel(l, op, vi, dim, vv, vx));
}

absl::Status CudaBackend::Scan(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckScanOperands(op, in, dim, out));
  TD_ASSIGN_OR_RETURN(const DeviceView vi, View(in, "Scan: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Scan: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(ScanKernel(l, op, vi, dim, vo));
}

absl::Status CudaBackend::Gather(const Tensor& in, int64_t dim, const Tensor& index,
                                 const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckIndexOperands("Gather", in, dim, index, out));
  TD_ASSIGN_OR_RETURN(const DeviceView vi, View(in, "Gather: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView vx, View(index, "Gather: index"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Gather: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(GatherKernel(l, vi, dim, vx, vo));
}

absl::Status CudaBackend::Scatter(ScatterMode mode, int64_t dim, const Tensor& index,
                                  const Tensor& src, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckIndexOperands("Scatter", out, dim, index, src));
  TD_ASSIGN_OR_RETURN(const DeviceView vs, View(src, "Scatter: src"));
  TD_ASSIGN_OR_RETURN(const DeviceView vx, View(index, "Scatter: index"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Scatter: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(ScatterKernel(l, mode, dim, vx, vs, vo));
}

absl::StatusOr<int64_t> CudaBackend::CountNonzero(const Tensor& in) {
  TD_ASSIGN_OR_RETURN(const DeviceView v, View(in, "CountNonzero: in"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  absl::StatusOr<int64_t> count = CountNonzeroKernel(l, v);
  if (!count.ok()) return Done(count.status());
  return count;
}

absl::Status CudaBackend::Nonzero(const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckDType(out, DType::kInt64, "Nonzero: out"));
  TD_ASSIGN_OR_RETURN(const int64_t count, CountNonzero(in));
  TD_RETURN_IF_ERROR(CheckNonzeroOperands(in, count, out));
  TD_ASSIGN_OR_RETURN(const DeviceView v, View(in, "Nonzero: in"));
  TD_ASSIGN_OR_RETURN(const DeviceView vo, View(out, "Nonzero: out"));
  TD_ASSIGN_OR_RETURN(const Launch l, Begin());
  return Done(NonzeroKernel(l, v, vo));
}

}  // namespace tensord::device::cuda
