// A fixed pool of worker threads. RPC handlers hand their work here so
// that gRPC's own threads never block on tensor computation.
#ifndef TENSORD_SERVER_THREAD_POOL_H_
#define TENSORD_SERVER_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tensord::server {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();  // runs what is queued, then joins
  void Schedule(std::function<void()> fn);

 private:
  void Work();
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_THREAD_POOL_H_
