// Tests for the .npy codec: round trips of every dtype and shape kind,
// hand-made files in the other layouts numpy.save can produce (big-endian,
// Fortran order, versions 2.0 and 3.0), and malformed input.
#include "client/npy.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
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
  return ::testing::TempDir() + "/npy_test_" + std::string(name);
}

using testing::Bytes;
using testing::ReadBytes;
using testing::WriteBytes;

// Each element's bytes reversed: the big-endian form of little-endian data.
std::string Swapped(std::string data, size_t element_size) {
  for (size_t i = 0; i < data.size(); i += element_size) {
    std::reverse(data.begin() + i, data.begin() + i + element_size);
  }
  return data;
}

RawTensor Make(std::vector<int64_t> shape, std::string dtype, std::string data) {
  return RawTensor{std::move(shape), std::move(dtype), std::move(data)};
}

// A .npy file as the format specification lays it out: magic, version,
// header length (16 bits for 1.0, 32 for 2.0 and 3.0) and the dict padded
// so that the data starts at a multiple of `align`.
std::string NpyFile(absl::string_view dict, absl::string_view data, int major = 1,
                    size_t align = 64) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header(dict);
  while ((prefix + header.size() + 1) % align != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<char>(header.size() >> (8 * i)));
  absl::StrAppend(&out, header, data);
  return out;
}

std::string Dict(absl::string_view descr, absl::string_view shape, bool fortran = false) {
  return "{'descr': '" + std::string(descr) +
         "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + std::string(shape) + ", }";
}

void ExpectSame(const RawTensor& a, const RawTensor& b) {
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.data, b.data);
}

// Reads `bytes` from a file and from memory; both must fail alike.
absl::Status ReadError(absl::string_view name, absl::string_view bytes) {
  return testing::ReadErrorBothWays(
      TempPath(name), bytes, [](const std::string& p) { return ReadNpy(p); },
      [](absl::string_view b) { return ParseNpy(b); });
}

struct DtypeCase {
  std::string dtype;
  std::string data;  // six elements
  std::string descr;
};

std::vector<DtypeCase> AllDtypes() {
  return {
      {"float32", Bytes<float>({0.5f, -1.25f, 3e38f, -0.0f, 1e-40f, 7.0f}), "<f4"},
      {"float64", Bytes<double>({0.1, -2.5, 1e308, -0.0, 5e-324, 7.0}), "<f8"},
      {"float16", Bytes<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x8000, 0x0001, 0x7e00}), "<f2"},
      {"int64", Bytes<int64_t>({0, -1, INT64_MAX, INT64_MIN, 42, 7}), "<i8"},
      {"int32", Bytes<int32_t>({0, -1, INT32_MAX, INT32_MIN, 42, 7}), "<i4"},
      {"bool", std::string("\x01\x00\x01\x01\x00\x00", 6), "|b1"},
  };
}

TEST(NpyTest, EveryDtypeRoundTripsThroughAFile) {
  for (const DtypeCase& c : AllDtypes()) {
    SCOPED_TRACE(c.dtype);
    const RawTensor t = Make({2, 3}, c.dtype, c.data);
    const std::string path = TempPath("dtype_" + c.dtype + ".npy");
    ASSERT_TRUE(WriteNpy(path, t).ok());
    const std::string file = ReadBytes(path);
    EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    EXPECT_THAT(
        file, HasSubstr("{'descr': '" + c.descr + "', 'fortran_order': False, 'shape': (2, 3), }"));
    EXPECT_EQ((file.size() - c.data.size()) % 64, 0u);
    EXPECT_EQ(file.substr(file.size() - c.data.size()), c.data);
    absl::StatusOr<RawTensor> back = ReadNpy(path);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSame(*back, t);
  }
}

TEST(NpyTest, ShapesOfEveryRankAndZeroSizeRoundTrip) {
  const std::vector<RawTensor> cases = {
      Make({}, "float32", Bytes<float>({2.5f})),
      Make({3}, "int64", Bytes<int64_t>({1, 2, 3})),
      Make({0}, "float64", ""),
      Make({2, 0, 4}, "int32", ""),
      Make({0, 3}, "bool", ""),
      Make({1, 1, 1, 2}, "float16", Bytes<uint16_t>({1, 2})),
  };
  for (const RawTensor& t : cases) {
    const std::string path = TempPath("shape.npy");
    ASSERT_TRUE(WriteNpy(path, t).ok());
    absl::StatusOr<RawTensor> back = ReadNpy(path);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSame(*back, t);
  }
}

