// Memory bookkeeping shared by backends and sessions: what a backend's
// allocator holds, and a per-owner account of bytes in live storages.
#ifndef TENSORD_DEVICE_MEMORY_STATS_H_
#define TENSORD_DEVICE_MEMORY_STATS_H_

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "device/device.h"

namespace tensord::device {

struct MemoryStats {
  int64_t bytes_in_use = 0;  // handed out to live storages
  int64_t bytes_cached = 0;  // freed by storages, kept for reuse
  int64_t allocations = 0;   // Allocate calls
  int64_t cache_hits = 0;    // of which served from the cache
};

// Bytes held by the storages one owner (a session) allocated, in all and
// per device. Storages keep their account alive and credit it back when
// they are freed, even after the owner is gone.
class MemoryAccount {
 public:
  void Add(int64_t bytes, Device device = Device::Cpu()) {
    by_device_[Slot(device)].fetch_add(bytes, std::memory_order_relaxed);
    const int64_t now = bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    int64_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  void Sub(int64_t bytes, Device device = Device::Cpu()) {
    by_device_[Slot(device)].fetch_sub(bytes, std::memory_order_relaxed);
    bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  // On one device (cuda:15 and above share one count).
  int64_t bytes(Device device) const {
    return by_device_[Slot(device)].load(std::memory_order_relaxed);
  }
  int64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kSlots = 17;  // cpu, cuda:0 .. cuda:15
  static int Slot(Device d) {
    return d.type == Device::Type::kCpu ? 0 : 1 + std::min(std::max(d.index, 0), kSlots - 2);
  }

  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> peak_{0};
  std::atomic<int64_t> by_device_[kSlots] = {};
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_MEMORY_STATS_H_
