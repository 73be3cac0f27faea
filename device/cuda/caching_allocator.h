// The CUDA backend's caching device allocator, written against a small
// raw-allocator interface so that its bookkeeping is tested without a GPU.
//
// cudaMalloc and cudaFree are slow and cudaFree synchronizes the device, so
// freed blocks are kept and reused:
// - Size classes: requests up to 1 MiB are rounded up to 512 B and carved
//   out of 2 MiB segments; larger ones are rounded up to 2 MiB and get
//   segments of their own. A cached block larger than a request is split;
//   freed neighbours merge again.
// - Streams: a block belongs to the stream (work queue) it was allocated
//   on. Freed, it returns to that stream's pool and is reused by that
//   stream at once: stream order puts the new user's work after the old
//   one's. Other streams get it only after its stream has been synchronized
//   (ReleaseStream, or a device-wide synchronize under memory pressure),
//   when it moves to the shared pool. So a tensor must only be used by work
//   on the stream it was allocated on (a session's tensors are used by that
//   session's queue alone).
// - Pressure: when the raw allocation fails, the device is synchronized,
//   every cached block is given back and the allocation is tried once more;
//   if it still fails the error names the device, the request, the device's
//   free and total memory and what the asking stream holds.
#ifndef TENSORD_DEVICE_CUDA_CACHING_ALLOCATOR_H_
#define TENSORD_DEVICE_CUDA_CACHING_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "device/memory_stats.h"

namespace tensord::device::cuda {

// The memory underneath: cudaMalloc/cudaFree on one device, or a fake.
class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  // RESOURCE_EXHAUSTED when the device has no room; any other error fails
  // the request as it is.
  virtual absl::StatusOr<void*> Malloc(size_t nbytes) = 0;
  virtual absl::Status Free(void* ptr, size_t nbytes) = 0;
  // Waits until all work on the device, on every stream, is done.
  virtual absl::Status Synchronize() = 0;
  // The device's free and total bytes (for error messages).
  virtual void MemInfo(size_t* free_bytes, size_t* total_bytes) = 0;
};

// Which stream (work queue) a block belongs to: the queue id
// (device/queue.h); kSharedStream for blocks any stream may take.
using StreamKey = uint64_t;
inline constexpr StreamKey kSharedStream = ~StreamKey{0};

class CachingAllocator {
 public:
  static constexpr size_t kMinBlock = 512;
  static constexpr size_t kSmallLimit = size_t{1} << 20;    // largest small request
  static constexpr size_t kSmallSegment = size_t{2} << 20;  // what small blocks are cut from
  static constexpr size_t kLargeRound = size_t{2} << 20;    // large requests round to this

  // `device_name` ("cuda:0") appears in errors.
  CachingAllocator(RawAllocator* raw, std::string device_name);
  // Gives the cached segments back; blocks still in use are leaked (their
  // storages outlive the allocator only at process exit).
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least nbytes for work on `stream`.
  absl::StatusOr<void*> Allocate(size_t nbytes, StreamKey stream);
  // Returns a block from Allocate to its stream's pool.
  void Free(void* ptr);
  // The caller has synchronized `stream` and will not use it again: its
  // free blocks join the shared pool, and so do its blocks still in use
  // once they are freed.
  void ReleaseStream(StreamKey stream);
  // Synchronizes the device and gives every wholly free segment back.
  absl::Status EmptyCache();

  MemoryStats stats() const;
  // Bytes in blocks allocated on `stream` and not yet freed.
  int64_t StreamBytesInUse(StreamKey stream) const;
  // Bytes obtained from the raw allocator and not given back.
  int64_t reserved_bytes() const;
  int64_t segments() const;

  // The size a request is served with.
  static size_t RoundSize(size_t nbytes);

 private:
  struct Block {
    char* ptr = nullptr;
    size_t size = 0;
    StreamKey stream = kSharedStream;
    bool in_use = false;
    bool small = false;
    Block* prev = nullptr;  // address neighbours within the segment
    Block* next = nullptr;
  };
  struct BlockLess {
    bool operator()(const Block* a, const Block* b) const;
  };
  using Pool = std::set<Block*, BlockLess>;

  Pool& PoolFor(bool small) { return small ? small_free_ : large_free_; }
  // Best fit for `size` among `stream`'s free blocks, removed from its pool.
  Block* TakeFree(bool small, size_t size, StreamKey stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Splits off what `b` does not need into a free block of b's stream.
  void Split(Block* b, size_t size) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Merges b (free, not in a pool) with free neighbours of the same stream
  // and puts the result in its pool.
  void Insert(Block* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Block*> NewSegment(bool small, size_t size) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkInUse(Block* b, StreamKey stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Retags as shared (and merges) the blocks of `stream`, free or in use,
  // or with `all` the free blocks of every stream; callers have synchronized
  // what they retag.
  void ShareBlocks(StreamKey stream, bool all) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives every wholly free segment back to the raw allocator.
  void ReleaseFreeSegments() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string OutOfMemory(size_t nbytes, StreamKey stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RawAllocator* const raw_;
  const std::string device_name_;
  mutable absl::Mutex mu_;
  Pool small_free_ ABSL_GUARDED_BY(mu_);
  Pool large_free_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<void*, Block*> in_use_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Block*> segments_ ABSL_GUARDED_BY(mu_);  // first block of each
  absl::flat_hash_map<StreamKey, int64_t> stream_bytes_ ABSL_GUARDED_BY(mu_);
  int64_t reserved_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t in_use_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t allocations_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cache_hits_ ABSL_GUARDED_BY(mu_) = 0;
};

// "1.50 GiB", "512 B": byte counts for people.
std::string FormatBytes(int64_t bytes);

}  // namespace tensord::device::cuda

#endif  // TENSORD_DEVICE_CUDA_CACHING_ALLOCATOR_H_
