// The CUDA caching allocator's bookkeeping against a fake raw allocator:
// size classes, splitting and merging, reuse per stream and sharing after
// release, memory pressure (synchronize, give the cache back, retry once)
// and the out-of-memory message. Runs on any host.
#include "device/cuda/caching_allocator.h"

#include <cstdint>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device::cuda {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMiB = size_t{1} << 20;

// Hands out addresses from a counter (never dereferenced) up to a capacity.
class FakeRaw final : public RawAllocator {
 public:
  explicit FakeRaw(size_t capacity) : capacity_(capacity) {}

  absl::StatusOr<void*> Malloc(size_t nbytes) override {
    absl::MutexLock lock(&mu_);
    ++mallocs_;
    if (fail_next_ != absl::OkStatus()) {
      absl::Status s = fail_next_;
      fail_next_ = absl::OkStatus();
      return s;
    }
    if (used_ + nbytes > capacity_) return absl::ResourceExhaustedError("fake: out of memory");
    used_ += nbytes;
    const uintptr_t p = next_;
    next_ += nbytes + 4096;
    live_.insert(p);
    return reinterpret_cast<void*>(p);
  }
  absl::Status Free(void* ptr, size_t nbytes) override {
    absl::MutexLock lock(&mu_);
    ++frees_;
    EXPECT_EQ(live_.erase(reinterpret_cast<uintptr_t>(ptr)), 1u) << "freed twice or never ours";
    used_ -= nbytes;
    return absl::OkStatus();
  }
  absl::Status Synchronize() override {
    absl::MutexLock lock(&mu_);
    ++syncs_;
    return absl::OkStatus();
  }
  void MemInfo(size_t* free_bytes, size_t* total_bytes) override {
    absl::MutexLock lock(&mu_);
    *free_bytes = capacity_ - used_;
    *total_bytes = capacity_;
  }

  void FailNext(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_next_ = std::move(s);
  }
  int mallocs() {
    absl::MutexLock lock(&mu_);
    return mallocs_;
  }
  int frees() {
    absl::MutexLock lock(&mu_);
    return frees_;
  }
  int syncs() {
    absl::MutexLock lock(&mu_);
    return syncs_;
  }
  size_t used() {
    absl::MutexLock lock(&mu_);
    return used_;
  }

 private:
  absl::Mutex mu_;
  const size_t capacity_;
  size_t used_ = 0;
  uintptr_t next_ = uintptr_t{1} << 40;
  std::set<uintptr_t> live_;
  int mallocs_ = 0, frees_ = 0, syncs_ = 0;
  absl::Status fail_next_;
};

char* P(absl::StatusOr<void*> p) {
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? static_cast<char*>(*p) : nullptr;
}

TEST(CachingAllocator, RoundsToSizeClasses) {
  EXPECT_EQ(CachingAllocator::RoundSize(0), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(1), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(512), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(513), 1024u);
  EXPECT_EQ(CachingAllocator::RoundSize(kMiB), kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(kMiB + 1), 2 * kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(3 * kMiB), 4 * kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(4 * kMiB), 4 * kMiB);
}

TEST(CachingAllocator, SmallRequestsShareTwoMiBSegments) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(1000, 1));
  char* y = P(a.Allocate(2000, 1));
  char* z = P(a.Allocate(100, 2));  // another stream may take fresh memory
  EXPECT_EQ(raw.mallocs(), 1);
  EXPECT_EQ(raw.used(), 2 * kMiB);
  EXPECT_EQ(y, x + 1024);
  EXPECT_EQ(z, y + 2048);
  const MemoryStats s = a.stats();
  EXPECT_EQ(s.bytes_in_use, 1024 + 2048 + 512);
  EXPECT_EQ(s.bytes_cached, static_cast<int64_t>(2 * kMiB) - s.bytes_in_use);
  EXPECT_EQ(s.allocations, 3);
  EXPECT_EQ(s.cache_hits, 2);
  EXPECT_EQ(a.StreamBytesInUse(1), 1024 + 2048);
  EXPECT_EQ(a.StreamBytesInUse(2), 512);
}

TEST(CachingAllocator, LargeRequestsGetTheirOwnSegments) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  P(a.Allocate(3 * kMiB, 1));
  P(a.Allocate(kMiB + 1, 1));
  EXPECT_EQ(raw.mallocs(), 2);
  EXPECT_EQ(raw.used(), 6 * kMiB);
  EXPECT_EQ(a.segments(), 2);
}

