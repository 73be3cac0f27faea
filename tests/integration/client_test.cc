// The C++ client against a real tensord subprocess: every "Tensors" and
// "Operations" step of PyTorch's 60 Minute Blitz with value checks, remote
// view semantics, in-place ops, reductions and matmul, seeded random numbers,
// RAII release of handles, concurrent and re-attached sessions, errors (exact
// status code, a message naming the problem, and a session that still works
// afterwards), the per-tensor byte limit and session lease expiry.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/tensor.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tensord/v1/tensord.grpc.pb.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/integration/expect_error.h"

namespace tensord::client {
namespace {

using tensord::testing::TensordDaemon;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int kInvalidArgument = 3;
constexpr int kNotFound = 5;
constexpr int kAlreadyExists = 6;
constexpr int kResourceExhausted = 8;
constexpr int kFailedPrecondition = 9;

// Every element of a fetched tensor as a double (ints and bools included).
std::vector<double> Values(const Tensor& t) {
  HostTensor h = t.Fetch();
  if (!h.floats.empty()) return h.floats;
  return std::vector<double>(h.ints.begin(), h.ints.end());
}

std::string SizeStr(const Tensor& t) {
  std::ostringstream os;
  os << t.size();
  return os.str();
}

bool HasHandle(const Session& s, uint64_t handle) {
  for (const v1::TensorMeta& m : s.ListTensors()) {
    if (m.handle() == handle) return true;
  }
  return false;
}

using tensord::testing::ExpectError;

// A valid op on `s` whose result is checked: the session still works.
void ExpectSessionWorks(const Session& s) {
  Tensor t = s.ones({2, 2}) + 1;
  EXPECT_THAT(Values(t), ElementsAre(2, 2, 2, 2));
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new TensordDaemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override { torch_ = Session::Open(SessionConfig{.address = address()}); }

  static const std::string& address() { return daemon_->address(); }

  static TensordDaemon* daemon_;
  std::optional<Session> torch_;  // Session has no default constructor
};
TensordDaemon* ClientTest::daemon_ = nullptr;

// ---- Tensors ----------------------------------------------------------------

TEST_F(ClientTest, EmptyHasTheRequestedSizeAndDefaultDtype) {
  Tensor t = torch_->empty({5, 3});
  EXPECT_EQ(SizeStr(t), "torch.Size([5, 3])");
  EXPECT_EQ(t.dtype(), "float32");
  EXPECT_EQ(t.device(), "cpu");
  EXPECT_EQ(t.numel(), 15);
  EXPECT_EQ(Values(t).size(), 15u);
  const std::string r = t.repr();
  EXPECT_EQ(r.rfind("tensor([[", 0), 0u) << r;
  EXPECT_EQ(std::count(r.begin(), r.end(), '\n'), 4) << r;
}

TEST_F(ClientTest, RandIsFloat32InUnitInterval) {
  torch_->manual_seed(0);
  Tensor t = torch_->rand({5, 3});
  EXPECT_EQ(t.dtype(), "float32");
  EXPECT_EQ(t.size(), (Size{{5, 3}}));
  const std::vector<double> v = Values(t);
  ASSERT_EQ(v.size(), 15u);
  for (double x : v) {
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
  EXPECT_GT(*std::max_element(v.begin(), v.end()), *std::min_element(v.begin(), v.end()));
}

TEST_F(ClientTest, ZerosLongPrintsLikePyTorch) {
  Tensor z = torch_->zeros({5, 3}, Options{.dtype = "long"});
  EXPECT_EQ(z.dtype(), "int64");
  std::ostringstream os;
  os << z;
  EXPECT_EQ(os.str(),
            "tensor([[0, 0, 0],\n"
            "        [0, 0, 0],\n"
            "        [0, 0, 0],\n"
            "        [0, 0, 0],\n"
            "        [0, 0, 0]])");
}

TEST_F(ClientTest, TensorFromLiteralPrintsLikePyTorch) {
  Tensor v = torch_->tensor("[5.5, 3]");
  EXPECT_EQ(v.dtype(), "float32");
  EXPECT_THAT(Values(v), ElementsAre(5.5, 3.0));
  EXPECT_EQ(v.repr(), "tensor([5.5000, 3.0000])");
}

TEST_F(ClientTest, NewOnesDoublePrintsLikePyTorch) {
  Tensor x = torch_->zeros({5, 3}, Options{.dtype = "double"});
  EXPECT_EQ(x.dtype(), "float64");
  EXPECT_THAT(Values(x), ::testing::Each(0.0));
  x = x.new_ones({5, 3}, Options{.dtype = "double"});
  EXPECT_EQ(x.dtype(), "float64");
  EXPECT_EQ(x.repr(),
            "tensor([[1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.],\n"
            "        [1., 1., 1.]], dtype=torch.float64)");
}

TEST_F(ClientTest, RandnLikeTakesTheSizeAndTheGivenDtype) {
  Tensor x = torch_->ones({5, 3}, Options{.dtype = "double"});
  x = torch_->randn_like(x, Options{.dtype = "float"});
  EXPECT_EQ(x.dtype(), "float32");
  EXPECT_EQ(SizeStr(x), "torch.Size([5, 3])");
  EXPECT_EQ(x.size(0), 5);
  EXPECT_EQ(x.size(-1), 3);
  const std::vector<double> v = Values(x);
  ASSERT_EQ(v.size(), 15u);
  // Normal samples: not all equal, not all of one sign, none absurdly large.
  EXPECT_TRUE(std::any_of(v.begin(), v.end(), [](double d) { return d < 0; }));
  EXPECT_TRUE(std::any_of(v.begin(), v.end(), [](double d) { return d > 0; }));
  for (double d : v) EXPECT_LT(std::fabs(d), 8.0);
  // The repr has the values of the fetched data, rounded to 4 decimals
  // (unless PyTorch would pick scientific notation for these values).
  const std::string r = x.repr();
  if (r.find("e+") == std::string::npos && r.find("e-") == std::string::npos) {
    char first[32];
    std::snprintf(first, sizeof(first), "%.4f", v[0]);
    EXPECT_THAT(r, HasSubstr(first));
  }
}

// ---- Operations -------------------------------------------------------------

TEST_F(ClientTest, AddVariantsAllAgreeWithElementwiseSum) {
  torch_->manual_seed(1);
  Tensor x = torch_->randn({5, 3});
  Tensor y = torch_->rand({5, 3});
  const std::vector<double> xv = Values(x), yv = Values(y);
  std::vector<double> expected;
  for (size_t i = 0; i < xv.size(); ++i) {
    expected.push_back(static_cast<float>(static_cast<float>(xv[i]) + static_cast<float>(yv[i])));
  }

  Tensor sum1 = x + y;
  EXPECT_EQ(sum1.dtype(), "float32");
  EXPECT_THAT(Values(sum1), ElementsAreArray(expected));

  Tensor sum2 = torch_->add(x, y);
  EXPECT_THAT(Values(sum2), ElementsAreArray(expected));
  EXPECT_EQ(sum1.repr(), sum2.repr());

  Tensor result = torch_->empty({5, 3});
  const uint64_t result_handle = result.handle();
  Tensor r = torch_->add(x, y, &result);
  EXPECT_EQ(r.handle(), result_handle);  // written into `result`, no new tensor
  EXPECT_THAT(Values(result), ElementsAreArray(expected));
  EXPECT_EQ(result.repr(), sum1.repr());

  const uint64_t y_handle = y.handle();
  y.add_(x);
  EXPECT_EQ(y.handle(), y_handle);
  EXPECT_THAT(Values(y), ElementsAreArray(expected));
  EXPECT_EQ(y.repr(), sum1.repr());
  // x is unchanged by all of the above.
  EXPECT_THAT(Values(x), ElementsAreArray(xv));
}

TEST_F(ClientTest, IndexColumnIsColumnOne) {
  Tensor x = torch_->randn({5, 3});
  const std::vector<double> xv = Values(x);
  Tensor col = x.index(":, 1");
  EXPECT_EQ(col.size(), (Size{{5}}));
  EXPECT_EQ(col.dtype(), "float32");
  EXPECT_THAT(Values(col), ElementsAre(xv[1], xv[4], xv[7], xv[10], xv[13]));
  // Same as select(1, 1).
  EXPECT_EQ(x.select(1, 1).repr(), col.repr());
}

TEST_F(ClientTest, ViewSizesPrintLikePyTorch) {
  Tensor x = torch_->randn({4, 4});
  Tensor y = x.view({16});
  Tensor z = x.view({-1, 8});
  std::ostringstream os;
  os << x.size() << " " << y.size() << " " << z.size();
  EXPECT_EQ(os.str(), "torch.Size([4, 4]) torch.Size([16]) torch.Size([2, 8])");
  EXPECT_EQ(Values(x), Values(y));
  EXPECT_EQ(Values(x), Values(z));
}

TEST_F(ClientTest, ItemOfRandnOneIsTheFetchedValue) {
  torch_->manual_seed(0);
  Tensor x = torch_->randn({1});
  const std::vector<double> v = Values(x);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(x.item(), v[0]);
  EXPECT_EQ(std::strtod(x.item_repr().c_str(), nullptr), v[0]) << x.item_repr();
  if (std::fabs(v[0]) >= 1e-4 && std::fabs(v[0]) < 1e8) {  // not scientific notation
    char expected[64];
    std::snprintf(expected, sizeof(expected), "tensor([%.4f])", v[0]);
    EXPECT_EQ(x.repr(), expected);
  }
  // More than one element cannot be an item.
  Tensor two = torch_->zeros({2});
  const std::string msg = ExpectError(
      [&] {
        two.item();
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, HasSubstr("2 elements"));
}

// ---- Remote semantics -------------------------------------------------------

TEST_F(ClientTest, ViewsShareStorageOnTheDaemon) {
  Tensor x = torch_->zeros({4, 4});
  Tensor y = x.view({16});
  y.add_(1);
  EXPECT_THAT(Values(x), ::testing::Each(1.0));
  // Writing through a transposed view changes the base at transposed places.
  Tensor b = torch_->tensor("[[1., 2.], [3., 4.]]");
  Tensor bt = b.t();
  EXPECT_THAT(Values(bt), ElementsAre(1, 3, 2, 4));
  Tensor row = bt.select(0, 0);  // bt[0] = b[:, 0]
  row.mul_(10);
  EXPECT_THAT(Values(b), ElementsAre(10, 2, 30, 4));
  // A clone does not share.
  Tensor c = b.clone();
  c.zero_();
  EXPECT_THAT(Values(b), ElementsAre(10, 2, 30, 4));
  EXPECT_THAT(Values(c), ::testing::Each(0.0));
}

TEST_F(ClientTest, InPlaceTransposeChangesShape) {
  Tensor x = torch_->tensor("[[1, 2, 3], [4, 5, 6]]");
  EXPECT_EQ(x.dtype(), "int64");
  const uint64_t h = x.handle();
  x.t_();
  EXPECT_EQ(x.handle(), h);
  EXPECT_EQ(x.size(), (Size{{3, 2}}));
  EXPECT_THAT(Values(x), ElementsAre(1, 4, 2, 5, 3, 6));
  EXPECT_EQ(x.repr(),
            "tensor([[1, 4],\n"
            "        [2, 5],\n"
            "        [3, 6]])");
}

TEST_F(ClientTest, CopyAcrossDtypes) {
  Tensor dst = torch_->zeros({2, 3}, Options{.dtype = "long"});
  Tensor src = torch_->tensor("[[1.7, -2.2, 3.9], [4, 5, 6]]");
  dst.copy_(src);
  EXPECT_EQ(dst.dtype(), "int64");
  EXPECT_THAT(Values(dst), ElementsAre(1, -2, 3, 4, 5, 6));  // truncation toward zero
  EXPECT_EQ(dst.repr(),
            "tensor([[ 1, -2,  3],\n"
            "        [ 4,  5,  6]])");

  Tensor d64 = torch_->zeros({3}, Options{.dtype = "float64"});
  d64.copy_(torch_->tensor("[1, 2, 3]"));
  EXPECT_EQ(d64.dtype(), "float64");
  EXPECT_THAT(Values(d64), ElementsAre(1, 2, 3));

  // Broadcasting a row into every row.
  Tensor m = torch_->zeros({2, 3});
  m.copy_(torch_->tensor("[7, 8, 9]"));
  EXPECT_THAT(Values(m), ElementsAre(7, 8, 9, 7, 8, 9));
}

TEST_F(ClientTest, SumMeanMatmulMatchNaiveComputation) {
  // Exact on small integer-valued data.
  Tensor a = torch_->tensor("[[1., 2., 3.], [4., 5., 6.]]");
  Tensor b = torch_->tensor("[[1., 0., 2., -1.], [0., 1., 3., 2.], [1., 1., 0., 1.]]");
  Tensor s = a.sum();
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item(), 21.0);
  EXPECT_EQ(s.repr(), "tensor(21.)");
  EXPECT_EQ(a.mean().item(), 3.5);
  EXPECT_EQ(a.mean().repr(), "tensor(3.5000)");
  EXPECT_THAT(Values(a.sum({0})), ElementsAre(5, 7, 9));
  EXPECT_THAT(Values(a.sum({1}, true)), ElementsAre(6, 15));
  EXPECT_EQ(a.sum({1}, true).size(), (Size{{2, 1}}));
  EXPECT_THAT(Values(a.mean({1})), ElementsAre(2, 5));
  Tensor ab = a.matmul(b);
  EXPECT_EQ(ab.size(), (Size{{2, 4}}));
  EXPECT_THAT(Values(ab), ElementsAre(4, 5, 8, 6, 10, 11, 23, 12));

  // Integer sums are int64, as in PyTorch.
  Tensor ints = torch_->tensor("[[1, 2, 3], [4, 5, 6]]");
  Tensor isum = ints.sum();
  EXPECT_EQ(isum.dtype(), "int64");
  EXPECT_EQ(isum.repr(), "tensor(21)");
  EXPECT_EQ(isum.item_repr(), "21");

  // Random data against a naive double-precision computation.
  torch_->manual_seed(7);
  Tensor p = torch_->randn({6, 5}, Options{.dtype = "float64"});
  Tensor q = torch_->randn({5, 4}, Options{.dtype = "float64"});
  const std::vector<double> pv = Values(p), qv = Values(q);
  double total = 0;
  for (double v : pv) total += v;
  EXPECT_NEAR(p.sum().item(), total, 1e-9);
  EXPECT_NEAR(p.mean().item(), total / 30, 1e-9);
  const std::vector<double> pq = Values(p.matmul(q));
  ASSERT_EQ(pq.size(), 24u);
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 4; ++j) {
      double acc = 0;
      for (int k = 0; k < 5; ++k) acc += pv[i * 5 + k] * qv[k * 4 + j];
      EXPECT_NEAR(pq[i * 4 + j], acc, 1e-9) << "at " << i << "," << j;
    }
  }
  // Matrix-vector and float32 inputs.
  Tensor p32 = p.to("float32");
  Tensor v32 = torch_->tensor("[1., -1., 0.5, 2., 0.]");
  const std::vector<double> mv = Values(p32.matmul(v32));
  ASSERT_EQ(mv.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const double want = pv[i * 5] - pv[i * 5 + 1] + 0.5 * pv[i * 5 + 2] + 2 * pv[i * 5 + 3];
    EXPECT_NEAR(mv[i], want, 1e-4);
  }
}

TEST_F(ClientTest, TypePromotionOfIntAndFloat) {
  Tensor i = torch_->tensor("[1, 2, 3]");
  Tensor f = torch_->tensor("[0.5, 0.25, 1.]");
  Tensor r = i + f;
  EXPECT_EQ(r.dtype(), "float32");
  EXPECT_THAT(Values(r), ElementsAre(1.5, 2.25, 4.0));
  EXPECT_EQ(r.repr(), "tensor([1.5000, 2.2500, 4.0000])");
  // An int scalar keeps int64; a float scalar promotes to the default float.
  EXPECT_EQ((i + 2).dtype(), "int64");
  EXPECT_THAT(Values(i + 2), ElementsAre(3, 4, 5));
  EXPECT_EQ((i * 0.5).dtype(), "float32");
  EXPECT_THAT(Values(i * 0.5), ElementsAre(0.5, 1.0, 1.5));
}

TEST_F(ClientTest, ManualSeedMakesRandReproducible) {
  torch_->manual_seed(42);
  const std::vector<double> a = Values(torch_->rand({100}));
  const std::vector<double> a2 = Values(torch_->rand({100}));
  torch_->manual_seed(42);
  const std::vector<double> b = Values(torch_->rand({100}));
  const std::vector<double> b2 = Values(torch_->rand({100}));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a2, b2);
  EXPECT_NE(a, a2);
  for (double v : a) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
  // Same seed in another session: same values. Another seed: others.
  Session other = Session::Open(SessionConfig{.address = address()});
  other.manual_seed(42);
  EXPECT_EQ(Values(other.rand({100})), a);
  other.manual_seed(43);
  EXPECT_NE(Values(other.rand({100})), a);
  // Seeding one session does not disturb another's stream.
  torch_->manual_seed(42);
  other.manual_seed(42);
  other.rand({100});
  EXPECT_EQ(Values(torch_->rand({100})), a);
  // randn too.
  torch_->manual_seed(5);
  const std::vector<double> n1 = Values(torch_->randn({50}));
  torch_->manual_seed(5);
  EXPECT_EQ(Values(torch_->randn({50})), n1);
}

