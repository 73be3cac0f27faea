// Sessions and devices in the transport-free service: each session's device
// work (ops, the pipelined stream, uploads and downloads) runs on the
// session's own work queue; closing a session or letting it expire releases
// that queue on every backend; ListDevices reports every device, its memory
// and the calling session's bytes. A fake device "cuda:6" records the
// queue of every allocation and host copy.
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "device/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/command_stream.h"
#include "server/tensor_service.h"
#include "server/tensor_transfer.h"
#include "tests/device/fake_backend.h"

namespace tensord::server {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;

const device::Device kFake{device::Device::Type::kCuda, 6};

device::testing::FakeBackend& Fake() {
  static device::testing::FakeBackend* const fake = [] {
    auto owned = std::make_unique<device::testing::FakeBackend>(kFake);
    device::testing::FakeBackend* f = owned.get();
    device::RegisterBackend(std::move(owned));
    return f;
  }();
  return *fake;
}

class SessionQueueTest : public ::testing::Test {
 protected:
  SessionQueueTest() : service_(Options()) { Fake().ClearQueues(); }
  static ServiceOptions Options() {
    ServiceOptions o;
    o.sessions.default_lease = absl::Seconds(30);
    return o;
  }

  std::string Open() {
    absl::StatusOr<v1::OpenSessionResponse> r = service_.OpenSession("alice", {});
    EXPECT_TRUE(r.ok()) << r.status();
    return r->session_id();
  }
  uint64_t QueueOf(const std::string& sid) {
    absl::StatusOr<std::shared_ptr<Session>> s = service_.sessions().Get("alice", sid);
    EXPECT_TRUE(s.ok()) << s.status();
    return (*s)->queue_id();
  }
  // [1.0, 2.0, 3.0] on the fake device.
  v1::CreateTensorRequest Create(const std::string& sid) {
    v1::CreateTensorRequest req;
    req.set_session_id(sid);
    req.set_literal("[1.0, 2.0, 3.0]");
    req.set_device(kFake.ToString());
    return req;
  }

  TensorService service_;
};

TEST_F(SessionQueueTest, EachSessionHasItsOwnNonzeroQueue) {
  const std::string a = Open(), b = Open();
  EXPECT_NE(QueueOf(a), 0u);
  EXPECT_NE(QueueOf(b), 0u);
  EXPECT_NE(QueueOf(a), QueueOf(b));
}

TEST_F(SessionQueueTest, OpsAndFetchesRunOnTheSessionsQueue) {
  const std::string sid = Open();
  absl::StatusOr<v1::CreateTensorResponse> made = service_.CreateTensor("alice", Create(sid));
  ASSERT_TRUE(made.ok()) << made.status();
  v1::FetchRequest fetch;
  fetch.set_session_id(sid);
  fetch.mutable_tensor()->set_handle(made->tensor().handle());
  absl::StatusOr<v1::FetchResponse> got = service_.Fetch("alice", fetch);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->raw().size(), 12u);
  float v[3];
  std::memcpy(v, got->raw().data(), sizeof(v));
  EXPECT_EQ(v[2], 3.0f);
  // Allocation, copy in, copy out.
  EXPECT_EQ(Fake().queues(), std::vector<uint64_t>(3, QueueOf(sid)));
}

