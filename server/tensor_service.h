// The daemon's service logic, free of any transport: each RPC of
// tensord.v1.Tensord as a method from request to response or error. The
// gRPC adapter (grpc_service.h) only moves messages and maps codes.
#ifndef TENSORD_SERVER_TENSOR_SERVICE_H_
#define TENSORD_SERVER_TENSOR_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "device/context.h"
#include "device/device.h"
#include "server/session_manager.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

struct ServiceOptions {
  SessionOptions sessions;
  device::Limits limits;
  device::Device default_device;
  int64_t max_literal_elements = int64_t{1} << 24;
};

class TensorUpload;
class TensorDownload;

class TensorService {
 public:
  explicit TensorService(ServiceOptions options);

  // `principal` names the caller; sessions belong to it.
  absl::StatusOr<v1::OpenSessionResponse> OpenSession(const std::string& principal,
                                                      const v1::OpenSessionRequest& req);
  absl::StatusOr<v1::CloseSessionResponse> CloseSession(const std::string& principal,
                                                        const v1::CloseSessionRequest& req);
  absl::StatusOr<v1::ListTensorsResponse> ListTensors(const std::string& principal,
                                                      const v1::ListTensorsRequest& req);
  absl::StatusOr<v1::ListOpsResponse> ListOps(const v1::ListOpsRequest& req);
  // Every device with its memory; with a session id, what that session holds.
  absl::StatusOr<v1::ListDevicesResponse> ListDevices(const std::string& principal,
                                                      const v1::ListDevicesRequest& req);
  // Bytes of device memory the session's tensors (data, gradients and saved
  // graph tensors) hold now.
  absl::StatusOr<int64_t> SessionBytes(const std::string& principal, const std::string& session_id);

  // The per-session operations, each as an RPC (looks the session up and
  // locks it) and as a step on a session the caller already locked (the
  // pipelined stream runs a whole batch of commands under one lock).
#define TENSORD_SESSION_RPC(Method)                                                               \
  absl::StatusOr<v1::Method##Response> Method(const std::string& principal,                       \
                                              const v1::Method##Request& req);                    \
  absl::StatusOr<v1::Method##Response> Method##Locked(Session& s, const v1::Method##Request& req) \
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  TENSORD_SESSION_RPC(CreateTensor)
  TENSORD_SESSION_RPC(Execute)
  TENSORD_SESSION_RPC(Fetch)
  TENSORD_SESSION_RPC(Release)
  TENSORD_SESSION_RPC(Describe)
  TENSORD_SESSION_RPC(Backward)
  TENSORD_SESSION_RPC(Autograd)
  TENSORD_SESSION_RPC(SetGradMode)
#undef TENSORD_SESSION_RPC
  // Optimizer actions run on the pipelined stream only (server/optimizer.h).
  absl::StatusOr<v1::OptimizerResponse> OptimizerLocked(Session& s,
                                                        const v1::OptimizerRequest& req)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());

  // Starts a chunked fetch of a tensor as it is now.
  absl::StatusOr<std::unique_ptr<TensorDownload>> BeginDownload(const std::string& principal,
                                                                const v1::FetchRequest& req);
  // Starts a chunked upload: checks the header and allocates the tensor.
  absl::StatusOr<std::unique_ptr<TensorUpload>> BeginUpload(const std::string& principal,
                                                            const v1::UploadHeader& header);

  // Same-host shared memory (tensor_service_shm.cc). The transport checks
  // that the caller runs on this host as the daemon's user first.
  absl::StatusOr<v1::CreateSharedResponse> CreateShared(const std::string& principal,
                                                        const v1::CreateSharedRequest& req);
  absl::StatusOr<v1::StagingResponse> Staging(const std::string& principal,
                                              const v1::StagingRequest& req);
  absl::StatusOr<v1::CreateTensorResponse> StagedUpload(const std::string& principal,
                                                        const v1::StagedUploadRequest& req);
  absl::StatusOr<v1::StagedFetchResponse> StagedFetch(const std::string& principal,
                                                      const v1::StagedFetchRequest& req);

  SessionManager& sessions() { return sessions_; }
  device::Context ContextFor(Session& s) const;

 private:
  template <typename Resp, typename Req>
  absl::StatusOr<Resp> OnSession(const std::string& principal, const Req& req,
                                 absl::StatusOr<Resp> (TensorService::*locked)(Session&,
                                                                               const Req&));

  const ServiceOptions options_;
  SessionManager sessions_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_TENSOR_SERVICE_H_
