// The pipelined stream's logic, free of any transport: commands numbered in
// arrival order run one after another on the stream's session; only
// failures, barriers (fetch, describe, sync) and commands that ask for it
// are answered. A command that uses a tensor that a failed command should
// have produced fails too, with "depends on failed op N", so a client that
// sent a whole program without waiting learns the root cause.
#ifndef TENSORD_SERVER_COMMAND_STREAM_H_
#define TENSORD_SERVER_COMMAND_STREAM_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/tensor_service.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

class CommandStream {
 public:
  CommandStream(TensorService* service, std::string principal)
      : service_(service), principal_(std::move(principal)) {}

  // Runs one message's commands in order and returns the replies to send
  // (possibly none). An error ends the stream: the first message named no
  // session, or the session is gone.
  absl::StatusOr<v1::StreamResponse> Run(const v1::StreamRequest& req);

  // Whether the message is cheap enough to run on the thread that received
  // it (a few commands on small tensors, no backward): that saves a thread
  // hand-off, which is most of a small synchronous op's latency.
  bool Cheap(const v1::StreamRequest& req);

 private:
  // The failed command a tensor reference depends on, or 0.
  uint64_t FailedSource(const v1::TensorRef& ref) const;
  uint64_t FailedInputs(const v1::Command& cmd) const;
  // Marks what the command should have produced as failed.
  void MarkFailed(const v1::Command& cmd, uint64_t root);
  // Forgets failure marks on outputs that now exist.
  void ClearOutputs(const v1::Command& cmd);
  absl::Status RunOne(Session& s, const v1::Command& cmd, v1::CommandReply* reply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());

  TensorService* service_;
  const std::string principal_;
  std::string session_id_;
  uint64_t next_seq_ = 1;
  // Client handles and names that failed commands should have bound or
  // changed -> the command that failed first.
  absl::flat_hash_map<uint64_t, uint64_t> failed_handles_;
  absl::flat_hash_map<std::string, uint64_t> failed_names_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_COMMAND_STREAM_H_
