// The CPU backend: tensors in 64-byte aligned host memory, primitives run by
// the kernels in this directory (BLAS for float matmul). Registered for
// Device::Cpu() at static-init time by cpu_backend.cc.
#ifndef TENSORD_DEVICE_CPU_CPU_BACKEND_H_
#define TENSORD_DEVICE_CPU_CPU_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device/backend.h"
#include "device/cpu/host_allocator.h"

namespace tensord::device::cpu {

struct HostView;

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::Cpu(); }
  // The CPU model and its logical cores; physical memory.
  std::string description() const override;
  int64_t total_bytes() const override;

  absl::StatusOr<std::shared_ptr<Storage>> Allocate(size_t nbytes) override;
  void Free(void* ptr, size_t nbytes) override;
  MemoryStats memory_stats() const override;
  void EmptyCache() override;
  absl::Status CopyFromHost(const void* src, const Tensor& dst) override;
  absl::Status CopyToHost(const Tensor& src, void* dst) override;

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

 private:
  // The host view of t after checking that it lives here and that every
  // element it addresses is inside its storage. `what` names the operand in
  // errors ("Binary: a").
  absl::StatusOr<HostView> Host(const Tensor& t, const char* what) const;

  // Freed blocks are cached up to 2 GiB for reuse.
  HostAllocator allocator_{size_t{2} << 30};
};

// The registered CPU backend.
Backend& CpuBackendInstance();

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_CPU_BACKEND_H_
