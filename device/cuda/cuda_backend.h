// CudaBackend: one CUDA device as a tensord backend. Tensors live in device
// memory from the caching allocator; each primitive checks its operands
// exactly as the CPU backend does (device/operand_checks.h), builds
// DeviceViews and enqueues a kernel (kernels.h) on the stream of the
// calling thread's work queue (queues.h), without waiting for it. Host
// transfers go through pinned staging buffers (host_staging.h).
//
// After a sticky fault (cuda_status.h) the device's context is lost: the
// backend marks itself broken and every later call fails fast with the
// same UNAVAILABLE error; other devices, the CPU among them, keep working.
#ifndef TENSORD_DEVICE_CUDA_CUDA_BACKEND_H_
#define TENSORD_DEVICE_CUDA_CUDA_BACKEND_H_

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "device/backend.h"
#include "device/cuda/caching_allocator.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/host_staging.h"
#include "device/cuda/kernels.h"
#include "device/cuda/queues.h"

namespace tensord::device::cuda {

class CudaBackend final : public Backend {
 public:
  // What cudaGetDeviceProperties says about the device.
  struct Properties {
    std::string name;  // "NVIDIA H100 80GB HBM3"
    int major = 0, minor = 0;
    int64_t total_bytes = 0;
  };
  CudaBackend(int index, Properties props);

  Device device() const override { return Device{Device::Type::kCuda, index_}; }
  std::string description() const override;
  int64_t total_bytes() const override { return props_.total_bytes; }

  absl::StatusOr<std::shared_ptr<Storage>> Allocate(size_t nbytes) override;
  void Free(void* ptr, size_t nbytes) override;
  MemoryStats memory_stats() const override;
  void EmptyCache() override;
  absl::Status CopyFromHost(const void* src, const Tensor& dst) override;
  absl::Status CopyToHost(const Tensor& src, void* dst) override;
  void ReleaseQueue(uint64_t id) override;

  absl::Status Fill(const Tensor& out, const Scalar& value) override;
  absl::Status Copy(const Tensor& src, const Tensor& out) override;
  absl::Status Unary(UnaryOp op, const Tensor& in, const Tensor& out) override;
  absl::Status Binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  absl::Status Reduce(ReduceOp op, const Tensor& in, std::span<const int64_t> dims,
                      const Tensor& out) override;
  absl::Status Matmul(const Tensor& a, const Tensor& b, const Tensor& out) override;
  absl::Status Arange(const Scalar& start, const Scalar& step, const Tensor& out) override;
  absl::Status Random(RandomOp op, double p0, double p1, Generator& gen,
                      const Tensor& out) override;
  absl::Status Where(const Tensor& cond, const Tensor& a, const Tensor& b,
                     const Tensor& out) override;
  absl::Status ArgReduce(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& values,
                         const Tensor& indices) override;
  absl::Status Scan(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) override;
  absl::Status Gather(const Tensor& in, int64_t dim, const Tensor& index,
                      const Tensor& out) override;
  absl::Status Scatter(ScatterMode mode, int64_t dim, const Tensor& index, const Tensor& src,
                       const Tensor& out) override;
  absl::StatusOr<int64_t> CountNonzero(const Tensor& in) override;
  absl::Status Nonzero(const Tensor& in, const Tensor& out) override;

  // Bytes the calling thread's queue (session) holds on this device.
  int64_t QueueBytesInUse(uint64_t queue) const { return allocator_.StreamBytesInUse(queue); }

 private:
  // Fails fast once broken; makes the device current for this thread.
  absl::Status Enter();
  // Enter() plus the calling queue's stream, scratch memory and TF32 flag
  // (no cuBLAS handle: Matmul adds it).
  absl::StatusOr<Launch> Begin(Queues::Queue** queue = nullptr);
  // A validated operand as the kernels see it.
  absl::StatusOr<DeviceView> View(const Tensor& t, const char* what) const;
  // Passes `s` on, marking the backend broken when it reports a sticky fault.
  absl::Status Done(absl::Status s);

  const int index_;
  const Properties props_;
  DeviceMemory raw_;
  CachingAllocator allocator_;
  Queues queues_;
  HostStaging staging_;
  std::atomic<bool> broken_{false};
  mutable absl::Mutex broken_mu_;
  absl::Status broken_status_ ABSL_GUARDED_BY(broken_mu_);
};

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_CUDA_BACKEND_H_
