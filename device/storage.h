// Ref-counted device memory. A Storage is allocated and freed by its
// Backend; generic code never sees its address, only backends do, so device
// memory that the host cannot dereference fits the same interface.
#ifndef TENSORD_DEVICE_STORAGE_H_
#define TENSORD_DEVICE_STORAGE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "device/memory_stats.h"

namespace tensord::device {

class Backend;

class Storage {
 public:
  Storage(Backend* backend, void* ptr, size_t nbytes)
      : backend_(backend), ptr_(ptr), nbytes_(nbytes) {}
  // Memory the backend did not allocate (a shared-memory segment): `owner`
  // keeps it alive and releases it when the storage dies.
  Storage(Backend* backend, void* ptr, size_t nbytes, std::shared_ptr<void> owner)
      : backend_(backend), ptr_(ptr), nbytes_(nbytes), owner_(std::move(owner)) {}
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Backend& backend() const { return *backend_; }
  size_t nbytes() const { return nbytes_; }
  // Bumped by every in-place write; autograd compares it with saved values.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void BumpVersion() { version_.fetch_add(1, std::memory_order_relaxed); }
  // Charges this storage's bytes to `account` until it is freed.
  void SetAccount(std::shared_ptr<MemoryAccount> account);

 private:
  friend class Backend;
  Backend* backend_;
  void* ptr_;
  size_t nbytes_;
  std::atomic<uint64_t> version_{0};
  std::shared_ptr<MemoryAccount> account_;
  std::shared_ptr<void> owner_;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_STORAGE_H_
