// A backend for tests of generic device code that only needs a Backend to
// exist: it registers under any Device, keeps tensors in host memory (so
// host copies work), records the work queue of every allocation and host
// copy and every ReleaseQueue call, and answers every other primitive with
// UNIMPLEMENTED.
#ifndef TENSORD_TESTS_DEVICE_FAKE_BACKEND_H_
#define TENSORD_TESTS_DEVICE_FAKE_BACKEND_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "device/backend.h"
#include "device/queue.h"

namespace tensord::device::testing {

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(Device d) : device_(d) {}
  Device device() const override { return device_; }

  std::string description() const override { return "a fake device"; }
  int64_t total_bytes() const override { return int64_t{1} << 30; }

  absl::StatusOr<std::shared_ptr<Storage>> Allocate(size_t nbytes) override {
    Record();
    return std::make_shared<Storage>(this, std::malloc(nbytes == 0 ? 1 : nbytes), nbytes);
  }
  void Free(void* ptr, size_t) override { std::free(ptr); }
  MemoryStats memory_stats() const override { return {.bytes_in_use = 7, .bytes_cached = 3}; }
  void EmptyCache() override {}
  absl::Status CopyFromHost(const void* src, const Tensor& dst) override {
    Record();
    absl::StatusOr<char*> p = OperandData(dst, "CopyFromHost: dst");
    if (!p.ok()) return p.status();
    if (dst.nbytes() > 0) std::memcpy(*p, src, dst.nbytes());
    return absl::OkStatus();
  }
  absl::Status CopyToHost(const Tensor& src, void* dst) override {
    Record();
    absl::StatusOr<char*> p = OperandData(src, "CopyToHost: src");
    if (!p.ok()) return p.status();
    if (src.nbytes() > 0) std::memcpy(dst, *p, src.nbytes());
    return absl::OkStatus();
  }
  void ReleaseQueue(uint64_t id) override {
    absl::MutexLock lock(&mu_);
    released_.push_back(id);
  }
  std::vector<uint64_t> released() const {
    absl::MutexLock lock(&mu_);
    return released_;
  }
  // The queue of each allocation and host copy, in order.
  std::vector<uint64_t> queues() const {
    absl::MutexLock lock(&mu_);
    return queues_;
  }
  void ClearQueues() {
    absl::MutexLock lock(&mu_);
    queues_.clear();
  }

  absl::Status Fill(const Tensor&, const Scalar&) override { return No(); }
  absl::Status Copy(const Tensor&, const Tensor&) override { return No(); }
  absl::Status Unary(UnaryOp, const Tensor&, const Tensor&) override { return No(); }
  absl::Status Binary(BinaryOp, const Tensor&, const Tensor&, const Tensor&) override {
    return No();
  }
  absl::Status Reduce(ReduceOp, const Tensor&, std::span<const int64_t>, const Tensor&) override {
    return No();
  }
  absl::Status Matmul(const Tensor&, const Tensor&, const Tensor&) override { return No(); }
  absl::Status Arange(const Scalar&, const Scalar&, const Tensor&) override { return No(); }
  absl::Status Random(RandomOp, double, double, Generator&, const Tensor&) override { return No(); }
  absl::Status Where(const Tensor&, const Tensor&, const Tensor&, const Tensor&) override {
    return No();
  }
  absl::Status ArgReduce(ReduceOp, const Tensor&, int64_t, const Tensor&, const Tensor&) override {
    return No();
  }
  absl::Status Scan(ReduceOp, const Tensor&, int64_t, const Tensor&) override { return No(); }
  absl::Status Gather(const Tensor&, int64_t, const Tensor&, const Tensor&) override {
    return No();
  }
  absl::Status Scatter(ScatterMode, int64_t, const Tensor&, const Tensor&, const Tensor&) override {
    return No();
  }
  absl::StatusOr<int64_t> CountNonzero(const Tensor&) override { return No(); }
  absl::Status Nonzero(const Tensor&, const Tensor&) override { return No(); }

  // OperandData for tests.
  absl::StatusOr<char*> Operand(const Tensor& t, const char* what) const {
    return OperandData(t, what);
  }

 private:
  static absl::Status No() { return absl::UnimplementedError("fake backend"); }
  void Record() {
    absl::MutexLock lock(&mu_);
    queues_.push_back(CurrentQueue());
  }

  const Device device_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> released_;
  std::vector<uint64_t> queues_;
};

}  // namespace tensord::device::testing

#endif  // TENSORD_TESTS_DEVICE_FAKE_BACKEND_H_
