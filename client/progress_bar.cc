// Formatting and drawing of the transfer progress bar (see progress_bar.h).
#include "client/progress_bar.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensord::client {
namespace {

constexpr int kBarWidth = 20;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

// floor(done * scale / total) without overflow, for 0 <= done <= total.
int Fraction(int64_t done, int64_t total, int scale) {
  if (total <= 0) return scale;
  return static_cast<int>(static_cast<__int128>(done) * scale / total);
}

}  // namespace

std::string FormatBytes(int64_t done, int64_t total) {
  constexpr double kMiB = 1 << 20, kGiB = 1 << 30;
  if (total >= (int64_t{1} << 30)) {
    return absl::StrFormat("%.1f/%.1f GiB", done / kGiB, total / kGiB);
  }
  return absl::StrFormat("%.1f/%.1f MiB", done / kMiB, total / kMiB);
}

std::string FormatRate(double bytes_per_second) {
  if (bytes_per_second >= 1e9) return absl::StrFormat("%.1f GB/s", bytes_per_second / 1e9);
  if (bytes_per_second >= 1e6) return absl::StrFormat("%.1f MB/s", bytes_per_second / 1e6);
  if (bytes_per_second >= 1e3) return absl::StrFormat("%.1f kB/s", bytes_per_second / 1e3);
  return absl::StrFormat("%.0f B/s", bytes_per_second);
}

std::string FormatProgress(int64_t done, int64_t total, double seconds) {
  total = std::max<int64_t>(total, 0);
  done = std::clamp<int64_t>(done, 0, total);
  const int filled = Fraction(done, total, kBarWidth);
  std::string line =
      absl::StrCat("[", std::string(filled, '#'), std::string(kBarWidth - filled, '.'), "] ",
                   Fraction(done, total, 100), "% ", FormatBytes(done, total));
  if (seconds > 0) absl::StrAppend(&line, " ", FormatRate(static_cast<double>(done) / seconds));
  return line;
}

ProgressBar::Mode ProgressBar::ChooseMode(bool is_terminal, bool force_lines) {
  if (is_terminal) return Mode::kTerminal;
  return force_lines ? Mode::kLines : Mode::kOff;
}

ProgressBar::ProgressBar(std::ostream& out, Mode mode, int64_t min_bytes, Clock clock)
    : out_(out),
      mode_(mode),
      min_bytes_(min_bytes),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }),
      start_(clock_()) {}

ProgressBar::~ProgressBar() {
  if (open_line_) out_ << "\n" << std::flush;
}

std::function<void(int64_t, int64_t)> ProgressBar::Callback() {
  return [this](int64_t done, int64_t total) { Update(done, total); };
}

void ProgressBar::Update(int64_t done, int64_t total) {
  if (mode_ == Mode::kOff || total <= min_bytes_) return;
  done = std::clamp<int64_t>(done, 0, total);
  const bool final = done == total;
  if (mode_ == Mode::kLines) {
    const int decile = Fraction(done, total, 10);
    if (decile <= last_decile_) return;
    last_decile_ = decile;
    Draw(done, total, /*final=*/true);
    return;
  }
  const int percent = Fraction(done, total, 100);
  const auto now = clock_();
  if (percent == last_percent_) return;
  if (!final && last_percent_ >= 0 && now - last_draw_ < kRedrawInterval) return;
  last_percent_ = percent;
  last_draw_ = now;
  Draw(done, total, final);
}

void ProgressBar::Draw(int64_t done, int64_t total, bool final) {
  const double seconds = std::chrono::duration<double>(clock_() - start_).count();
  const std::string line = FormatProgress(done, total, seconds);
  if (mode_ == Mode::kLines) {
    out_ << line << "\n" << std::flush;
    return;
  }
  // Spaces clear what a longer previous line left behind.
  out_ << "\r" << line
       << std::string(last_width_ > line.size() ? last_width_ - line.size() : 0, ' ');
  last_width_ = line.size();
  open_line_ = !final;
  if (final) out_ << "\n";
  out_ << std::flush;
}

}  // namespace tensord::client
