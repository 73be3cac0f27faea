// A server process for the benchmarks: started with a --port_file-style
// argument, waited for until it writes its port, and stopped (SIGTERM, then
// SIGKILL) when destroyed. It dies with the benchmark too (PDEATHSIG).
#ifndef TENSORD_TESTS_BENCH_CHILD_PROCESS_H_
#define TENSORD_TESTS_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace tensord::bench {

class ChildProcess {
 public:
  // Runs argv (argv[0] is a path) with stdout and stderr going to
  // `log_file`, and waits until `port_file` holds a port and a newline.
  // Throws std::runtime_error, with the log, when the process exits first or
  // `timeout` passes.
  ChildProcess(const std::vector<std::string>& argv, const std::string& port_file,
               const std::string& log_file,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  bool Running();
  void Stop();

  std::string log_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A new private directory under $TMPDIR (or /tmp); throws on failure.
std::string MakeTempDir(const std::string& prefix);

}  // namespace tensord::bench

#endif  // TENSORD_TESTS_BENCH_CHILD_PROCESS_H_
