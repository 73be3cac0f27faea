// The pipelined stream, chunked transfers and same-host shared memory,
// against a real tensord: through the C++ client and, for the wire
// protocol's edge cases, through a raw gRPC stub.
#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "client/tensor.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tensord/v1/tensord.grpc.pb.h"
#include "tests/integration/daemon_fixture.h"

namespace tensord::client {
namespace {

using tensord::testing::TensordDaemon;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class StreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new TensordDaemon(
        {"--unix_socket=/tmp/tensord-stream-test-" + std::to_string(::getpid()) + ".sock"});
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static std::string tcp() { return daemon_->address(); }
  static std::string unix_address() {
    return "unix:/tmp/tensord-stream-test-" + std::to_string(::getpid()) + ".sock";
  }
  static std::unique_ptr<v1::Tensord::Stub> Stub() {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    return v1::Tensord::NewStub(
        grpc::CreateCustomChannel(tcp(), grpc::InsecureChannelCredentials(), args));
  }
  static TensordDaemon* daemon_;
};
TensordDaemon* StreamTest::daemon_ = nullptr;

std::vector<double> Values(const Tensor& t) {
  HostTensor h = t.Fetch();
  if (!h.floats.empty()) return h.floats;
  return std::vector<double>(h.ints.begin(), h.ints.end());
}

// Shared-memory segments of the daemon's process in /dev/shm.
int DaemonSegments(pid_t pid) {
  const std::string prefix = "tensord-" + std::to_string(pid) + "-";
  int n = 0;
  DIR* d = ::opendir("/dev/shm");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) ++n;
  }
  ::closedir(d);
  return n;
}

// ---- Pipelining through the client --------------------------------------------

TEST_F(StreamTest, AFailedOpIsReportedAtTheNextBarrierWithItsOwnMessage) {
  Session s = Session::Open(tcp());
  Tensor x = s.zeros({5, 3});
  Tensor y = s.zeros({4, 2});
  // Neither call waits for the daemon, so neither throws.
  Tensor z = x + y;
  Tensor w = z * 2;
  try {
    w.Fetch();
    ADD_FAILURE() << "fetching the result of a failed op succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), grpc::StatusCode::INVALID_ARGUMENT);
    // The root cause (the add), not the dependent multiply or fetch.
    EXPECT_THAT(e.what(), AllOf(HasSubstr("[5, 3]"), HasSubstr("[4, 2]"), HasSubstr("op #")));
  }
  // Reported once: the session goes on.
  EXPECT_THAT(Values(x + 1), ::testing::Each(1.0));
  // Using the failed result again fails again, now naming the op it depends on.
  try {
    (z + 1).Fetch();
    ADD_FAILURE() << "using a failed result succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(e.what(), HasSubstr("depends on failed op"));
  }
  s.Sync();
}

TEST_F(StreamTest, ManyOpsWithoutWaitingRunInOrder) {
  Session s = Session::Open(tcp());
  Tensor acc = s.zeros({3});
  for (int i = 1; i <= 2000; ++i) acc.add_(s.full({3}, i));
  // 1 + 2 + ... + 2000
  EXPECT_THAT(Values(acc), ::testing::Each(2001000.0));
}

TEST_F(StreamTest, DroppedTensorsAreReleasedInBatches) {
  Session s = Session::Open(tcp());
  Tensor keep = s.ones({2});
  const size_t before = s.ListTensors().size();
  for (int i = 0; i < 500; ++i) {
    Tensor t = keep * i;  // released when it goes out of scope
  }
  EXPECT_EQ(s.ListTensors().size(), before);
}

TEST_F(StreamTest, ClientsOfANamedSessionChooseHandlesInTheirOwnRanges) {
  Session a = Session::Open(SessionConfig{.address = tcp(), .name = "stream-shared"});
  Session b = Session::Open(SessionConfig{.address = tcp(), .name = "stream-shared"});
  ASSERT_TRUE(b.attached());
  Tensor ta = a.ones({2});
  Tensor tb = b.full({2}, 3.0);
  EXPECT_NE(ta.handle(), tb.handle());
  EXPECT_THAT(Values(ta + 0), ElementsAre(1, 1));
  EXPECT_THAT(Values(tb + 0), ElementsAre(3, 3));
  a.Close();
}

