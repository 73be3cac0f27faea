// The Echo service (see echo_server.h).
#include "tests/bench/echo_server.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "tests/bench/echo.grpc.pb.h"

namespace tensord::bench {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// Pipe: reads every message, writes back those that ask for a reply, one
// write in flight at a time.
class PipeReactor final : public grpc::ServerBidiReactor<Msg, Msg> {
 public:
  PipeReactor() { StartRead(&incoming_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      bool finish = false;
      {
        std::lock_guard<std::mutex> l(mu_);
        reads_done_ = true;
        finish = !writing_;
      }
      if (finish) Finish(grpc::Status::OK);
      return;
    }
    const Msg* write = nullptr;
    if (incoming_.want_reply()) {
      std::lock_guard<std::mutex> l(mu_);
      replies_.push_back(incoming_);
      if (!writing_) {
        writing_ = true;
        write = &replies_.front();
      }
    }
    if (write != nullptr) StartWrite(write);
    StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    const Msg* write = nullptr;
    bool finish = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      replies_.pop_front();
      if (ok && !replies_.empty()) {
        write = &replies_.front();
      } else {
        writing_ = false;
        finish = reads_done_;
      }
    }
    if (write != nullptr) StartWrite(write);
    if (finish) Finish(grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  Msg incoming_;
  std::mutex mu_;
  std::deque<Msg> replies_;  // the front one is being written
  bool writing_ = false;
  bool reads_done_ = false;
};

class EchoService final : public Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx, const Msg* req,
                                 Msg* resp) override {
    *resp = *req;
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerBidiReactor<Msg, Msg>* Pipe(grpc::CallbackServerContext* ctx) override {
    return new PipeReactor();
  }
};

}  // namespace

int ServeEcho(const std::string& port_file, const std::string& unix_socket) {
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  if (!unix_socket.empty()) {
    ::unlink(unix_socket.c_str());
    builder.AddListeningPort("unix:" + unix_socket, grpc::InsecureServerCredentials());
  }
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo server: cannot listen on 127.0.0.1:0\n");
    return 1;
  }
  std::ofstream(port_file) << port << "\n";
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace tensord::bench
