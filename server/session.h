// A session: the tensors one client (or several, for a named session) holds,
// each under an opaque handle and optionally a name, plus the session's
// random generator and lease. Handles mean nothing outside their session.
// Callers serialize work on a session through Lock(), so its ops run in order.
// Its device work runs on its own work queue (a CUDA stream per session), set
// with device::ScopedQueue(queue_id()) around anything that touches tensors.
#ifndef TENSORD_SERVER_SESSION_H_
#define TENSORD_SERVER_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "autograd/variable.h"
#include "device/generator.h"
#include "device/memory_stats.h"
#include "device/shm/shared_segment.h"
#include "device/tensor.h"
#include "server/optimizer.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

// What a handle holds: a tensor, its optional name, and its autograd state
// (shared with every handle bound to the same tensor, as Python references
// share one torch.Tensor).
struct TensorEntry {
  device::Tensor tensor;
  std::string name;
  std::shared_ptr<autograd::AutogradMeta> meta;

  autograd::Variable variable() const { return {tensor, meta}; }
};

// Daemon-assigned handles have this bit set; client-chosen ones never do.
inline constexpr uint64_t kServerHandleBit = uint64_t{1} << 63;
// Each client (each OpenSession) chooses handles in its own range of 2^36
// ids, distinct across the daemon (2^27 ranges before they repeat), so a
// handle from another session never names a tensor of this one.
inline constexpr int kClientRangeBits = 36;

class Session {
 public:
  Session(std::string id, std::string name, std::string principal, absl::Duration lease);
  // Frees the tensors, then lets every backend release the session's queue.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& principal() const { return principal_; }
  absl::Duration lease() const { return lease_; }
  // The device work queue of this session: unique and nonzero.
  uint64_t queue_id() const { return queue_id_; }

  // Lease bookkeeping; safe without the session lock.
  void Renew(absl::Time now);
  bool ExpiredAt(absl::Time now) const;

  // Held while running anything on the session's tensors.
  absl::Mutex& mu() { return mu_; }

  device::Generator& generator() { return generator_; }
  // torch.is_grad_enabled() for the session; SetGradMode changes it.
  bool grad_enabled() const { return grad_enabled_; }
  void set_grad_enabled(bool enabled) { grad_enabled_ = enabled; }
  // Bytes of device memory held by the storages this session allocated.
  const std::shared_ptr<device::MemoryAccount>& memory() const { return memory_; }

  // Looks a reference up: NOT_FOUND names the handle or name.
  absl::StatusOr<uint64_t> Resolve(const v1::TensorRef& ref) const;
  absl::StatusOr<TensorEntry*> Find(uint64_t handle);
  // Binds `entry` under the handle and name `spec` asks for (handle 0 = assign
  // one). ALREADY_EXISTS for a client handle in use, INVALID_ARGUMENT for one
  // with the daemon's bit set. A name moves from any tensor that had it.
  absl::StatusOr<uint64_t> Bind(const v1::OutputSpec& spec, TensorEntry entry);
  // Checks that Bind(spec) would succeed, without binding.
  absl::Status CheckBindable(const v1::OutputSpec& spec) const;
  void Replace(uint64_t handle, device::Tensor tensor,
               std::shared_ptr<autograd::AutogradMeta> meta);
  // Returns false when the handle is unknown.
  bool Release(uint64_t handle);
  int64_t ReleaseAll();

  // The staging segment of the client `key` (at least `nbytes`, created or
  // replaced by a larger one as needed); freed with the session.
  absl::StatusOr<shm::SharedSegment*> Staging(uint64_t key, size_t nbytes);

  // The session's optimizers by id (chosen by the client), freed with it.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Optimizer>>& optimizers() { return optimizers_; }

  void FillMeta(uint64_t handle, const TensorEntry& e, v1::TensorMeta* meta) const;
  std::vector<uint64_t> Handles() const;
  int64_t num_tensors() const { return static_cast<int64_t>(tensors_.size()); }

 private:
  const std::string id_, name_, principal_;
  const absl::Duration lease_;
  const uint64_t queue_id_;
  mutable absl::Mutex lease_mu_;
  absl::Time deadline_ ABSL_GUARDED_BY(lease_mu_);

  absl::Mutex mu_;
  device::Generator generator_;
  bool grad_enabled_ = true;
  std::shared_ptr<device::MemoryAccount> memory_ = std::make_shared<device::MemoryAccount>();
  absl::flat_hash_map<uint64_t, TensorEntry> tensors_;
  absl::flat_hash_map<std::string, uint64_t> names_;
  uint64_t next_server_handle_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<shm::SharedSegment>> staging_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Optimizer>> optimizers_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_SESSION_H_
