// The kernel thread pool behind ParallelFor: persistent workers that sleep
// between regions, a chunk counter they and the caller share, and a region
// lock taken with TryLock so that a busy pool means "run it here".
#include "device/cpu/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace tensord::device::cpu {
namespace {

// True on pool workers and on a caller inside a region: nested kernels run
// inline.
thread_local bool in_region = false;

int AvailableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int DefaultThreads() {
  if (const char* env = std::getenv("TENSORD_NUM_THREADS"); env != nullptr) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return AvailableCores();
}

class Pool {
 public:
  explicit Pool(int threads) { Resize(threads); }
  ~Pool() { Resize(1); }

  // Read without the region lock: a reduction asking for the count must not
  // wait for another request's region to finish.
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void Resize(int threads) {
    absl::MutexLock region(&region_mu_);
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // Workers start from the current generation, read here while no region
    // runs, so none misses a region that starts before it first waits.
    const uint64_t generation = generation_;
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this, generation] { Work(generation); });
    }
    threads_.store(threads, std::memory_order_relaxed);
    openblas_set_num_threads(threads);
  }

  void Run(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t, int64_t)> fn) {
    if (in_region || !region_mu_.TryLock()) {
      fn(0, n);
      return;
    }
    const int64_t chunks = std::min<int64_t>(static_cast<int64_t>(workers_.size()) + 1,
                                             n / std::max<int64_t>(grain, 1));
    if (chunks < 2) {
      region_mu_.Unlock();
      fn(0, n);
      return;
    }
    {
      absl::MutexLock l(&mu_);
      job_ = &fn;
      n_ = n;
      chunks_ = chunks;
      next_.store(0, std::memory_order_relaxed);
      done_ = 0;
      ++generation_;
    }
    in_region = true;
    const int64_t mine = RunChunks(fn);
    in_region = false;
    {
      absl::MutexLock l(&mu_);
      done_ += mine;
      const auto finished = [&] { return done_ == chunks_ && active_ == 0; };
      mu_.Await(absl::Condition(&finished));
      job_ = nullptr;
    }
    region_mu_.Unlock();
  }

  // Runs fn holding the pool, waiting for it if busy.
  void Exclusive(absl::FunctionRef<void()> fn) {
    if (in_region) {
      fn();
      return;
    }
    absl::MutexLock region(&region_mu_);
    in_region = true;
    fn();
    in_region = false;
  }

 private:
  // Takes chunks until none are left; returns how many it ran.
  int64_t RunChunks(absl::FunctionRef<void(int64_t, int64_t)> fn) {
    int64_t ran = 0;
    for (int64_t c = next_.fetch_add(1, std::memory_order_relaxed); c < chunks_;
         c = next_.fetch_add(1, std::memory_order_relaxed)) {
      fn(n_ * c / chunks_, n_ * (c + 1) / chunks_);
      ++ran;
    }
    return ran;
  }

  void Work(uint64_t seen) {
    in_region = true;
    while (true) {
      const absl::FunctionRef<void(int64_t, int64_t)>* job = nullptr;
      {
        absl::MutexLock l(&mu_);
        const auto wake = [&] { return stop_ || generation_ != seen; };
        mu_.Await(absl::Condition(&wake));
        if (stop_) return;
        seen = generation_;
        if (job_ == nullptr) continue;
        job = job_;
        ++active_;
      }
      const int64_t ran = RunChunks(*job);
      absl::MutexLock l(&mu_);
      done_ += ran;
      --active_;
    }
  }

  absl::Mutex region_mu_;  // held by the caller for a whole region
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};  // workers_.size() + 1, readable without region_mu_

  absl::Mutex mu_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  const absl::FunctionRef<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t n_ = 0;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_{0};
  int64_t done_ = 0;    // chunks finished
  int64_t active_ = 0;  // workers holding job_
};

Pool& GlobalPool() {
  static Pool* pool = new Pool(DefaultThreads());
  return *pool;
}

}  // namespace

int NumThreads() { return GlobalPool().threads(); }

void SetNumThreads(int threads) { GlobalPool().Resize(threads >= 1 ? threads : AvailableCores()); }

void ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  if (n < 2 * grain) {  // one chunk: skip the pool entirely
    fn(0, n);
    return;
  }
  GlobalPool().Run(n, grain, fn);
}

void RunExclusive(absl::FunctionRef<void()> fn) { GlobalPool().Exclusive(fn); }

}  // namespace tensord::device::cpu
