// Tests of the strided loop: a walk over any sub-range of elements visits
// exactly the elements the whole walk visits there, in the same order, and
// Map gives the same result on one thread and on several.
#include "device/cpu/strided_loop.h"

#include <cstdint>
#include <numeric>
#include <vector>

#include "device/cpu/parallel.h"
#include "gtest/gtest.h"

namespace tensord::device::cpu {
namespace {

// Element offsets (in elements) of a view's elements, in walk order.
std::vector<int64_t> Walk(const HostView& v, int64_t begin, int64_t end) {
  const RowPlan<1> plan = PlanRows<1>(v.shape, {&v});
  std::vector<int64_t> seen;
  WalkRows<1>(plan, begin, end, [&](const RowPtrs<1>& p, const RowSteps<1>& s, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
      seen.push_back((p[0] + j * s[0] - v.data) / static_cast<int64_t>(sizeof(float)));
    }
  });
  return seen;
}

// Row-major element offsets computed directly from shape and strides.
std::vector<int64_t> RowMajor(const Shape& shape, const Strides& strides) {
  std::vector<int64_t> out;
  const int64_t numel = Numel(shape);
  for (int64_t i = 0; i < numel; ++i) {
    int64_t rem = i, off = 0;
    for (size_t d = shape.size(); d-- > 0;) {
      off += (rem % shape[d]) * strides[d];
      rem /= shape[d];
    }
    out.push_back(off);
  }
  return out;
}

TEST(StridedLoop, AnySubRangeMatchesTheWholeWalk) {
  std::vector<float> storage(4096);
  struct Layout {
    Shape shape;
    Strides strides;
  };
  const Layout layouts[] = {
      {{4, 5, 6}, {30, 6, 1}},   // contiguous: one row
      {{4, 5, 6}, {1, 4, 20}},   // fully transposed
      {{3, 1, 7}, {7, 7, 1}},    // a size-1 dim
      {{2, 3, 4}, {24, 8, 2}},   // every other element
      {{5, 4}, {0, 1}},          // broadcast outer dim
      {{3, 4, 5}, {40, 10, 1}},  // gaps between rows (a narrowed view)
      {{}, {}},                  // a scalar
  };
  for (const Layout& l : layouts) {
    const HostView v{reinterpret_cast<char*>(storage.data()), l.shape, l.strides, DType::kFloat32};
    const std::vector<int64_t> want = RowMajor(l.shape, l.strides);
    const int64_t numel = static_cast<int64_t>(want.size());
    ASSERT_EQ(Walk(v, 0, numel), want);
    for (int64_t b = 0; b <= numel; ++b) {
      for (int64_t e = b; e <= numel; e += 7) {
        const std::vector<int64_t> part(want.begin() + b, want.begin() + e);
        ASSERT_EQ(Walk(v, b, e), part) << "range " << b << ".." << e;
      }
    }
  }
}

TEST(StridedLoop, ParallelMapMatchesOneThread) {
  const int saved = NumThreads();
  // A transposed input and a broadcast one, big enough to be split.
  const int64_t rows = 700, cols = 300;
  std::vector<float> a(rows * cols), b(cols);
  std::iota(a.begin(), a.end(), 0.0f);
  std::iota(b.begin(), b.end(), 0.5f);
  const Shape shape = {cols, rows};
  const Strides a_t = {1, cols};  // a viewed transposed
  const Strides b_bcast = {1, 0};
  const Strides out_strides = {rows, 1};
  std::vector<float> one(rows * cols), many(rows * cols);
  for (auto [threads, out] : {std::pair{1, &one}, std::pair{4, &many}}) {
    SetNumThreads(threads);
    const HostView va{reinterpret_cast<char*>(a.data()), shape, a_t, DType::kFloat32};
    const HostView vb{reinterpret_cast<char*>(b.data()), shape, b_bcast, DType::kFloat32};
    const HostView vo{reinterpret_cast<char*>(out->data()), shape, out_strides, DType::kFloat32};
    Map<float, float, float>([](float x, float y) { return x * 2 + y; }, vo, va, vb);
  }
  SetNumThreads(saved);
  EXPECT_EQ(one, many);
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_EQ(many[c * rows + r], a[r * cols + c] * 2 + b[c]) << c << " " << r;
    }
  }
}

}  // namespace
}  // namespace tensord::device::cpu
