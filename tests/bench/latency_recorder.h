// Per-iteration wall-clock times of a benchmark loop, exported as counters:
// median_us (the figure the comparisons use: robust to the bursts of load a
// shared machine adds) and p90_us.
#ifndef TENSORD_TESTS_BENCH_LATENCY_RECORDER_H_
#define TENSORD_TESTS_BENCH_LATENCY_RECORDER_H_

#include <algorithm>
#include <chrono>
#include <vector>

#include "benchmark/benchmark.h"

namespace tensord::bench {

class LatencyRecorder {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LatencyRecorder(const benchmark::State& state) {
    us_.reserve(static_cast<size_t>(state.max_iterations));
  }

  void Start() { start_ = Clock::now(); }
  void Stop() {
    us_.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start_).count());
  }

  void Export(benchmark::State& state) {
    if (us_.empty()) return;
    state.counters["median_us"] = Quantile(0.5);
    state.counters["p90_us"] = Quantile(0.9);
  }

 private:
  double Quantile(double q) {
    const size_t i =
        std::min(us_.size() - 1, static_cast<size_t>(q * static_cast<double>(us_.size())));
    std::nth_element(us_.begin(), us_.begin() + static_cast<std::ptrdiff_t>(i), us_.end());
    return us_[i];
  }

  Clock::time_point start_;
  std::vector<double> us_;
};

}  // namespace tensord::bench

#endif  // TENSORD_TESTS_BENCH_LATENCY_RECORDER_H_