TEST(CachingAllocator, FreedBlockIsReusedAtOnceByItsStream) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(4 * kMiB, 1));
  a.Free(x);
  EXPECT_EQ(P(a.Allocate(4 * kMiB, 1)), x);
  EXPECT_EQ(raw.mallocs(), 1);
  EXPECT_EQ(a.stats().cache_hits, 1);
}

TEST(CachingAllocator, OtherStreamsWaitUntilTheStreamIsReleased) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(4 * kMiB, 1));
  a.Free(x);
  char* y = P(a.Allocate(4 * kMiB, 2));
  EXPECT_NE(y, x);  // stream 1 may still be using x
  EXPECT_EQ(raw.mallocs(), 2);
  a.ReleaseStream(1);  // the caller synchronized it
  EXPECT_EQ(P(a.Allocate(4 * kMiB, 3)), x);
  EXPECT_EQ(raw.mallocs(), 2);
}

TEST(CachingAllocator, BlocksInUseWhenTheirStreamIsReleasedAreSharedOnceFreed) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(4 * kMiB, 1));
  a.ReleaseStream(1);
  EXPECT_EQ(a.StreamBytesInUse(1), 0);
  a.Free(x);
  EXPECT_EQ(P(a.Allocate(4 * kMiB, 2)), x);
  EXPECT_EQ(raw.mallocs(), 1);
}

TEST(CachingAllocator, SplitsAndMergesAgain) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* whole = P(a.Allocate(10 * kMiB, 1));
  a.Free(whole);
  char* x = P(a.Allocate(4 * kMiB, 1));
  char* y = P(a.Allocate(6 * kMiB, 1));
  EXPECT_EQ(x, whole);
  EXPECT_EQ(y, whole + 4 * kMiB);
  EXPECT_EQ(raw.mallocs(), 1);
  a.Free(x);
  a.Free(y);
  EXPECT_EQ(P(a.Allocate(10 * kMiB, 1)), whole);
  EXPECT_EQ(raw.mallocs(), 1);
}

TEST(CachingAllocator, BlocksOfDifferentStreamsDoNotMerge) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(kMiB, 1));  // a fresh 2 MiB segment, the rest shared
  char* y = P(a.Allocate(kMiB, 2));  // the shared rest
  EXPECT_EQ(y, x + kMiB);
  a.Free(x);
  a.Free(y);
  // Neither stream's free MiB is the other's: 2 MiB needs a new segment.
  P(a.Allocate(2 * kMiB, 1));
  EXPECT_EQ(raw.mallocs(), 2);
  a.ReleaseStream(1);
  a.ReleaseStream(2);
  // Both shared now and merged: one whole small segment again.
  EXPECT_EQ(P(a.Allocate(kMiB, 3)), x);
  EXPECT_EQ(P(a.Allocate(kMiB, 3)), y);
  EXPECT_EQ(raw.mallocs(), 2);
}

TEST(CachingAllocator, PressureSynchronizesReleasesTheCacheAndRetries) {
  FakeRaw raw(8 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  a.Free(P(a.Allocate(6 * kMiB, 1)));  // cached for stream 1
  char* x = P(a.Allocate(8 * kMiB, 2));
  EXPECT_NE(x, nullptr);
  EXPECT_EQ(raw.syncs(), 1);
  EXPECT_EQ(raw.frees(), 1);
  EXPECT_EQ(raw.mallocs(), 3);  // 6 MiB, the failed 8 MiB, the retried 8 MiB
  EXPECT_EQ(a.stats().bytes_cached, 0);
}

TEST(CachingAllocator, PressureLetsAnotherStreamTakeACachedBlock) {
  FakeRaw raw(4 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* x = P(a.Allocate(4 * kMiB, 1));
  a.Free(x);
  EXPECT_EQ(P(a.Allocate(4 * kMiB, 2)), x);  // after a device synchronize
  EXPECT_EQ(raw.syncs(), 1);
  EXPECT_EQ(raw.frees(), 0);
}

TEST(CachingAllocator, OutOfMemoryNamesDeviceRequestAndHoldings) {
  FakeRaw raw(4 * kMiB);
  CachingAllocator a(&raw, "cuda:3");
  P(a.Allocate(4 * kMiB, 7));
  absl::StatusOr<void*> p = a.Allocate(2 * kMiB, 7);
  ASSERT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(p.status().message(),
            "out of memory on cuda:3: asked 2.00 MiB, free 0 B of 4.00 MiB (this session holds "
            "4.00 MiB); free tensors or lower the batch size");
  EXPECT_EQ(raw.syncs(), 1);
  // Other streams keep what they have; the failed request left nothing.
  EXPECT_EQ(a.stats().bytes_in_use, static_cast<int64_t>(4 * kMiB));
}

TEST(CachingAllocator, OtherRawErrorsPassThroughWithoutRetry) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  raw.FailNext(absl::UnavailableError("cuda:0 has a sticky fault"));
  absl::StatusOr<void*> p = a.Allocate(4 * kMiB, 1);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(raw.syncs(), 0);
  EXPECT_TRUE(a.Allocate(4 * kMiB, 1).ok());
}

TEST(CachingAllocator, EmptyCacheGivesBackWhollyFreeSegmentsOnly) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  char* big = P(a.Allocate(4 * kMiB, 1));
  char* s1 = P(a.Allocate(1000, 1));
  P(a.Allocate(1000, 2));  // keeps the small segment alive
  a.Free(big);
  a.Free(s1);
  ASSERT_TRUE(a.EmptyCache().ok());
  EXPECT_EQ(raw.syncs(), 1);
  EXPECT_EQ(raw.frees(), 1);
  EXPECT_EQ(raw.used(), 2 * kMiB);
  EXPECT_EQ(a.stats().bytes_in_use, 1024);
  EXPECT_EQ(a.stats().bytes_cached, static_cast<int64_t>(2 * kMiB) - 1024);
}