TEST_F(ClientTest, TensorIsReleasedWhenItGoesOutOfScope) {
  const size_t before = torch_->ListTensors().size();
  uint64_t h = 0;
  {
    Tensor t = torch_->zeros({3});
    h = t.handle();
    EXPECT_TRUE(HasHandle(*torch_, h));
    {
      Tensor copy = t;  // copies share one handle
      EXPECT_EQ(copy.handle(), h);
    }
    EXPECT_TRUE(HasHandle(*torch_, h)) << "released while a copy was alive";
    EXPECT_EQ(torch_->ListTensors().size(), before + 1);
  }
  EXPECT_FALSE(HasHandle(*torch_, h));
  EXPECT_EQ(torch_->ListTensors().size(), before);
  // Reassigning releases the old tensor too.
  Tensor x = torch_->ones({2});
  const uint64_t old = x.handle();
  x = x + 1;
  EXPECT_FALSE(HasHandle(*torch_, old));
  EXPECT_TRUE(HasHandle(*torch_, x.handle()));
  // Using a released handle is NOT_FOUND.
  v1::TensorRef ref;
  ref.set_handle(old);
  const std::string msg = ExpectError(
      [&] {
        torch_->ExecNamed("neg", {ref}, {}, "");
        torch_->Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, HasSubstr(std::to_string(old)));
}

TEST_F(ClientTest, ManyClientsAtOnce) {
  constexpr int kThreads = 8, kOps = 50;
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::string> ids(kThreads);
  auto fail = [&](const std::string& f) {
    std::lock_guard<std::mutex> lock(mu);
    failures.push_back(f);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Session s = Session::Open(SessionConfig{.address = address()});
        ids[t] = s.id();
        Tensor acc = s.full({2, 3}, static_cast<int64_t>(t));
        Tensor one = s.ones({2, 3}, Options{.dtype = "long"});
        for (int i = 1; i <= kOps; ++i) {
          if (i % 2 == 0) {
            acc = acc + one;
          } else {
            acc.add_(one);
          }
          if (i % 10 == 0) {
            const std::vector<double> v = Values(acc);
            const double want = t + i;
            for (double d : v) {
              if (d != want) {
                fail("thread " + std::to_string(t) + " op " + std::to_string(i) + ": got " +
                     std::to_string(d) + ", want " + std::to_string(want));
                return;
              }
            }
          }
        }
        if (acc.dtype() != "int64") fail("thread " + std::to_string(t) + ": dtype " + acc.dtype());
        // Only this session's two tensors are visible to it.
        const size_t n = s.ListTensors().size();
        if (n != 2) fail("thread " + std::to_string(t) + " sees " + std::to_string(n) + " tensors");
      } catch (const std::exception& e) {
        fail("thread " + std::to_string(t) + ": " + e.what());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_THAT(failures, ::testing::IsEmpty());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "sessions share an id";
}

TEST_F(ClientTest, NamedSessionIsReattachedByASecondClient) {
  const std::string name = "shared-" + std::to_string(::getpid());
  Session first = Session::Open(SessionConfig{.address = address(), .name = name});
  EXPECT_FALSE(first.attached());
  first.tensor("[1, 2, 3]", {}, "w");
  first.tensor("[[0.5]]", {}, "v");
  {
    Session second = Session::Open(SessionConfig{.address = address(), .name = name});
    EXPECT_TRUE(second.attached());
    EXPECT_EQ(second.id(), first.id());
    std::vector<std::string> names;
    for (const v1::TensorMeta& m : second.ListTensors()) names.push_back(m.name());
    EXPECT_THAT(names, ::testing::UnorderedElementsAre("w", "v"));
    Tensor w = second.Named("w");
    EXPECT_THAT(Values(w), ElementsAre(1, 2, 3));
    w.add_(10);
  }
  // The second client going away does not close a named session, and the
  // first client sees what it did.
  EXPECT_THAT(Values(first.Named("w")), ElementsAre(11, 12, 13));
  // An unnamed session with the same client is a different session.
  Session anon = Session::Open(SessionConfig{.address = address()});
  EXPECT_FALSE(anon.attached());
  EXPECT_NE(anon.id(), first.id());
  const std::string msg = ExpectError(
      [&] {
        anon.Named("w");
        anon.Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, HasSubstr("'w'"));
  first.Close();
  // After closing, the name opens a fresh session.
  Session again = Session::Open(SessionConfig{.address = address(), .name = name});
  EXPECT_FALSE(again.attached());
  EXPECT_THAT(again.ListTensors(), ::testing::IsEmpty());
  again.Close();
}

// ---- Errors -------------------------------------------------------------------

TEST_F(ClientTest, UnknownOpIsNotFound) {
  Tensor x = torch_->ones({2});
  const std::string msg = ExpectError(
      [&] {
        torch_->Exec("frobnicate", {x});
        torch_->Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, HasSubstr("unknown op 'frobnicate'"));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, UnknownHandleIsNotFound) {
  v1::TensorRef ref;
  ref.set_handle(123456789);
  const std::string msg = ExpectError(
      [&] {
        torch_->ExecNamed("neg", {ref}, {}, "");
        torch_->Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, HasSubstr("123456789"));
  v1::TensorRef named;
  named.set_name("nosuch");
  const std::string msg2 = ExpectError(
      [&] {
        torch_->ExecNamed("neg", {named}, {}, "");
        torch_->Sync();
      },
      kNotFound);
  EXPECT_THAT(msg2, HasSubstr("'nosuch'"));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, AnotherSessionsHandleIsNotFound) {
  // Handle numbers are per session, so the other session makes enough
  // tensors that its last handle number is not also one of this session's.
  Session other = Session::Open(SessionConfig{.address = address()});
  std::vector<Tensor> filler;
  for (int i = 0; i < 20; ++i) filler.push_back(other.zeros({1}));
  Tensor theirs = other.tensor("[1., 2.]");
  v1::TensorRef ref;
  ref.set_handle(theirs.handle());
  const std::string msg = ExpectError(
      [&] {
        torch_->ExecNamed("neg", {ref}, {}, "");
        torch_->Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, HasSubstr(std::to_string(theirs.handle())));
  // Nor may it be written through out= or released from here.
  Tensor mine = torch_->ones({2});
  v1::TensorRef mine_ref;
  mine_ref.set_handle(mine.handle());
  ExpectError(
      [&] {
        torch_->ExecNamed("add", {mine_ref, mine_ref}, {}, "", &ref);
        torch_->Sync();
      },
      kNotFound);
  ExpectError(
      [&] {
        torch_->Release({ref});
        torch_->Sync();
      },
      kNotFound);
  // The owner still has it, unchanged.
  EXPECT_THAT(Values(theirs), ElementsAre(1, 2));
  ExpectSessionWorks(*torch_);
  ExpectSessionWorks(other);
}

TEST_F(ClientTest, AddWithShapeMismatchNamesBothShapes) {
  Tensor x = torch_->zeros({5, 3});
  Tensor y = torch_->zeros({4, 2});
  const std::string msg = ExpectError(
      [&] {
        x + y;
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, AllOf(HasSubstr("[5, 3]"), HasSubstr("[4, 2]")));
  // In place: x is left as it was.
  ExpectError(
      [&] {
        x.add_(y);
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_EQ(x.size(), (Size{{5, 3}}));
  EXPECT_THAT(Values(x), ::testing::Each(0.0));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, ViewWithIncompatibleSize) {
  Tensor x = torch_->zeros({5, 3});
  const std::string msg = ExpectError(
      [&] {
        x.view({7});
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, AllOf(HasSubstr("[7]"), HasSubstr("15")));
  ExpectError(
      [&] {
        x.view({-1, -1});
        torch_->Sync();
      },
      kInvalidArgument);
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, MatmulShapeMismatch) {
  Tensor a = torch_->zeros({5, 3});
  Tensor b = torch_->zeros({4, 2});
  const std::string msg = ExpectError(
      [&] {
        a.matmul(b);
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, AllOf(HasSubstr("5x3"), HasSubstr("4x2")));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, BadDtypeName) {
  const std::string msg = ExpectError(
      [&] {
        torch_->zeros({2, 2}, Options{.dtype = "float33"});
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, HasSubstr("float33"));
  const std::string msg2 = ExpectError(
      [&] {
        torch_->tensor("[1]", Options{.dtype = "float33"});
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg2, HasSubstr("float33"));
  Tensor x = torch_->ones({2});
  ExpectError(
      [&] {
        x.to("float33");
        torch_->Sync();
      },
      kInvalidArgument);
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, NegativeSize) {
  const std::string msg = ExpectError(
      [&] {
        torch_->zeros({-2, 3});
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, HasSubstr("-2"));
  ExpectError(
      [&] {
        torch_->rand({3, -1});
        torch_->Sync();
      },
      kInvalidArgument);
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, OverflowingSize) {
  const int64_t big = int64_t{1} << 40;
  const std::string msg = ExpectError(
      [&] {
        torch_->zeros({big, big});
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, AllOf(HasSubstr("overflow"), HasSubstr(std::to_string(big))));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, MalformedLiteral) {
  const std::string msg = ExpectError(
      [&] {
        torch_->tensor("[1, [2]]");
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, HasSubstr("literal"));
  ExpectError(
      [&] {
        torch_->tensor("[1, 2");
        torch_->Sync();
      },
      kInvalidArgument);
  ExpectError(
      [&] {
        torch_->tensor("[1, abc]");
        torch_->Sync();
      },
      kInvalidArgument);
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, MalformedIndexString) {
  Tensor x = torch_->zeros({5, 3});
  const std::string msg = ExpectError(
      [&] {
        x.index(":, x");
        torch_->Sync();
      },
      kInvalidArgument);
  EXPECT_THAT(msg, HasSubstr("':, x'"));
  EXPECT_THAT(msg, HasSubstr("'x'"));
  ExpectSessionWorks(*torch_);
}

TEST_F(ClientTest, OutputHandleAlreadyInUse) {
  // Client-chosen output handles go through the raw protocol.
  auto stub =
      v1::Tensord::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  auto zeros_into = [&](uint64_t handle) {
    grpc::ClientContext ctx;
    v1::ExecuteRequest req;
    v1::ExecuteResponse resp;
    req.set_session_id(torch_->id());
    req.set_op("zeros");
    (*req.mutable_attrs())["size"] = Attr(std::vector<int64_t>{2}).proto();
    req.add_outputs()->set_handle(handle);
    return stub->Execute(&ctx, req, &resp);
  };
  grpc::Status ok = zeros_into(77);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_TRUE(HasHandle(*torch_, 77));
  grpc::Status dup = zeros_into(77);
  EXPECT_EQ(dup.error_code(), kAlreadyExists);
  EXPECT_THAT(dup.error_message(), HasSubstr("77"));
  grpc::Status top = zeros_into(uint64_t{1} << 63 | 5);
  EXPECT_EQ(top.error_code(), kInvalidArgument);
  EXPECT_THAT(top.error_message(), HasSubstr("top bit"));
  ExpectSessionWorks(*torch_);
  v1::TensorRef ref;
  ref.set_handle(77);
  torch_->Release({ref});
  EXPECT_FALSE(HasHandle(*torch_, 77));
}

TEST_F(ClientTest, UnknownSessionId) {
  Session s = Session::Open(SessionConfig{.address = address()});
  const std::string id = s.id();
  Tensor t = s.ones({2});
  s.Close();
  // The client knows its session is closed and says so without asking.
  const std::string msg = ExpectError([&] { s.ListTensors(); }, kFailedPrecondition);
  EXPECT_THAT(msg, HasSubstr("session was closed"));
  ExpectError([&] { t.Fetch(); }, kFailedPrecondition);
  ExpectError([&] { s.zeros({1}); }, kFailedPrecondition);
  // The daemon refuses the closed session's id.
  Session other = Session::Open(SessionConfig{.address = address()});
  v1::ListTensorsRequest req;
  req.set_session_id(id);
  v1::ListTensorsResponse resp;
  grpc::ClientContext ctx;
  auto stub =
      v1::Tensord::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  const grpc::Status st = stub->ListTensors(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), AllOf(HasSubstr("unknown session"), HasSubstr(id)));
  // Other sessions are unaffected, and a new one works.
  ExpectSessionWorks(*torch_);
  ExpectSessionWorks(Session::Open(SessionConfig{.address = address()}));
}

TEST(ClientLimitsTest, TensorOverMaxBytesIsResourceExhausted) {
  TensordDaemon small({"--max_tensor_bytes=4096"});
  Session s = Session::Open(SessionConfig{.address = small.address()});
  const std::string msg = ExpectError(
      [&] {
        s.zeros({100, 100});
        s.Sync();
      },
      kResourceExhausted);
  EXPECT_THAT(msg, AllOf(HasSubstr("[100, 100]"), HasSubstr("4096")));
  // The limit is in bytes: 32x32 float32 fits exactly, float64 does not.
  EXPECT_EQ(s.zeros({32, 32}).numel(), 1024);
  ExpectError(
      [&] {
        s.zeros({32, 32}, Options{.dtype = "float64"});
        s.Sync();
      },
      kResourceExhausted);
  // Ops producing a large result are limited too.
  Tensor row = s.ones({1, 64});
  Tensor col = s.ones({64, 1});
  ExpectError(
      [&] {
        row + col;
        s.Sync();
      },
      kResourceExhausted);
  ExpectError(
      [&] {
        row.expand({64, 64}).contiguous();
        s.Sync();
      },
      kResourceExhausted);
  ExpectSessionWorks(s);
}

TEST(ClientLeaseTest, IdleSessionExpiresAfterItsLease) {
  TensordDaemon daemon({"--lease_seconds=1"});
  Session idle = Session::Open(SessionConfig{.address = daemon.address()});
  Session busy = Session::Open(SessionConfig{.address = daemon.address()});
  Tensor t = idle.ones({3});
  Tensor kept = busy.ones({3});
  // `busy` renews its lease with a call every 200 ms; `idle` makes none.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_THAT(Values(kept), ElementsAre(1, 1, 1));
  }
  const std::string msg = ExpectError(
      [&] {
        t.Fetch();
        idle.Sync();
      },
      kNotFound);
  EXPECT_THAT(msg, AllOf(HasSubstr("unknown session"), HasSubstr(idle.id())));
  ExpectError(
      [&] {
        idle.zeros({1});
        idle.Sync();
      },
      kNotFound);
  ExpectSessionWorks(busy);
}

// ---- Autograd ---------------------------------------------------------------

TEST_F(ClientTest, BlitzAutogradValuesAndReprs) {
  Session& torch = *torch_;
  Tensor x = torch.ones({2, 2}, {.requires_grad = true});
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(x.repr(), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)");
  Tensor y = x + 2;
  EXPECT_EQ(y.repr(), "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)");
  EXPECT_THAT(y.grad_fn_repr(), ::testing::MatchesRegex("<AddBackward0 object at 0x[0-9a-f]+>"));
  EXPECT_EQ(x.grad_fn_repr(), "None");
  Tensor z = y * y * 3;
  Tensor out = z.mean();
  EXPECT_EQ(out.repr(), "tensor(27., grad_fn=<MeanBackward0>)");
  EXPECT_FALSE(x.grad().has_value());
  out.backward();
  std::optional<Tensor> g = x.grad();
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->repr(), "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])");
  // x.grad.zero_() clears the gradient itself.
  g->zero_();
  EXPECT_EQ(x.grad()->repr(), "tensor([[0., 0.],\n        [0., 0.]])");
  x.set_grad(std::nullopt);
  EXPECT_FALSE(x.grad().has_value());
}

TEST_F(ClientTest, VectorJacobianNoGradAndDetach) {
  Session& torch = *torch_;
  Tensor x = torch.tensor("[1., -2., 3.]", {.requires_grad = true});
  Tensor y = x * 2;
  for (int i = 0; i < 9; ++i) y = y * 2;  // y = 1024 x
  Tensor v = torch.tensor("[0.1, 1.0, 0.0001]");
  y.backward(v);
  EXPECT_EQ(x.grad()->repr(), "tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])");
  {
    NoGradGuard no_grad(torch);
    EXPECT_FALSE(x.Op("pow", {}, {{"exponent", 2}}).requires_grad());
  }
  EXPECT_TRUE(x.Op("pow", {}, {{"exponent", 2}}).requires_grad());
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(x.Op("eq", {d}).Op("all").repr(), "tensor(True)");
  // retain_grad keeps a non-leaf's gradient.
  Tensor h = x * 3;
  h.retain_grad();
  (h * h).sum().backward();
  EXPECT_EQ(h.grad()->repr(), "tensor([  6., -12.,  18.])");
}

TEST_F(ClientTest, AutogradErrorsKeepTheSessionUsable) {
  Session& torch = *torch_;
  Tensor plain = torch.ones({2});
  try {
    plain.sum().backward();
    torch.Sync();
    ADD_FAILURE() << "backward without requires_grad succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("does not require grad"));
  }
  Tensor i = torch.zeros({2}, {.dtype = "int64"});
  EXPECT_THROW((i.requires_grad_(true), torch.Sync()), Error);
  Tensor x = torch.ones({2}, {.requires_grad = true});
  EXPECT_THROW((x.add_(1), torch.Sync()), Error);           // a leaf that requires grad, in place
  EXPECT_THROW(((x * 2).backward(), torch.Sync()), Error);  // not a scalar
  EXPECT_EQ((x + 1).sum().item(), 4);
}

// ---- Unix-domain socket ---------------------------------------------------

TEST(UnixSocket, LocalClientsConnectThroughAnOwnerOnlySocket) {
  char dir_template[] = "/tmp/tensord-sock-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/tensord.sock";
  {
    TensordDaemon daemon({"--unix_socket=" + path});
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    Session local = Session::Open(SessionConfig{.address = "unix:" + path});
    EXPECT_EQ(local.ones({2, 3}).sum().item(), 6);
    // TCP still works beside it.
    Session tcp = Session::Open(SessionConfig{.address = daemon.address()});
    EXPECT_EQ(tcp.ones({4}).sum().item(), 4);
  }
  // A path that is a regular file is refused, not deleted.
  const std::string file = std::string(dir_template) + "/not-a-socket";
  { std::ofstream(file) << "keep"; }
  EXPECT_THROW(TensordDaemon({"--unix_socket=" + file}), std::runtime_error);
  struct stat st;
  EXPECT_EQ(::stat(file.c_str(), &st), 0);
  ::unlink(file.c_str());
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

}  // namespace
}  // namespace tensord::client
