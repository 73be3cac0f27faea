// Benchmarks of tensord through its client, each beside the reference that
// bounds it: a bare gRPC round trip (Echo.Ping) for synchronous ops, a bare
// gRPC stream (Echo.Pipe) for pipelined ops, the same stream carrying 1 MiB
// messages and memcpy for bulk transfers.
// tensord and the Echo server run as separate processes, on loopback TCP and
// on a Unix-domain socket. tests/bench/compare_remote.py runs this with
// PyTorch's in-process counterparts and prints the ratios against targets.
//
//   remote_bench [--tensord=PATH] [benchmark flags]
//
// Latency cases export median_us (and p90_us) counters: the median of the
// per-iteration times. Rate cases export msgs_per_s / ops_per_s /
// GB_per_s. grpc_stream_pingpong and sync_only split a synchronous op's
// time into the transport, the daemon's hand-off and the op itself.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "client/tensor.h"
#include "grpcpp/grpcpp.h"
#include "tests/bench/bench_servers.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/echo_server.h"
#include "tests/bench/latency_recorder.h"

namespace tensord::bench {
namespace {

using client::RawTensor;
using client::Session;
using client::SessionConfig;
using client::Tensor;

// Messages (or ops) between two waits for a reply on a stream: a pipelined
// client syncs rarely.
constexpr int kBatch = 1000;
// Untimed iterations before a latency loop (connections, first-call costs).
constexpr int kWarmup = 20;
constexpr int64_t kBigBytes = int64_t{256} << 20;

// Set when a case could not run, so that the process exits non-zero (Google
// Benchmark itself exits 0 after SkipWithError).
bool g_failed = false;

// Runs a case body, turning an exception into a skipped case.
template <typename Fn>
void Guard(benchmark::State& state, Fn fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    g_failed = true;
    state.SkipWithError(e.what());
  }
}

void Require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::unique_ptr<Echo::Stub> EchoStub(Transport t) {
  return Echo::NewStub(grpc::CreateChannel(EchoAddress(t), grpc::InsecureChannelCredentials()));
}

Session OpenSession(Transport t, bool shared_memory = false) {
  return Session::Open(SessionConfig{.address = TensordAddress(t), .shared_memory = shared_memory});
}

// ---- Synchronous round trips ---------------------------------------------------

// One unary Ping of a small message: the floor of any call that waits for
// the daemon.
void GrpcUnaryEcho(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    std::unique_ptr<Echo::Stub> stub = EchoStub(t);
    Msg req;
    req.set_payload("ping");
    auto ping = [&] {
      grpc::ClientContext ctx;
      Msg resp;
      const grpc::Status s = stub->Ping(&ctx, req, &resp);
      Require(s.ok(), "Ping failed: " + s.error_message());
    };
    for (int i = 0; i < kWarmup; ++i) ping();
    LatencyRecorder rec(state);
    for (auto _ : state) {
      rec.Start();
      ping();
      rec.Stop();
    }
    rec.Export(state);
  });
}

// One message and its reply on an open Pipe stream: the floor of a barrier
// on tensord's command stream (no call set-up, unlike Ping).
void GrpcStreamPingPong(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    std::unique_ptr<Echo::Stub> stub = EchoStub(t);
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<Msg, Msg>> stream = stub->Pipe(&ctx);
    Msg ping;
    ping.set_want_reply(true);
    Msg reply;
    auto round_trip = [&] {
      Require(stream->Write(ping), "Pipe write failed");
      Require(stream->Read(&reply), "Pipe read failed");
    };
    for (int i = 0; i < kWarmup; ++i) round_trip();
    LatencyRecorder rec(state);
    for (auto _ : state) {
      rec.Start();
      round_trip();
      rec.Stop();
    }
    rec.Export(state);
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    Require(s.ok(), "Pipe failed: " + s.error_message());
  });
}

// s.Sync() with nothing queued: tensord's barrier alone (the stream round
// trip plus the daemon's hand-off to its worker pool).
void SyncOnly(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    Session s = OpenSession(t);
    for (int i = 0; i < kWarmup; ++i) s.Sync();
    LatencyRecorder rec(state);
    for (auto _ : state) {
      rec.Start();
      s.Sync();
      rec.Stop();
    }
    rec.Export(state);
  });
}

// c = a + b on 5x3 tensors, then a barrier: one op's full round trip.
// `item` reads (a + b).sum().item() instead.
void TinyOp(benchmark::State& state, Transport t, bool item) {
  Guard(state, [&] {
    Session s = OpenSession(t);
    Tensor a = s.rand({5, 3});
    Tensor b = s.rand({5, 3});
    auto step = [&] {
      if (item) {
        benchmark::DoNotOptimize((a + b).sum().item());
      } else {
        Tensor c = a + b;
        s.Sync();
      }
    };
    for (int i = 0; i < kWarmup; ++i) step();
    LatencyRecorder rec(state);
    for (auto _ : state) {
      rec.Start();
      step();
      rec.Stop();
    }
    rec.Export(state);
  });
}

