// TensorService's same-host shared-memory calls: tensors whose storage is a
// segment the client maps too, and staged transfers through a reusable
// per-client segment.
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/variable.h"
#include "device/backend.h"
#include "device/functional.h"
#include "device/queue.h"
#include "device/registry.h"
#include "device/shm/shared_segment.h"
#include "device/status_macros.h"
#include "server/proto_convert.h"
#include "server/tensor_service.h"

namespace tensord::server {

namespace {

void SetSegment(const shm::SharedSegment& seg, v1::SharedSegment* out) {
  out->set_name(seg.name());
  out->set_nbytes(static_cast<int64_t>(seg.size()));
}

// Binds a new leaf tensor as `spec` asks and describes it.
absl::StatusOr<v1::TensorMeta> BindLeaf(Session& s, const v1::OutputSpec& spec, device::Tensor t,
                                        bool requires_grad) {
  autograd::Variable v{std::move(t), nullptr};
  TD_RETURN_IF_ERROR(autograd::SetRequiresGrad(v, requires_grad));
  TD_ASSIGN_OR_RETURN(uint64_t handle,
                      s.Bind(spec, TensorEntry{.tensor = v.tensor, .meta = v.meta}));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s.Find(handle));
  v1::TensorMeta meta;
  s.FillMeta(handle, *e, &meta);
  return meta;
}

}  // namespace

absl::StatusOr<v1::CreateSharedResponse> TensorService::CreateShared(
    const std::string& principal, const v1::CreateSharedRequest& req) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  TD_ASSIGN_OR_RETURN(device::DType dtype, FromProto(req.dtype()));
  const std::vector<int64_t> shape(req.shape().begin(), req.shape().end());
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  TD_RETURN_IF_ERROR(s->CheckBindable(req.output()));
  const device::Context ctx = ContextFor(*s);
  TD_ASSIGN_OR_RETURN(size_t nbytes, ctx.CheckedBytes(shape, dtype));
  TD_ASSIGN_OR_RETURN(device::Backend * cpu, device::FindBackend(device::Device::Cpu()));
  TD_ASSIGN_OR_RETURN(std::unique_ptr<shm::SharedSegment> seg, shm::SharedSegment::Create(nbytes));
  v1::CreateSharedResponse resp;
  SetSegment(*seg, resp.mutable_segment());
  void* data = seg->data();
  // The segment is unmapped and its name removed when the storage dies.
  auto storage =
      std::make_shared<device::Storage>(cpu, data, nbytes, std::shared_ptr<void>(std::move(seg)));
  storage->SetAccount(s->memory());
  device::Tensor t(std::move(storage), shape, device::ContiguousStrides(shape), 0, dtype);
  TD_ASSIGN_OR_RETURN(*resp.mutable_tensor(),
                      BindLeaf(*s, req.output(), std::move(t), req.requires_grad()));
  return resp;
}

absl::StatusOr<v1::StagingResponse> TensorService::Staging(const std::string& principal,
                                                           const v1::StagingRequest& req) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  if (req.nbytes() < 0 || req.nbytes() > options_.limits.max_tensor_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a staging buffer of ", req.nbytes(), " bytes is outside 0 .. ",
                     options_.limits.max_tensor_bytes, " (this daemon's --max_tensor_bytes)"));
  }
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  TD_ASSIGN_OR_RETURN(shm::SharedSegment * seg,
                      s->Staging(req.client_key(), static_cast<size_t>(req.nbytes())));
  v1::StagingResponse resp;
  SetSegment(*seg, resp.mutable_staging());
  return resp;
}

absl::StatusOr<v1::CreateTensorResponse> TensorService::StagedUpload(
    const std::string& principal, const v1::StagedUploadRequest& req) {
  const v1::UploadHeader& h = req.header();
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, h.session_id()));
  TD_ASSIGN_OR_RETURN(device::DType dtype, FromProto(h.dtype()));
  device::Device dev = options_.default_device;
  if (!h.device().empty()) {
    TD_ASSIGN_OR_RETURN(dev, device::Device::Parse(h.device()));
  }
  const std::vector<int64_t> shape(h.shape().begin(), h.shape().end());
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  TD_RETURN_IF_ERROR(s->CheckBindable(h.output()));
  const device::Context ctx = ContextFor(*s);
  TD_ASSIGN_OR_RETURN(size_t nbytes, ctx.CheckedBytes(shape, dtype));
  // Staging() only grows: an existing buffer large enough is returned as is.
  TD_ASSIGN_OR_RETURN(shm::SharedSegment * seg, s->Staging(req.client_key(), 0));
  if (seg->size() < nbytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("the staging buffer holds ", seg->size(), " bytes but the tensor needs ",
                     nbytes, ": ask Staging for a buffer of that size and fill it first"));
  }
  TD_ASSIGN_OR_RETURN(device::Tensor t,
                      device::FromHost(ctx, seg->data(), nbytes, shape, dtype, dev));
  v1::CreateTensorResponse resp;
  TD_ASSIGN_OR_RETURN(*resp.mutable_tensor(),
                      BindLeaf(*s, h.output(), std::move(t), h.requires_grad()));
  return resp;
}

absl::StatusOr<v1::StagedFetchResponse> TensorService::StagedFetch(
    const std::string& principal, const v1::StagedFetchRequest& req) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
  const device::Context ctx = ContextFor(*s);
  TD_ASSIGN_OR_RETURN(device::Tensor c, device::Contiguous(ctx, e->tensor));
  TD_ASSIGN_OR_RETURN(shm::SharedSegment * seg, s->Staging(req.client_key(), c.nbytes()));
  TD_RETURN_IF_ERROR(c.backend().CopyToHost(c, seg->data()));
  v1::StagedFetchResponse resp;
  s->FillMeta(h, *e, resp.mutable_meta());
  SetSegment(*seg, resp.mutable_staging());
  return resp;
}

}  // namespace tensord::server