TEST(NpyTest, HeaderIsWhatNumpyWrites) {
  absl::StatusOr<std::string> h = EncodeNpyHeader(Make({5, 3}, "float32", std::string(60, '\0')));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->size() % 64, 0u);
  EXPECT_EQ(h->substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));  // 128 - 10
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 3), }";
  EXPECT_EQ(h->substr(10, dict.size()), dict);
  EXPECT_EQ(h->substr(10 + dict.size()), std::string(128 - 11 - dict.size(), ' ') + "\n");
  EXPECT_EQ(h->back(), '\n');

  h = EncodeNpyHeader(Make({}, "bool", std::string(1, '\1')));
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(*h, HasSubstr("'shape': (), }"));
  h = EncodeNpyHeader(Make({3}, "int32", std::string(12, '\0')));
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(*h, HasSubstr("'shape': (3,), }"));
}

TEST(NpyTest, ParseNpyAgreesWithReadNpy) {
  const RawTensor t = Make({2, 2}, "int32", Bytes<int32_t>({1, 2, 3, 4}));
  const std::string path = TempPath("memory.npy");
  ASSERT_TRUE(WriteNpy(path, t).ok());
  absl::StatusOr<RawTensor> parsed = ParseNpy(ReadBytes(path));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSame(*parsed, t);
}

TEST(NpyTest, BigEndianElementsAreSwapped) {
  for (const DtypeCase& c : AllDtypes()) {
    SCOPED_TRACE(c.dtype);
    const size_t size = c.dtype == "bool" ? 1 : c.descr[2] - '0';
    std::string descr = c.descr;
    descr[0] = '>';
    absl::StatusOr<RawTensor> t = ParseNpy(NpyFile(Dict(descr, "(3, 2)"), Swapped(c.data, size)));
    ASSERT_TRUE(t.ok()) << t.status();
    ExpectSame(*t, Make({3, 2}, c.dtype, c.data));
  }
}

TEST(NpyTest, NativeAndNotApplicableByteOrdersAreLittleEndianHere) {
  const std::string data = Bytes<int32_t>({7, -7});
  for (const char* descr : {"=i4", "|i4", "i4"}) {
    absl::StatusOr<RawTensor> t = ParseNpy(NpyFile(Dict(descr, "(2,)"), data));
    ASSERT_TRUE(t.ok()) << descr << ": " << t.status();
    ExpectSame(*t, Make({2}, "int32", data));
  }
  for (const char* descr : {"<b1", ">b1", "?", "|?"}) {
    absl::StatusOr<RawTensor> t =
        ParseNpy(NpyFile(Dict(descr, "(2,)"), std::string("\x01\x00", 2)));
    ASSERT_TRUE(t.ok()) << descr << ": " << t.status();
    EXPECT_EQ(t->dtype, "bool");
  }
}

TEST(NpyTest, FortranOrderIsReorderedToCOrder) {
  // C order [[0, 1, 2], [3, 4, 5]] is stored column by column.
  absl::StatusOr<RawTensor> t =
      ParseNpy(NpyFile(Dict("<i8", "(2, 3)", true), Bytes<int64_t>({0, 3, 1, 4, 2, 5})));
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectSame(*t, Make({2, 3}, "int64", Bytes<int64_t>({0, 1, 2, 3, 4, 5})));

  // Three dimensions, big-endian: element (i, j, k) = 100i + 10j + k sits at
  // i + 2j + 6k in Fortran order.
  std::vector<int32_t> c_order, f_order(24);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) {
        c_order.push_back(100 * i + 10 * j + k);
        f_order[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
      }
    }
  }
  t = ParseNpy(NpyFile(Dict(">i4", "(2, 3, 4)", true), Swapped(Bytes(f_order), 4)));
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectSame(*t, Make({2, 3, 4}, "int32", Bytes(c_order)));

  // One dimension and zero size: nothing to reorder.
  t = ParseNpy(NpyFile(Dict("<f4", "(2,)", true), Bytes<float>({1, 2})));
  ASSERT_TRUE(t.ok());
  ExpectSame(*t, Make({2}, "float32", Bytes<float>({1, 2})));
  t = ParseNpy(NpyFile(Dict("<f4", "(0, 5)", true), ""));
  ASSERT_TRUE(t.ok());
  ExpectSame(*t, Make({0, 5}, "float32", ""));
}

