// Owns every session: opens and re-attaches them, finds them by id
// (renewing the lease), closes them, and reaps those whose lease expired so
// that a vanished client's memory comes back.
#ifndef TENSORD_SERVER_SESSION_MANAGER_H_
#define TENSORD_SERVER_SESSION_MANAGER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/session.h"

namespace tensord::server {

struct SessionOptions {
  absl::Duration default_lease = absl::Minutes(10);
  absl::Duration max_lease = absl::Hours(24);
};

class SessionManager {
 public:
  explicit SessionManager(SessionOptions options) : options_(options) {}

  struct Opened {
    std::shared_ptr<Session> session;
    bool attached = false;
  };
  // A named session of the same principal is re-attached if alive.
  absl::StatusOr<Opened> Open(const std::string& principal, const std::string& name,
                              absl::Duration requested_lease);
  // NOT_FOUND for unknown, closed or expired sessions and for another
  // principal's session. Renews the lease.
  absl::StatusOr<std::shared_ptr<Session>> Get(const std::string& principal, const std::string& id);
  // Returns the number of tensors released.
  absl::StatusOr<int64_t> Close(const std::string& principal, const std::string& id);
  // Drops expired sessions; returns how many.
  int ReapExpired(absl::Time now);
  // The next client's range of client-chosen handles (OpenSessionResponse).
  uint64_t NextClientHandleBase() {
    const uint64_t range =
        next_client_range_.fetch_add(1) % (uint64_t{1} << (63 - kClientRangeBits));
    return range << kClientRangeBits;
  }

 private:
  void DropLocked(const std::shared_ptr<Session>& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SessionOptions options_;
  std::atomic<uint64_t> next_client_range_{0};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> by_id_ ABSL_GUARDED_BY(mu_);
  // (principal, name) -> id
  absl::flat_hash_map<std::pair<std::string, std::string>, std::string> by_name_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_SESSION_MANAGER_H_
