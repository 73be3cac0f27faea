#include "device/cuda/host_staging.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "device/cuda/cuda_status.h"

namespace tensord::device::cuda {
namespace {

void FreePair(void* host[2], cudaEvent_t done[2]) {
  for (int i = 0; i < 2; ++i) {
    if (done[i] != nullptr) {
      (void)cudaEventSynchronize(done[i]);
      (void)cudaEventDestroy(done[i]);
    }
    if (host[i] != nullptr) (void)cudaFreeHost(host[i]);
  }
  (void)cudaGetLastError();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HostStaging::Pair>> HostStaging::Take() {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      std::unique_ptr<Pair> p = std::move(free_.back());
      free_.pop_back();
      return p;
    }
  }
  auto p = std::make_unique<Pair>();
  absl::Status st;
  for (int i = 0; i < 2 && st.ok(); ++i) {
    st = CudaStatus(cudaHostAlloc(&p->host[i], kChunk, cudaHostAllocPortable), "cudaHostAlloc",
                    device_);
    if (st.ok()) {
      st = CudaStatus(cudaEventCreateWithFlags(&p->done[i], cudaEventDisableTiming),
                      "cudaEventCreateWithFlags", device_);
    }
  }
  if (!st.ok()) {
    FreePair(p->host, p->done);
    return st;
  }
  return p;
}

void HostStaging::Give(std::unique_ptr<Pair> pair) {
  {
    absl::MutexLock lock(&mu_);
    if (free_.size() < kKeptPairs) {
      free_.push_back(std::move(pair));
      return;
    }
  }
  FreePair(pair->host, pair->done);
}

absl::Status HostStaging::ToDevice(const void* src, void* dst, size_t n, cudaStream_t stream) {
  if (n == 0) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Pair>> taken = Take();
  if (!taken.ok()) return taken.status();
  std::unique_ptr<Pair> p = *std::move(taken);
  absl::Status st;
  for (size_t off = 0, i = 0; off < n && st.ok(); off += kChunk, ++i) {
    const int b = static_cast<int>(i % 2);
    const size_t len = std::min(kChunk, n - off);
    // The buffer's previous DMA (this copy's or an earlier user's) is done.
    st = CudaStatus(cudaEventSynchronize(p->done[b]), "cudaEventSynchronize", device_);
    if (!st.ok()) break;
    std::memcpy(p->host[b], static_cast<const char*>(src) + off, len);
    st = CudaStatus(cudaMemcpyAsync(static_cast<char*>(dst) + off, p->host[b], len,
                                    cudaMemcpyHostToDevice, stream),
                    "cudaMemcpyAsync", device_);
    if (st.ok()) st = CudaStatus(cudaEventRecord(p->done[b], stream), "cudaEventRecord", device_);
  }
  Give(std::move(p));  // its events tell the next user when it is free
  return st;
}

absl::Status HostStaging::ToHost(const void* src, void* dst, size_t n, cudaStream_t stream) {
  if (n == 0) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Pair>> taken = Take();
  if (!taken.ok()) return taken.status();
  std::unique_ptr<Pair> p = *std::move(taken);
  const size_t chunks = (n + kChunk - 1) / kChunk;
  // Enqueues chunk i into buffer i % 2 (whose contents were already taken).
  auto issue = [&](size_t i) -> absl::Status {
    const int b = static_cast<int>(i % 2);
    const size_t off = i * kChunk, len = std::min(kChunk, n - off);
    TD_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(p->done[b]));
    TD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(p->host[b], static_cast<const char*>(src) + off, len,
                                            cudaMemcpyDeviceToHost, stream));
    TD_CUDA_RETURN_IF_ERROR(cudaEventRecord(p->done[b], stream));
    return absl::OkStatus();
  };
  absl::Status st = issue(0);
  for (size_t i = 0; i < chunks && st.ok(); ++i) {
    if (i + 1 < chunks) st = issue(i + 1);  // the next DMA runs while this chunk is copied out
    const int b = static_cast<int>(i % 2);
    if (st.ok()) st = CudaStatus(cudaEventSynchronize(p->done[b]), "cudaEventSynchronize", device_);
    if (!st.ok()) break;
    const size_t off = i * kChunk, len = std::min(kChunk, n - off);
    std::memcpy(static_cast<char*>(dst) + off, p->host[b], len);
  }
  Give(std::move(p));
  return st;
}

}  // namespace tensord::device::cuda