TEST(NpyTest, ReadsVersions2And3AnyAlignmentAndLegacyHeaders) {
  const std::string data = Bytes<float>({1, 2, 3});
  for (int major : {2, 3}) {
    absl::StatusOr<RawTensor> t = ParseNpy(NpyFile(Dict("<f4", "(3,)"), data, major));
    ASSERT_TRUE(t.ok()) << major << ": " << t.status();
    ExpectSame(*t, Make({3}, "float32", data));
  }
  // numpy before 1.9 aligned to 16 bytes; any alignment is accepted.
  for (size_t align : {1, 16}) {
    absl::StatusOr<RawTensor> t = ParseNpy(NpyFile(Dict("<f4", "(3,)"), data, 1, align));
    ASSERT_TRUE(t.ok()) << align << ": " << t.status();
  }
  // Python 2 wrote longs with an L; keys in any order, double quotes.
  absl::StatusOr<RawTensor> t =
      ParseNpy(NpyFile("{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f4\"}", data));
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectSame(*t, Make({3}, "float32", data));
}

TEST(NpyTest, ShortHeaderLeavesDataInThePrefixRead) {
  // A version 1.0 header of one byte: the data starts at offset 11, inside
  // the first 12 bytes the reader looks at.
  std::string file("\x93NUMPY\x01\x00\x01\x00", 10);
  file += "{";  // not a dict, but shows the offsets are right
  EXPECT_THAT(std::string(ReadError("short_header.npy", file).message()),
              HasSubstr("not a Python literal"));
}

TEST(NpyTest, MissingFileIsNotFound) {
  const std::string path = TempPath("does_not_exist.npy");
  absl::StatusOr<RawTensor> t = ReadNpy(path);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(path));
}

TEST(NpyTest, DirectoryIsRefused) {
  absl::StatusOr<RawTensor> t = ReadNpy(::testing::TempDir());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("not a regular file"));
}