TEST(CachingAllocator, FreeingUnknownPointersIsHarmless) {
  FakeRaw raw(64 * kMiB);
  CachingAllocator a(&raw, "cuda:0");
  int x = 0;
  a.Free(&x);
  EXPECT_EQ(a.stats().bytes_in_use, 0);
}

TEST(CachingAllocator, DestructorReturnsTheCache) {
  FakeRaw raw(64 * kMiB);
  {
    CachingAllocator a(&raw, "cuda:0");
    a.Free(P(a.Allocate(4 * kMiB, 1)));
    a.Free(P(a.Allocate(100, 1)));
  }
  EXPECT_EQ(raw.used(), 0u);
}

// Streams on threads of their own, random sizes, frees in random order: no
// block is handed out twice, and once all is freed and released every
// segment comes back.
TEST(CachingAllocator, ConcurrentStreamsKeepBlocksDisjoint) {
  FakeRaw raw(size_t{1} << 40);
  CachingAllocator a(&raw, "cuda:0");
  absl::Mutex mu;
  std::set<std::pair<uintptr_t, uintptr_t>> live;  // [begin, end)
  auto worker = [&](StreamKey stream) {
    std::mt19937 rng(static_cast<uint32_t>(stream));
    std::vector<std::pair<char*, size_t>> mine;
    for (int i = 0; i < 400; ++i) {
      if (!mine.empty() && rng() % 3 == 0) {
        const size_t k = rng() % mine.size();
        {
          absl::MutexLock lock(&mu);
          const uintptr_t b = reinterpret_cast<uintptr_t>(mine[k].first);
          live.erase({b, b + mine[k].second});
        }
        a.Free(mine[k].first);
        mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(k));
        continue;
      }
      const size_t n = rng() % 2 == 0 ? 1 + rng() % (64 << 10) : 1 + rng() % (6 * kMiB);
      char* p = P(a.Allocate(n, stream));
      const uintptr_t b = reinterpret_cast<uintptr_t>(p);
      {
        absl::MutexLock lock(&mu);
        auto it = live.lower_bound({b, 0});
        if (it != live.end()) {
          EXPECT_GE(it->first, b + n) << "overlaps a later block";
        }
        if (it != live.begin()) {
          EXPECT_LE(std::prev(it)->second, b) << "overlaps an earlier one";
        }
        live.insert({b, b + n});
      }
      mine.emplace_back(p, n);
    }
    for (auto& [p, n] : mine) {
      {
        absl::MutexLock lock(&mu);
        const uintptr_t b = reinterpret_cast<uintptr_t>(p);
        live.erase({b, b + n});
      }
      a.Free(p);
    }
    a.ReleaseStream(stream);
  };
  std::vector<std::thread> threads;
  for (StreamKey s = 1; s <= 4; ++s) threads.emplace_back(worker, s);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(a.stats().bytes_in_use, 0);
  ASSERT_TRUE(a.EmptyCache().ok());
  EXPECT_EQ(raw.used(), 0u);
  EXPECT_EQ(a.segments(), 0);
}

TEST(FormatBytes, PicksAUnit) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 20), "3.00 MiB");
  EXPECT_EQ(FormatBytes(int64_t{80} << 30), "80.00 GiB");
}

}  // namespace
}  // namespace tensord::device::cuda
