#include "device/queue.h"

#include <atomic>

#include "device/backend.h"
#include "device/registry.h"

namespace tensord::device {
namespace {

thread_local uint64_t current_queue = 0;
std::atomic<uint64_t> next_queue{1};

}  // namespace

uint64_t CurrentQueue() { return current_queue; }

uint64_t NewQueueId() { return next_queue.fetch_add(1, std::memory_order_relaxed); }

ScopedQueue::ScopedQueue(uint64_t id) : previous_(current_queue) { current_queue = id; }

ScopedQueue::~ScopedQueue() { current_queue = previous_; }

void ReleaseQueueEverywhere(uint64_t id) {
  if (id == 0) return;  // the default queue lives as long as the process
  for (const Device d : ListDevices()) {
    if (absl::StatusOr<Backend*> b = FindBackend(d); b.ok()) (*b)->ReleaseQueue(id);
  }
}

}  // namespace tensord::device