// ---- The wire protocol, through a raw stub ----------------------------------------

v1::Command Create(uint64_t handle, const std::string& literal) {
  v1::Command c;
  c.mutable_create()->set_literal(literal);
  c.mutable_create()->mutable_output()->set_handle(handle);
  return c;
}

v1::Command Exec(const std::string& op, std::vector<uint64_t> inputs, uint64_t out_handle) {
  v1::Command c;
  c.mutable_execute()->set_op(op);
  for (uint64_t h : inputs) c.mutable_execute()->add_inputs()->set_handle(h);
  c.mutable_execute()->add_outputs()->set_handle(out_handle);
  return c;
}

// Sends one message of commands plus a sync, half-closes, and returns every
// reply and the final status.
std::pair<std::vector<v1::CommandReply>, grpc::Status> RunStream(
    v1::Tensord::Stub* stub, const std::string& session, std::vector<v1::Command> commands) {
  grpc::ClientContext ctx;
  auto stream = stub->Stream(&ctx);
  v1::StreamRequest req;
  req.set_session_id(session);
  for (v1::Command& c : commands) *req.add_commands() = std::move(c);
  req.add_commands()->mutable_sync();
  stream->Write(req);
  stream->WritesDone();
  std::vector<v1::CommandReply> replies;
  v1::StreamResponse resp;
  while (stream->Read(&resp)) {
    for (const v1::CommandReply& r : resp.replies()) replies.push_back(r);
  }
  return {replies, stream->Finish()};
}

std::string OpenSession(v1::Tensord::Stub* stub, uint64_t* base = nullptr) {
  grpc::ClientContext ctx;
  v1::OpenSessionResponse resp;
  EXPECT_TRUE(stub->OpenSession(&ctx, v1::OpenSessionRequest(), &resp).ok());
  if (base != nullptr) *base = resp.handle_base();
  return resp.session_id();
}

