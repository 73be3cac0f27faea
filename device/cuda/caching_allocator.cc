#include "device/cuda/caching_allocator.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensord::device::cuda {

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (int64_t{1} << 30)) return absl::StrFormat("%.2f GiB", b / (1 << 30));
  if (bytes >= (int64_t{1} << 20)) return absl::StrFormat("%.2f MiB", b / (1 << 20));
  if (bytes >= (int64_t{1} << 10)) return absl::StrFormat("%.2f KiB", b / (1 << 10));
  return absl::StrCat(bytes, " B");
}

bool CachingAllocator::BlockLess::operator()(const Block* a, const Block* b) const {
  return std::tie(a->stream, a->size, a->ptr) < std::tie(b->stream, b->size, b->ptr);
}

size_t CachingAllocator::RoundSize(size_t nbytes) {
  if (nbytes <= kMinBlock) return kMinBlock;
  if (nbytes <= kSmallLimit) return (nbytes + kMinBlock - 1) / kMinBlock * kMinBlock;
  return (nbytes + kLargeRound - 1) / kLargeRound * kLargeRound;
}

CachingAllocator::CachingAllocator(RawAllocator* raw, std::string device_name)
    : raw_(raw), device_name_(std::move(device_name)) {}

CachingAllocator::~CachingAllocator() {
  absl::MutexLock lock(&mu_);
  ShareBlocks(kSharedStream, /*all=*/true);
  ReleaseFreeSegments();
}

absl::StatusOr<void*> CachingAllocator::Allocate(size_t nbytes, StreamKey stream) {
  if (nbytes > (size_t{1} << 62)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("out of memory on ", device_name_, ": asked ", nbytes, " bytes"));
  }
  const size_t size = RoundSize(nbytes);
  const bool small = size <= kSmallLimit;
  absl::MutexLock lock(&mu_);
  ++allocations_;
  Block* b = TakeFree(small, size, stream);
  if (b == nullptr && stream != kSharedStream) b = TakeFree(small, size, kSharedStream);
  if (b == nullptr) {
    absl::StatusOr<Block*> fresh = NewSegment(small, small ? kSmallSegment : size);
    if (!fresh.ok() && absl::IsResourceExhausted(fresh.status())) {
      // Memory pressure: once the device is idle every cached block is free
      // for anyone; reuse one, or give them all back and try once more.
      if (raw_->Synchronize().ok()) {
        ShareBlocks(kSharedStream, /*all=*/true);
        b = TakeFree(small, size, kSharedStream);
        if (b == nullptr) {
          ReleaseFreeSegments();
          fresh = NewSegment(small, small ? kSmallSegment : size);
        }
      }
      if (b == nullptr && !fresh.ok() && absl::IsResourceExhausted(fresh.status())) {
        return absl::ResourceExhaustedError(OutOfMemory(nbytes, stream));
      }
    }
    if (b == nullptr) {
      if (!fresh.ok()) return fresh.status();
      b = *fresh;
    }
  } else {
    ++cache_hits_;
  }
  Split(b, size);
  MarkInUse(b, stream);
  return static_cast<void*>(b->ptr);
}

void CachingAllocator::Free(void* ptr) {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(ptr);
  if (it == in_use_.end()) return;  // not ours: nothing to do
  Block* b = it->second;
  in_use_.erase(it);
  in_use_bytes_ -= static_cast<int64_t>(b->size);
  auto s = stream_bytes_.find(b->stream);
  if (s != stream_bytes_.end() && (s->second -= static_cast<int64_t>(b->size)) == 0) {
    stream_bytes_.erase(s);
  }
  b->in_use = false;
  Insert(b);
}

void CachingAllocator::ReleaseStream(StreamKey stream) {
  if (stream == kSharedStream) return;
  absl::MutexLock lock(&mu_);
  ShareBlocks(stream, /*all=*/false);
}

absl::Status CachingAllocator::EmptyCache() {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = raw_->Synchronize(); !st.ok()) return st;
  ShareBlocks(kSharedStream, /*all=*/true);
  ReleaseFreeSegments();
  return absl::OkStatus();
}

MemoryStats CachingAllocator::stats() const {
  absl::MutexLock lock(&mu_);
  return MemoryStats{.bytes_in_use = in_use_bytes_,
                     .bytes_cached = reserved_ - in_use_bytes_,
                     .allocations = allocations_,
                     .cache_hits = cache_hits_};
}

int64_t CachingAllocator::StreamBytesInUse(StreamKey stream) const {
  absl::MutexLock lock(&mu_);
  auto it = stream_bytes_.find(stream);
  return it == stream_bytes_.end() ? 0 : it->second;
}

int64_t CachingAllocator::reserved_bytes() const {
  absl::MutexLock lock(&mu_);
  return reserved_;
}

int64_t CachingAllocator::segments() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(segments_.size());
}

CachingAllocator::Block* CachingAllocator::TakeFree(bool small, size_t size, StreamKey stream) {
  Pool& pool = PoolFor(small);
  Block key;
  key.stream = stream;
  key.size = size;
  auto it = pool.lower_bound(&key);
  if (it == pool.end() || (*it)->stream != stream) return nullptr;
  Block* b = *it;
  pool.erase(it);
  return b;
}

