// Tests of the kernel thread pool: every element of a range is handed out
// exactly once, chunks respect the grain, and concurrent or nested callers
// all finish with correct results.
#include "device/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

// Restores the pool's size after a test changes it.
class ParallelTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = NumThreads(); }
  void TearDown() override { SetNumThreads(saved_); }
  int saved_ = 1;
};

// The chunks ParallelFor handed out, sorted.
std::vector<std::pair<int64_t, int64_t>> Chunks(int64_t n, int64_t grain) {
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  ParallelFor(n, grain, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> l(mu);
    chunks.emplace_back(b, e);
  });
  std::sort(chunks.begin(), chunks.end());
  return chunks;
}

TEST_F(ParallelTest, CoversTheRangeOnceInChunksOfAtLeastTheGrain) {
  SetNumThreads(4);
  EXPECT_EQ(NumThreads(), 4);
  for (int64_t n : {1, 99, 100, 399, 400, 401, 100000}) {
    const auto chunks = Chunks(n, 100);
    ASSERT_FALSE(chunks.empty()) << n;
    EXPECT_EQ(chunks.front().first, 0) << n;
    EXPECT_EQ(chunks.back().second, n) << n;
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(chunks[i].first, chunks[i - 1].second) << n;
      }
      if (chunks.size() > 1) {
        EXPECT_GE(chunks[i].second - chunks[i].first, 100) << n;
      }
    }
    EXPECT_LE(chunks.size(), 4u) << n;
  }
  // 400 elements of grain 100 on 4 threads: four chunks.
  EXPECT_EQ(Chunks(400, 100).size(), 4u);
  // Below two grains: one chunk on the caller.
  EXPECT_EQ(Chunks(199, 100).size(), 1u);
  EXPECT_TRUE(Chunks(0, 100).empty());
}

TEST_F(ParallelTest, OneThreadRunsOneChunk) {
  SetNumThreads(1);
  EXPECT_EQ(NumThreads(), 1);
  EXPECT_EQ(Chunks(1000000, 1).size(), 1u);
}

TEST_F(ParallelTest, RunsOnOtherThreads) {
  SetNumThreads(4);
  std::mutex mu;
  std::vector<std::thread::id> ids;
  // Chunks that wait for one another can only finish if they run at once.
  std::atomic<int> arrived{0};
  ParallelFor(4, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ++arrived;
      {
        std::lock_guard<std::mutex> l(mu);
        ids.push_back(std::this_thread::get_id());
      }
    }
    while (arrived.load() < 4) std::this_thread::yield();
  });
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()) - ids.begin(), 4);
}

TEST_F(ParallelTest, NestedAndConcurrentCallersAllFinish) {
  SetNumThreads(3);
  constexpr int kCallers = 6;
  constexpr int64_t kN = 20000;
  std::vector<std::vector<int>> hits(kCallers, std::vector<int>(kN, 0));
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 20; ++round) {
        ParallelFor(kN / 100, 10, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            // A nested region runs inline on this thread.
            ParallelFor(100, 10, [&](int64_t ib, int64_t ie) {
              for (int64_t j = ib; j < ie; ++j) ++hits[c][i * 100 + j];
            });
          }
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  for (int c = 0; c < kCallers; ++c) {
    for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(hits[c][i], 20) << c << " " << i;
  }
}

TEST_F(ParallelTest, ResizingKeepsWorking) {
  for (int threads : {2, 1, 5, 0}) {
    SetNumThreads(threads);
    EXPECT_GE(NumThreads(), 1);
    if (threads > 0) {
      EXPECT_EQ(NumThreads(), threads);
    }
    std::atomic<int64_t> sum{0};
    ParallelFor(100000, 1000, [&](int64_t b, int64_t e) {
      int64_t s = 0;
      for (int64_t i = b; i < e; ++i) s += i;
      sum += s;
    });
    EXPECT_EQ(sum.load(), int64_t{100000} * 99999 / 2);
  }
}

TEST_F(ParallelTest, RunExclusiveWaitsForTheRegion) {
  SetNumThreads(2);
  int ran = 0;
  RunExclusive([&] {
    ++ran;
    // Inside the exclusive section, regions run inline.
    EXPECT_EQ(Chunks(1000000, 1).size(), 1u);
  });
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace tensord::device::cpu