TEST(NpyTest, MalformedFilesAreRefusedWithTheReason) {
  const std::string good_data = Bytes<float>({1, 2, 3});
  struct Case {
    std::string name;
    std::string bytes;
    std::vector<std::string> fragments;
  };
  std::string huge_v2("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
  huge_v2 += std::string(100, ' ');
  std::string beyond_file("\x93NUMPY\x01\x00\x00\x10", 10);  // 4096-byte header
  beyond_file += "{}";
  const std::vector<Case> cases = {
      {"empty", "", {"not a .npy file", "numpy.save"}},
      {"bad_magic", "PK\x03\x04 zip archive", {"not a .npy file", ".npz"}},
      {"prefix_cut", std::string("\x93NUMPY\x01", 7), {"truncated", "too short"}},
      {"v2_prefix_cut", std::string("\x93NUMPY\x02\x00\x10\x00", 10), {"truncated"}},
      {"version_4", NpyFile(Dict("<f4", "(3,)"), good_data, 4), {"version 4.0", "1.0, 2.0"}},
      {"version_1_1",
       [&] {
         std::string f = NpyFile(Dict("<f4", "(3,)"), good_data);
         f[7] = 1;
         return f;
       }(),
       {"version 1.1"}},
      {"huge_header", huge_v2, {"4294967295", "more than"}},
      {"header_beyond_file", beyond_file, {"truncated", "4106"}},
      {"not_literal", NpyFile("{'descr': <f4}", good_data), {"not a Python literal"}},
      {"not_dict", NpyFile("['<f4', False, (3,)]", good_data), {"not a dict"}},
      {"code", NpyFile("__import__('os')", good_data), {"not a Python literal"}},
      {"missing_shape",
       NpyFile("{'descr': '<f4', 'fortran_order': False}", good_data),
       {"no 'shape' key"}},
      {"missing_descr",
       NpyFile("{'fortran_order': False, 'shape': (3,)}", good_data),
       {"no 'descr' key"}},
      {"extra_key",
       NpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", good_data),
       {"unexpected key 'x'"}},
      {"duplicate_key",
       NpyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
               good_data),
       {"'descr' twice"}},
      {"uint8", NpyFile(Dict("|u1", "(3,)"), "abc"), {"'|u1'", "'<f4' (float32)", "astype"}},
      {"complex", NpyFile(Dict("<c8", "(3,)"), good_data + good_data), {"'<c8'", "supported"}},
      {"object", NpyFile(Dict("|O", "(3,)"), good_data), {"'|O'", "object arrays"}},
      {"structured",
       NpyFile("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }",
               good_data + good_data),
       {"[('a', '<f4'), ('b', '<i4')]", "structured"}},
      {"fortran_not_bool",
       NpyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", good_data),
       {"'fortran_order' must be True or False"}},
      {"shape_list", NpyFile(Dict("<f4", "[3]"), good_data), {"must be a tuple"}},
      {"shape_string", NpyFile(Dict("<f4", "('3',)"), good_data), {"not an integer"}},
      {"negative_dim", NpyFile(Dict("<f4", "(-3,)"), good_data), {"negative dimension"}},
      {"dim_overflow",
       NpyFile(Dict("<f4", "(99999999999999999999,)"), good_data),
       {"99999999999999999999", "64-bit range"}},
      {"product_overflow",
       NpyFile(Dict("<f8", "(1099511627776, 1099511627776)"), ""),
       {"(1099511627776, 1099511627776)", "64-bit size"}},
      {"data_short",
       NpyFile(Dict("<f4", "(4,)"), good_data),
       {"truncated", "needs 16 bytes", "12 follow"}},
      {"data_long",
       NpyFile(Dict("<f4", "(2,)"), good_data),
       {"needs 8 bytes", "12 follow", "disagree"}},
      {"data_for_zero_size", NpyFile(Dict("<f4", "(0, 3)"), good_data), {"needs 0 bytes"}},
      {"deep_nesting",
       NpyFile(std::string(100, '(') + std::string(100, ')'), ""),
       {"nested too deeply"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status s = ReadError(c.name + ".npy", c.bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    for (const std::string& fragment : c.fragments) {
      EXPECT_THAT(std::string(s.message()), HasSubstr(fragment));
    }
  }
}

TEST(NpyTest, HeaderOfAnArrayLargerThan4GiBNeedsNoData) {
  // float32 (2^20, 2^13): 32 GiB of data, checked without allocating it.
  const std::string file = NpyFile(Dict("<f4", "(1048576, 8192)"), "");
  absl::StatusOr<NpyHeader> h = ParseNpyHeader(file);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->data_bytes, uint64_t{1} << 35);
  EXPECT_EQ(h->data_offset, file.size());
  EXPECT_EQ(h->shape, (std::vector<int64_t>{1048576, 8192}));

  absl::Status s = ReadError("big.npy", file);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("truncated"), HasSubstr("34359738368")));
}

TEST(NpyTest, BFloat16IsRefusedWithAWayOut) {
  const std::string path = TempPath("bf16.npy");
  absl::Status s = WriteNpy(path, Make({2}, "bfloat16", std::string(4, '\0')));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith(path + ": "), HasSubstr("bfloat16"), HasSubstr(".to('float32')")));
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(NpyTest, InconsistentTensorsAreNotWritten) {
  const std::string path = TempPath("bad_tensor.npy");
  absl::Status s = WriteNpy(path, Make({2, 3}, "float32", std::string(20, '\0')));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("needs 24 bytes"), HasSubstr("20")));
  s = WriteNpy(path, Make({2}, "uint8", "ab"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown dtype 'uint8'"));
  s = WriteNpy(path, Make({-1}, "float32", ""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("negative"));
}

TEST(NpyTest, UnwritablePathReportsTheErrno) {
  const std::string path = TempPath("no_such_dir/x.npy");
  absl::Status s = WriteNpy(path, Make({}, "int32", std::string(4, '\0')));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
}

}  // namespace
}  // namespace tensord::client
