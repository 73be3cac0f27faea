#include "server/grpc_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "device/status_macros.h"
#include "server/log.h"
#include "server/peer.h"

namespace tensord::server {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::string GrpcService::PrincipalOf(grpc::CallbackServerContext*) {
  // Until authentication exists every caller is the same principal.
  return "anonymous";
}

template <typename Resp, typename Fn>
grpc::ServerUnaryReactor* GrpcService::Run(grpc::CallbackServerContext* ctx, const char* method,
                                           Resp* resp, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  pool_->Schedule(
      [reactor, resp, method, principal = PrincipalOf(ctx), fn = std::move(fn)]() mutable {
        absl::StatusOr<Resp> r = fn(principal);
        if (r.ok()) {
          *resp = *std::move(r);
          reactor->Finish(grpc::Status::OK);
          return;
        }
        // UNAVAILABLE: a device lost to a sticky fault.
        const bool server_fault = r.status().code() == absl::StatusCode::kInternal ||
                                  r.status().code() == absl::StatusCode::kUnknown ||
                                  r.status().code() == absl::StatusCode::kUnavailable;
        Log(server_fault ? LogLevel::kError : LogLevel::kDebug,
            absl::StrCat(method, ": ", r.status().ToString()));
        reactor->Finish(ToGrpcStatus(r.status()));
      });
  return reactor;
}

#define TENSORD_UNARY(Method, Call)                                                             \
  grpc::ServerUnaryReactor* GrpcService::Method(grpc::CallbackServerContext* ctx,               \
                                                const v1::Method##Request* req,                 \
                                                v1::Method##Response* resp) {                   \
    return Run(ctx, #Method, resp, [this, req](const std::string& principal) { return Call; }); \
  }

TENSORD_UNARY(OpenSession, service_->OpenSession(principal, *req))
TENSORD_UNARY(CloseSession, service_->CloseSession(principal, *req))
TENSORD_UNARY(CreateTensor, service_->CreateTensor(principal, *req))
TENSORD_UNARY(Execute, service_->Execute(principal, *req))
TENSORD_UNARY(Fetch, service_->Fetch(principal, *req))
TENSORD_UNARY(Release, service_->Release(principal, *req))
TENSORD_UNARY(Describe, service_->Describe(principal, *req))
TENSORD_UNARY(ListTensors, service_->ListTensors(principal, *req))
TENSORD_UNARY(ListOps, service_->ListOps(*req))
TENSORD_UNARY(ListDevices, service_->ListDevices(principal, *req))
TENSORD_UNARY(Backward, service_->Backward(principal, *req))
TENSORD_UNARY(Autograd, service_->Autograd(principal, *req))
TENSORD_UNARY(SetGradMode, service_->SetGradMode(principal, *req))

#undef TENSORD_UNARY

#define TENSORD_SHM_UNARY(Method, Resp)                                                           \
  grpc::ServerUnaryReactor* GrpcService::Method(grpc::CallbackServerContext* ctx,                 \
                                                const v1::Method##Request* req, v1::Resp* resp) { \
    return Run(ctx, #Method, resp,                                                                \
               [this, req,                                                                        \
                peer = ctx->peer()](const std::string& principal) -> absl::StatusOr<v1::Resp> {   \
                 TD_RETURN_IF_ERROR(CheckSharedMemoryPeer(peer, tcp_port_));                      \
                 return service_->Method(principal, *req);                                        \
               });                                                                                \
  }

TENSORD_SHM_UNARY(CreateShared, CreateSharedResponse)
TENSORD_SHM_UNARY(Staging, StagingResponse)
TENSORD_SHM_UNARY(StagedUpload, CreateTensorResponse)
TENSORD_SHM_UNARY(StagedFetch, StagedFetchResponse)

#undef TENSORD_SHM_UNARY

}  // namespace tensord::server
