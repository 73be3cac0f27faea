// POSIX shared-memory segments that tensord and a client on the same host
// both map: the storage of zero-copy host tensors. The daemon creates a
// segment under an unguessable name with mode 0600 and sends the name to the
// client, which opens and maps it after checking owner, mode and size.
// Depends only on Abseil and librt so that the client library can link it.
#ifndef TENSORD_DEVICE_SHM_SHARED_SEGMENT_H_
#define TENSORD_DEVICE_SHM_SHARED_SEGMENT_H_

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensord::shm {

// Where Linux keeps POSIX shared-memory objects; "/tensord-..." names the
// file "/dev/shm/tensord-...".
inline constexpr char kShmDirectory[] = "/dev/shm";

// Whether `name` has the form "/tensord-<pid>-<32 lowercase hex digits>",
// with <pid> a positive decimal process id without leading zeros. Only such
// names are created or opened, so a name received over the wire cannot
// reach any other file.
bool IsSegmentName(absl::string_view name);

// A mapped shared-memory segment. Create() makes the segment and owns its
// name: the destructor unlinks it unless Unlink() already did. Open() maps a
// segment created by another process (or this one) and never unlinks it.
// The mapping lives until destruction, even after the name is gone.
class SharedSegment {
 public:
  // Creates and maps a new segment of exactly `nbytes` bytes (zero allowed:
  // data() is then a valid, non-null address with nothing to read) under a
  // fresh name from 128 random bits. The object is created exclusively with
  // mode 0600 (fixed with fchmod whatever the umask), its memory reserved
  // with posix_fallocate so that a full /dev/shm fails here rather than with
  // SIGBUS on first touch, and mapped shared, read-write and pre-faulted.
  // Errors: ResourceExhausted when /dev/shm or memory is full,
  // PermissionDenied or FailedPrecondition when /dev/shm is unusable,
  // InvalidArgument when nbytes does not fit a file size.
  static absl::StatusOr<std::unique_ptr<SharedSegment>> Create(size_t nbytes);

  // Opens and maps the first `nbytes` bytes of an existing segment (the
  // peer's side). Refuses, before touching the file system, any name for
  // which IsSegmentName() is false (InvalidArgument). Then requires a regular
  // object owned by this process's effective uid with mode exactly 0600
  // (PermissionDenied otherwise) and at least nbytes long (InvalidArgument).
  // A missing name is NotFound: the segment was freed with its tensor or
  // session, or the daemon runs on another host.
  static absl::StatusOr<std::unique_ptr<SharedSegment>> Open(const std::string& name,
                                                             size_t nbytes);

  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  // Unmaps; unlinks the name when this object created it and Unlink() has
  // not run.
  ~SharedSegment();

  // Removes the name now; the mappings of every process stay valid until
  // unmapped. Idempotent; a name already gone is not an error. On an opened
  // (not created) segment this removes the creator's name too.
  void Unlink();

  void* data() const { return data_; }
  size_t size() const { return size_; }
  // "/tensord-<pid>-<hex>", as passed to shm_open.
  const std::string& name() const { return name_; }
  // Whether this object created the segment (and so unlinks it).
  bool owner() const { return owner_; }

 private:
  SharedSegment(std::string name, void* data, size_t size, size_t mapped_bytes, bool owner);

  std::string name_;
  void* data_;
  size_t size_;
  size_t mapped_bytes_;
  bool owner_;
  bool unlinked_ = false;
};

// For the daemon's start-up: unlinks every /dev/shm/tensord-<pid>-<hex>
// regular file owned by this process's effective uid whose <pid> is not a
// live process (kill(pid, 0) fails with ESRCH), i.e. segments left behind by
// a daemon that crashed. Returns how many it removed. Segments of live
// processes, of other users and of this process are kept. Process ids are
// those of this pid namespace: daemons in other pid namespaces must not share
// this /dev/shm with this one.
int RemoveStaleSegments();

// RemoveStaleSegments on the tensord-<pid>-<hex> files of `directory`
// instead of /dev/shm (tests use a private directory).
int RemoveStaleSegmentsIn(const std::string& directory);

}  // namespace tensord::shm

#endif  // TENSORD_DEVICE_SHM_SHARED_SEGMENT_H_
