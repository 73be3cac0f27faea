// literal.h: Python nested-list literals parsed into shape, dtype and bytes,
// with the dtype torch.tensor infers (bool, int64, else float32), dtype
// overrides cast as torch.tensor(..., dtype=...) casts, nan/inf, and the
// errors for ragged, unterminated, malformed or oversized literals.
#include "device/literal.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "device/half.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The elements of a parsed literal read back as T.
template <typename T>
std::vector<T> Elements(const ParsedLiteral& p) {
  EXPECT_EQ(p.bytes.size() % sizeof(T), 0u);
  std::vector<T> out(p.bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), p.bytes.data(), p.bytes.size());
  return out;
}

ParsedLiteral Parse(const char* text, std::optional<DType> dtype = std::nullopt) {
  absl::StatusOr<ParsedLiteral> p = ParseLiteral(text, dtype);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status();
  return p.ok() ? *std::move(p) : ParsedLiteral{};
}

// Expected dtypes and shapes: torch.tensor(eval(text)) with Debian's torch 1.13.
TEST(LiteralTest, InfersDTypeAndShapeLikeTorchTensor) {
  {
    ParsedLiteral p = Parse("[5.5, 3]");
    EXPECT_EQ(p.dtype, DType::kFloat32);
    EXPECT_EQ(p.shape, (Shape{2}));
    EXPECT_THAT(Elements<float>(p), ElementsAre(5.5f, 3.0f));
  }
  {
    ParsedLiteral p = Parse("[[1, 2], [3, 4]]");
    EXPECT_EQ(p.dtype, DType::kInt64);
    EXPECT_EQ(p.shape, (Shape{2, 2}));
    EXPECT_THAT(Elements<int64_t>(p), ElementsAre(1, 2, 3, 4));
  }
  {
    ParsedLiteral p = Parse("[True, False]");
    EXPECT_EQ(p.dtype, DType::kBool);
    EXPECT_EQ(p.shape, (Shape{2}));
    EXPECT_THAT(Elements<uint8_t>(p), ElementsAre(1, 0));
  }
  {
    ParsedLiteral p = Parse("3");
    EXPECT_EQ(p.dtype, DType::kInt64);
    EXPECT_EQ(p.shape, (Shape{}));
    EXPECT_THAT(Elements<int64_t>(p), ElementsAre(3));
  }
  {
    ParsedLiteral p = Parse("True");
    EXPECT_EQ(p.dtype, DType::kBool);
    EXPECT_EQ(p.shape, (Shape{}));
  }
  {
    ParsedLiteral p = Parse("-1e-3");
    EXPECT_EQ(p.dtype, DType::kFloat32);
    EXPECT_EQ(p.shape, (Shape{}));
    EXPECT_THAT(Elements<float>(p), ElementsAre(-1e-3f));
  }
  {
    // torch.tensor([True, 2]) is int64, torch.tensor([True, 2.5]) float32.
    ParsedLiteral p = Parse("[True, 2]");
    EXPECT_EQ(p.dtype, DType::kInt64);
    EXPECT_THAT(Elements<int64_t>(p), ElementsAre(1, 2));
    ParsedLiteral q = Parse("[True, 2.5]");
    EXPECT_EQ(q.dtype, DType::kFloat32);
    EXPECT_THAT(Elements<float>(q), ElementsAre(1.0f, 2.5f));
  }
  {
    // Tuples are sequences too: torch.tensor((1, 2)).
    ParsedLiteral p = Parse("(1, 2)");
    EXPECT_EQ(p.dtype, DType::kInt64);
    EXPECT_EQ(p.shape, (Shape{2}));
  }
}

