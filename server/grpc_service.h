// The thin gRPC adapter: a callback service that hands each call to the
// worker pool, runs the transport-free TensorService, and maps absl::Status
// codes 1:1 onto gRPC status codes.
#ifndef TENSORD_SERVER_GRPC_SERVICE_H_
#define TENSORD_SERVER_GRPC_SERVICE_H_

#include <atomic>
#include <string>

#include "grpcpp/grpcpp.h"
#include "server/tensor_service.h"
#include "server/thread_pool.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::server {

grpc::Status ToGrpcStatus(const absl::Status& s);

class GrpcService final : public v1::Tensord::CallbackService {
 public:
  GrpcService(TensorService* service, ThreadPool* pool) : service_(service), pool_(pool) {}

  grpc::ServerUnaryReactor* OpenSession(grpc::CallbackServerContext* ctx,
                                        const v1::OpenSessionRequest* req,
                                        v1::OpenSessionResponse* resp) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext* ctx,
                                         const v1::CloseSessionRequest* req,
                                         v1::CloseSessionResponse* resp) override;
  grpc::ServerUnaryReactor* CreateTensor(grpc::CallbackServerContext* ctx,
                                         const v1::CreateTensorRequest* req,
                                         v1::CreateTensorResponse* resp) override;
  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* ctx, const v1::ExecuteRequest* req,
                                    v1::ExecuteResponse* resp) override;
  grpc::ServerUnaryReactor* Fetch(grpc::CallbackServerContext* ctx, const v1::FetchRequest* req,
                                  v1::FetchResponse* resp) override;
  grpc::ServerUnaryReactor* Release(grpc::CallbackServerContext* ctx, const v1::ReleaseRequest* req,
                                    v1::ReleaseResponse* resp) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* ctx,
                                     const v1::DescribeRequest* req,
                                     v1::DescribeResponse* resp) override;
  grpc::ServerUnaryReactor* ListTensors(grpc::CallbackServerContext* ctx,
                                        const v1::ListTensorsRequest* req,
                                        v1::ListTensorsResponse* resp) override;
  grpc::ServerUnaryReactor* ListOps(grpc::CallbackServerContext* ctx, const v1::ListOpsRequest* req,
                                    v1::ListOpsResponse* resp) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* ctx,
                                        const v1::ListDevicesRequest* req,
                                        v1::ListDevicesResponse* resp) override;
  grpc::ServerUnaryReactor* Backward(grpc::CallbackServerContext* ctx,
                                     const v1::BackwardRequest* req,
                                     v1::BackwardResponse* resp) override;
  grpc::ServerUnaryReactor* Autograd(grpc::CallbackServerContext* ctx,
                                     const v1::AutogradRequest* req,
                                     v1::AutogradResponse* resp) override;
  grpc::ServerUnaryReactor* SetGradMode(grpc::CallbackServerContext* ctx,
                                        const v1::SetGradModeRequest* req,
                                        v1::SetGradModeResponse* resp) override;
  // Same-host shared memory: refused unless the caller runs on this host as
  // the daemon's user.
  grpc::ServerUnaryReactor* CreateShared(grpc::CallbackServerContext* ctx,
                                         const v1::CreateSharedRequest* req,
                                         v1::CreateSharedResponse* resp) override;
  grpc::ServerUnaryReactor* Staging(grpc::CallbackServerContext* ctx, const v1::StagingRequest* req,
                                    v1::StagingResponse* resp) override;
  grpc::ServerUnaryReactor* StagedUpload(grpc::CallbackServerContext* ctx,
                                         const v1::StagedUploadRequest* req,
                                         v1::CreateTensorResponse* resp) override;
  grpc::ServerUnaryReactor* StagedFetch(grpc::CallbackServerContext* ctx,
                                        const v1::StagedFetchRequest* req,
                                        v1::StagedFetchResponse* resp) override;
  // The TCP port the daemon listens on (to recognise loopback peers).
  void set_tcp_port(int port) { tcp_port_ = port; }

  // Streaming calls (grpc_streams.cc).
  grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* Stream(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerReadReactor<v1::UploadRequest>* Upload(grpc::CallbackServerContext* ctx,
                                                     v1::CreateTensorResponse* resp) override;
  grpc::ServerWriteReactor<v1::FetchChunk>* FetchChunks(grpc::CallbackServerContext* ctx,
                                                        const v1::FetchRequest* req) override;

 private:
  // The caller's identity; sessions belong to it.
  static std::string PrincipalOf(grpc::CallbackServerContext* ctx);

  // Runs fn(principal) on the pool and finishes the call with its result.
  template <typename Resp, typename Fn>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, const char* method, Resp* resp,
                                Fn fn);

  TensorService* service_;
  ThreadPool* pool_;
  std::atomic<int> tcp_port_{0};
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_GRPC_SERVICE_H_
