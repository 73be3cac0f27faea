#include "device/cuda/queues.h"

#include <utility>

#include "device/cuda/cuda_status.h"

namespace tensord::device::cuda {
namespace {

// cuBLAS's recommended workspace: 32 MiB on Hopper and later, 4 MiB before.
size_t WorkspaceBytes(int device) {
  int major = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
    (void)cudaGetLastError();
  }
  return major >= 9 ? size_t{32} << 20 : size_t{4} << 20;
}

}  // namespace

absl::StatusOr<Queues::Queue*> Queues::Get(uint64_t id) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Queue>& q = queues_[id];
  if (q != nullptr) return q.get();
  auto fresh = std::make_unique<Queue>();
  if (cudaError_t err = cudaStreamCreateWithFlags(&fresh->stream, cudaStreamNonBlocking);
      err != cudaSuccess) {
    queues_.erase(id);
    return CudaStatus(err, "cudaStreamCreateWithFlags", device_);
  }
  q = std::move(fresh);
  return q.get();
}

absl::StatusOr<cublasHandle_t> Queues::Blas(Queue& q, uint64_t id) {
  if (q.blas != nullptr) return q.blas;
  cublasHandle_t handle = nullptr;
  TD_CUBLAS_RETURN_IF_ERROR(cublasCreate(&handle));
  absl::Status st = CublasStatus(cublasSetStream(handle, q.stream), "cublasSetStream", device_);
  // Our own workspace, ordered on the queue's stream and counted by the
  // allocator, instead of one cuBLAS would cudaMalloc per handle.
  const size_t bytes = WorkspaceBytes(device_);
  void* workspace = nullptr;
  if (st.ok()) {
    absl::StatusOr<void*> w = allocator_->Allocate(bytes, id);
    if (w.ok()) {
      workspace = *w;
      st =
          CublasStatus(cublasSetWorkspace(handle, workspace, bytes), "cublasSetWorkspace", device_);
    } else {
      st = w.status();
    }
  }
  if (!st.ok()) {
    (void)cublasDestroy(handle);
    if (workspace != nullptr) allocator_->Free(workspace);
    return st;
  }
  q.blas = handle;
  q.workspace = workspace;
  return handle;
}

absl::Status Queues::Release(uint64_t id) {
  std::unique_ptr<Queue> q;
  {
    absl::MutexLock lock(&mu_);
    auto it = queues_.find(id);
    if (it == queues_.end()) return absl::OkStatus();
    q = std::move(it->second);
    queues_.erase(it);
  }
  absl::Status st = CudaStatus(cudaStreamSynchronize(q->stream), "cudaStreamSynchronize", device_);
  {
    absl::MutexLock lock(&q->blas_mu);
    if (q->blas != nullptr) {
      st.Update(CublasStatus(cublasDestroy(q->blas), "cublasDestroy", device_));
    }
    if (q->workspace != nullptr) allocator_->Free(q->workspace);
  }
  // Only once the stream is idle may its blocks serve other streams.
  if (st.ok()) allocator_->ReleaseStream(id);
  st.Update(CudaStatus(cudaStreamDestroy(q->stream), "cudaStreamDestroy", device_));
  return st;
}

}  // namespace tensord::device::cuda