TEST(LiteralTest, EmptyLists) {
  ParsedLiteral a = Parse("[]");
  EXPECT_EQ(a.dtype, DType::kFloat32);
  EXPECT_EQ(a.shape, (Shape{0}));
  EXPECT_TRUE(a.bytes.empty());
  ParsedLiteral b = Parse("[[], []]");
  EXPECT_EQ(b.dtype, DType::kFloat32);
  EXPECT_EQ(b.shape, (Shape{2, 0}));
  EXPECT_TRUE(b.bytes.empty());
  ParsedLiteral c = Parse("[[[]]]");
  EXPECT_EQ(c.shape, (Shape{1, 1, 0}));
  // An empty literal takes a requested dtype.
  ParsedLiteral d = Parse("[]", DType::kInt64);
  EXPECT_EQ(d.dtype, DType::kInt64);
  EXPECT_EQ(d.shape, (Shape{0}));
}

TEST(LiteralTest, ExponentsAndWhitespace) {
  ParsedLiteral p = Parse("  [ 1e-3 ,\n -2 ]  ");
  EXPECT_EQ(p.dtype, DType::kFloat32);
  EXPECT_EQ(p.shape, (Shape{2}));
  // torch.tensor([1e-3, -2]).tolist() == [0.0010000000474974513, -2.0]
  EXPECT_THAT(Elements<float>(p), ElementsAre(1e-3f, -2.0f));
  ParsedLiteral q = Parse("[1E2, 2.]");
  EXPECT_EQ(q.dtype, DType::kFloat32);
  EXPECT_THAT(Elements<float>(q), ElementsAre(100.0f, 2.0f));
  // Python accepts a trailing comma.
  ParsedLiteral r = Parse("[1, 2,]");
  EXPECT_EQ(r.shape, (Shape{2}));
}

TEST(LiteralTest, NanAndInf) {
  ParsedLiteral p = Parse("[nan, inf, -inf]");
  EXPECT_EQ(p.dtype, DType::kFloat32);
  EXPECT_EQ(p.shape, (Shape{3}));
  const std::vector<float> v = Elements<float>(p);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[2], -std::numeric_limits<float>::infinity());
  ParsedLiteral d = Parse("[nan, -inf]", DType::kFloat64);
  const std::vector<double> w = Elements<double>(d);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_TRUE(std::isnan(w[0]));
  EXPECT_EQ(w[1], -std::numeric_limits<double>::infinity());
  // bool(nan) is True: torch.tensor([nan, 0.], dtype=torch.bool)
  EXPECT_THAT(Elements<uint8_t>(Parse("[nan, 0.0]", DType::kBool)), ElementsAre(1, 0));
}

TEST(LiteralTest, OutOfRangeFloatsSaturate) {
  // torch.tensor([1e400, -1e400, 1e-400]) == [inf, -inf, 0.]
  ParsedLiteral p = Parse("[1e400, -1e400, 1e-400]");
  EXPECT_EQ(p.dtype, DType::kFloat32);
  EXPECT_THAT(Elements<float>(p), ElementsAre(std::numeric_limits<float>::infinity(),
                                              -std::numeric_limits<float>::infinity(), 0.0f));
}

TEST(LiteralTest, DTypeOverride) {
  // torch.tensor(0.1, dtype=torch.float64).item() == 0.1 exactly (no float32
  // rounding on the way).
  ParsedLiteral a = Parse("[0.1, 2]", DType::kFloat64);
  EXPECT_EQ(a.dtype, DType::kFloat64);
  EXPECT_THAT(Elements<double>(a), ElementsAre(0.1, 2.0));
  // torch.tensor([2**53 + 1], dtype=torch.float64) rounds to 2**53, while the
  // inferred int64 keeps it exact.
  EXPECT_THAT(Elements<double>(Parse("[9007199254740993]", DType::kFloat64)),
              ElementsAre(9007199254740992.0));
  EXPECT_THAT(Elements<int64_t>(Parse("[9007199254740993]")), ElementsAre(9007199254740993));
  // torch.tensor([1.7, -1.7, 2.5, -0.5], dtype=torch.long) == [1, -1, 2, 0]
  ParsedLiteral b = Parse("[1.7, -1.7, 2.5, -0.5]", DType::kInt64);
  EXPECT_EQ(b.dtype, DType::kInt64);
  EXPECT_THAT(Elements<int64_t>(b), ElementsAre(1, -1, 2, 0));
  // torch.tensor([1.7, -1.7], dtype=torch.int32) == [1, -1]
  EXPECT_THAT(Elements<int32_t>(Parse("[1.7, -1.7]", DType::kInt32)), ElementsAre(1, -1));
  // torch.tensor([0.0, 0.5, -2.0], dtype=torch.bool) == [False, True, True]
  EXPECT_THAT(Elements<uint8_t>(Parse("[0.0, 0.5, -2.0]", DType::kBool)), ElementsAre(0, 1, 1));
  // torch.tensor([True, False], dtype=torch.float32) == [1., 0.]
  EXPECT_THAT(Elements<float>(Parse("[True, False]", DType::kFloat32)), ElementsAre(1.0f, 0.0f));
  EXPECT_THAT(Elements<int64_t>(Parse("[True, False]", DType::kInt64)), ElementsAre(1, 0));
}

