// The C++ client's files against a real tensord: Session::save/load
// (safetensors) of every dtype, 0-dim and empty tensors, views, metadata and
// name binding; Session::load_npy and Tensor::save_npy with dtype
// conversion, names and requires_grad; progress over several tensors, by
// shared memory and by the network; and errors (the codec's status code, a
// message that says what to do, and a session that still works afterwards).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "client/npy.h"
#include "client/safetensors.h"
#include "client/tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/integration/expect_error.h"

namespace tensord::client {
namespace {

using tensord::testing::TensordDaemon;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kInvalidArgument = 3;
constexpr int kNotFound = 5;
constexpr int kFailedPrecondition = 9;

using tensord::testing::ExpectError;

RawTensor Raw(std::vector<int64_t> shape, std::string dtype, std::string data) {
  return RawTensor{.shape = std::move(shape), .dtype = std::move(dtype), .data = std::move(data)};
}

std::string Bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }

template <typename T>
std::string BytesOf(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// One tensor of every dtype and a few odd shapes.
std::vector<std::pair<std::string, RawTensor>> Samples() {
  return {
      {"f32", Raw({2, 3}, "float32", BytesOf<float>({1.5f, -2, 0, 3.25f, 1e-8f, -0.0f}))},
      {"f64", Raw({3}, "float64", BytesOf<double>({0.1, -1e300, 42}))},
      {"f16", Raw({2}, "float16", Bytes({0x00, 0x3c, 0x00, 0xc0}))},    // 1, -2
      {"bf16", Raw({2}, "bfloat16", Bytes({0x80, 0x3f, 0x40, 0x40}))},  // 1, 3
      {"i64", Raw({2, 2}, "int64", BytesOf<int64_t>({1, -2, INT64_MAX, INT64_MIN}))},
      {"i32", Raw({1}, "int32", BytesOf<int32_t>({-7}))},
      {"flag", Raw({3}, "bool", Bytes({1, 0, 1}))},
      {"scalar", Raw({}, "float64", BytesOf<double>({2.5}))},
      {"empty", Raw({0, 3}, "float32", "")},
  };
}

void ExpectSame(const RawTensor& got, const RawTensor& want, const std::string& what) {
  EXPECT_EQ(got.shape, want.shape) << what;
  EXPECT_EQ(got.dtype, want.dtype) << what;
  EXPECT_EQ(got.data, want.data) << what;
}

class FilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new TensordDaemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override {
    dir_ =
        daemon_->temp_dir() + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
  }
  Session Open(bool shared_memory = true) const {
    return Session::Open(
        SessionConfig{.address = daemon_->address(), .shared_memory = shared_memory});
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  static TensordDaemon* daemon_;
  std::string dir_;
};
TensordDaemon* FilesTest::daemon_ = nullptr;

TEST_F(FilesTest, SaveAndLoadEveryDtype) {
  Session s = Open();
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, raw] : Samples()) tensors.emplace_back(name, s.FromRaw(raw));
  const std::string path = Path("all.safetensors");
  s.save(path, tensors, {{"format", "pt"}, {"note", "ünïcode"}});

  // The file holds exactly the samples (read by the codec, independently of
  // the daemon).
  absl::StatusOr<NamedTensors> file = ReadSafetensors(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "ünïcode"}}));
  std::map<std::string, RawTensor> by_name(file->tensors.begin(), file->tensors.end());
  ASSERT_EQ(by_name.size(), Samples().size());
  for (const auto& [name, raw] : Samples()) ExpectSame(by_name.at(name), raw, name);

  // Loaded into another session: same names, bytes and dtypes.
  Session other = Open();
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, Tensor>> loaded = other.load(path, false, nullptr, &metadata);
  EXPECT_EQ(metadata.at("format"), "pt");
  ASSERT_EQ(loaded.size(), Samples().size());
  std::map<std::string, Tensor> got(loaded.begin(), loaded.end());
  for (const auto& [name, raw] : Samples()) ExpectSame(got.at(name).FetchRaw(), raw, name);
  // Unbound: no names in the session, and the handles go with the tensors.
  ExpectError([&] { other.Named("f32"); }, kNotFound);
  EXPECT_EQ(other.ListTensors().size(), Samples().size());
  loaded.clear();
  got.clear();
  EXPECT_TRUE(other.ListTensors().empty());
}

