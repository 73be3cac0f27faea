// MemoryAccount: a session's bytes in all and per device, credited back when
// storages die.
#include "device/memory_stats.h"
#include "gtest/gtest.h"
#include "tests/device/fake_backend.h"

namespace tensord::device {
namespace {

TEST(MemoryAccount, CountsPerDevice) {
  MemoryAccount a;
  const Device cpu = Device::Cpu(), gpu0{Device::Type::kCuda, 0}, gpu1{Device::Type::kCuda, 1};
  a.Add(100, cpu);
  a.Add(1000, gpu0);
  a.Add(10, gpu1);
  EXPECT_EQ(a.bytes(), 1110);
  EXPECT_EQ(a.bytes(cpu), 100);
  EXPECT_EQ(a.bytes(gpu0), 1000);
  EXPECT_EQ(a.bytes(gpu1), 10);
  a.Sub(1000, gpu0);
  EXPECT_EQ(a.bytes(gpu0), 0);
  EXPECT_EQ(a.bytes(), 110);
  EXPECT_EQ(a.peak(), 1110);
}

TEST(MemoryAccount, StoragesChargeTheirDevice) {
  testing::FakeBackend gpu(Device{Device::Type::kCuda, 3});
  auto account = std::make_shared<MemoryAccount>();
  {
    std::shared_ptr<Storage> s = *gpu.Allocate(64);
    s->SetAccount(account);
    EXPECT_EQ(account->bytes(Device{Device::Type::kCuda, 3}), 64);
    EXPECT_EQ(account->bytes(Device::Cpu()), 0);
    s->SetAccount(account);  // charging again moves the charge, not doubles it
    EXPECT_EQ(account->bytes(), 64);
  }
  EXPECT_EQ(account->bytes(), 0);
  EXPECT_EQ(account->bytes(Device{Device::Type::kCuda, 3}), 0);
}

}  // namespace
}  // namespace tensord::device
