// The caching host allocator: size classes, reuse of freed blocks, the
// cache bound, statistics, and per-owner accounting through a Context.
#include "device/cpu/host_allocator.h"

#include <cstdint>
#include <cstring>

#include "device/backend.h"
#include "device/context.h"
#include "device/registry.h"
#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

TEST(HostAllocator, SizeClassesBoundTheWaste) {
  EXPECT_EQ(HostAllocator::SizeClass(0), 64u);
  EXPECT_EQ(HostAllocator::SizeClass(65), 128u);
  EXPECT_EQ(HostAllocator::SizeClass(4096), 4096u);
  EXPECT_EQ(HostAllocator::SizeClass(4097), 5120u);
  for (size_t n : {size_t{5000}, size_t{1} << 20, (size_t{1} << 26) + 1, size_t{3} << 29}) {
    const size_t c = HostAllocator::SizeClass(n);
    EXPECT_GE(c, n);
    EXPECT_LT(static_cast<double>(c - n), 0.25 * static_cast<double>(n)) << n;
    EXPECT_EQ(c % HostAllocator::kAlignment, 0u);
  }
}

TEST(HostAllocator, FreedBlocksAreReused) {
  HostAllocator a(size_t{1} << 30);
  void* p = a.Allocate(1 << 20);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % HostAllocator::kAlignment, 0u);
  std::memset(p, 1, 1 << 20);
  a.Free(p, 1 << 20);
  EXPECT_EQ(a.stats().bytes_in_use, 0);
  EXPECT_EQ(a.stats().bytes_cached, 1 << 20);
  void* q = a.Allocate((1 << 20) - 100);  // same size class
  EXPECT_EQ(q, p);
  EXPECT_EQ(a.stats().cache_hits, 1);
  EXPECT_EQ(a.stats().bytes_cached, 0);
  a.Free(q, (1 << 20) - 100);
  a.EmptyCache();
  EXPECT_EQ(a.stats().bytes_cached, 0);
}

TEST(HostAllocator, CacheStaysWithinItsBound) {
  HostAllocator a(3 << 20);
  void* blocks[4];
  for (void*& b : blocks) b = a.Allocate(1 << 20);
  for (void* b : blocks) a.Free(b, 1 << 20);
  EXPECT_LE(a.stats().bytes_cached, 3 << 20);
  EXPECT_EQ(a.stats().bytes_in_use, 0);
  void* big = a.Allocate(8 << 20);  // larger than the whole cache: never cached
  a.Free(big, 8 << 20);
  EXPECT_LE(a.stats().bytes_cached, 3 << 20);
}

TEST(HostAllocator, ContextChargesItsAccount) {
  Generator gen;
  auto account = std::make_shared<MemoryAccount>();
  Context ctx(&gen, Device::Cpu(), Limits{}, account);
  {
    const std::vector<int64_t> shape = {1000};
    absl::StatusOr<Tensor> t = ctx.Empty(shape, DType::kFloat64);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(account->bytes(), 8000);
    absl::StatusOr<Tensor> v = t->View(std::vector<int64_t>{10, 100});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(account->bytes(), 8000);
  }
  EXPECT_EQ(account->bytes(), 0);
  EXPECT_EQ(account->peak(), 8000);
  absl::StatusOr<Backend*> cpu = FindBackend(Device::Cpu());
  ASSERT_TRUE(cpu.ok());
  EXPECT_GE((*cpu)->memory_stats().allocations, 1);
}

}  // namespace
}  // namespace tensord::device::cpu