TEST_F(FilesTest, LoadBindsNames) {
  Session s = Open();
  Tensor w = s.tensor("[[1., 2.], [3., 4.]]");
  Tensor b = s.tensor("[5, 6]");
  const std::string path = Path("wb.safetensors");
  s.save(path, {{"layer.weight", w}, {"layer.bias", b}});
  Session other = Open();
  other.tensor("[0]", {}, "layer.bias");  // rebound by the load
  std::vector<std::pair<std::string, Tensor>> loaded = other.load(path, /*bind_names=*/true);
  // In the file's order: sorted by name.
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].first, "layer.bias");
  EXPECT_EQ(loaded[1].first, "layer.weight");
  loaded.clear();  // the names keep them
  EXPECT_EQ(other.Named("layer.weight").repr(), "tensor([[1., 2.],\n        [3., 4.]])");
  EXPECT_EQ(other.Named("layer.bias").repr(), "tensor([5, 6])");
  EXPECT_EQ(other.ListTensors().size(), 2u);
}

TEST_F(FilesTest, SavesViewsAndResultsOfPendingOps) {
  Session s = Open();
  Tensor x = s.arange(6, {.dtype = "float32"}).view({2, 3});
  Tensor xt = x.t();  // not contiguous
  Tensor col = x.select(1, 1);
  Tensor y = x * 2;  // still in the pipeline when save is called
  const std::string path = Path("views.safetensors");
  s.save(path, {{"xt", xt}, {"col", col}, {"y", y}});
  absl::StatusOr<NamedTensors> file = ReadSafetensors(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::map<std::string, RawTensor> got(file->tensors.begin(), file->tensors.end());
  ExpectSame(got.at("xt"), Raw({3, 2}, "float32", BytesOf<float>({0, 3, 1, 4, 2, 5})), "xt");
  ExpectSame(got.at("col"), Raw({2}, "float32", BytesOf<float>({1, 4})), "col");
  ExpectSame(got.at("y"), Raw({2, 3}, "float32", BytesOf<float>({0, 2, 4, 6, 8, 10})), "y");
}

TEST_F(FilesTest, NpyRoundTripWithConversionNameAndGrad) {
  Session s = Open();
  const std::string in = Path("in.npy");
  const RawTensor ints = Raw({2, 2}, "int64", BytesOf<int64_t>({1, 2, 3, 4}));
  ASSERT_TRUE(WriteNpy(in, ints).ok());

  Tensor t = s.load_npy(in);
  EXPECT_EQ(t.dtype(), "int64");
  ExpectSame(t.FetchRaw(), ints, "as read");

  // Converted, named and requiring grad: a float64 leaf under its name.
  s.load_npy(in, {.dtype = "double", .requires_grad = true}, "w");
  Tensor w = s.Named("w");
  EXPECT_EQ(w.dtype(), "float64");
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
  EXPECT_EQ(w.repr(),
            "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64, requires_grad=True)");
  // Same dtype by another name: no conversion.
  Tensor same = s.load_npy(in, {.dtype = "torch.long"}, "same");
  EXPECT_EQ(same.handle(), s.Named("same").handle());
  EXPECT_EQ(s.Named("same").dtype(), "int64");
  // Unnamed and converted.
  EXPECT_EQ(s.load_npy(in, {.dtype = "float32"}).repr(), "tensor([[1., 2.],\n        [3., 4.]])");

  const std::string out = Path("out.npy");
  w.detach().t().save_npy(out);
  absl::StatusOr<RawTensor> back = ReadNpy(out);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, Raw({2, 2}, "float64", BytesOf<double>({1, 3, 2, 4})), "saved");
  // 0-dim and empty.
  s.tensor("7").save_npy(out);
  ExpectSame(*ReadNpy(out), Raw({}, "int64", BytesOf<int64_t>({7})), "0-dim");
  s.zeros({0, 4}).save_npy(out);
  ExpectSame(*ReadNpy(out), Raw({0, 4}, "float32", ""), "empty");
}