TEST_F(StreamTest, OnlyFailuresAndBarriersAreAnsweredAndDependentsNameTheirCause) {
  auto stub = Stub();
  uint64_t b = 0;
  const std::string id = OpenSession(stub.get(), &b);
  auto [replies, status] = RunStream(stub.get(), id,
                                     {Create(b + 1, "[1., 2., 3.]"), Create(b + 2, "[1., 2.]"),
                                      Exec("add", {b + 1, b + 2}, b + 3),  // 3: fails (shapes)
                                      Exec("neg", {b + 3}, b + 4),         // 4: depends on 3
                                      Exec("mul", {b + 4, b + 1}, b + 5),  // 5: depends on 3 too
                                      Exec("neg", {b + 1}, b + 6)});       // 6: fine
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].seq(), 3u);
  EXPECT_EQ(replies[0].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(replies[0].depends_on(), 0u);
  EXPECT_EQ(replies[1].seq(), 4u);
  EXPECT_EQ(replies[1].code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(replies[1].depends_on(), 3u);
  EXPECT_THAT(replies[1].message(), HasSubstr("neg depends on failed op 3"));
  EXPECT_EQ(replies[2].seq(), 5u);
  EXPECT_EQ(replies[2].depends_on(), 3u);
  EXPECT_EQ(replies[3].seq(), 7u);  // the sync
  EXPECT_TRUE(replies[3].has_sync());
}

TEST_F(StreamTest, MalformedStreamsGetPreciseErrorsAndHurtNoOne) {
  auto stub = Stub();
  Session bystander = Session::Open(tcp());
  Tensor kept = bystander.ones({2});
  {  // No session in the first message: the stream ends.
    auto [replies, status] = RunStream(stub.get(), "", {});
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("session_id"));
  }
  {  // An unknown session.
    auto [replies, status] = RunStream(stub.get(), "no-such-session", {});
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {  // An empty command and an unknown handle fail alone; the stream goes on.
    const std::string id = OpenSession(stub.get());
    auto [replies, status] = RunStream(stub.get(), id, {v1::Command(), Exec("neg", {424242}, 0)});
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(replies[0].message(), HasSubstr("empty command"));
    EXPECT_EQ(replies[1].code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_TRUE(replies[2].has_sync());
  }
  EXPECT_THAT(Values(kept + 1), ElementsAre(2, 2));
}

// ---- Chunked transfers ----------------------------------------------------------

RawTensor Pattern(int64_t n) {
  RawTensor raw{.shape = {n}, .dtype = "int32"};
  raw.data.resize(static_cast<size_t>(n) * 4);
  auto* p = reinterpret_cast<int32_t*>(raw.data.data());
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int32_t>(i * 2654435761u);
  return raw;
}

TEST_F(StreamTest, LargeUploadAndFetchTravelInChunksWithProgress) {
  Session s = Session::Open(SessionConfig{.address = tcp(), .shared_memory = false});
  const RawTensor raw = Pattern(3'000'001);  // ~11.4 MiB, not a multiple of the chunk
  std::vector<int64_t> up, down;
  Tensor t = s.FromRaw(raw, {}, "", [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, static_cast<int64_t>(raw.data.size()));
    up.push_back(done);
  });
  EXPECT_GE(up.size(), 11u);
  EXPECT_EQ(up.back(), static_cast<int64_t>(raw.data.size()));
  EXPECT_TRUE(std::is_sorted(up.begin(), up.end()));
  RawTensor back = t.FetchRaw([&](int64_t done, int64_t) { down.push_back(done); });
  EXPECT_GE(down.size(), 11u);
  EXPECT_EQ(back.shape, raw.shape);
  EXPECT_EQ(back.dtype, "int32");
  EXPECT_TRUE(back.data == raw.data);
  // The daemon computes on what arrived.
  EXPECT_EQ((t.to("int64").sum()).item(),
            static_cast<double>(std::accumulate(
                reinterpret_cast<const int32_t*>(raw.data.data()),
                reinterpret_cast<const int32_t*>(raw.data.data()) + 3'000'001, int64_t{0})));
}

TEST_F(StreamTest, MalformedUploadsAreRefusedPrecisely) {
  auto stub = Stub();
  const std::string id = OpenSession(stub.get());
  auto upload = [&](std::vector<v1::UploadRequest> msgs) {
    grpc::ClientContext ctx;
    v1::CreateTensorResponse resp;
    auto w = stub->Upload(&ctx, &resp);
    for (const auto& m : msgs) w->Write(m);
    w->WritesDone();
    return w->Finish();
  };
  v1::UploadRequest header;
  header.mutable_header()->set_session_id(id);
  header.mutable_header()->add_shape(4);
  header.mutable_header()->set_dtype(v1::FLOAT32);
  v1::UploadRequest odd, big, ok;
  odd.set_chunk(std::string(3, 'x'));
  big.set_chunk(std::string(20, 'x'));
  ok.set_chunk(std::string(8, 'x'));
  grpc::Status st = upload({odd});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("header"));
  st = upload({header, odd});
  EXPECT_THAT(st.error_message(), HasSubstr("whole number"));
  st = upload({header, big});
  EXPECT_THAT(st.error_message(), HasSubstr("holds 16"));
  st = upload({header, ok});
  EXPECT_THAT(st.error_message(), HasSubstr("after 8 of 16 bytes"));
  st = upload({header, header});
  EXPECT_THAT(st.error_message(), HasSubstr("one header"));
  v1::UploadRequest huge = header;
  huge.mutable_header()->set_shape(0, int64_t{1} << 62);
  st = upload({huge});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A complete upload still works on the same session.
  EXPECT_TRUE(upload({header, ok, ok}).ok());
}

TEST_F(StreamTest, TensorsOverTwoGibibytesGoBothWays) {
  Session s = Session::Open(SessionConfig{.address = tcp(), .shared_memory = false});
  const int64_t n = (int64_t{1} << 29) + 1024;  // 2 GiB + 4 KiB of int32
  Tensor t;
  {
    const RawTensor raw = Pattern(n);
    t = s.FromRaw(raw);
  }
  EXPECT_EQ(t.numel(), n);
  const RawTensor back = t.FetchRaw();
  ASSERT_EQ(back.data.size(), static_cast<size_t>(n) * 4);
  const auto* p = reinterpret_cast<const int32_t*>(back.data.data());
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += p[i] != static_cast<int32_t>(i * 2654435761u);
  EXPECT_EQ(wrong, 0);
}

