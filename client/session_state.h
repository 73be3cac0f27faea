// Internals of the C++ client shared by session.cc and tensor.cc: the state
// behind a Session (connection, pipelined stream, handle range) and behind
// a Tensor (its handle and cached metadata). Not part of the public API.
#ifndef TENSORD_CLIENT_SESSION_STATE_H_
#define TENSORD_CLIENT_SESSION_STATE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/error.h"
#include "client/pipeline.h"
#include "client/tensor.h"
#include "device/shm/shared_segment.h"
#include "grpcpp/grpcpp.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::client {

// Tensors above this many bytes travel in chunks on their own streams.
inline constexpr int64_t kInlineTransferBytes = int64_t{1} << 20;
// Handles a client may choose (OpenSessionResponse.handle_base).
inline constexpr uint64_t kHandleRange = uint64_t{1} << 36;

class SessionState {
 public:
  SessionState(std::unique_ptr<v1::Tensord::Stub> stub, const v1::OpenSessionResponse& opened,
               bool close_on_exit, bool exclusive);
  ~SessionState();

  // A unary call; throws Error.
  template <typename Req, typename Resp>
  Resp Call(grpc::Status (v1::Tensord::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
            Req req) {
    grpc::ClientContext ctx;
    Resp resp;
    grpc::Status s = (stub.get()->*method)(&ctx, req, &resp);
    if (!s.ok()) throw Error(s.error_code(), s.error_message());
    return resp;
  }

  // A fresh handle from this client's range: ops name their results before
  // the daemon runs them.
  uint64_t NewHandle() {
    const uint64_t n = next_handle_.fetch_add(1);
    if (n >= kHandleRange) {
      throw Error(8, "this client used up its 2^36 tensor handles: open a new session");
    }
    return handle_base_ + n;
  }
  static Tensor Wrap(std::shared_ptr<TensorHandle> h) { return Tensor(std::move(h)); }
  static const std::shared_ptr<TensorHandle>& Unwrap(const Tensor& t) { return t.state_; }

  std::unique_ptr<v1::Tensord::Stub> stub;
  const std::string id;
  const bool attached;
  const std::string default_device;
  const bool close_on_exit;
  bool closed = false;
  Pipeline pipeline;
  // Large transfers through shared memory: the staging buffer this client
  // shares with the daemon (mapped once, reused), or why there is none.
  bool use_shared_memory ABSL_GUARDED_BY(staging_mu) = true;
  absl::Mutex staging_mu;
  std::unique_ptr<shm::SharedSegment> staging ABSL_GUARDED_BY(staging_mu);
  void* MapStaging(const v1::SharedSegment& seg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(staging_mu);
  uint64_t client_key() const { return handle_base_; }
  // A tensor created from `raw` through the staging buffer, or nullopt when
  // shared memory is not available (then use the network).
  std::optional<v1::CreateTensorResponse> StagedUpload(const RawTensor& raw,
                                                       const v1::UploadHeader& header);
  // Fetches the tensor's bytes into out->data through the staging buffer;
  // false when shared memory is not available.
  bool StagedFetch(uint64_t handle, RawTensor* out, v1::TensorMeta* meta);
  // The session's grad mode as this client set it, when no other client can
  // change it (an unnamed session); unknown otherwise.
  std::optional<bool> grad_enabled;

 private:
  const uint64_t handle_base_;
  std::atomic<uint64_t> next_handle_{1};
};

// What a Tensor refers to: a handle in the session, released (batched on the
// pipeline) when the last copy goes away unless a name owns it.
struct TensorHandle {
  TensorHandle(std::shared_ptr<SessionState> s, uint64_t h, bool owned)
      : session(std::move(s)), handle(h), owned(owned) {}
  ~TensorHandle() {
    if (owned && !session->closed) session->pipeline.Release(handle);
  }
  std::shared_ptr<SessionState> session;
  uint64_t handle;
  bool owned;
  // The daemon's last word on this tensor; reset by ops that may change it.
  std::optional<v1::TensorMeta> meta;
};

// "float32", ... for a wire dtype; throws for unknown ones.
std::string DTypeName(v1::DType d);
// The wire dtype for a name ("float32", "torch.long", "half", ...); throws.
v1::DType ParseDType(const std::string& name);
int64_t ItemSize(v1::DType d);
// Attributes of a factory call: size (when given), extras, dtype and device.
Attrs FactoryAttrs(const std::vector<int64_t>* shape, const Options& o, Attrs extra = {});

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_SESSION_STATE_H_
