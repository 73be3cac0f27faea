// Helpers for integration tests: TensordDaemon runs a real tensord subprocess
// on a free loopback port (127.0.0.1:0 + --port_file in a private temp dir)
// and stops it (SIGTERM, then SIGKILL) when destroyed; RunProcess runs a
// command with extra environment and captures its stdout, stderr and exit
// code. Binary paths come from compile definitions set by CMake.
#ifndef TENSORD_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
#define TENSORD_TESTS_INTEGRATION_DAEMON_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tensord::testing {

// Paths of the built programs (absolute); $TENSORD_BINARY and
// $TENSORCTL_BINARY override the first two.
std::string TensordBinary();
std::string TensorctlBinary();
std::string BlitzBinary();
// client/examples/blitz.sh in the source tree.
std::string BlitzScript();

class TensordDaemon {
 public:
  // Starts tensord with `extra_flags` (e.g. "--max_tensor_bytes=4096") and
  // waits until it has bound a port. Throws std::runtime_error, with the
  // daemon's log, when it exits early or does not come up within
  // `startup_timeout`.
  explicit TensordDaemon(std::vector<std::string> extra_flags = {},
                         std::chrono::milliseconds startup_timeout = std::chrono::seconds(15));
  ~TensordDaemon();
  TensordDaemon(const TensordDaemon&) = delete;
  TensordDaemon& operator=(const TensordDaemon&) = delete;

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // A private directory that is removed with the daemon.
  const std::string& temp_dir() const { return dir_; }
  // The daemon's stdout+stderr so far.
  std::string log() const;
  // False once the process has exited (it is reaped then).
  bool running();
  // SIGTERM, then SIGKILL after `grace`; returns the wait status (or -1 when
  // it had already been reaped). Called by the destructor.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(8));

 private:
  std::string dir_;
  std::string address_;
  int port_ = 0;
  pid_t pid_ = -1;
  int wait_status_ = -1;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs argv[0] (a path) with the current environment plus `env` (overriding
// variables of the same name), stdin from /dev/null, and returns what it
// printed. The process is killed after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace tensord::testing

#endif  // TENSORD_TESTS_INTEGRATION_DAEMON_FIXTURE_H_