TEST_F(FilesTest, ProgressCoversEveryTensorOnBothPaths) {
  for (bool shared_memory : {true, false}) {
    SCOPED_TRACE(shared_memory ? "shared memory" : "network");
    Session s = Open(shared_memory);
    const int64_t a_bytes = 3 << 20, b_bytes = (2 << 20) + 8, c_bytes = 16;
    Tensor a = s.ones({a_bytes / 4}), b = s.zeros({b_bytes / 8}, {.dtype = "float64"});
    Tensor c = s.ones({c_bytes / 4});
    const int64_t total = a_bytes + b_bytes + c_bytes;
    std::vector<std::pair<int64_t, int64_t>> calls;
    auto record = [&](int64_t done, int64_t all) { calls.emplace_back(done, all); };
    const std::string path = Path(shared_memory ? "shm.safetensors" : "net.safetensors");
    s.save(path, {{"a", a}, {"b", b}, {"c", c}}, {}, record);
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls.back(), std::make_pair(total, total));
    for (size_t i = 0; i < calls.size(); ++i) {
      EXPECT_EQ(calls[i].second, total);
      if (i > 0) {
        EXPECT_GE(calls[i].first, calls[i - 1].first);
      }
    }
    if (!shared_memory) {
      EXPECT_GT(calls.size(), 5u) << "chunks are reported as they arrive";
    }

    calls.clear();
    std::vector<std::pair<std::string, Tensor>> loaded = s.load(path, false, record);
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls.back(), std::make_pair(total, total));
    for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
    ASSERT_EQ(loaded.size(), 3u);
    EXPECT_EQ(loaded[0].second.sum().item(), a_bytes / 4);
    EXPECT_EQ(loaded[1].second.size(), Size{{b_bytes / 8}});
  }
}

TEST_F(FilesTest, ErrorsCarryTheCodeAndAdvice) {
  Session s = Open();
  Tensor x = s.tensor("[1., 2.]");
  const std::string missing = Path("missing.safetensors");
  EXPECT_THAT(ExpectError([&] { s.load(missing); }, kNotFound),
              AllOf(StartsWith(missing + ": "), HasSubstr("check the path")));
  EXPECT_THAT(ExpectError([&] { s.load_npy(Path("missing.npy")); }, kNotFound),
              HasSubstr("check the path"));
  const std::string nodir = Path("no/such/dir/x.safetensors");
  EXPECT_THAT(ExpectError(
                  [&] {
                    s.save(nodir, {{"x", x}});
                  },
                  kNotFound),
              AllOf(StartsWith(nodir), HasSubstr("check that the directory exists")));
  EXPECT_THAT(ExpectError([&] { x.save_npy(Path("no/such/dir/x.npy")); }, kNotFound),
              HasSubstr("check that the directory exists"));

  const std::string corrupt = Path("corrupt.npy");
  std::ofstream(corrupt) << "this is not numpy";
  EXPECT_THAT(ExpectError([&] { s.load_npy(corrupt); }, kInvalidArgument),
              AllOf(StartsWith(corrupt), HasSubstr("not a .npy file")));
  EXPECT_THAT(ExpectError([&] { s.load(corrupt); }, kInvalidArgument), StartsWith(corrupt));

  Tensor bf = x.to("bfloat16");
  const std::string bf_path = Path("bf.npy");
  EXPECT_THAT(ExpectError([&] { bf.save_npy(bf_path); }, kInvalidArgument),
              AllOf(HasSubstr("bfloat16 has no NumPy dtype"), HasSubstr("to(\"float32\")"),
                    HasSubstr("safetensors")));
  EXPECT_FALSE(std::filesystem::exists(bf_path));

  const std::string dup = Path("dup.safetensors");
  ExpectError([&] { s.save(dup, {{"x", x}, {"x", x}}); }, kInvalidArgument);
  ExpectError([&] { s.save(dup, {{"", x}}); }, kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dup));
  ExpectError([&] { s.save(dup, {{"x", Tensor()}}); }, kFailedPrecondition);

  // A failed op before the save surfaces there, and no file is written.
  Tensor bad = x.view({3});
  ExpectError([&] { s.save(dup, {{"bad", bad}}); }, kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dup));

  // The session still works.
  s.save(dup, {{"x", x}});
  EXPECT_EQ(s.load(dup).at(0).second.repr(), "tensor([1., 2.])");
}

}  // namespace
}  // namespace tensord::client