// The blitz's autograd step through the client (engine_bench's
// autograd_blitz_loop in-process).
void AutogradLoopRemote(benchmark::State& state) {
  Guard(state, [&] {
    Session s = OpenSession(Transport::kTcp);
    auto step = [&] {
      Tensor x = s.ones({2, 2}, {.requires_grad = true});
      Tensor y = x + 2;
      Tensor z = y * y * 3;
      Tensor out = z.mean();
      out.backward();
      s.Sync();
    };
    for (int i = 0; i < kWarmup; ++i) step();
    LatencyRecorder rec(state);
    for (auto _ : state) {
      rec.Start();
      step();
      rec.Stop();
    }
    rec.Export(state);
  });
}

// ---- Pipelined rates ---------------------------------------------------------

// Pipe carrying empty messages in tensord's stream shape: the client writes
// as fast as the synchronous API lets it, and every kBatch-th message asks
// for a reply that it waits for (as a pipelined client syncs). One
// iteration is one message.
void GrpcStreamEmpty(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    std::unique_ptr<Echo::Stub> stub = EchoStub(t);
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<Msg, Msg>> stream = stub->Pipe(&ctx);
    const Msg empty;
    Msg barrier;
    barrier.set_want_reply(true);
    Msg reply;
    auto batch = [&] {
      for (int i = 0; i < kBatch - 1; ++i) Require(stream->Write(empty), "Pipe write failed");
      Require(stream->Write(barrier), "Pipe write failed");
      Require(stream->Read(&reply), "Pipe read failed");
    };
    batch();  // warm-up
    while (state.KeepRunningBatch(kBatch)) batch();
    state.counters["msgs_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    Require(s.ok(), "Pipe failed: " + s.error_message());
  });
}

