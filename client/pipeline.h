// The client side of the daemon's pipelined command stream. Send() queues a
// command and returns at once. While the stream is busy, ops wait briefly
// (at most kPollInterval) so that a burst, or an op and the barrier after
// it, travel in one message; a writer thread sends what a barrier did not.
// The first op after an idle spell is written at once by the calling
// thread instead, since the writer is asleep then. A thread that waits for a reply reads the stream
// itself (no hand-off from a reader thread): failures are kept until the next barrier, where Call()
// or Sync() throws the earliest one (as an asynchronous device reports an error at the next
// synchronization). Replies nobody waits for stay in the transport until then; the daemon pauses a
// stream whose replies go unread.
#ifndef TENSORD_CLIENT_PIPELINE_H_
#define TENSORD_CLIENT_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::client {

class Pipeline {
 public:
  Pipeline(v1::Tensord::Stub* stub, std::string session_id);
  // Sends what is queued and waits for the daemon to run it.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues a command without waiting; returns its number on the stream.
  // Throws Error only when the stream is broken.
  uint64_t Send(v1::Command cmd);
  // Queues a command, waits for its reply and returns it. Throws Error for
  // its own failure or for an earlier command's failure not yet reported.
  v1::CommandReply Call(v1::Command cmd);
  // Waits until everything sent so far ran; throws like Call.
  void Sync();
  // Queues the release of a handle, merged with neighbouring releases.
  // Never throws: a broken stream has nothing left to release.
  void Release(uint64_t handle) noexcept;
  // Sends what is queued, waits for the daemon to run it and ends the stream.
  // Failures not yet reported are dropped.
  void Close();

 private:
  struct Failure {
    uint64_t seq;
    int code;
    std::string message;
  };
  void StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t EnqueueLocked(v1::Command cmd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the queued commands from the calling thread when no write is in
  // flight (a barrier saves the writer thread's wake-up).
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteBatch(v1::StreamRequest* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Throws the first failure among commands up to `seq`, if any.
  void ThrowFailuresLocked(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriterLoop();
  // Reads one message of replies (the lock is released meanwhile).
  void ReadOnceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stream ended: finishes it and records why.
  void EndLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads (or waits for another reader) until command `seq` is answered,
  // or for seq 0 until the stream ends. False when it broke first.
  bool AwaitLocked(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  v1::Tensord::Stub* stub_;
  const std::string session_id_;

  absl::Mutex mu_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>> stream_;
  std::thread writer_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_session_ ABSL_GUARDED_BY(mu_) = false;
  v1::StreamRequest pending_ ABSL_GUARDED_BY(mu_);
  uint64_t last_release_index_ ABSL_GUARDED_BY(mu_) = UINT64_MAX;  // in pending_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Enough is queued to be worth a message at once.
  bool urgent_ ABSL_GUARDED_BY(mu_) = false;
  int pending_ops_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_releases_ ABSL_GUARDED_BY(mu_) = 0;
  static constexpr int kMaxLazyReleases = 1024;
  static constexpr int kMaxQueuedOps = 64;
  // While ops keep coming, the writer wakes this often to send what no
  // barrier took; after kActiveSpell without ops it sleeps until woken.
  static constexpr absl::Duration kPollInterval = absl::Microseconds(100);
  static constexpr absl::Duration kActiveSpell = absl::Milliseconds(2);
  absl::Time last_send_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The writer is polling (rather than asleep until woken).
  bool writer_polling_ ABSL_GUARDED_BY(mu_) = false;
  // Asks a sleeping writer to start polling.
  bool wake_writer_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the stream broke: every later call throws it.
  int broken_code_ ABSL_GUARDED_BY(mu_) = 0;
  std::string broken_message_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  // Replies awaited by Call, by command number.
  absl::flat_hash_map<uint64_t, std::unique_ptr<v1::CommandReply>> replies_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> awaited_ ABSL_GUARDED_BY(mu_);
  std::vector<Failure> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_PIPELINE_H_
