// tensord: the daemon. Listens for gRPC clients, owns device memory and runs
// their tensor ops. `tensord --help` lists the flags.
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "device/cpu/parallel.h"
#include "device/cuda_module.h"
#include "device/registry.h"
#include "device/settings.h"
#include "device/shm/shared_segment.h"
#include "grpcpp/grpcpp.h"
#include "server/grpc_service.h"
#include "server/log.h"
#include "server/tensor_service.h"
#include "server/thread_pool.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  using tensord::server::Log;
  using tensord::server::LogLevel;

  // Keep freed blocks (gRPC's message buffers, transfer chunks) in the heap
  // for reuse instead of returning them to the kernel: faulting fresh pages
  // in costs more than copying into them, worst of all in virtual machines.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // Lock-order bookkeeping costs every lock; the tests run with it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"tensord: a daemon that owns device memory and serves a tensor engine over gRPC"};
  std::string listen = "127.0.0.1:50051";
  std::string device = "auto";
  std::string log_level = "info";
  std::string port_file;
  int64_t max_tensor_bytes = int64_t{16} << 30;
  int64_t lease_seconds = 600;
  int64_t max_lease_seconds = 86400;
  int64_t max_message_bytes = int64_t{256} << 20;
  int threads = std::max(4u, std::thread::hardware_concurrency());
  app.add_option("--listen", listen, "address to listen on: HOST:PORT (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--device", device,
                 "default device for new tensors: auto (cuda:0 when a GPU is found, else cpu), "
                 "cpu or cuda:N")
      ->capture_default_str();
  bool allow_tf32 = false;
  app.add_flag("--allow-tf32", allow_tf32,
               "let float32 matmuls on CUDA use TF32 tensor cores (10-bit mantissa inputs, "
               "float32 accumulation), as torch.backends.cuda.matmul.allow_tf32 = True");
  app.add_option("--log_level", log_level, "debug, info, warn or error")->capture_default_str();
  app.add_option("--port_file", port_file, "write the port actually bound to this file");
  app.add_option("--max_tensor_bytes", max_tensor_bytes,
                 "largest tensor one request may create, in bytes")
      ->capture_default_str();
  app.add_option("--lease_seconds", lease_seconds, "default session lease; every call renews it")
      ->capture_default_str();
  app.add_option("--max_lease_seconds", max_lease_seconds, "longest lease a client may ask for")
      ->capture_default_str();
  app.add_option("--max_message_bytes", max_message_bytes, "largest gRPC message accepted")
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads running requests")->capture_default_str();
  std::string unix_socket;
  app.add_option("--unix_socket", unix_socket,
                 "also listen on this Unix-domain socket (created with mode 0600: only this "
                 "user's processes can connect); clients use the address unix:PATH");
  int kernel_threads = 0;
  app.add_option("--kernel_threads", kernel_threads,
                 "threads one CPU kernel (and OpenBLAS) splits its work over; 0: "
                 "$TENSORD_NUM_THREADS if set, else the cores this process may use")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<LogLevel> level = tensord::server::ParseLogLevel(log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "tensord: %s\n", std::string(level.status().message()).c_str());
    return 2;
  }
  tensord::server::SetLogLevel(*level);
  if (kernel_threads < 0) {
    std::fprintf(stderr, "tensord: --kernel_threads must be 0 (automatic) or more, got %d\n",
                 kernel_threads);
    return 2;
  }
  if (kernel_threads > 0) tensord::device::cpu::SetNumThreads(kernel_threads);
  tensord::device::SetAllowTf32(allow_tf32);

  // GPUs come from the CUDA module, opened here if this build has one; any
  // reason it cannot serve (no module, no driver, no GPU) leaves the CPU.
  const absl::StatusOr<int> gpus = tensord::device::LoadCudaModule();
  if (gpus.ok()) {
    Log(LogLevel::kInfo, absl::StrCat("CUDA: ", *gpus, " device(s)"));
  } else {
    Log(LogLevel::kInfo, absl::StrCat("CUDA: no devices: ", gpus.status().message()));
  }
  if (device == "auto") {
    using tensord::device::Device;
    device = tensord::device::FindBackend(Device{Device::Type::kCuda, 0}).ok() ? "cuda:0" : "cpu";
  }
  absl::StatusOr<tensord::device::Device> dev = tensord::device::Device::Parse(device);
  if (dev.ok()) {
    if (absl::StatusOr<tensord::device::Backend*> b = tensord::device::FindBackend(*dev); !b.ok()) {
      dev = b.status();
    }
  }
  if (!dev.ok()) {
    std::fprintf(stderr, "tensord: --device: %s\n", std::string(dev.status().message()).c_str());
    return 2;
  }

  tensord::server::ServiceOptions options;
  options.default_device = *dev;
  options.limits.max_tensor_bytes = max_tensor_bytes;
  options.sessions.default_lease = absl::Seconds(lease_seconds);
  options.sessions.max_lease = absl::Seconds(max_lease_seconds);
  if (int n = tensord::shm::RemoveStaleSegments(); n > 0) {
    Log(LogLevel::kInfo,
        absl::StrCat("removed ", n, " shared-memory segment(s) left by an earlier tensord"));
  }
  tensord::server::TensorService service(options);
  tensord::server::ThreadPool pool(threads);
  tensord::server::GrpcService grpc_service(&service, &pool);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  if (!unix_socket.empty()) {
    // A socket left by an earlier run is replaced; any other file is not.
    struct stat st;
    if (::lstat(unix_socket.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        std::fprintf(stderr,
                     "tensord: --unix_socket %s exists and is not a socket: pick another "
                     "path\n",
                     unix_socket.c_str());
        return 2;
      }
      ::unlink(unix_socket.c_str());
    }
    builder.AddListeningPort("unix:" + unix_socket, grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<int64_t>(max_message_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(static_cast<int>(std::min<int64_t>(max_message_bytes, INT32_MAX)));
  builder.RegisterService(&grpc_service);
  // Let a stream carry several 1 MiB chunks in flight: with the default
  // window, every chunk waits for window updates and loopback transfers
  // crawl at a tenth of the link's speed.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 20);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  // Sockets are created owner-only from the start (no window before a chmod).
  const mode_t old_umask = ::umask(0177);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ::umask(old_umask);
  if (server == nullptr || port == 0) {
    std::fprintf(stderr,
                 "tensord: cannot listen on %s: is the address valid and the port free? "
                 "(try --listen 127.0.0.1:0)\n",
                 listen.c_str());
    return 1;
  }
  grpc_service.set_tcp_port(port);
  if (!port_file.empty()) {
    std::ofstream(port_file) << port << "\n";
  }
  Log(LogLevel::kInfo, absl::StrCat("tensord listening on ", listen.substr(0, listen.rfind(':')),
                                    ":", port, ", default device ", dev->ToString(),
                                    allow_tf32 ? " (TF32 matmuls allowed)" : "", ", ",
                                    tensord::device::cpu::NumThreads(), " kernel thread(s)",
                                    unix_socket.empty() ? "" : ", and on unix:", unix_socket));

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) {
    absl::SleepFor(absl::Milliseconds(200));
    if (int n = service.sessions().ReapExpired(absl::Now()); n > 0) {
      Log(LogLevel::kInfo, absl::StrCat("freed ", n, " session(s) whose lease expired"));
    }
  }
  Log(LogLevel::kInfo, "shutting down");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