void CachingAllocator::Split(Block* b, size_t size) {
  b->in_use = true;  // about to be handed out: the rest must not merge back
  const size_t rest = b->size - size;
  if (rest < (b->small ? kMinBlock : kLargeRound)) return;
  auto* r = new Block{.ptr = b->ptr + size,
                      .size = rest,
                      .stream = b->stream,
                      .in_use = false,
                      .small = b->small,
                      .prev = b,
                      .next = b->next};
  if (b->next != nullptr) b->next->prev = r;
  b->next = r;
  b->size = size;
  Insert(r);
}

void CachingAllocator::Insert(Block* b) {
  Pool& pool = PoolFor(b->small);
  if (Block* p = b->prev; p != nullptr && !p->in_use && p->stream == b->stream) {
    pool.erase(p);
    p->size += b->size;
    p->next = b->next;
    if (b->next != nullptr) b->next->prev = p;
    delete b;
    b = p;
  }
  if (Block* n = b->next; n != nullptr && !n->in_use && n->stream == b->stream) {
    pool.erase(n);
    b->size += n->size;
    b->next = n->next;
    if (n->next != nullptr) n->next->prev = b;
    delete n;
  }
  pool.insert(b);
}

absl::StatusOr<CachingAllocator::Block*> CachingAllocator::NewSegment(bool small, size_t size) {
  absl::StatusOr<void*> ptr = raw_->Malloc(size);
  if (!ptr.ok()) return ptr.status();
  // Fresh memory has no past user, so whatever the request leaves over is
  // shared from the start.
  auto* b = new Block{.ptr = static_cast<char*>(*ptr),
                      .size = size,
                      .stream = kSharedStream,
                      .in_use = false,
                      .small = small};
  segments_.insert(b);
  reserved_ += static_cast<int64_t>(size);
  return b;
}

void CachingAllocator::MarkInUse(Block* b, StreamKey stream) {
  b->in_use = true;
  b->stream = stream;
  in_use_.emplace(b->ptr, b);
  in_use_bytes_ += static_cast<int64_t>(b->size);
  stream_bytes_[stream] += static_cast<int64_t>(b->size);
}

void CachingAllocator::ShareBlocks(StreamKey stream, bool all) {
  for (Block* head : segments_) {
    bool touched = false;
    for (Block* b = head; b != nullptr; b = b->next) {
      if (b->stream == kSharedStream || (!all && b->stream != stream)) continue;
      // A synchronize frees nothing in use: only a finished stream's blocks
      // in use become shared (for when they are freed).
      if (all && b->in_use) continue;
      touched = true;
      if (b->in_use) {
        auto s = stream_bytes_.find(b->stream);
        if (s != stream_bytes_.end() && (s->second -= static_cast<int64_t>(b->size)) == 0) {
          stream_bytes_.erase(s);
        }
        stream_bytes_[kSharedStream] += static_cast<int64_t>(b->size);
      } else {
        PoolFor(b->small).erase(b);  // while its key still names the old stream
      }
      b->stream = kSharedStream;
    }
    if (!touched) continue;
    // Merge each run of free shared blocks into one and pool it.
    for (Block* b = head; b != nullptr; b = b->next) {
      if (b->in_use || b->stream != kSharedStream) continue;
      Pool& pool = PoolFor(b->small);
      pool.erase(b);
      while (b->next != nullptr && !b->next->in_use && b->next->stream == kSharedStream) {
        Block* n = b->next;
        pool.erase(n);
        b->size += n->size;
        b->next = n->next;
        if (n->next != nullptr) n->next->prev = b;
        delete n;
      }
      pool.insert(b);
    }
  }
}

void CachingAllocator::ReleaseFreeSegments() {
  std::vector<Block*> gone;
  for (Block* head : segments_) {
    if (!head->in_use && head->next == nullptr) gone.push_back(head);
  }
  for (Block* head : gone) {
    PoolFor(head->small).erase(head);
    (void)raw_->Free(head->ptr, head->size);  // a failed free leaves nothing to undo
    reserved_ -= static_cast<int64_t>(head->size);
    segments_.erase(head);
    delete head;
  }
}

std::string CachingAllocator::OutOfMemory(size_t nbytes, StreamKey stream) {
  size_t free_bytes = 0, total_bytes = 0;
  raw_->MemInfo(&free_bytes, &total_bytes);
  auto held = stream_bytes_.find(stream);
  return absl::StrCat("out of memory on ", device_name_, ": asked ",
                      FormatBytes(static_cast<int64_t>(nbytes)), ", free ",
                      FormatBytes(static_cast<int64_t>(free_bytes)), " of ",
                      FormatBytes(static_cast<int64_t>(total_bytes)), " (this session holds ",
                      FormatBytes(held == stream_bytes_.end() ? 0 : held->second),
                      "); free tensors or lower the batch size");
}

}  // namespace tensord::device::cuda