TEST(LiteralTest, HalfOverrideRoundsLikeTorch) {
  // torch.tensor([1 + 2**-11 + 2**-40], dtype=torch.float16).view(torch.int16)
  // == 15360 (0x3c00): the Python float goes through float32 first.
  ParsedLiteral p = Parse("[1.00048828125000090949470177292823791503906250, 65520.0, -2]",
                          DType::kFloat16);
  EXPECT_EQ(p.dtype, DType::kFloat16);
  ASSERT_EQ(p.bytes.size(), 6u);
  const std::vector<uint16_t> bits = Elements<uint16_t>(p);
  EXPECT_THAT(bits, ElementsAre(0x3c00, 0x7c00, 0xc000));
  // torch.tensor([3.140625], dtype=torch.bfloat16).view(torch.int16) == 0x4049
  EXPECT_THAT(Elements<uint16_t>(Parse("[3.140625]", DType::kBFloat16)), ElementsAre(0x4049));
}

TEST(LiteralTest, Errors) {
  struct {
    const char* text;
    const char* msg;
  } cases[] = {
      // torch.tensor([1, [2]]) fails: a number and a list at one depth.
      {"[1, [2]]", "lists are not rectangular"},
      {"[[1], 2]", "lists are not rectangular"},
      {"[[], 1]", "lists are not rectangular"},
      // torch: "expected sequence of length 2 at dim 1 (got 1)"
      {"[[1, 2], [3]]", "expected a sequence of length 2 at dim 1 (got 1)"},
      {"[[], [1]]", "expected a sequence of length 0 at dim 1 (got 1)"},
      {"[1, 2", "missing closing bracket"},
      {"[", "missing closing bracket"},
      {"[1 2]", "expected ',' or a closing bracket"},
      {"[1, 2)", "expected ',' or a closing bracket"},
      {"[a]", "'a' is not a number"},
      {"[1.2.3]", "'1.2.3' is not a number"},
      {"", "expected a number"},
      {"[,]", "expected a number"},
      {"[1]]", "unexpected text after the literal"},
      {"1 2", "unexpected text after the literal"},
      {"[99999999999999999999]", "is not a number"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ParsedLiteral> p = ParseLiteral(c.text);
    ASSERT_FALSE(p.ok()) << "'" << c.text << "'";
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.msg)) << c.text;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("malformed tensor literal"));
  }
}

TEST(LiteralTest, TooDeep) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  absl::StatusOr<ParsedLiteral> p = ParseLiteral(deep);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("nest too deeply"));
}

TEST(LiteralTest, MaxElements) {
  absl::StatusOr<ParsedLiteral> ok = ParseLiteral("[[1, 2], [3, 4]]", std::nullopt, 4);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->shape, (Shape{2, 2}));
  absl::StatusOr<ParsedLiteral> p = ParseLiteral("[[1, 2], [3, 4], [5, 6]]", std::nullopt, 4);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("more than 4 elements"));
  // Empty lists hold no elements, so they pass any limit.
  absl::StatusOr<ParsedLiteral> e = ParseLiteral("[[], [], []]", std::nullopt, 0);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->shape, (Shape{3, 0}));
  EXPECT_FALSE(ParseLiteral("7", std::nullopt, 0).ok());
}

}  // namespace
}  // namespace tensord::device
