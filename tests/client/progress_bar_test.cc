// The transfer progress bar: its text, and when it draws in terminal and
// plain-line modes.
#include "client/progress_bar.h"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace tensord::client {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(FormatProgressTest, BarPercentAmountsAndRate) {
  EXPECT_EQ(FormatProgress(120 * kMiB, 256 * kMiB, 0.1),
            "[#########...........] 46% 120.0/256.0 MiB 1.3 GB/s");
  EXPECT_EQ(FormatProgress(0, 256 * kMiB, 0), "[....................] 0% 0.0/256.0 MiB");
  EXPECT_EQ(FormatProgress(256 * kMiB, 256 * kMiB, 2.0),
            "[####################] 100% 256.0/256.0 MiB 134.2 MB/s");
  // 100% only when everything moved.
  EXPECT_EQ(FormatProgress(256 * kMiB - 1, 256 * kMiB, 0),
            "[###################.] 99% 256.0/256.0 MiB");
  // Out-of-range counts are clamped.
  EXPECT_EQ(FormatProgress(-5, 8 * kMiB, 0), "[....................] 0% 0.0/8.0 MiB");
  EXPECT_EQ(FormatProgress(9 * kMiB, 8 * kMiB, 0), "[####################] 100% 8.0/8.0 MiB");
}

TEST(FormatProgressTest, LargeAmountsUseGiBAndDoNotOverflow) {
  const int64_t gib = int64_t{1} << 30;
  EXPECT_EQ(FormatBytes(gib / 2, 3 * gib), "0.5/3.0 GiB");
  EXPECT_EQ(FormatBytes(5 * kMiB, 10 * kMiB), "5.0/10.0 MiB");
  const int64_t huge = int64_t{1} << 62;
  EXPECT_EQ(FormatProgress(huge / 2, huge, 0).substr(0, 27), "[##########..........] 50% ");
}

TEST(FormatProgressTest, Rates) {
  EXPECT_EQ(FormatRate(1.25e9), "1.2 GB/s");
  EXPECT_EQ(FormatRate(850.3e6), "850.3 MB/s");
  EXPECT_EQ(FormatRate(12e3), "12.0 kB/s");
  EXPECT_EQ(FormatRate(512), "512 B/s");
}

TEST(ProgressBarTest, ChoosesTheMode) {
  EXPECT_EQ(ProgressBar::ChooseMode(true, false), ProgressBar::Mode::kTerminal);
  EXPECT_EQ(ProgressBar::ChooseMode(true, true), ProgressBar::Mode::kTerminal);
  EXPECT_EQ(ProgressBar::ChooseMode(false, true), ProgressBar::Mode::kLines);
  EXPECT_EQ(ProgressBar::ChooseMode(false, false), ProgressBar::Mode::kOff);
}

// A clock that moves only when told.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  ProgressBar::Clock fn() {
    return [this] { return now; };
  }
};

TEST(ProgressBarTest, LinesAtEachTenPercent) {
  std::ostringstream out;
  FakeClock clock;
  {
    ProgressBar bar(out, ProgressBar::Mode::kLines, 4 * kMiB, clock.fn());
    const int64_t total = 100 * kMiB;
    for (int64_t done = 0; done <= total; done += kMiB) {
      bar.Update(done, total);
      clock.now += std::chrono::milliseconds(10);  // 100 MiB/s
    }
    bar.Update(total, total);  // repeated: no second 100% line
  }
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_NE(line.find("] " + std::to_string(10 * n) + "% "), std::string::npos) << line;
  }
  EXPECT_EQ(n, 10) << text;
  EXPECT_NE(text.find("[##..................] 10% 10.0/100.0 MiB 104.9 MB/s\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("[####################] 100% 100.0/100.0 MiB"), std::string::npos) << text;
}

TEST(ProgressBarTest, JumpsPrintOnlyTheLinesReached) {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(out, ProgressBar::Mode::kLines, 4 * kMiB, clock.fn());
  bar.Update(64 * kMiB, 64 * kMiB);  // a transfer done in one step, in no time
  EXPECT_EQ(out.str(), "[####################] 100% 64.0/64.0 MiB\n");
}

TEST(ProgressBarTest, SmallTransfersAndOffModeDrawNothing) {
  std::ostringstream out;
  {
    ProgressBar lines(out, ProgressBar::Mode::kLines);
    lines.Update(2 * kMiB, 4 * kMiB);
    lines.Update(4 * kMiB, 4 * kMiB);  // exactly 4 MiB: not over the threshold
    ProgressBar off(out, ProgressBar::Mode::kOff);
    off.Update(50 * kMiB, 100 * kMiB);
    off.Update(100 * kMiB, 100 * kMiB);
    ProgressBar terminal(out, ProgressBar::Mode::kTerminal);
    terminal.Update(kMiB, 2 * kMiB);
  }
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressBarTest, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  std::ostringstream out;
  FakeClock clock;
  {
    ProgressBar bar(out, ProgressBar::Mode::kTerminal, 4 * kMiB, clock.fn());
    const int64_t total = 100 * kMiB;
    bar.Update(10 * kMiB, total);  // drawn: the first state
    bar.Update(20 * kMiB, total);  // too soon after it
    clock.now += std::chrono::milliseconds(150);
    bar.Update(30 * kMiB, total);  // drawn
    clock.now += std::chrono::milliseconds(150);
    bar.Update(total, total);  // drawn, with the newline
  }
  const std::string text = out.str();
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3) << text;
  EXPECT_EQ(text.find("20%"), std::string::npos) << text;
  EXPECT_NE(text.find("\r[######..............] 30% 30.0/100.0 MiB 209.7 MB/s"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\r[####################] 100% 100.0/100.0 MiB 349.5 MB/s\n"),
            std::string::npos)
      << text;
}

TEST(ProgressBarTest, TerminalClearsLongerLinesAndEndsAnUnfinishedBar) {
  std::ostringstream out;
  FakeClock clock;
  {
    ProgressBar bar(out, ProgressBar::Mode::kTerminal, 4 * kMiB, clock.fn());
    clock.now += std::chrono::seconds(1);
    bar.Update(900 * kMiB, 1000 * kMiB);
    clock.now += std::chrono::seconds(10'000'000);
    bar.Update(950 * kMiB, 1000 * kMiB);
  }  // interrupted: the destructor ends the line
  EXPECT_EQ(out.str(),
            "\r[##################..] 90% 900.0/1000.0 MiB 943.7 MB/s"
            "\r[###################.] 95% 950.0/1000.0 MiB 100 B/s   \n");
}

}  // namespace
}  // namespace tensord::client
