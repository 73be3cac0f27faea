// A caching allocator for host memory. Freed blocks are kept in size-class
// bins and handed out again, so a loop that allocates same-sized results
// reuses warm pages instead of faulting in fresh ones on every call. The
// cache is bounded; when the system refuses memory the cache is released
// and the allocation retried.
#ifndef TENSORD_DEVICE_CPU_HOST_ALLOCATOR_H_
#define TENSORD_DEVICE_CPU_HOST_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "device/memory_stats.h"

namespace tensord::device::cpu {

class HostAllocator {
 public:
  static constexpr size_t kAlignment = 64;

  explicit HostAllocator(size_t max_cached_bytes) : max_cached_(max_cached_bytes) {}
  ~HostAllocator();
  HostAllocator(const HostAllocator&) = delete;
  HostAllocator& operator=(const HostAllocator&) = delete;

  // 64-byte aligned, at least `nbytes` (0 is fine); nullptr when the system
  // has no memory even after the cache was released.
  void* Allocate(size_t nbytes);
  // `nbytes` as passed to Allocate.
  void Free(void* ptr, size_t nbytes);
  void EmptyCache();
  MemoryStats stats() const;

  // The size a request is rounded up to: 4 classes per power of two above
  // 4 KiB (waste under 25%), 64-byte steps below.
  static size_t SizeClass(size_t nbytes);

 private:
  void ReleaseLocked(size_t want_free) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_cached_;
  mutable absl::Mutex mu_;
  std::map<size_t, std::vector<void*>> bins_ ABSL_GUARDED_BY(mu_);  // class -> blocks
  MemoryStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_HOST_ALLOCATOR_H_
