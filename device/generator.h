// A seeded random number generator; each session owns one (manual_seed).
#ifndef TENSORD_DEVICE_GENERATOR_H_
#define TENSORD_DEVICE_GENERATOR_H_

#include <cstdint>
#include <random>

namespace tensord::device {

class Generator {
 public:
  explicit Generator(uint64_t seed = kDefaultSeed) : engine_(seed), seed_(seed) {}
  void ManualSeed(uint64_t seed) {
    engine_.seed(seed);
    seed_ = seed;
  }
  uint64_t initial_seed() const { return seed_; }
  uint64_t Next() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, 1) with 24 random bits, exact in float.
  float NextFloat() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }

  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // PyTorch's default seed

 private:
  std::mt19937_64 engine_;
  uint64_t seed_;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_GENERATOR_H_
