#include "device/shm/shared_segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace tensord::shm {
namespace {

constexpr absl::string_view kNamePrefix = "/tensord-";
constexpr size_t kRandomBytes = 16;  // 128 bits, 32 hex digits.
constexpr mode_t kSegmentMode = 0600;
constexpr int kCreateAttempts = 4;

bool IsDecimal(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLowerHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The <pid> of "/tensord-<pid>-<hex>", or nullopt when `name` is not a
// segment name.
std::optional<pid_t> CreatorPid(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kNamePrefix)) return std::nullopt;
  const size_t dash = name.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  const absl::string_view pid_text = name.substr(0, dash);
  const absl::string_view hex = name.substr(dash + 1);
  if (!IsDecimal(pid_text) || pid_text.size() > 10 || pid_text[0] == '0') return std::nullopt;
  if (hex.size() != 2 * kRandomBytes || !IsLowerHex(hex)) return std::nullopt;
  int64_t pid = 0;
  if (!absl::SimpleAtoi(pid_text, &pid) || pid > std::numeric_limits<pid_t>::max()) {
    return std::nullopt;
  }
  return static_cast<pid_t>(pid);
}

std::string ShmPath(absl::string_view name) { return absl::StrCat(kShmDirectory, name); }

// "0644".
std::string OctalMode(mode_t mode) {
  std::string digits;
  mode &= 07777;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
    mode >>= 3;
  } while (mode != 0);
  return absl::StrCat("0", digits);
}

// `what` followed by the system's description of `err`, with the code
// Abseil maps that errno to.
absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(err), absl::StrCat(what, ": ", std::strerror(err)));
}

absl::Status CheckFileSize(size_t nbytes) {
  if (nbytes > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat(nbytes, " bytes do not fit a shared memory segment: lower the tensor size"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NewSegmentName() {
  unsigned char bytes[kRandomBytes];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(
          "cannot draw a random shared memory segment name: getrandom: ", std::strerror(errno)));
    }
    filled += static_cast<size_t>(n);
  }
  return absl::StrCat(kNamePrefix, getpid(), "-",
                      absl::BytesToHexString(
                          absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

absl::Status CreateError(int err, const std::string& name) {
  const std::string what = absl::StrCat("cannot create shared memory segment ", name);
  switch (err) {
    case ENOENT:
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": ", kShmDirectory, " does not exist: mount a tmpfs there"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(what, ": permission denied: ", kShmDirectory,
                                                      " must be a tmpfs writable by every user "
                                                      "(mode 1777)"));
    case ENOSPC:
      return absl::ResourceExhaustedError(
          absl::StrCat(kShmDirectory, " is full (no free inodes): ", what, ": free space in ",
                       kShmDirectory, " or free tensors"));
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(
          absl::StrCat(what, ": too many open files: raise the limit (ulimit -n)"));
    default:
      return ErrnoError(err, what);
  }
}

// What the file system of `fd` has left, as " (N bytes free)", or nothing.
std::string FreeSpace(int fd) {
  struct statvfs fs;
  if (fstatvfs(fd, &fs) != 0) return "";
  return absl::StrCat(" (", static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize, " bytes free)");
}

absl::Status ReserveError(int err, const std::string& name, size_t nbytes, int fd) {
  switch (err) {
    case ENOSPC:
      return absl::ResourceExhaustedError(
          absl::StrCat(kShmDirectory, " is full", FreeSpace(fd), ": cannot reserve ", nbytes,
                       " bytes for shared memory segment ", name, ": free space in ", kShmDirectory,
                       " (or enlarge it) or lower the tensor size"));
    case ENOMEM:
      return absl::ResourceExhaustedError(absl::StrCat("out of memory reserving ", nbytes,
                                                       " bytes for shared memory segment ", name,
                                                       ": lower the tensor size"));
    case EFBIG:
      return absl::InvalidArgumentError(absl::StrCat(nbytes, " bytes exceed the largest file ",
                                                     kShmDirectory,
                                                     " allows: lower the tensor size"));
    default:
      return ErrnoError(
          err, absl::StrCat("cannot reserve ", nbytes, " bytes for shared memory segment ", name));
  }
}

absl::Status MapError(int err, const std::string& name, size_t nbytes) {
  if (err == ENOMEM) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map ", nbytes, " bytes of shared memory segment ", name,
                     ": out of memory or address space: lower the tensor size"));
  }
  return ErrnoError(err,
                    absl::StrCat("cannot map ", nbytes, " bytes of shared memory segment ", name));
}

absl::Status OpenError(int err, const std::string& name) {
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(
          "shared memory segment ", name,
          " not found: it was freed with its tensor or session, or the daemon runs on another "
          "host"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(
          absl::StrCat("shared memory segment ", name,
                       " belongs to another user: run the client as the daemon's user"));
    case ELOOP:
      return absl::PermissionDeniedError(absl::StrCat(
          "shared memory segment ", name, " is a symbolic link: refusing to follow it"));
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(absl::StrCat("cannot open shared memory segment ", name,
                                                       ": too many open files: raise the "
                                                       "limit (ulimit -n)"));
    default:
      return ErrnoError(err, absl::StrCat("cannot open shared memory segment ", name));
  }
}