// ---- Shared memory ----------------------------------------------------------------

TEST_F(StreamTest, SharedTensorsAreOneMemoryForDaemonAndClient) {
  for (const std::string& address : {unix_address(), tcp()}) {
    SCOPED_TRACE(address);
    Session s = Session::Open(address);
    const int before = DaemonSegments(daemon_->pid());
    {
      SharedTensor a = s.shared_zeros({5});
      ASSERT_EQ(a.nbytes(), 20);
      EXPECT_EQ(DaemonSegments(daemon_->pid()), before + 1);
      // torch.from_numpy: the client's write is seen by the next op.
      std::span<float> v = a.values<float>();
      std::iota(v.begin(), v.end(), 1.0f);
      EXPECT_THAT(Values(a.tensor() * 10), ElementsAre(10, 20, 30, 40, 50));
      // a.numpy(): an in-place op in the daemon shows up in the client's
      // memory without a fetch.
      Tensor t = a.tensor();
      t.add_(1);
      s.Sync();
      EXPECT_THAT(std::vector<float>(v.begin(), v.end()), ElementsAre(2, 3, 4, 5, 6));
    }
    // Freed with the tensor.
    s.Sync();
    EXPECT_EQ(DaemonSegments(daemon_->pid()), before);
    // And with the session.
    SharedTensor b = s.shared_zeros({3}, {.dtype = "float64"});
    EXPECT_EQ(b.nbytes(), 24);
    s.Close();
    EXPECT_EQ(DaemonSegments(daemon_->pid()), before);
    // The client's mapping outlives the daemon's tensor.
    b.values<double>()[0] = 1.5;
    EXPECT_EQ(b.values<double>()[0], 1.5);
  }
}

TEST_F(StreamTest, SharedSegmentsAreOwnerOnlyAndUnguessable) {
  Session s = Session::Open(unix_address());
  SharedTensor a = s.shared_zeros({4});
  SharedTensor b = s.shared_zeros({4});
  const std::string prefix = "tensord-" + std::to_string(daemon_->pid()) + "-";
  std::vector<std::string> names;
  DIR* d = ::opendir("/dev/shm");
  ASSERT_NE(d, nullptr);
  while (dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) names.push_back(e->d_name);
  }
  ::closedir(d);
  ASSERT_GE(names.size(), 2u);
  for (const std::string& n : names) {
    struct stat st;
    ASSERT_EQ(::stat(("/dev/shm/" + n).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << n;
    EXPECT_EQ(n.size(), prefix.size() + 32) << n;  // 128 random bits
  }
}

TEST_F(StreamTest, LargeTransfersUseTheStagingBufferWhenLocal) {
  Session s = Session::Open(unix_address());
  const int before = DaemonSegments(daemon_->pid());
  const RawTensor raw = Pattern(2'000'000);
  Tensor t = s.FromRaw(raw);
  // One staging buffer, reused by the fetch.
  EXPECT_EQ(DaemonSegments(daemon_->pid()), before + 1);
  const RawTensor back = t.FetchRaw();
  EXPECT_TRUE(back.data == raw.data);
  EXPECT_EQ(DaemonSegments(daemon_->pid()), before + 1);
  Tensor u = t + 1;
  const RawTensor plus = u.FetchRaw();
  EXPECT_EQ(reinterpret_cast<const int32_t*>(plus.data.data())[7],
            reinterpret_cast<const int32_t*>(raw.data.data())[7] + 1);
  s.Close();
  EXPECT_EQ(DaemonSegments(daemon_->pid()), before);
}

TEST_F(StreamTest, SharedTensorsOfOtherDevicesAreRefused) {
  Session s = Session::Open(tcp());
  try {
    s.shared_zeros({2}, {.device = "cuda:0"});
    ADD_FAILURE() << "a shared cuda tensor was created";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(e.what(), HasSubstr("cpu"));
  }
}

}  // namespace
}  // namespace tensord::client
