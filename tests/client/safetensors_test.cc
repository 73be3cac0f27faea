// Tests for the safetensors codec: round trips of every dtype, the exact
// bytes the writer produces, hand-made files laid out as the specification
// allows, and the reference implementation's validation of malformed ones.
#include "client/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/raw_tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/file_bytes.h"

namespace tensord::client {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string TempPath(absl::string_view name) {
  return ::testing::TempDir() + "/safetensors_test_" + std::string(name);
}

using testing::Bytes;
using testing::ReadBytes;
using testing::WriteBytes;

RawTensor Make(std::vector<int64_t> shape, std::string dtype, std::string data) {
  return RawTensor{std::move(shape), std::move(dtype), std::move(data)};
}

// A file as the specification lays it out: the header size as 8
// little-endian bytes, the JSON header, the data buffer.
std::string File(absl::string_view json, absl::string_view buffer) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(uint64_t{json.size()} >> (8 * i)));
  absl::StrAppend(&out, json, buffer);
  return out;
}

void ExpectSame(const NamedTensors& a, const NamedTensors& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    SCOPED_TRACE(a.tensors[i].first);
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_EQ(a.tensors[i].second.shape, b.tensors[i].second.shape);
    EXPECT_EQ(a.tensors[i].second.dtype, b.tensors[i].second.dtype);
    EXPECT_EQ(a.tensors[i].second.data, b.tensors[i].second.data);
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

// Reads `bytes` from a file and from memory; both must fail alike.
absl::Status ReadError(absl::string_view name, absl::string_view bytes) {
  return testing::ReadErrorBothWays(
      TempPath(name), bytes, [](const std::string& p) { return ReadSafetensors(p); },
      [](absl::string_view b) { return ParseSafetensors(b); });
}

NamedTensors EveryDtype() {
  NamedTensors t;
  t.tensors = {
      {"f32", Make({2, 3}, "float32", Bytes<float>({0.5f, -1.25f, 3e38f, -0.0f, 1e-40f, 7}))},
      {"f64", Make({3}, "float64", Bytes<double>({0.1, -2.5, 5e-324}))},
      {"f16", Make({2}, "float16", Bytes<uint16_t>({0x3c00, 0x7e00}))},
      {"bf16", Make({2, 1}, "bfloat16", Bytes<uint16_t>({0x3f80, 0xc000}))},
      {"i64", Make({}, "int64", Bytes<int64_t>({INT64_MIN}))},
      {"i32", Make({4}, "int32", Bytes<int32_t>({INT32_MAX, -1, 0, 5}))},
      {"mask", Make({3}, "bool", std::string("\x01\x00\x01", 3))},
      {"empty", Make({0, 4}, "float32", "")},
  };
  t.metadata = {{"format", "pt"}, {"note", "\"quoted\" and ünïcode"}};
  return t;
}

NamedTensors SortedByName(NamedTensors t) {
  std::sort(t.tensors.begin(), t.tensors.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return t;
}

TEST(SafetensorsTest, EveryDtypeRoundTripsThroughAFile) {
  const NamedTensors t = EveryDtype();
  const std::string path = TempPath("every_dtype.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, t).ok());
  absl::StatusOr<NamedTensors> back = ReadSafetensors(path);
  ASSERT_TRUE(back.ok()) << back.status();
  // Read back in data order, which the writer made the name order.
  ExpectSame(*back, SortedByName(t));

  absl::StatusOr<NamedTensors> parsed = ParseSafetensors(ReadBytes(path));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSame(*parsed, *back);
}

TEST(SafetensorsTest, WriterOutputIsExactAndDeterministic) {
  NamedTensors t;
  t.tensors = {{"b", Make({2}, "int32", Bytes<int32_t>({3, 4}))},
               {"a", Make({1, 2}, "float32", Bytes<float>({1, 2}))},
               {"z", Make({0}, "bool", "")}};
  t.metadata = {{"format", "pt"}};
  absl::StatusOr<std::string> bytes = EncodeSafetensors(t);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"z\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[16,16]}}";
  json.append((8 - json.size() % 8) % 8, ' ');
  EXPECT_EQ(*bytes, File(json, Bytes<float>({1, 2}) + Bytes<int32_t>({3, 4})));

  std::swap(t.tensors[0], t.tensors[2]);
  absl::StatusOr<std::string> again = EncodeSafetensors(t);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);

  absl::StatusOr<std::string> nothing = EncodeSafetensors(NamedTensors{});
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, File("{}      ", ""));
  absl::StatusOr<NamedTensors> back = ParseSafetensors(*nothing);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->tensors.empty());
}