// Owner, type, mode and size checks on an opened segment.
absl::Status CheckOpened(int fd, const std::string& name, size_t nbytes) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return ErrnoError(errno, absl::StrCat("cannot inspect shared memory segment ", name));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat(ShmPath(name), " is not a regular shared memory object: refusing it"));
  }
  const uid_t euid = geteuid();
  if (st.st_uid != euid) {
    return absl::PermissionDeniedError(absl::StrCat(
        "shared memory segment ", name, " belongs to uid ", st.st_uid,
        ", not to this process's uid ", euid, ": run the client as the daemon's user"));
  }
  if ((st.st_mode & 07777) != kSegmentMode) {
    return absl::PermissionDeniedError(
        absl::StrCat("shared memory segment ", name, " has mode ", OctalMode(st.st_mode), ", not ",
                     OctalMode(kSegmentMode), ": refusing a segment that other users could reach"));
  }
  if (static_cast<uint64_t>(st.st_size) < nbytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared memory segment ", name, " holds ", st.st_size, " bytes, fewer than the ", nbytes,
        " requested: the name and the size belong to different tensors"));
  }
  return absl::OkStatus();
}

// Maps `nbytes` (at least one byte, so that an empty segment still has a
// valid address) shared, read-write and pre-faulted.
void* MapShared(int fd, size_t nbytes) {
  return mmap(nullptr, std::max<size_t>(nbytes, 1), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_POPULATE, fd, 0);
}

// Sizes a fresh segment to `nbytes`, reserving its memory when the file
// system can; returns 0 or an errno.
int Reserve(int fd, size_t nbytes) {
  if (nbytes == 0) return 0;
  int err;
  do {
    err = posix_fallocate(fd, 0, static_cast<off_t>(nbytes));
  } while (err == EINTR);
  if (err == EOPNOTSUPP || err == ENOSYS) {
    // No reservation possible: size it and let the pages come on demand.
    err = ftruncate(fd, static_cast<off_t>(nbytes)) == 0 ? 0 : errno;
  }
  return err;
}

}  // namespace

bool IsSegmentName(absl::string_view name) { return CreatorPid(name).has_value(); }

SharedSegment::SharedSegment(std::string name, void* data, size_t size, size_t mapped_bytes,
                             bool owner)
    : name_(std::move(name)),
      data_(data),
      size_(size),
      mapped_bytes_(mapped_bytes),
      owner_(owner) {}

absl::StatusOr<std::unique_ptr<SharedSegment>> SharedSegment::Create(size_t nbytes) {
  if (absl::Status status = CheckFileSize(nbytes); !status.ok()) return status;
  std::string name;
  int fd = -1;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    absl::StatusOr<std::string> fresh = NewSegmentName();
    if (!fresh.ok()) return fresh.status();
    name = *std::move(fresh);
    fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, kSegmentMode);
    if (fd >= 0 || errno != EEXIST) break;
  }
  if (fd < 0) return CreateError(errno, name);

  // From here on a failure removes the half-made segment.
  auto fail = [&](absl::Status status) {
    close(fd);
    shm_unlink(name.c_str());
    return status;
  };
  if (fchmod(fd, kSegmentMode) != 0) {
    return fail(ErrnoError(errno, absl::StrCat("cannot set mode ", OctalMode(kSegmentMode),
                                               " on shared memory segment ", name)));
  }
  if (const int err = Reserve(fd, nbytes); err != 0) {
    return fail(ReserveError(err, name, nbytes, fd));
  }
  void* data = MapShared(fd, nbytes);
  if (data == MAP_FAILED) return fail(MapError(errno, name, nbytes));
  close(fd);
  return std::unique_ptr<SharedSegment>(new SharedSegment(
      std::move(name), data, nbytes, std::max<size_t>(nbytes, 1), /*owner=*/true));
}

absl::StatusOr<std::unique_ptr<SharedSegment>> SharedSegment::Open(const std::string& name,
                                                                   size_t nbytes) {
  if (!IsSegmentName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", absl::CHexEscape(name),
                     "' is not a tensord shared memory segment name (/tensord-<pid>-<32 hex "
                     "digits>): pass the name the daemon sent"));
  }
  if (absl::Status status = CheckFileSize(nbytes); !status.ok()) return status;
  const int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) return OpenError(errno, name);
  if (absl::Status status = CheckOpened(fd, name, nbytes); !status.ok()) {
    close(fd);
    return status;
  }
  void* data = MapShared(fd, nbytes);
  const int map_errno = errno;
  close(fd);
  if (data == MAP_FAILED) return MapError(map_errno, name, nbytes);
  return std::unique_ptr<SharedSegment>(
      new SharedSegment(name, data, nbytes, std::max<size_t>(nbytes, 1), /*owner=*/false));
}

SharedSegment::~SharedSegment() {
  munmap(data_, mapped_bytes_);
  if (owner_) Unlink();
}

void SharedSegment::Unlink() {
  if (unlinked_) return;
  unlinked_ = true;
  shm_unlink(name_.c_str());  // ENOENT: the peer already removed it.
}

int RemoveStaleSegmentsIn(const std::string& directory) {
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return 0;
  const uid_t euid = geteuid();
  const pid_t self = getpid();
  // Collected first: the directory is not changed while it is read.
  std::vector<std::string> stale;
  while (const dirent* entry = readdir(dir)) {
    const std::optional<pid_t> pid = CreatorPid(absl::StrCat("/", entry->d_name));
    if (!pid.has_value() || *pid == self) continue;
    struct stat st;
    if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != euid) continue;
    // EPERM means the process lives under another uid: not stale.
    if (kill(*pid, 0) == 0 || errno != ESRCH) continue;
    stale.emplace_back(entry->d_name);
  }
  int removed = 0;
  for (const std::string& file : stale) {
    if (unlinkat(dirfd(dir), file.c_str(), 0) == 0) ++removed;
  }
  closedir(dir);
  return removed;
}

int RemoveStaleSegments() { return RemoveStaleSegmentsIn(kShmDirectory); }

}  // namespace tensord::shm
