// Work queues (device/queue.h): the calling thread's queue, fresh ids, and
// ReleaseQueueEverywhere reaching every registered backend.
#include "device/queue.h"

#include <set>
#include <thread>
#include <vector>

#include "device/registry.h"
#include "gtest/gtest.h"
#include "tests/device/fake_backend.h"

namespace tensord::device {
namespace {

TEST(Queue, DefaultIsZeroAndScopesNest) {
  EXPECT_EQ(CurrentQueue(), 0u);
  {
    ScopedQueue a(5);
    EXPECT_EQ(CurrentQueue(), 5u);
    {
      ScopedQueue b(9);
      EXPECT_EQ(CurrentQueue(), 9u);
    }
    EXPECT_EQ(CurrentQueue(), 5u);
  }
  EXPECT_EQ(CurrentQueue(), 0u);
}

TEST(Queue, IsPerThread) {
  ScopedQueue q(42);
  uint64_t seen = 1;
  std::thread([&] { seen = CurrentQueue(); }).join();
  EXPECT_EQ(seen, 0u);
  EXPECT_EQ(CurrentQueue(), 42u);
}

TEST(Queue, NewIdsAreNonzeroAndUnique) {
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&g] {
      for (int i = 0; i < 1000; ++i) g.push_back(NewQueueId());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), 4000u);
  EXPECT_EQ(all.count(0), 0u);
}

TEST(Queue, ReleaseReachesEveryBackend) {
  auto owned = std::make_unique<testing::FakeBackend>(Device{Device::Type::kCuda, 7});
  testing::FakeBackend* fake = owned.get();
  RegisterBackend(std::move(owned));
  const uint64_t id = NewQueueId();
  ReleaseQueueEverywhere(id);
  ReleaseQueueEverywhere(0);  // the default queue is never released
  EXPECT_EQ(fake->released(), std::vector<uint64_t>{id});
}

}  // namespace
}  // namespace tensord::device
