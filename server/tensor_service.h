// The daemon's service logic, free of any transport: each RPC of
// tensord.v1.Tensord as a method from request to response or error. The
// gRPC adapter (grpc_service.h) only moves messages and maps codes.
#ifndef TENSORD_SERVER_TENSOR_SERVICE_H_
#define TENSORD_SERVER_TENSOR_SERVICE_H_

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

class TensorService {
 public:
  explicit TensorService(ServiceOptions options);

  // `principal` names the caller; sessions belong to it.
  absl::StatusOr<v1::OpenSessionResponse> OpenSession(const std::string& principal,
                                                      const v1::OpenSessionRequest& req);
  absl::StatusOr<v1::CloseSessionResponse> CloseSession(const std::string& principal,
                                                        const v1::CloseSessionRequest& req);
  absl::StatusOr<v1::CreateTensorResponse> CreateTensor(const std::string& principal,
                                                        const v1::CreateTensorRequest& req);
  absl::StatusOr<v1::ExecuteResponse> Execute(const std::string& principal,
                                              const v1::ExecuteRequest& req);
  absl::StatusOr<v1::FetchResponse> Fetch(const std::string& principal,
                                          const v1::FetchRequest& req);
  absl::StatusOr<v1::ReleaseResponse> Release(const std::string& principal,
                                              const v1::ReleaseRequest& req);
  absl::StatusOr<v1::DescribeResponse> Describe(const std::string& principal,
                                                const v1::DescribeRequest& req);
  absl::StatusOr<v1::ListTensorsResponse> ListTensors(const std::string& principal,
                                                      const v1::ListTensorsRequest& req);
  absl::StatusOr<v1::ListOpsResponse> ListOps(const v1::ListOpsRequest& req);
  // Bytes of device memory the session's tensors (data, gradients and saved
  // graph tensors) hold now.
  absl::StatusOr<int64_t> SessionBytes(const std::string& principal,
                                       const std::string& session_id);
  absl::StatusOr<v1::BackwardResponse> Backward(const std::string& principal,
                                                const v1::BackwardRequest& req);
  absl::StatusOr<v1::AutogradResponse> Autograd(const std::string& principal,
                                                const v1::AutogradRequest& req);
  absl::StatusOr<v1::SetGradModeResponse> SetGradMode(const std::string& principal,
                                                      const v1::SetGradModeRequest& req);

  SessionManager& sessions() { return sessions_; }

 private:
  device::Context ContextFor(Session& s) const;

  const ServiceOptions options_;
  SessionManager sessions_;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_TENSOR_SERVICE_H_
