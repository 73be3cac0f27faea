// The server processes remote_bench measures against, each started on first
// use and stopped by StopServers() (or at exit): tensord on loopback TCP and
// a Unix-domain socket, and the Echo server (this binary re-executed with
// --serve_echo) on the same two transports.
#ifndef TENSORD_TESTS_BENCH_BENCH_SERVERS_H_
#define TENSORD_TESTS_BENCH_BENCH_SERVERS_H_

#include <string>

namespace tensord::bench {

enum class Transport { kTcp, kUnix };

// The programs to run; set from flags before the first use.
void SetTensordBinary(const std::string& path);
void SetEchoBinary(const std::string& path);

// "127.0.0.1:PORT" or "unix:PATH" of a running server, starting it first if
// needed. Throws std::runtime_error when it cannot start.
std::string TensordAddress(Transport t);
std::string EchoAddress(Transport t);

void StopServers();

}  // namespace tensord::bench

#endif  // TENSORD_TESTS_BENCH_BENCH_SERVERS_H_