TEST(SafetensorsTest, ReadsHeadersLaidOutAnyWay) {
  // Whitespace, fields and tensors in any order, a header order unlike the
  // data order, zero-size tensors between others, no metadata.
  const std::string json = R"( {
    "second": {"shape": [2], "data_offsets": [8, 16], "dtype": "I32"},
    "nothing": {"dtype": "F64", "shape": [3, 0], "data_offsets": [8, 8]},
    "first": {"data_offsets": [0, 8], "dtype": "F32", "shape": [2]}
  }   )";
  absl::StatusOr<NamedTensors> t =
      ParseSafetensors(File("{" + json.substr(2), Bytes<float>({1, 2}) + Bytes<int32_t>({3, 4})));
  ASSERT_TRUE(t.ok()) << t.status();
  NamedTensors want;
  want.tensors = {{"first", Make({2}, "float32", Bytes<float>({1, 2}))},
                  {"nothing", Make({3, 0}, "float64", "")},
                  {"second", Make({2}, "int32", Bytes<int32_t>({3, 4}))}};
  ExpectSame(*t, want);

  t = ParseSafetensors(File(R"({"__metadata__": null})", ""));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->metadata.empty());
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  const std::string path = TempPath("does_not_exist.safetensors");
  absl::StatusOr<NamedTensors> t = ReadSafetensors(path);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(path));
}

TEST(SafetensorsTest, MalformedFilesAreRefusedWithTheReason) {
  const std::string four = Bytes<float>({1});
  auto one = [](absl::string_view entry) { return "{\"t\":" + std::string(entry) + "}"; };
  std::string huge(8, '\0');
  huge[0] = '\x01';
  huge[4] = '\x01';  // 2^32 + 1
  struct Case {
    std::string name;
    std::string bytes;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"empty", "", {"truncated", "too short"}},
      {"seven_bytes", std::string("\x02\0\0\0\0\0\0", 7), {"truncated"}},
      {"huge_header", huge + "{}", {"4294967297", "100000000"}},
      {"header_beyond_file", File("{}", "").substr(0, 9), {"truncated", "needs 2 bytes"}},
      {"not_object_start", File(" {}", ""), {"does not start with '{'"}},
      {"array", File("[]", ""), {"does not start with '{'"}},
      {"bad_json", File("{\"t\":", ""), {"not valid JSON"}},
      {"deep_nesting",
       File("{\"t\":" + std::string(100000, '[') + "}", ""),
       {"more than 16 levels"}},
      {"trailing_garbage", File("{} x", ""), {"not valid JSON"}},
      {"bad_utf8", File("{\"\xff\":1}", ""), {"not valid JSON"}},
      {"duplicate_tensor",
       File(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
            R"("t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            four + four),
       {"'t' more than once"}},
      {"duplicate_field",
       File(one(R"({"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]})"), four),
       {"'dtype' more than once"}},
      {"duplicate_metadata",
       File(R"({"__metadata__":{"k":"a","k":"b"}})", ""),
       {"'k' more than once"}},
      {"empty_name",
       File(R"({"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", four),
       {"empty name"}},
      {"entry_not_object", File(one("[1]"), ""), {"not an object"}},
      {"missing_dtype",
       File(one(R"({"shape":[1],"data_offsets":[0,4]})"), four),
       {"tensor 't' has no 'dtype'"}},
      {"missing_offsets", File(one(R"({"dtype":"F32","shape":[1]})"), four), {"no 'data_offsets'"}},
      {"extra_field",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":0})"), four),
       {"unexpected field 'x'"}},
      {"uint8",
       File(one(R"({"dtype":"U8","shape":[4],"data_offsets":[0,4]})"), four),
       {"unsupported dtype 'U8'", "F32, F64, F16, BF16, I64, I32 and BOOL"}},
      {"fp8",
       File(one(R"({"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]})"), four),
       {"'F8_E4M3'", "supported"}},
      {"lowercase_dtype",
       File(one(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})"), four),
       {"unsupported dtype 'f32'"}},
      {"dtype_number",
       File(one(R"({"dtype":1,"shape":[1],"data_offsets":[0,4]})"), four),
       {"'dtype' must be a string"}},
      {"negative_dim",
       File(one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), four),
       {"non-negative integers"}},
      {"float_dim",
       File(one(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})"), four),
       {"non-negative integers"}},
      {"dim_too_big",
       File(one(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]})"), four),
       {"64-bit range"}},
      {"shape_not_array",
       File(one(R"({"dtype":"F32","shape":4,"data_offsets":[0,4]})"), four),
       {"'shape' must be an array"}},
      {"product_overflow",
       File(one(R"({"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,4]})"), four),
       {"64-bit size"}},
      {"three_offsets",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"), four),
       {"[begin, end]"}},
      {"negative_offset",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})"), four),
       {"non-negative"}},
      {"end_before_begin",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), four),
       {"ends (0) before it begins (4)"}},
      {"size_mismatch",
       File(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), four),
       {"needs 8 bytes", "span 4"}},
      {"gap",
       File(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
            four + four + four),
       {"'b' begins at 8", "ends at 4", "gap"}},
      {"overlap",
       File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            four + four),
       {"overlap"}},
      {"not_from_zero",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), four + four),
       {"begins at 4"}},
      {"trailing_bytes",
       File(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), four + "x"),
       {"holds 5 bytes", "only 4"}},
      {"buffer_short",
       File(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), four),
       {"truncated", "need 8 bytes", "holds 4"}},
      {"metadata_not_object", File(R"({"__metadata__":["a"]})", ""), {"object of strings"}},
      {"metadata_number",
       File(R"({"__metadata__":{"epoch":3}})", ""),
       {"entry 'epoch' must be a string"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status s = ReadError(c.name + ".safetensors", c.bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    for (const std::string& fragment : c.fragments) {
      EXPECT_THAT(std::string(s.message()), HasSubstr(fragment));
    }
  }
}

TEST(SafetensorsTest, OffsetsBeyond4GiBNeedNoData) {
  // 4 GiB of float32 then 8 GiB of int64, checked from the header alone.
  const std::string json =
      R"({"a":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]},)"
      R"("b":{"dtype":"I64","shape":[536870912,2],"data_offsets":[4294967296,12884901888]}})";
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(json, uint64_t{12} << 30);
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->entries.size(), 2u);
  EXPECT_EQ(h->entries[1].name, "b");
  EXPECT_EQ(h->entries[1].begin, uint64_t{4} << 30);
  EXPECT_EQ(h->entries[1].end, uint64_t{12} << 30);
  EXPECT_EQ(h->entries[1].shape, (std::vector<int64_t>{536870912, 2}));

  absl::StatusOr<SafetensorsHeader> short_buffer =
      ParseSafetensorsHeader(json, (uint64_t{12} << 30) - 1);
  EXPECT_THAT(std::string(short_buffer.status().message()),
              AllOf(HasSubstr("12884901888"), HasSubstr("12884901887")));

  // A file that only claims that much data fails before allocating it.
  absl::Status s = ReadError("big.safetensors", File(json, "tiny"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("truncated"), HasSubstr("12884901888")));
}