// c = a + b with the result dropped (which queues a release as well),
// s.Sync() every kBatch ops. One iteration is one op.
void TinyOpPipelined(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    Session s = OpenSession(t);
    Tensor a = s.rand({5, 3});
    Tensor b = s.rand({5, 3});
    auto batch = [&] {
      for (int i = 0; i < kBatch; ++i) {
        Tensor c = a + b;
      }
      s.Sync();
    };
    batch();  // warm-up
    while (state.KeepRunningBatch(kBatch)) batch();
    state.counters["ops_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  });
}

// ---- Bulk transfers ----------------------------------------------------------

const RawTensor& BigRaw() {
  static const RawTensor* raw = new RawTensor{
      .shape = {kBigBytes / 4}, .dtype = "float32", .data = std::string(kBigBytes, '\x01')};
  return *raw;
}

void SetBandwidth(benchmark::State& state) {
  const double bytes = static_cast<double>(state.iterations()) * static_cast<double>(kBigBytes);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["GB_per_s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsRate);
}

// The transport's floor for an upload: 256 MiB through Pipe in 1 MiB
// messages (the chunk size of tensord's Upload), then one reply.
void GrpcStreamBulk(benchmark::State& state, Transport t) {
  Guard(state, [&] {
    std::unique_ptr<Echo::Stub> stub = EchoStub(t);
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<Msg, Msg>> stream = stub->Pipe(&ctx);
    constexpr int64_t kChunk = int64_t{1} << 20;
    const std::string& data = BigRaw().data;
    Msg chunk;
    Msg barrier;
    barrier.set_want_reply(true);
    Msg reply;
    for (auto _ : state) {
      for (int64_t done = 0; done < kBigBytes; done += kChunk) {
        chunk.set_payload(data.data() + done, kChunk);
        Require(stream->Write(chunk), "Pipe write failed");
      }
      Require(stream->Write(barrier), "Pipe write failed");
      Require(stream->Read(&reply), "Pipe read failed");
    }
    SetBandwidth(state);
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    Require(s.ok(), "Pipe failed: " + s.error_message());
  });
}

// FromRaw of 256 MiB, then a barrier (the tensor is released after).
void Upload(benchmark::State& state, Transport t, bool shared_memory) {
  Guard(state, [&] {
    const RawTensor& raw = BigRaw();
    Session s = OpenSession(t, shared_memory);
    for (auto _ : state) {
      Tensor x = s.FromRaw(raw);
      s.Sync();
    }
    SetBandwidth(state);
  });
}

// FetchRaw of a 256 MiB tensor: into a new RawTensor each time (fresh
// pages to fault in), or into the same one (`reuse`, warm pages).
void Fetch(benchmark::State& state, Transport t, bool shared_memory, bool reuse) {
  Guard(state, [&] {
    Session s = OpenSession(t, shared_memory);
    Tensor x = s.FromRaw(BigRaw());
    Require(x.FetchRaw().data == BigRaw().data, "fetched bytes differ from the uploaded ones");
    RawTensor kept;
    for (auto _ : state) {
      if (reuse) {
        x.FetchRaw(&kept);
        benchmark::DoNotOptimize(kept.data.data());
      } else {
        RawTensor r = x.FetchRaw();
        benchmark::DoNotOptimize(r.data.data());
      }
    }
    SetBandwidth(state);
  });
}

// The reference for same-host transfers: one copy between two buffers
// already in memory.
void Memcpy(benchmark::State& state) {
  auto src = std::make_unique<char[]>(kBigBytes);
  auto dst = std::make_unique<char[]>(kBigBytes);
  std::memset(src.get(), 1, kBigBytes);
  std::memset(dst.get(), 0, kBigBytes);
  for (auto _ : state) {
    std::memcpy(dst.get(), src.get(), kBigBytes);
    benchmark::ClobberMemory();
  }
  SetBandwidth(state);
}

// ---- Registration ------------------------------------------------------------

std::string Suffix(Transport t) { return t == Transport::kTcp ? "" : "_unix"; }

const bool kRegistered = [] {
  using benchmark::RegisterBenchmark;
  for (Transport t : {Transport::kTcp, Transport::kUnix}) {
    const std::string sfx = Suffix(t);
    RegisterBenchmark(("grpc_unary_echo" + sfx).c_str(),
                      [t](benchmark::State& s) { GrpcUnaryEcho(s, t); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    RegisterBenchmark(("grpc_stream_pingpong" + sfx).c_str(),
                      [t](benchmark::State& s) { GrpcStreamPingPong(s, t); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    RegisterBenchmark(("sync_only" + sfx).c_str(), [t](benchmark::State& s) { SyncOnly(s, t); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    RegisterBenchmark(("tiny_op_sync" + sfx).c_str(),
                      [t](benchmark::State& s) { TinyOp(s, t, /*item=*/false); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    RegisterBenchmark(("tiny_op_item" + sfx).c_str(),
                      [t](benchmark::State& s) { TinyOp(s, t, /*item=*/true); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  for (Transport t : {Transport::kTcp, Transport::kUnix}) {
    const std::string sfx = Suffix(t);
    RegisterBenchmark(("grpc_stream_empty" + sfx).c_str(),
                      [t](benchmark::State& s) { GrpcStreamEmpty(s, t); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    RegisterBenchmark(("tiny_op_pipelined" + sfx).c_str(),
                      [t](benchmark::State& s) { TinyOpPipelined(s, t); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  RegisterBenchmark("autograd_blitz_loop_remote", AutogradLoopRemote)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  RegisterBenchmark("memcpy_256MiB", Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
  RegisterBenchmark("grpc_stream_256MiB",
                    [](benchmark::State& s) { GrpcStreamBulk(s, Transport::kTcp); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  // Over the network (TCP, shared memory off), then the same-host path (a
  // Unix-domain socket, shared memory allowed).
  const struct {
    const char* suffix;
    Transport transport;
    bool shared_memory;
  } kPaths[] = {{"tcp", Transport::kTcp, false}, {"shm", Transport::kUnix, true}};
  for (const auto& p : kPaths) {
    // At least 2 s each: the steady state, with buffers reused, not the
    // first transfer's page faults.
    RegisterBenchmark((std::string("upload_256MiB_") + p.suffix).c_str(),
                      [p](benchmark::State& s) { Upload(s, p.transport, p.shared_memory); })
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
    for (bool reuse : {false, true}) {
      RegisterBenchmark(
          (std::string("fetch_256MiB_") + p.suffix + (reuse ? "_reuse" : "")).c_str(),
          [p, reuse](benchmark::State& s) { Fetch(s, p.transport, p.shared_memory, reuse); })
          ->Unit(benchmark::kMillisecond)
          ->MinTime(2.0)
          ->UseRealTime();
    }
  }
  return true;
}();

std::string SelfPath() {
  std::string buf(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? buf.substr(0, static_cast<size_t>(n)) : std::string();
}

// Takes --NAME=VALUE or --NAME VALUE out of argv; true when found.
bool TakeFlag(std::vector<char*>& args, const std::string& name, std::string* value) {
  const std::string eq = "--" + name + "=";
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string a = args[i];
    if (a.rfind(eq, 0) == 0) {
      *value = a.substr(eq.size());
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
    if (a == "--" + name && i + 1 < args.size()) {
      *value = args[i + 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i + 2));
      return true;
    }
  }
  return false;
}

}  // namespace
}  // namespace tensord::bench

int main(int argc, char** argv) {
  namespace tb = tensord::bench;
  std::vector<char*> args(argv, argv + argc);
  // The Echo server: this binary re-executed by the benchmark.
  std::string port_file, unix_socket;
  tb::TakeFlag(args, "echo_unix_socket", &unix_socket);
  if (tb::TakeFlag(args, "serve_echo", &port_file)) return tb::ServeEcho(port_file, unix_socket);

  // A client that moves large tensors keeps freed memory for reuse, as
  // tensord and tensorctl do (README, "Large transfers").
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::string tensord = TENSORD_BINARY;
  tb::TakeFlag(args, "tensord", &tensord);
  tb::SetTensordBinary(tensord);
  tb::SetEchoBinary(tb::SelfPath());
  args.push_back(nullptr);
  int n = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tb::StopServers();
  return tb::g_failed ? 1 : 0;
}
