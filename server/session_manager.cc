#include "server/session_manager.h"

#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tensord::server {
namespace {

// 128 bits from the kernel's CSPRNG, hex encoded: session ids are unguessable.
std::string NewSessionId() {
  unsigned char bytes[16];
  std::random_device rd;  // /dev/urandom on Linux
  for (size_t i = 0; i < sizeof(bytes); i += 4) {
    const uint32_t v = rd();
    for (size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::Status Unknown(const std::string& id) {
  return absl::NotFoundError(absl::StrCat(
      "unknown session '", id, "': it was closed or its lease expired; open a new session"));
}

}  // namespace

absl::StatusOr<SessionManager::Opened> SessionManager::Open(const std::string& principal,
                                                            const std::string& name,
                                                            absl::Duration requested_lease) {
  if (requested_lease < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lease_seconds must be >= 0 (0 takes the default)");
  }
  absl::Duration lease =
      requested_lease == absl::ZeroDuration() ? options_.default_lease : requested_lease;
  if (lease > options_.max_lease) {
    return absl::InvalidArgumentError(absl::StrCat("a lease of ", absl::FormatDuration(lease),
                                                   " exceeds this daemon's maximum of ",
                                                   absl::FormatDuration(options_.max_lease)));
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (!name.empty()) {
    auto it = by_name_.find(std::make_pair(principal, name));
    if (it != by_name_.end()) {
      std::shared_ptr<Session> s = by_id_.at(it->second);
      if (!s->ExpiredAt(now)) {
        s->Renew(now);
        return Opened{s, true};
      }
      DropLocked(s);
    }
  }
  auto s = std::make_shared<Session>(NewSessionId(), name, principal, lease);
  by_id_[s->id()] = s;
  if (!name.empty()) by_name_[std::make_pair(principal, name)] = s->id();
  return Opened{s, false};
}

absl::StatusOr<std::shared_ptr<Session>> SessionManager::Get(const std::string& principal,
                                                             const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second->principal() != principal) return Unknown(id);
  const absl::Time now = absl::Now();
  if (it->second->ExpiredAt(now)) {
    DropLocked(it->second);
    return Unknown(id);
  }
  it->second->Renew(now);
  return it->second;
}

absl::StatusOr<int64_t> SessionManager::Close(const std::string& principal, const std::string& id) {
  std::shared_ptr<Session> s;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second->principal() != principal) return Unknown(id);
    s = it->second;
    DropLocked(s);
  }
  absl::MutexLock lock(&s->mu());
  return s->ReleaseAll();
}

void SessionManager::DropLocked(const std::shared_ptr<Session>& s) {
  if (!s->name().empty()) {
    auto it = by_name_.find(std::make_pair(s->principal(), s->name()));
    if (it != by_name_.end() && it->second == s->id()) by_name_.erase(it);
  }
  by_id_.erase(s->id());
}

int SessionManager::ReapExpired(absl::Time now) {
  std::vector<std::shared_ptr<Session>> dead;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, s] : by_id_) {
      if (s->ExpiredAt(now)) dead.push_back(s);
    }
    for (const auto& s : dead) DropLocked(s);
  }
  // Free outside the table lock; an op still running holds the session lock.
  for (const auto& s : dead) {
    absl::MutexLock lock(&s->mu());
    s->ReleaseAll();
  }
  return static_cast<int>(dead.size());
}

}  // namespace tensord::server