TEST(SafetensorsTest, UnwritableTensorsAreRefused) {
  const std::string path = TempPath("refused.safetensors");
  struct Case {
    std::vector<std::pair<std::string, RawTensor>> tensors;
    std::string fragment;
  };
  const RawTensor ok = Make({1}, "float32", Bytes<float>({1}));
  const std::vector<Case> cases = {
      {{{"", ok}}, "empty name"},
      {{{"a", ok}, {"a", ok}}, "two tensors are named 'a'"},
      {{{"__metadata__", ok}}, "reserves"},
      {{{"bad\xff", ok}}, "not valid UTF-8"},
      {{{"a", Make({2}, "float32", "1234")}}, "needs 8 bytes"},
      {{{"a", Make({1}, "uint8", "x")}}, "unknown dtype 'uint8'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fragment);
    absl::Status s = WriteSafetensors(path, NamedTensors{c.tensors, {}});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), AllOf(StartsWith(path + ": "), HasSubstr(c.fragment)));
    EXPECT_FALSE(std::ifstream(path).good());
  }
  NamedTensors bad_metadata;
  bad_metadata.metadata = {{"k", "\xc3"}};
  EXPECT_THAT(std::string(EncodeSafetensors(bad_metadata).status().message()),
              HasSubstr("not valid UTF-8"));
}

TEST(SafetensorsTest, UnwritablePathReportsTheErrno) {
  const std::string path = TempPath("no_such_dir/x.safetensors");
  absl::Status s = WriteSafetensors(path, EveryDtype());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
}

}  // namespace
}  // namespace tensord::client
