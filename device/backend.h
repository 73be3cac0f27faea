// The device contract: the small list of primitives a backend implements.
// Composite ops are written once on top of these and run on every backend.
// Tensors handed to a primitive live on this backend; only backends see
// the memory behind a Storage.
#ifndef TENSORD_DEVICE_BACKEND_H_
#define TENSORD_DEVICE_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device/device.h"
#include "device/generator.h"
#include "device/memory_stats.h"
#include "device/operand_checks.h"
#include "device/primitives.h"
#include "device/scalar.h"
#include "device/tensor.h"

namespace tensord::device {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // What `tensorctl devices` shows: the hardware (a GPU's name and compute
  // capability) and the device's total memory in bytes.
  virtual std::string description() const { return ""; }
  virtual int64_t total_bytes() const { return 0; }

  // Memory.
  virtual absl::StatusOr<std::shared_ptr<Storage>> Allocate(size_t nbytes) = 0;
  virtual void Free(void* ptr, size_t nbytes) = 0;
  // What the backend's allocator holds (in use and cached for reuse).
  virtual MemoryStats memory_stats() const = 0;
  // Returns cached memory to the system (under memory pressure).
  virtual void EmptyCache() = 0;
  // Contiguous bytes between host memory and a tensor (which must be
  // contiguous). Both return once `src` / `dst` may be reused by the caller
  // (CopyToHost: once the data is there).
  virtual absl::Status CopyFromHost(const void* src, const Tensor& dst) = 0;
  virtual absl::Status CopyToHost(const Tensor& src, void* dst) = 0;

  // Work queues (device/queue.h): work issued under one queue runs in
  // issue order; work of different queues may overlap. Called once a queue
  // will see no more work (its session ended): a backend that keeps state per
  // queue (a CUDA stream) waits for the queue's work and frees that state.
  // Optional; backends that run everything synchronously ignore queues.
  virtual void ReleaseQueue(uint64_t id) {}

  // Compute. Inputs of elementwise primitives already have out's shape
  // (broadcast inputs are expanded views with zero strides).
  virtual absl::Status Fill(const Tensor& out, const Scalar& value) = 0;
  // out = src, converting dtype; both strided.
  virtual absl::Status Copy(const Tensor& src, const Tensor& out) = 0;
  // in and out share a dtype unless the op says otherwise (see primitives.h).
  virtual absl::Status Unary(UnaryOp op, const Tensor& in, const Tensor& out) = 0;
  // a and b share a dtype; out has it too, or bool for comparisons.
  virtual absl::Status Binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // Reduces `in` over `dims` (sorted, unique) into out, whose shape is in's
  // with those dims set to 1. out has in's dtype.
  virtual absl::Status Reduce(ReduceOp op, const Tensor& in, std::span<const int64_t> dims,
                              const Tensor& out) = 0;
  // Batched matrix product: a [B, M, K] x b [B, K, N] -> out [B, M, N], one dtype.
  virtual absl::Status Matmul(const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // out[i] = start + i * step for a 1-D contiguous out.
  virtual absl::Status Arange(const Scalar& start, const Scalar& step, const Tensor& out) = 0;
  virtual absl::Status Random(RandomOp op, double p0, double p1, Generator& gen,
                              const Tensor& out) = 0;
  // out = cond ? a : b elementwise; cond is bool; a, b and out share a dtype;
  // all have out's shape (broadcast inputs are expanded views).
  virtual absl::Status Where(const Tensor& cond, const Tensor& a, const Tensor& b,
                             const Tensor& out) = 0;
  // Max or min (op is kMax or kMin) of `in` along `dim` with its int64
  // index: values (in's dtype) and indices have in's shape with dim set to 1.
  // The first occurrence wins; a NaN wins over numbers (PyTorch's rule).
  virtual absl::Status ArgReduce(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& values,
                                 const Tensor& indices) = 0;
  // Inclusive scan along dim (op is kSum or kProd): out[.., i, ..] combines
  // in[.., 0..i, ..]. in and out share shape and dtype.
  virtual absl::Status Scan(ReduceOp op, const Tensor& in, int64_t dim, const Tensor& out) = 0;
  // torch.gather: out[i][j] = in[index[i][j]][j] for dim 0 (likewise for
  // other dims). index is int64 with out's shape; an index outside
  // [-size, size) of in's dim is INVALID_ARGUMENT and nothing is written.
  virtual absl::Status Gather(const Tensor& in, int64_t dim, const Tensor& index,
                              const Tensor& out) = 0;
  // torch.scatter_ / scatter_add_: out[index[i][j]][j] = (or +=) src[i][j]
  // for dim 0. index is int64 with src's shape; bounds as in Gather.
  virtual absl::Status Scatter(ScatterMode mode, int64_t dim, const Tensor& index,
                               const Tensor& src, const Tensor& out) = 0;
  // The number of nonzero (true) elements of `in`.
  virtual absl::StatusOr<int64_t> CountNonzero(const Tensor& in) = 0;
  // Their coordinates in row-major order: out is int64 [count, in.dim()].
  virtual absl::Status Nonzero(const Tensor& in, const Tensor& out) = 0;

 protected:
  static void* Data(const Storage& s) { return s.ptr_; }
  // The address of t's element (0, ..., 0) once CheckOperand accepts it (it
  // lives here, its layout fits its storage). `what` names it in errors.
  absl::StatusOr<char*> OperandData(const Tensor& t, const char* what) const {
    absl::StatusOr<int64_t> offset = CheckOperand(*this, t, what);
    if (!offset.ok()) return offset.status();
    return static_cast<char*>(Data(t.storage())) + *offset;
  }
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_BACKEND_H_
