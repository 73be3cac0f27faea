// Work queues: which ordered stream of device work the calling thread's
// primitives belong to. Each session runs its ops and transfers under its
// own queue (ScopedQueue), so a backend with asynchronous streams (CUDA)
// gives sessions separate streams and one session's work never waits
// behind another's; work under one queue runs in issue order. Queue 0 is
// the default, for work outside any session.
#ifndef TENSORD_DEVICE_QUEUE_H_
#define TENSORD_DEVICE_QUEUE_H_

#include <cstdint>

namespace tensord::device {

// The calling thread's queue (0 outside any ScopedQueue).
uint64_t CurrentQueue();

// A fresh nonzero queue id, never handed out before in this process.
uint64_t NewQueueId();

// Sets the calling thread's queue for its lifetime (nests; restores the
// previous one).
class ScopedQueue {
 public:
  explicit ScopedQueue(uint64_t id);
  ~ScopedQueue();
  ScopedQueue(const ScopedQueue&) = delete;
  ScopedQueue& operator=(const ScopedQueue&) = delete;

 private:
  uint64_t previous_;
};

// Tells every registered backend that queue `id` will see no more work
// (Backend::ReleaseQueue): its session is closed or expired.
void ReleaseQueueEverywhere(uint64_t id);

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_QUEUE_H_
