#include "device/cpu/host_allocator.h"

#include <algorithm>
#include <bit>
#include <cstdlib>

namespace tensord::device::cpu {

HostAllocator::~HostAllocator() { EmptyCache(); }

size_t HostAllocator::SizeClass(size_t nbytes) {
  if (nbytes <= 4096) return std::max<size_t>(kAlignment, (nbytes + kAlignment - 1) & ~(kAlignment - 1));
  // Quarter steps of the power of two below nbytes.
  const size_t high = std::bit_floor(nbytes);
  const size_t step = high / 4;
  return (nbytes + step - 1) / step * step;
}

void* HostAllocator::Allocate(size_t nbytes) {
  if (nbytes > SIZE_MAX / 2) return nullptr;
  const size_t size = SizeClass(nbytes);
  {
    absl::MutexLock lock(&mu_);
    ++stats_.allocations;
    auto it = bins_.find(size);
    if (it != bins_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= static_cast<int64_t>(size);
      stats_.bytes_in_use += static_cast<int64_t>(size);
      ++stats_.cache_hits;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (p == nullptr) {
    EmptyCache();  // memory pressure: give the cache back and try once more
    p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) return nullptr;
  }
  absl::MutexLock lock(&mu_);
  stats_.bytes_in_use += static_cast<int64_t>(size);
  return p;
}

void HostAllocator::Free(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  const size_t size = SizeClass(nbytes);
  absl::MutexLock lock(&mu_);
  stats_.bytes_in_use -= static_cast<int64_t>(size);
  if (size > max_cached_) {
    std::free(ptr);
    return;
  }
  if (static_cast<size_t>(stats_.bytes_cached) + size > max_cached_) ReleaseLocked(size);
  bins_[size].push_back(ptr);
  stats_.bytes_cached += static_cast<int64_t>(size);
}

void HostAllocator::ReleaseLocked(size_t want_free) {
  // Largest blocks first: fewest frees for the room needed.
  size_t freed = 0;
  for (auto it = bins_.rbegin(); it != bins_.rend() && freed < want_free; ++it) {
    while (!it->second.empty() && freed < want_free) {
      std::free(it->second.back());
      it->second.pop_back();
      freed += it->first;
      stats_.bytes_cached -= static_cast<int64_t>(it->first);
    }
  }
}

void HostAllocator::EmptyCache() {
  absl::MutexLock lock(&mu_);
  for (auto& [size, blocks] : bins_) {
    for (void* p : blocks) std::free(p);
    stats_.bytes_cached -= static_cast<int64_t>(size * blocks.size());
    blocks.clear();
  }
}

MemoryStats HostAllocator::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace tensord::device::cpu
