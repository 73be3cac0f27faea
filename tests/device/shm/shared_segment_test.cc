#include "device/shm/shared_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace tensord::shm {
namespace {

std::string PathOf(const std::string& name) { return absl::StrCat(kShmDirectory, name); }

bool Exists(const std::string& name) {
  struct stat st;
  return stat(PathOf(name).c_str(), &st) == 0;
}

mode_t ModeOf(const std::string& name) {
  struct stat st;
  if (stat(PathOf(name).c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// A segment name for objects made by hand: `digit` repeated, then this
// process's id in hex so that concurrent runs do not collide.
std::string HandName(pid_t pid, char digit = 'a') {
  return absl::StrCat("/tensord-", pid, "-", std::string(24, digit),
                      absl::Hex(getpid(), absl::kZeroPad8));
}

// Creates a shared-memory object by hand, bypassing SharedSegment's checks.
void MakeByHand(const std::string& name, mode_t mode, off_t size) {
  const mode_t old = umask(0);
  const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, mode);
  umask(old);
  ASSERT_GE(fd, 0) << name << ": " << std::strerror(errno);
  ASSERT_EQ(fchmod(fd, mode), 0);
  ASSERT_EQ(ftruncate(fd, size), 0);
  close(fd);
}

// A process id that no process holds: a child that has been reaped.
pid_t DeadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

// Restores the process umask when it goes out of scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(IsSegmentNameTest, AcceptsOnlyTheCreatedForm) {
  EXPECT_TRUE(IsSegmentName("/tensord-1234-0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(IsSegmentName("/tensord-1-ffffffffffffffffffffffffffffffff"));
  EXPECT_FALSE(IsSegmentName("tensord-1234-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsSegmentName("/tensord-1234-0123456789ABCDEF0123456789ABCDEF"));
  EXPECT_FALSE(IsSegmentName("/tensord-1234-0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(IsSegmentName("/tensord-1234-0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(IsSegmentName("/tensord-0123-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsSegmentName("/tensord--0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsSegmentName("/tensord-+12-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsSegmentName("/tensord-99999999999-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsSegmentName("/tensord-1-xyz"));
  EXPECT_FALSE(IsSegmentName("../etc/passwd"));
  EXPECT_FALSE(IsSegmentName("/tensord-1-../../../../etc/passwd"));
  EXPECT_FALSE(IsSegmentName(""));
}

TEST(SharedSegmentTest, CreateMakesADistinctOwnerOnlySegment) {
  std::set<std::string> names;
  for (int i = 0; i < 8; ++i) {
    auto segment = SharedSegment::Create(4096);
    ASSERT_TRUE(segment.ok()) << segment.status();
    const std::string& name = (*segment)->name();
    EXPECT_TRUE(IsSegmentName(name)) << name;
    const std::string prefix = absl::StrCat("/tensord-", getpid(), "-");
    ASSERT_EQ(name.substr(0, prefix.size()), prefix);
    EXPECT_EQ(name.size() - prefix.size(), 32u);
    EXPECT_TRUE(names.insert(name).second) << "repeated name " << name;
    EXPECT_EQ(ModeOf(name), 0600u);
    EXPECT_TRUE((*segment)->owner());
    EXPECT_EQ((*segment)->size(), 4096u);
    struct stat st;
    ASSERT_EQ(stat(PathOf(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 4096);
    EXPECT_EQ(st.st_uid, geteuid());
  }
}

TEST(SharedSegmentTest, ModeIs0600WhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{077}, mode_t{0377}, mode_t{0777}}) {
    ScopedUmask scoped(mask);
    auto segment = SharedSegment::Create(100);
    ASSERT_TRUE(segment.ok()) << segment.status();
    EXPECT_EQ(ModeOf((*segment)->name()), 0600u) << "umask " << mask;
  }
}

TEST(SharedSegmentTest, MemoryStartsZeroed) {
  auto segment = SharedSegment::Create(10000);
  ASSERT_TRUE(segment.ok()) << segment.status();
  const auto* bytes = static_cast<const unsigned char*>((*segment)->data());
  for (size_t i = 0; i < 10000; ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(SharedSegmentTest, EmptySegmentHasAnAddress) {
  auto segment = SharedSegment::Create(0);
  ASSERT_TRUE(segment.ok()) << segment.status();
  EXPECT_NE((*segment)->data(), nullptr);
  EXPECT_EQ((*segment)->size(), 0u);
  auto peer = SharedSegment::Open((*segment)->name(), 0);
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_NE((*peer)->data(), nullptr);
  EXPECT_FALSE((*peer)->owner());
}

TEST(SharedSegmentTest, OpenMapsTheSameMemoryBothWays) {
  auto created = SharedSegment::Create(8192);
  ASSERT_TRUE(created.ok()) << created.status();
  auto opened = SharedSegment::Open((*created)->name(), 8192);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_NE((*created)->data(), (*opened)->data());
  auto* a = static_cast<int*>((*created)->data());
  auto* b = static_cast<int*>((*opened)->data());
  a[0] = 42;
  a[2047] = 7;
  EXPECT_EQ(b[0], 42);
  EXPECT_EQ(b[2047], 7);
  b[1000] = -5;
  EXPECT_EQ(a[1000], -5);
}

TEST(SharedSegmentTest, OpenOfAPrefixIsAllowed) {
  auto created = SharedSegment::Create(8192);
  ASSERT_TRUE(created.ok()) << created.status();
  auto opened = SharedSegment::Open((*created)->name(), 100);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->size(), 100u);
}

TEST(SharedSegmentTest, ForkedChildWritesAreVisibleToTheParent) {
  auto created = SharedSegment::Create(4096);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string name = (*created)->name();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child maps the segment afresh by name, as a client would.
    auto opened = SharedSegment::Open(name, 4096);
    if (!opened.ok()) _exit(1);
    std::memcpy((*opened)->data(), "from the child", 15);
    opened->reset();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_STREQ(static_cast<const char*>((*created)->data()), "from the child");
  // The child's Open did not unlink the name.
  EXPECT_TRUE(Exists(name));
}

TEST(SharedSegmentTest, UnlinkRemovesTheNameButKeepsTheMapping) {
  auto created = SharedSegment::Create(4096);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string name = (*created)->name();
  auto opened = SharedSegment::Open(name, 4096);
  ASSERT_TRUE(opened.ok()) << opened.status();
  (*created)->Unlink();
  (*created)->Unlink();  // Idempotent.
  EXPECT_FALSE(Exists(name));
  auto again = SharedSegment::Open(name, 4096);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound) << again.status();
  EXPECT_NE(again.status().message().find("freed with its tensor or session"),
            absl::string_view::npos)
      << again.status();
  static_cast<char*>((*created)->data())[5] = 'x';
  EXPECT_EQ(static_cast<char*>((*opened)->data())[5], 'x');
}

TEST(SharedSegmentTest, DestructorUnlinksOnlyWhenOwner) {
  std::string name;
  {
    auto created = SharedSegment::Create(4096);
    ASSERT_TRUE(created.ok()) << created.status();
    name = (*created)->name();
    {
      auto opened = SharedSegment::Open(name, 4096);
      ASSERT_TRUE(opened.ok()) << opened.status();
    }
    EXPECT_TRUE(Exists(name));
  }
  EXPECT_FALSE(Exists(name));
}

TEST(SharedSegmentTest, OpenRefusesNamesOutsideThePattern) {
  for (const std::string name : {"../etc/passwd", "/tensord-1-xyz", "/etc/passwd", "",
                                 "/tensord-1-0123456789abcdef0123456789abcdef/x"}) {
    auto opened = SharedSegment::Open(name, 1);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(SharedSegmentTest, OpenRefusesMoreBytesThanTheSegmentHolds) {
  auto created = SharedSegment::Create(4096);
  ASSERT_TRUE(created.ok()) << created.status();
  auto opened = SharedSegment::Open((*created)->name(), 4097);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << opened.status();
  EXPECT_NE(opened.status().message().find("4096"), absl::string_view::npos) << opened.status();
}

TEST(SharedSegmentTest, OpenRefusesASegmentOthersCouldRead) {
  const std::string name = HandName(getpid(), 'b');
  shm_unlink(name.c_str());
  MakeByHand(name, 0644, 4096);
  auto opened = SharedSegment::Open(name, 4096);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied) << opened.status();
  EXPECT_NE(opened.status().message().find("0644"), absl::string_view::npos) << opened.status();
  shm_unlink(name.c_str());
}

TEST(SharedSegmentTest, OpenRefusesANarrowerMode) {
  const std::string name = HandName(getpid(), 'c');
  shm_unlink(name.c_str());
  MakeByHand(name, 0400, 4096);
  auto opened = SharedSegment::Open(name, 4096);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied) << opened.status();
  shm_unlink(name.c_str());
}

TEST(SharedSegmentTest, OpenRefusesASegmentOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a segment away";
  const std::string name = HandName(getpid(), '9');
  shm_unlink(name.c_str());
  MakeByHand(name, 0600, 4096);
  ASSERT_EQ(chown(PathOf(name).c_str(), 65534, 65534), 0) << std::strerror(errno);
  auto opened = SharedSegment::Open(name, 4096);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied) << opened.status();
  EXPECT_NE(opened.status().message().find("uid 65534"), absl::string_view::npos)
      << opened.status();
  shm_unlink(name.c_str());
}

TEST(SharedSegmentTest, OpenOfAMissingNameIsNotFound) {
  const std::string name = HandName(getpid(), 'd');
  shm_unlink(name.c_str());
  auto opened = SharedSegment::Open(name, 1);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound) << opened.status();
  EXPECT_NE(opened.status().message().find("another host"), absl::string_view::npos);
}

TEST(SharedSegmentTest, CreateOfAnImpossibleSizeFailsCleanly) {
  struct statvfs fs;
  ASSERT_EQ(statvfs(kShmDirectory, &fs), 0);
  if (fs.f_blocks == 0) GTEST_SKIP() << kShmDirectory << " has no size limit";
  // Far beyond any /dev/shm: fails at creation, not with SIGBUS later.
  auto segment = SharedSegment::Create(size_t{1} << 60);
  ASSERT_FALSE(segment.ok());
  EXPECT_TRUE(segment.status().code() == absl::StatusCode::kResourceExhausted ||
              segment.status().code() == absl::StatusCode::kInvalidArgument)
      << segment.status();
  if (segment.status().code() == absl::StatusCode::kResourceExhausted) {
    EXPECT_NE(segment.status().message().find("/dev/shm is full"), absl::string_view::npos)
        << segment.status();
  }
}

TEST(RemoveStaleSegmentsTest, RemovesSegmentsOfDeadProcessesFromDevShm) {
  const pid_t dead = DeadPid();
  ASSERT_GT(dead, 0);
  ASSERT_EQ(kill(dead, 0), -1);
  const std::string stale = HandName(dead, 'e');
  shm_unlink(stale.c_str());
  MakeByHand(stale, 0600, 4096);
  // A live creator: init, which always exists.
  const std::string live_other = HandName(1, 'f');
  shm_unlink(live_other.c_str());
  MakeByHand(live_other, 0600, 4096);
  auto own = SharedSegment::Create(4096);
  ASSERT_TRUE(own.ok()) << own.status();

  // The count is checked in a private directory below: another process
  // cleaning /dev/shm at the same moment could remove `stale` first.
  RemoveStaleSegments();
  EXPECT_FALSE(Exists(stale));
  EXPECT_TRUE(Exists(live_other));
  EXPECT_TRUE(Exists((*own)->name()));
  shm_unlink(live_other.c_str());
}

// A private directory, removed with its files at the end of the scope.
class TempDirectory {
 public:
  TempDirectory() {
    char path[] = "/tmp/tensord-shm-test-XXXXXX";
    if (mkdtemp(path) != nullptr) path_ = path;
  }
  ~TempDirectory() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

 private:
  std::string path_;
};

void WriteFile(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  close(fd);
}

TEST(RemoveStaleSegmentsTest, CountsWhatItRemovesAndKeepsTheRest) {
  TempDirectory dir;
  ASSERT_FALSE(dir.path().empty()) << std::strerror(errno);
  const pid_t dead = DeadPid();
  const std::string hex(32, 'a');
  // Stale: a dead creator, this user, a regular file.
  const std::string stale1 = absl::StrCat("tensord-", dead, "-", hex);
  const std::string stale2 = absl::StrCat("tensord-", dead, "-", std::string(32, '0'));
  // Kept: live creators, this process, other names, other file types.
  const std::string live = absl::StrCat("tensord-1-", hex);
  const std::string self = absl::StrCat("tensord-", getpid(), "-", hex);
  const std::string not_hex = absl::StrCat("tensord-", dead, "-notasegment");
  const std::string upper = absl::StrCat("tensord-", dead, "-", std::string(32, 'A'));
  const std::string other_prefix = absl::StrCat("other-", dead, "-", hex);
  const std::string subdirectory = absl::StrCat("tensord-", dead, "-", std::string(32, 'b'));
  const std::string symlink_name = absl::StrCat("tensord-", dead, "-", std::string(32, 'c'));
  for (const std::string& name : {stale1, stale2, live, self, not_hex, upper, other_prefix}) {
    WriteFile(dir.File(name));
  }
  ASSERT_EQ(mkdir(dir.File(subdirectory).c_str(), 0700), 0);
  ASSERT_EQ(symlink(dir.File(live).c_str(), dir.File(symlink_name).c_str()), 0);
  std::string other_user;
  if (geteuid() == 0) {
    other_user = absl::StrCat("tensord-", dead, "-", std::string(32, 'd'));
    WriteFile(dir.File(other_user));
    ASSERT_EQ(chown(dir.File(other_user).c_str(), 65534, 65534), 0) << std::strerror(errno);
  }

  EXPECT_EQ(RemoveStaleSegmentsIn(dir.path()), 2);
  for (const std::string& name : {stale1, stale2}) {
    EXPECT_FALSE(std::filesystem::exists(dir.File(name))) << name;
  }
  for (const std::string& name :
       {live, self, not_hex, upper, other_prefix, subdirectory, symlink_name}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(dir.File(name)))) << name;
  }
  if (!other_user.empty()) {
    EXPECT_TRUE(std::filesystem::exists(dir.File(other_user)));
  }
  EXPECT_EQ(RemoveStaleSegmentsIn(dir.path()), 0);
  EXPECT_EQ(RemoveStaleSegmentsIn(dir.File("missing")), 0);
}

}  // namespace
}  // namespace tensord::shm
