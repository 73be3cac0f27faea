// The Echo service of echo.proto, served the way tensord serves its own
// (gRPC's callback API, default settings), so that the transport's floor is
// measured under the same conditions.
#ifndef TENSORD_TESTS_BENCH_ECHO_SERVER_H_
#define TENSORD_TESTS_BENCH_ECHO_SERVER_H_

#include <string>

namespace tensord::bench {

// Listens on 127.0.0.1:0 (and on unix:`unix_socket` when not empty), writes
// the bound port and a newline to `port_file`, and serves until SIGTERM or
// SIGINT. Returns the process exit code.
int ServeEcho(const std::string& port_file, const std::string& unix_socket);

}  // namespace tensord::bench

#endif  // TENSORD_TESTS_BENCH_ECHO_SERVER_H_
