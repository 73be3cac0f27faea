// Devices through a real tensord: the ListDevices RPC (each device, its
// memory, the calling session's share, the default device), its errors,
// `tensorctl devices`, and the daemon's CUDA start-up on this host
// (--device auto, --allow-tf32, the log line saying what CUDA gave).
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client/tensor.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tensord/v1/tensord.grpc.pb.h"
#include "tests/integration/daemon_fixture.h"

namespace tensord::testing {
namespace {

using ::tensord::client::Session;
using ::tensord::client::SessionConfig;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class DevicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new TensordDaemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static const std::string& address() { return daemon_->address(); }

  static grpc::Status Call(const v1::ListDevicesRequest& req, v1::ListDevicesResponse* resp) {
    auto stub =
        v1::Tensord::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    return stub->ListDevices(&ctx, req, resp);
  }
  static const v1::DeviceInfo* Find(const std::vector<v1::DeviceInfo>& devices,
                                    const std::string& name) {
    for (const v1::DeviceInfo& d : devices) {
      if (d.name() == name) return &d;
    }
    return nullptr;
  }
  static bool HasGpu(const std::vector<v1::DeviceInfo>& devices) {
    return Find(devices, "cuda:0") != nullptr;
  }

  static TensordDaemon* daemon_;
};
TensordDaemon* DevicesTest::daemon_ = nullptr;

TEST_F(DevicesTest, ListsTheCpuWithItsMemoryAndOneDefault) {
  Session s = Session::Open(SessionConfig{.address = address()});
  const std::vector<v1::DeviceInfo> devices = s.ListDevices();
  const v1::DeviceInfo* cpu = Find(devices, "cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->kind(), "cpu");
  EXPECT_THAT(cpu->description(), HasSubstr("logical cores"));
  EXPECT_EQ(cpu->total_bytes(),
            static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE));
  EXPECT_GE(cpu->bytes_in_use(), 0);
  EXPECT_GE(cpu->bytes_cached(), 0);
  EXPECT_EQ(std::count_if(devices.begin(), devices.end(),
                          [](const v1::DeviceInfo& d) { return d.is_default(); }),
            1);
  // --device auto: cuda:0 where there is one, else the CPU.
  EXPECT_TRUE(Find(devices, HasGpu(devices) ? "cuda:0" : "cpu")->is_default());
  EXPECT_EQ(s.default_device(), HasGpu(devices) ? "cuda:0" : "cpu");
  for (const v1::DeviceInfo& d : devices) {
    if (d.kind() != "cuda") continue;
    EXPECT_THAT(d.name(), MatchesRegex("cuda:[0-9]+"));
    EXPECT_THAT(d.description(), HasSubstr("compute capability"));
    EXPECT_GT(d.total_bytes(), 0);
  }
}

TEST_F(DevicesTest, CountsTheCallingSessionsBytesPerDevice) {
  Session s = Session::Open(SessionConfig{.address = address()});
  Session other = Session::Open(SessionConfig{.address = address()});
  const int64_t before = Find(s.ListDevices(), "cpu")->session_bytes();
  client::Tensor t = s.zeros({1000}, client::Options{.dtype = "float32", .device = "cpu"});
  client::Tensor u = other.zeros({50}, client::Options{.dtype = "float64", .device = "cpu"});
  const std::vector<v1::DeviceInfo> after = s.ListDevices();
  EXPECT_EQ(Find(after, "cpu")->session_bytes(), before + 4000);
  EXPECT_GE(Find(after, "cpu")->bytes_in_use(), 4000);
  for (const v1::DeviceInfo& d : after) {
    if (d.kind() == "cuda") {
      EXPECT_EQ(d.session_bytes(), 0) << d.name();
    }
  }
  EXPECT_EQ(Find(other.ListDevices(), "cpu")->session_bytes(), 400);
}

TEST_F(DevicesTest, WithoutASessionReportsNoSessionBytes) {
  v1::ListDevicesResponse resp;
  ASSERT_TRUE(Call(v1::ListDevicesRequest(), &resp).ok());
  ASSERT_GE(resp.devices_size(), 1);
  for (const v1::DeviceInfo& d : resp.devices()) EXPECT_EQ(d.session_bytes(), 0);
}

TEST_F(DevicesTest, MalformedOrUnknownSessionIsNotFound) {
  for (const std::string id : {"not a session id", "0123456789abcdef0123456789abcdef"}) {
    v1::ListDevicesRequest req;
    req.set_session_id(id);
    v1::ListDevicesResponse resp;
    const grpc::Status st = Call(req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << id;
    EXPECT_THAT(st.error_message(),
                AllOf(HasSubstr("unknown session '" + id + "'"), HasSubstr("open a new session")));
    EXPECT_EQ(resp.devices_size(), 0);
  }
}

TEST_F(DevicesTest, TensorctlPrintsAnAlignedTable) {
  const ProcessResult r = RunProcess({TensorctlBinary(), "devices"},
                                     {{"TENSORD_ADDR", address()}, {"TENSORD_SESSION", "devs"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines;
  for (size_t pos = 0, nl; (nl = r.out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    lines.push_back(r.out.substr(pos, nl - pos));
  }
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], MatchesRegex("DEVICE +NAME +TOTAL +USED +CACHED +DEFAULT"));
  const size_t total_col = lines[0].find("TOTAL"), used_col = lines[0].find("USED");
  bool cpu_row = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& row = lines[i];
    ASSERT_GT(row.size(), used_col) << row;
    // Each column starts where its heading does, after two or more spaces.
    EXPECT_NE(row[total_col], ' ') << row;
    EXPECT_EQ(row.substr(total_col - 2, 2), "  ") << row;
    EXPECT_NE(row[used_col], ' ') << row;
    if (row.rfind("cpu ", 0) == 0) {
      cpu_row = true;
      EXPECT_THAT(row, MatchesRegex("cpu  .* logical cores +[0-9.]+ [KMGT]iB +[0-9.]+ .*"));
    }
  }
  EXPECT_TRUE(cpu_row) << r.out;
  // Exactly one default, marked with '*'.
  EXPECT_EQ(std::count_if(lines.begin() + 1, lines.end(),
                          [](const std::string& l) { return !l.empty() && l.back() == '*'; }),
            1)
      << r.out;
}

// The daemon says what the CUDA module gave at start-up: devices, or why
// there are none (no module in this build, no driver, no GPU).
TEST_F(DevicesTest, DaemonLogsTheCudaOutcome) {
  EXPECT_THAT(daemon_->log(),
              MatchesRegex("(.|\n)*CUDA: ([0-9]+ device\\(s\\)|no devices: .+)(.|\n)*"));
}

TEST(DevicesFlagsTest, AllowTf32IsAcceptedAndLogged) {
  TensordDaemon d({"--allow-tf32"});
  EXPECT_THAT(d.log(), HasSubstr("TF32 matmuls allowed"));
}

TEST(DevicesFlagsTest, AMissingCudaDeviceIsRefusedAtStart) {
  const ProcessResult r = RunProcess({TensordBinary(), "--listen=127.0.0.1:0", "--device=cuda:7"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--device: device cuda:7 is not available on this daemon"));
}

}  // namespace
}  // namespace tensord::testing
