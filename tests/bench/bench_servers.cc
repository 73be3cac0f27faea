// Lazily started benchmark servers (see bench_servers.h).
#include "tests/bench/bench_servers.h"

#include <filesystem>
#include <memory>
#include <vector>

#include "tests/bench/child_process.h"

namespace tensord::bench {
namespace {

struct Server {
  std::string dir;  // port file, log and socket; removed with the server
  std::unique_ptr<ChildProcess> process;

  ~Server() {
    process.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  std::string Address(Transport t) const {
    return t == Transport::kTcp ? "127.0.0.1:" + std::to_string(process->port())
                                : "unix:" + dir + "/sock";
  }
};

std::string g_tensord_binary;
std::string g_echo_binary;
std::unique_ptr<Server> g_tensord;
std::unique_ptr<Server> g_echo;

// Starts `argv` plus the port-file and socket flags built by `flags`.
template <typename Flags>
std::unique_ptr<Server> Start(const std::string& name, std::vector<std::string> argv, Flags flags) {
  auto s = std::make_unique<Server>();
  s->dir = MakeTempDir("tensord-bench-" + name);
  for (std::string& f : flags(s->dir + "/port", s->dir + "/sock")) argv.push_back(std::move(f));
  s->process = std::make_unique<ChildProcess>(argv, s->dir + "/port", s->dir + "/log");
  return s;
}

}  // namespace

void SetTensordBinary(const std::string& path) { g_tensord_binary = path; }
void SetEchoBinary(const std::string& path) { g_echo_binary = path; }

std::string TensordAddress(Transport t) {
  if (g_tensord == nullptr) {
    g_tensord =
        Start("tensord", {g_tensord_binary, "--listen", "127.0.0.1:0", "--log_level", "warn"},
              [](const std::string& port_file, const std::string& sock) {
                return std::vector<std::string>{"--port_file", port_file, "--unix_socket", sock};
              });
  }
  return g_tensord->Address(t);
}

std::string EchoAddress(Transport t) {
  if (g_echo == nullptr) {
    g_echo =
        Start("echo", {g_echo_binary}, [](const std::string& port_file, const std::string& sock) {
          return std::vector<std::string>{"--serve_echo=" + port_file,
                                          "--echo_unix_socket=" + sock};
        });
  }
  return g_echo->Address(t);
}

void StopServers() {
  g_tensord.reset();
  g_echo.reset();
}

}  // namespace tensord::bench