TEST_F(SessionQueueTest, TheStreamRunsOnTheSessionsQueue) {
  const std::string sid = Open();
  CommandStream stream(&service_, "alice");
  v1::StreamRequest req;
  req.set_session_id(sid);
  *req.add_commands()->mutable_create() = Create(sid);
  v1::Command* fetch = req.add_commands();
  fetch->mutable_fetch()->mutable_tensor()->set_handle(0);  // unknown: fails after the create
  absl::StatusOr<v1::StreamResponse> resp = stream.Run(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_FALSE(Fake().queues().empty());
  EXPECT_THAT(Fake().queues(), Each(QueueOf(sid)));
}

TEST_F(SessionQueueTest, UploadsAndDownloadsRunOnTheSessionsQueue) {
  const std::string sid = Open();
  v1::UploadHeader header;
  header.set_session_id(sid);
  header.set_dtype(v1::FLOAT32);
  header.add_shape(2);
  header.set_device(kFake.ToString());
  header.mutable_output()->set_name("up");
  absl::StatusOr<std::unique_ptr<TensorUpload>> up = service_.BeginUpload("alice", header);
  ASSERT_TRUE(up.ok()) << up.status();
  const float data[2] = {5, 6};
  ASSERT_TRUE((*up)->Append(std::string_view(reinterpret_cast<const char*>(data), 8)).ok());
  ASSERT_TRUE((*up)->Finish().ok());
  up->reset();
  v1::FetchRequest req;
  req.set_session_id(sid);
  req.mutable_tensor()->set_name("up");
  absl::StatusOr<std::unique_ptr<TensorDownload>> down = service_.BeginDownload("alice", req);
  ASSERT_TRUE(down.ok()) << down.status();
  std::string chunk;
  ASSERT_TRUE((*down)->Next(1 << 20, &chunk).ok());
  EXPECT_EQ(chunk.size(), 8u);
  // Allocation and copy in; copy out.
  EXPECT_EQ(Fake().queues(), std::vector<uint64_t>(3, QueueOf(sid)));
}

TEST_F(SessionQueueTest, ClosingASessionReleasesItsQueueEverywhere) {
  const std::string sid = Open();
  const uint64_t q = QueueOf(sid);
  ASSERT_TRUE(service_.CreateTensor("alice", Create(sid)).ok());
  EXPECT_THAT(Fake().released(), Not(Contains(q)));
  v1::CloseSessionRequest close;
  close.set_session_id(sid);
  ASSERT_TRUE(service_.CloseSession("alice", close).ok());
  EXPECT_THAT(Fake().released(), Contains(q));
}

TEST_F(SessionQueueTest, AnExpiredSessionReleasesItsQueueEverywhere) {
  const std::string sid = Open();
  const uint64_t q = QueueOf(sid);
  EXPECT_EQ(service_.sessions().ReapExpired(absl::Now() + absl::Hours(1)), 1);
  EXPECT_THAT(Fake().released(), Contains(q));
}

TEST_F(SessionQueueTest, ListDevicesReportsMemoryAndTheSessionsShare) {
  const std::string sid = Open();
  ASSERT_TRUE(service_.CreateTensor("alice", Create(sid)).ok());
  v1::ListDevicesRequest req;
  req.set_session_id(sid);
  absl::StatusOr<v1::ListDevicesResponse> r = service_.ListDevices("alice", req);
  ASSERT_TRUE(r.ok()) << r.status();
  std::set<std::string> names;
  for (const v1::DeviceInfo& d : r->devices()) {
    names.insert(d.name());
    if (d.name() == "cpu") {
      EXPECT_EQ(d.kind(), "cpu");
      EXPECT_TRUE(d.is_default());
      EXPECT_GT(d.total_bytes(), 0);
      EXPECT_EQ(d.session_bytes(), 0);
    } else if (d.name() == "cuda:6") {
      EXPECT_EQ(d.kind(), "cuda");
      EXPECT_FALSE(d.is_default());
      EXPECT_EQ(d.description(), "a fake device");
      EXPECT_EQ(d.total_bytes(), int64_t{1} << 30);
      EXPECT_EQ(d.bytes_in_use(), 7);
      EXPECT_EQ(d.bytes_cached(), 3);
      EXPECT_EQ(d.session_bytes(), 12);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"cpu", "cuda:6"}));
  // Without a session: no session bytes; another principal's or an unknown
  // or malformed id: NOT_FOUND.
  absl::StatusOr<v1::ListDevicesResponse> bare = service_.ListDevices("alice", {});
  ASSERT_TRUE(bare.ok());
  for (const v1::DeviceInfo& d : bare->devices()) EXPECT_EQ(d.session_bytes(), 0);
  EXPECT_EQ(service_.ListDevices("mallory", req).status().code(), absl::StatusCode::kNotFound);
  req.set_session_id("%%%");
  const absl::Status bad = service_.ListDevices("alice", req).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(bad.message(), HasSubstr("unknown session '%%%'"));
}

}  // namespace
}  // namespace tensord::server
