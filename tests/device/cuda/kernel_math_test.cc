// The pure pieces of the CUDA kernels, checked on the host (no GPU needed):
// the Philox generator against Random123's known-answer vectors, the magic
// number division, dim merging and reordering, the split into launch-sized
// pieces and the offset calculator against plain index arithmetic, and the
// cuBLAS layout decisions for row-major products.
#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "device/cuda/blas_layout.h"
#include "device/cuda/offset_calc.h"
#include "device/cuda/philox.h"
#include "gtest/gtest.h"

namespace tensord::device::cuda {
namespace {

// ---------------------------------------------------------------------------
// Philox4x32-10.

struct PhiloxVector {
  uint32_t ctr[4];
  uint32_t key[2];
  uint32_t expected[4];
};

// Random123's kat_vectors, philox4x32 with 10 rounds.
constexpr PhiloxVector kPhiloxVectors[] = {
    {{0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Philox, MatchesKnownAnswers) {
  for (const PhiloxVector& v : kPhiloxVectors) {
    const PhiloxBlock out =
        Philox4x32(PhiloxBlock{{v.ctr[0], v.ctr[1], v.ctr[2], v.ctr[3]}}, v.key[0], v.key[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], v.expected[i]) << "word " << i;
  }
}

TEST(Philox, ElementCounterAndSeedKey) {
  const uint64_t seed = 0x299f31d0a4093822ull;
  const uint64_t index = 0x85a308d3243f6a88ull;
  const PhiloxBlock direct =
      Philox4x32(PhiloxBlock{{0x243f6a88, 0x85a308d3, 0, 0}}, 0xa4093822, 0x299f31d0);
  const PhiloxBlock element = PhiloxForElement(seed, index);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(element.v[i], direct.v[i]);
  // Neighbouring elements and seeds draw different words.
  EXPECT_NE(PhiloxForElement(seed, index + 1).v[0], element.v[0]);
  EXPECT_NE(PhiloxForElement(seed + 1, index).v[0], element.v[0]);
}

TEST(Philox, UniformsCoverTheHalfOpenUnitInterval) {
  EXPECT_EQ(Uniform24(0), 0.0f);
  EXPECT_EQ(Uniform24(0xffffffffu), 1.0f - 0x1.0p-24f);
  EXPECT_EQ(Uniform24(0x80000000u), 0.5f);
  EXPECT_EQ(Uniform53(0, 0), 0.0);
  EXPECT_EQ(Uniform53(0xffffffffu, 0xffffffffu), 1.0 - 0x1.0p-53);
  EXPECT_EQ(Uniform53(0x80000000u, 0), 0.5);
  // The first words of consecutive elements look uniform: mean ~ 1/2.
  double sum = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) sum += Uniform24(PhiloxForElement(42, i).v[0]);
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
}

// ---------------------------------------------------------------------------
// IntDivider.

TEST(IntDivider, AgreesWithDivision) {
  std::mt19937 rng(7);
  std::vector<uint32_t> divisors = {
      1, 2, 3, 5, 7, 10, 12, 25, 255, 256, 257, 1000, 65535, 65536, 65537, 0x7fffffff, 0x80000000u};
  for (int i = 0; i < 200; ++i) divisors.push_back(1 + rng() % 0x80000000u);
  for (uint32_t d : divisors) {
    const IntDivider div(d);
    std::vector<uint32_t> ns = {0, 1, d - 1, d, d + 1, 2 * d - 1, 0x7fffffff, 0x7ffffffe};
    for (int i = 0; i < 200; ++i) ns.push_back(rng() % 0x80000000u);
    for (uint32_t n : ns) {
      if (n > 0x7fffffff) continue;
      ASSERT_EQ(div.Div(n), n / d) << n << " / " << d;
    }
  }
}

// ---------------------------------------------------------------------------
// CollapseDims, ForEachChunk, OffsetCalc.

DimLayout Collapse(std::vector<int64_t> shape, std::vector<std::vector<int64_t>> strides,
                   bool reorder) {
  std::vector<std::span<const int64_t>> spans(strides.begin(), strides.end());
  return CollapseDims(shape, spans, reorder);
}

TEST(CollapseDims, MergesContiguousDims) {
  const DimLayout l = Collapse({2, 3, 4}, {{12, 4, 1}, {12, 4, 1}}, true);
  EXPECT_EQ(l.sizes, (std::vector<int64_t>{24}));
  EXPECT_EQ(l.strides[0], (std::vector<int64_t>{1}));
  EXPECT_EQ(l.strides[1], (std::vector<int64_t>{1}));
}

TEST(CollapseDims, DropsSizeOneDims) {
  const DimLayout l = Collapse({1, 3, 1, 4}, {{99, 4, 7, 1}}, false);
  EXPECT_EQ(l.sizes, (std::vector<int64_t>{12}));
  EXPECT_EQ(l.strides[0], (std::vector<int64_t>{1}));
}

TEST(CollapseDims, ZeroDimAndEmpty) {
  const DimLayout scalar = Collapse({}, {{}, {}}, true);
  EXPECT_EQ(scalar.ndim(), 0);
  const DimLayout empty = Collapse({3, 0, 1}, {{1, 3, 3}}, true);
  int64_t numel = 1;
  for (int64_t s : empty.sizes) numel *= s;
  EXPECT_EQ(numel, 0);
}

TEST(CollapseDims, BroadcastInputsKeepTheirZeroStrides) {
  // out [4, 5] contiguous, a row vector expanded over rows, a scalar.
  const DimLayout l = Collapse({4, 5}, {{5, 1}, {0, 1}, {0, 0}}, true);
  ASSERT_EQ(l.ndim(), 2);
  EXPECT_EQ(l.strides[1], (std::vector<int64_t>{0, 1}));
  const DimLayout s = Collapse({4, 5}, {{5, 1}, {0, 0}}, true);
  ASSERT_EQ(s.ndim(), 1);
  EXPECT_EQ(s.strides[1], (std::vector<int64_t>{0}));
}

TEST(CollapseDims, ReordersIntoTheFirstOperandsMemoryOrder) {
  // out and in both transposed views of [4, 3] buffers: one contiguous run.
  const DimLayout l = Collapse({3, 4}, {{1, 3}, {1, 3}}, true);
  EXPECT_EQ(l.sizes, (std::vector<int64_t>{12}));
  EXPECT_EQ(l.strides[0], (std::vector<int64_t>{1}));
  // Without reordering, or when out is contiguous and in transposed, the
  // dims stay in place (out is written in order).
  EXPECT_EQ(Collapse({3, 4}, {{1, 3}, {1, 3}}, false).ndim(), 2);
  const DimLayout t = Collapse({3, 4}, {{4, 1}, {1, 3}}, true);
  EXPECT_EQ(t.strides[0], (std::vector<int64_t>{4, 1}));
}

// Element offsets of every operand in row-major order of `shape`.
std::vector<std::vector<int64_t>> NaiveOffsets(const std::vector<int64_t>& shape,
                                               const std::vector<std::vector<int64_t>>& strides) {
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  std::vector<std::vector<int64_t>> out(strides.size());
  for (int64_t i = 0; i < numel; ++i) {
    int64_t rest = i;
    std::vector<int64_t> off(strides.size(), 0);
    for (size_t d = shape.size(); d-- > 0;) {
      const int64_t idx = rest % shape[d];
      rest /= shape[d];
      for (size_t k = 0; k < strides.size(); ++k) off[k] += idx * strides[k][d];
    }
    for (size_t k = 0; k < strides.size(); ++k) out[k].push_back(off[k]);
  }
  return out;
}

// The offsets the kernels compute: pieces in order, then OffsetCalc.
std::vector<std::vector<int64_t>> PieceOffsets(const DimLayout& layout, int max_dims,
                                               int64_t max_numel) {
  std::vector<std::vector<int64_t>> out(layout.strides.size());
  const absl::Status s = ForEachChunk(
      layout,
      [&](const std::vector<int64_t>& base, const DimLayout& piece) {
        EXPECT_LE(piece.ndim(), max_dims);
        int64_t n = 1;
        for (int64_t size : piece.sizes) n *= size;
        EXPECT_LE(n, max_numel);
        const OffsetCalc<3> calc(piece);
        for (int64_t i = 0; i < n; ++i) {
          const Offsets<3> off = calc.Get(static_cast<uint32_t>(i));
          for (size_t k = 0; k < out.size(); ++k) out[k].push_back(base[k] + off.v[k]);
        }
        return absl::OkStatus();
      },
      max_dims, max_numel);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(OffsetCalc, MatchesIndexArithmeticOnRandomLayouts) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int ndim = static_cast<int>(rng() % 7);
    std::vector<int64_t> shape;
    for (int d = 0; d < ndim; ++d) shape.push_back(1 + rng() % 4);
    std::vector<std::vector<int64_t>> strides(3);
    for (int k = 0; k < 3; ++k) {
      // Contiguous, permuted, broadcast or arbitrary strides.
      const int kind = static_cast<int>(rng() % 4);
      int64_t run = 1;
      strides[k].assign(ndim, 0);
      for (int d = ndim; d-- > 0;) {
        if (kind == 0) {
          strides[k][d] = run;
          run *= shape[d];
        } else if (kind == 1) {
          strides[k][d] = rng() % 2 == 0 ? 0 : run;
          run *= shape[d];
        } else {
          strides[k][d] = rng() % 50;
        }
      }
    }
    const bool reorder = trial % 2 == 0;
    std::vector<std::span<const int64_t>> spans(strides.begin(), strides.end());
    const DimLayout layout = CollapseDims(shape, spans, reorder);
    // Reordering permutes the walk: compare as multisets then.
    auto expected = NaiveOffsets(shape, strides);
    for (int max_dims : {kMaxDims, 2, 1}) {
      for (int64_t max_numel : {kMaxChunkNumel, int64_t{7}, int64_t{1}}) {
        auto got = PieceOffsets(layout, max_dims, max_numel);
        if (reorder) {
          // Pair up the operands' offsets per element, then sort.
          auto zip = [](const std::vector<std::vector<int64_t>>& v) {
            std::vector<std::vector<int64_t>> z(v.empty() ? 0 : v[0].size());
            for (size_t i = 0; i < z.size(); ++i) {
              for (const auto& op : v) z[i].push_back(op[i]);
            }
            std::sort(z.begin(), z.end());
            return z;
          };
          ASSERT_EQ(zip(got), zip(expected)) << "trial " << trial;
        } else {
          ASSERT_EQ(got, expected)
              << "trial " << trial << " max_dims " << max_dims << " max_numel " << max_numel;
        }
      }
    }
  }
}

TEST(OffsetCalc, TwelveDims) {
  std::vector<int64_t> shape(kMaxDims, 2);
  std::vector<std::vector<int64_t>> strides(3, std::vector<int64_t>(kMaxDims));
  for (int d = 0; d < kMaxDims; ++d) {
    strides[0][d] = int64_t{1} << (kMaxDims - 1 - d);    // contiguous
    strides[1][d] = int64_t{3} << d;                     // reversed, spread
    strides[2][d] = d % 2 == 0 ? 0 : int64_t{1000} * d;  // broadcast in half the dims
  }
  std::vector<std::span<const int64_t>> spans(strides.begin(), strides.end());
  const DimLayout layout = CollapseDims(shape, spans, /*reorder=*/false);
  EXPECT_EQ(layout.ndim(), kMaxDims);
  EXPECT_EQ(PieceOffsets(layout, kMaxDims, kMaxChunkNumel), NaiveOffsets(shape, strides));
}

TEST(ForEachChunk, SplitsLargeContiguousRunsAtVectorAlignedOffsets) {
  DimLayout l;
  l.sizes = {3 * kMaxChunkNumel + 5};
  l.strides = {{1}, {2}};
  std::vector<int64_t> starts;
  int64_t total = 0;
  ASSERT_TRUE(ForEachChunk(l, [&](const std::vector<int64_t>& base, const DimLayout& piece) {
                starts.push_back(base[0]);
                EXPECT_EQ(base[1], 2 * base[0]);
                EXPECT_EQ(piece.ndim(), 1);
                total += piece.sizes[0];
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(total, l.sizes[0]);
  ASSERT_EQ(starts.size(), 4u);
  for (int64_t s : starts) EXPECT_EQ(s % 4096, 0);
}

TEST(ForEachChunk, ReturnsTheFirstError) {
  DimLayout l;
  l.sizes = {10, 10};
  l.strides = {{10, 1}};
  int calls = 0;
  const absl::Status s = ForEachChunk(
      l,
      [&](const std::vector<int64_t>&, const DimLayout&) {
        ++calls;
        return calls == 3 ? absl::InternalError("third") : absl::OkStatus();
      },
      kMaxDims, 10);
  EXPECT_EQ(s, absl::InternalError("third"));
  EXPECT_EQ(calls, 3);
}

// ---------------------------------------------------------------------------
// cuBLAS layouts.

// [batches, rows, cols] contiguous.
MatLayout Contiguous(int64_t rows, int64_t cols) { return {rows, cols, cols, 1, rows * cols}; }
// The transpose of a contiguous [cols, rows] buffer, seen as [rows, cols].
MatLayout TransposedView(int64_t rows, int64_t cols) { return {rows, cols, 1, rows, rows * cols}; }

TEST(PlanGemm, ContiguousRowMajorNeedsNoCopy) {
  const int64_t M = 3, K = 4, N = 5;
  const GemmPlan p = PlanGemm(Contiguous(M, K), Contiguous(K, N), Contiguous(M, N), 2);
  EXPECT_TRUE(p.out_row_major);
  EXPECT_FALSE(p.copy_a || p.copy_b || p.copy_out);
  // out^T = b^T a^T in column-major terms.
  EXPECT_EQ(p.m, N);
  EXPECT_EQ(p.n, M);
  EXPECT_EQ(p.k, K);
  EXPECT_EQ(p.x.op, BlasOp::kN);
  EXPECT_EQ(p.x.ld, N);
  EXPECT_EQ(p.y.op, BlasOp::kN);
  EXPECT_EQ(p.y.ld, K);
  EXPECT_EQ(p.ldc, N);
  EXPECT_EQ(p.stride_x, K * N);
  EXPECT_EQ(p.stride_y, M * K);
  EXPECT_EQ(p.stride_c, M * N);
}

TEST(PlanGemm, TransposedOperandsArePassedByFlag) {
  const int64_t M = 3, K = 4, N = 5;
  const GemmPlan p = PlanGemm(TransposedView(M, K), TransposedView(K, N), Contiguous(M, N), 1);
  EXPECT_FALSE(p.copy_a || p.copy_b || p.copy_out);
  EXPECT_EQ(p.x.op, BlasOp::kT);  // b^T of a transposed b is row-major: ld = K
  EXPECT_EQ(p.x.ld, K);
  EXPECT_EQ(p.y.op, BlasOp::kT);
  EXPECT_EQ(p.y.ld, M);
  EXPECT_EQ(p.stride_x, 0);  // one batch
  EXPECT_EQ(p.stride_y, 0);
  EXPECT_EQ(p.stride_c, 0);
}

TEST(PlanGemm, ColumnMajorOutComputesOutDirectly) {
  const int64_t M = 3, K = 4, N = 5;
  const GemmPlan p = PlanGemm(Contiguous(M, K), Contiguous(K, N), TransposedView(M, N), 1);
  EXPECT_FALSE(p.out_row_major);
  EXPECT_FALSE(p.copy_out);
  EXPECT_EQ(p.m, M);
  EXPECT_EQ(p.n, N);
  EXPECT_EQ(p.ldc, M);
  EXPECT_EQ(p.x.op, BlasOp::kT);  // a row-major
  EXPECT_EQ(p.x.ld, K);
  EXPECT_EQ(p.y.op, BlasOp::kT);
  EXPECT_EQ(p.y.ld, N);
}

TEST(PlanGemm, BroadcastBatchesKeepStrideZero) {
  const int64_t M = 3, K = 4, N = 5;
  MatLayout b = Contiguous(K, N);
  b.batch_stride = 0;
  const GemmPlan p = PlanGemm(Contiguous(M, K), b, Contiguous(M, N), 7);
  EXPECT_FALSE(p.copy_b);
  EXPECT_EQ(p.stride_x, 0);
  EXPECT_EQ(p.stride_y, M * K);
}

TEST(PlanGemm, UnreadableLayoutsAreCopied) {
  const int64_t M = 3, K = 4, N = 5;
  const MatLayout strided{M, K, 2 * K, 2, 2 * M * K};  // every other column
  const MatLayout expanded{K, N, 0, 1, K * N};         // one row repeated
  MatLayout shared_out = Contiguous(M, N);
  shared_out.batch_stride = 0;
  const GemmPlan p = PlanGemm(strided, expanded, shared_out, 2);
  EXPECT_TRUE(p.copy_a);
  EXPECT_TRUE(p.copy_b);
  EXPECT_TRUE(p.copy_out);
  EXPECT_EQ(p.stride_c, M * N);
  // Leading dimensions past int are copied too.
  const MatLayout huge{M, K, int64_t{1} << 32, 1, 0};
  EXPECT_TRUE(PlanGemm(huge, Contiguous(K, N), Contiguous(M, N), 1).copy_a);
}

TEST(PlanGemm, SizeOneDimsIgnoreTheirStrides) {
  // A row vector times a matrix: a is [1, K] with an arbitrary row stride,
  // out is [1, N] with one too.
  const int64_t K = 4, N = 5;
  const MatLayout a{1, K, 12345, 1, 0};
  const MatLayout out{1, N, 777, 1, 0};
  const GemmPlan p = PlanGemm(a, Contiguous(K, N), out, 1);
  EXPECT_FALSE(p.copy_a || p.copy_b || p.copy_out);
  EXPECT_GE(p.y.ld, K);
  EXPECT_GE(p.ldc, N);
  // A column vector with a non-unit stride is a column-major matrix.
  const MatLayout col{K, 1, 3, 999, 0};
  EXPECT_FALSE(PlanGemm(Contiguous(2, K), col, Contiguous(2, 1), 1).copy_b);
}

}  // namespace
}  // namespace tensord::device::cuda
