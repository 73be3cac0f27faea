// A text progress bar for large transfers, drawn on a stream (tensorctl uses
// stderr):
//
//   [#########...........] 45% 120.0/256.0 MiB 1.2 GB/s
//
// On a terminal the bar is redrawn in place with '\r' and ended with a
// newline; elsewhere it can print one plain line at each 10% instead, so
// that logs and tests can follow a transfer. Transfers of at most
// `min_bytes` show nothing.
#ifndef TENSORD_CLIENT_PROGRESS_BAR_H_
#define TENSORD_CLIENT_PROGRESS_BAR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace tensord::client {

// One state of the bar, without '\r' or newline. `seconds` is the time since
// the transfer began; the rate is left out while it is not positive.
std::string FormatProgress(int64_t done, int64_t total, double seconds);

// "256.0 MiB" style amounts: MiB below 1 GiB, GiB from there.
std::string FormatBytes(int64_t done, int64_t total);
// "1.2 GB/s", "850.3 MB/s", "12.0 kB/s", "512 B/s" (decimal units).
std::string FormatRate(double bytes_per_second);

class ProgressBar {
 public:
  enum class Mode {
    kOff,       // draw nothing
    kTerminal,  // redraw one line with '\r'
    kLines,     // a line at each 10% reached
  };
  // kTerminal on a terminal, kLines when `force_lines`, else kOff.
  static Mode ChooseMode(bool is_terminal, bool force_lines);

  static constexpr int64_t kDefaultMinBytes = int64_t{4} << 20;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // The transfer's clock starts now. `clock` replaces the steady clock in
  // tests.
  ProgressBar(std::ostream& out, Mode mode, int64_t min_bytes = kDefaultMinBytes,
              Clock clock = nullptr);
  // Ends a bar left unfinished on a terminal with a newline.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Reports `done` of `total` bytes moved; a client Progress callback.
  void Update(int64_t done, int64_t total);
  // A callback for the client's transfer calls that forwards to Update.
  std::function<void(int64_t, int64_t)> Callback();

 private:
  void Draw(int64_t done, int64_t total, bool final);

  std::ostream& out_;
  const Mode mode_;
  const int64_t min_bytes_;
  const Clock clock_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  int last_percent_ = -1;
  int last_decile_ = 0;
  size_t last_width_ = 0;
  bool open_line_ = false;  // a terminal line drawn without its newline yet
};

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_PROGRESS_BAR_H_
