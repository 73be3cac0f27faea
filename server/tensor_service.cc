#include "server/tensor_service.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/dispatch.h"
#include "autograd/engine.h"
#include "autograd/op_registry.h"
#include "device/functional.h"
#include "device/literal.h"
#include "device/queue.h"
#include "device/registry.h"
#include "device/status_macros.h"
#include "server/proto_convert.h"
#include "server/tensor_transfer.h"

namespace tensord::server {

TensorService::TensorService(ServiceOptions options)
    : options_(options), sessions_(options.sessions) {}

template <typename Resp, typename Req>
absl::StatusOr<Resp> TensorService::OnSession(
    const std::string& principal, const Req& req,
    absl::StatusOr<Resp> (TensorService::*locked)(Session&, const Req&)) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  return (this->*locked)(*s, req);
}

device::Context TensorService::ContextFor(Session& s) const {
  return device::Context(&s.generator(), options_.default_device, options_.limits, s.memory());
}

absl::StatusOr<v1::OpenSessionResponse> TensorService::OpenSession(
    const std::string& principal, const v1::OpenSessionRequest& req) {
  TD_ASSIGN_OR_RETURN(SessionManager::Opened opened,
                      sessions_.Open(principal, req.name(), absl::Seconds(req.lease_seconds())));
  v1::OpenSessionResponse resp;
  resp.set_session_id(opened.session->id());
  resp.set_attached(opened.attached);
  resp.set_lease_seconds(absl::ToInt64Seconds(opened.session->lease()));
  resp.set_default_device(options_.default_device.ToString());
  resp.set_handle_base(sessions_.NextClientHandleBase());
  return resp;
}

absl::StatusOr<v1::CloseSessionResponse> TensorService::CloseSession(
    const std::string& principal, const v1::CloseSessionRequest& req) {
  TD_ASSIGN_OR_RETURN(int64_t released, sessions_.Close(principal, req.session_id()));
  v1::CloseSessionResponse resp;
  resp.set_released_tensors(released);
  return resp;
}

absl::StatusOr<v1::CreateTensorResponse> TensorService::CreateTensor(
    const std::string& principal, const v1::CreateTensorRequest& req) {
  return OnSession(principal, req, &TensorService::CreateTensorLocked);
}

absl::StatusOr<v1::CreateTensorResponse> TensorService::CreateTensorLocked(
    Session& session, const v1::CreateTensorRequest& req) {
  Session* s = &session;
  TD_RETURN_IF_ERROR(s->CheckBindable(req.output()));
  const device::Context ctx = ContextFor(*s);
  device::Device dev = ctx.default_device();
  if (!req.device().empty()) {
    TD_ASSIGN_OR_RETURN(dev, device::Device::Parse(req.device()));
  }
  std::optional<device::DType> dtype;
  if (req.dtype() != v1::DTYPE_UNSPECIFIED) {
    TD_ASSIGN_OR_RETURN(dtype, FromProto(req.dtype()));
  }
  device::Tensor t;
  switch (req.source_case()) {
    case v1::CreateTensorRequest::kLiteral: {
      TD_ASSIGN_OR_RETURN(
          device::ParsedLiteral lit,
          device::ParseLiteral(req.literal(), dtype, options_.max_literal_elements));
      TD_ASSIGN_OR_RETURN(
          t, device::FromHost(ctx, lit.bytes.data(), lit.bytes.size(), lit.shape, lit.dtype, dev));
      break;
    }
    case v1::CreateTensorRequest::kData: {
      const v1::TensorData& d = req.data();
      TD_ASSIGN_OR_RETURN(device::DType data_dtype, FromProto(d.dtype()));
      const std::vector<int64_t> shape(d.shape().begin(), d.shape().end());
      TD_ASSIGN_OR_RETURN(
          t, device::FromHost(ctx, d.raw().data(), d.raw().size(), shape, data_dtype, dev));
      if (dtype.has_value()) {
        TD_ASSIGN_OR_RETURN(t, device::To(ctx, t, *dtype));
      }
      break;
    }
    case v1::CreateTensorRequest::SOURCE_NOT_SET:
      return absl::InvalidArgumentError(
          "CreateTensor needs data or a literal; factories such as zeros run through Execute");
  }
  autograd::Variable v{t, nullptr};
  TD_RETURN_IF_ERROR(autograd::SetRequiresGrad(v, req.requires_grad()));
  TD_ASSIGN_OR_RETURN(uint64_t handle,
                      s->Bind(req.output(), TensorEntry{.tensor = v.tensor, .meta = v.meta}));
  v1::CreateTensorResponse resp;
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(handle));
  s->FillMeta(handle, *e, resp.mutable_tensor());
  return resp;
}

absl::StatusOr<v1::ExecuteResponse> TensorService::Execute(const std::string& principal,
                                                           const v1::ExecuteRequest& req) {
  return OnSession(principal, req, &TensorService::ExecuteLocked);
}

absl::StatusOr<v1::ExecuteResponse> TensorService::ExecuteLocked(Session& session,
                                                                 const v1::ExecuteRequest& req) {
  Session* s = &session;
  TD_ASSIGN_OR_RETURN(auto attrs, FromProto(req.attrs()));
  std::vector<uint64_t> handles;
  std::vector<autograd::Variable> inputs;
  for (const v1::TensorRef& ref : req.inputs()) {
    TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(ref));
    TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
    handles.push_back(h);
    inputs.push_back(e->variable());
  }
  std::optional<uint64_t> out_handle;
  autograd::Variable out_var;
  if (req.has_out()) {
    TD_ASSIGN_OR_RETURN(out_handle, s->Resolve(req.out()));
    TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(*out_handle));
    out_var = e->variable();
  }
  for (const v1::OutputSpec& spec : req.outputs()) TD_RETURN_IF_ERROR(s->CheckBindable(spec));

  const device::Context ctx = ContextFor(*s);
  TD_ASSIGN_OR_RETURN(
      autograd::CallResult result,
      autograd::Call(ctx, req.op(), inputs, attrs, out_handle.has_value() ? &out_var : nullptr,
                     s->grad_enabled() && !req.no_grad()));
  v1::ExecuteResponse resp;
  auto report = [&](uint64_t h) -> absl::Status {
    TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
    s->FillMeta(h, *e, resp.add_outputs());
    return absl::OkStatus();
  };
  using Target = autograd::DispatchResult::Target;
  if (result.target == Target::kNew) {
    if (req.outputs_size() > static_cast<int>(result.outputs.size())) {
      return absl::InvalidArgumentError(absl::StrCat(req.op(), " has ", result.outputs.size(),
                                                     " outputs but ", req.outputs_size(),
                                                     " output specs were given"));
    }
    const size_t bound =
        req.only_listed_outputs() ? static_cast<size_t>(req.outputs_size()) : result.outputs.size();
    for (size_t i = 0; i < bound; ++i) {
      const v1::OutputSpec spec =
          i < static_cast<size_t>(req.outputs_size()) ? req.outputs(i) : v1::OutputSpec();
      autograd::Variable& v = result.outputs[i];
      TD_ASSIGN_OR_RETURN(uint64_t h,
                          s->Bind(spec, TensorEntry{.tensor = v.tensor, .meta = v.meta}));
      TD_RETURN_IF_ERROR(report(h));
    }
    return resp;
  }
  const uint64_t target = result.target == Target::kSelf ? handles.at(0) : *out_handle;
  s->Replace(target, result.outputs.at(0).tensor, result.outputs.at(0).meta);
  TD_RETURN_IF_ERROR(report(target));
  return resp;
}

absl::StatusOr<v1::FetchResponse> TensorService::Fetch(const std::string& principal,
                                                       const v1::FetchRequest& req) {
  return OnSession(principal, req, &TensorService::FetchLocked);
}

absl::StatusOr<v1::FetchResponse> TensorService::FetchLocked(Session& session,
                                                             const v1::FetchRequest& req) {
  Session* s = &session;
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
  v1::FetchResponse resp;
  s->FillMeta(h, *e, resp.mutable_meta());
  if (req.max_raw_bytes() > 0 && static_cast<int64_t>(e->tensor.nbytes()) > req.max_raw_bytes()) {
    resp.set_raw_omitted(true);
    return resp;
  }
  TD_ASSIGN_OR_RETURN(*resp.mutable_raw(), device::ToHost(ContextFor(*s), e->tensor));
  return resp;
}

absl::StatusOr<std::unique_ptr<TensorDownload>> TensorService::BeginDownload(
    const std::string& principal, const v1::FetchRequest& req) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
  v1::TensorMeta meta;
  s->FillMeta(h, *e, &meta);
  TD_ASSIGN_OR_RETURN(device::Tensor c, device::Contiguous(ContextFor(*s), e->tensor));
  return std::make_unique<TensorDownload>(s, std::move(meta), std::move(c));
}

absl::StatusOr<std::unique_ptr<TensorUpload>> TensorService::BeginUpload(
    const std::string& principal, const v1::UploadHeader& header) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, header.session_id()));
  device::Device dev = options_.default_device;
  if (!header.device().empty()) {
    TD_ASSIGN_OR_RETURN(dev, device::Device::Parse(header.device()));
  }
  TD_ASSIGN_OR_RETURN(device::DType dtype, FromProto(header.dtype()));
  const std::vector<int64_t> shape(header.shape().begin(), header.shape().end());
  device::Tensor t;
  {
    absl::MutexLock lock(&s->mu());
    device::ScopedQueue queue(s->queue_id());
    TD_RETURN_IF_ERROR(s->CheckBindable(header.output()));
    TD_ASSIGN_OR_RETURN(t, ContextFor(*s).Empty(shape, dtype, dev));
  }
  return std::make_unique<TensorUpload>(std::move(s), std::move(t), header);
}

absl::StatusOr<v1::ReleaseResponse> TensorService::Release(const std::string& principal,
                                                           const v1::ReleaseRequest& req) {
  return OnSession(principal, req, &TensorService::ReleaseLocked);
}

absl::StatusOr<v1::ReleaseResponse> TensorService::ReleaseLocked(Session& session,
                                                                 const v1::ReleaseRequest& req) {
  Session* s = &session;
  // Check every reference first so that a bad one releases nothing.
  std::vector<uint64_t> handles;
  for (const v1::TensorRef& ref : req.tensors()) {
    TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(ref));
    handles.push_back(h);
  }
  v1::ReleaseResponse resp;
  for (uint64_t h : handles) resp.set_released(resp.released() + (s->Release(h) ? 1 : 0));
  return resp;
}

absl::StatusOr<v1::DescribeResponse> TensorService::Describe(const std::string& principal,
                                                             const v1::DescribeRequest& req) {
  return OnSession(principal, req, &TensorService::DescribeLocked);
}

absl::StatusOr<v1::DescribeResponse> TensorService::DescribeLocked(Session& session,
                                                                   const v1::DescribeRequest& req) {
  Session* s = &session;
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
  v1::DescribeResponse resp;
  s->FillMeta(h, *e, resp.mutable_meta());
  return resp;
}

absl::StatusOr<v1::ListTensorsResponse> TensorService::ListTensors(
    const std::string& principal, const v1::ListTensorsRequest& req) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, req.session_id()));
  absl::MutexLock lock(&s->mu());
  v1::ListTensorsResponse resp;
  for (uint64_t h : s->Handles()) {
    TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
    s->FillMeta(h, *e, resp.add_tensors());
  }
  return resp;
}

absl::StatusOr<int64_t> TensorService::SessionBytes(const std::string& principal,
                                                    const std::string& session_id) {
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s, sessions_.Get(principal, session_id));
  return s->memory()->bytes();
}

absl::StatusOr<v1::ListDevicesResponse> TensorService::ListDevices(
    const std::string& principal, const v1::ListDevicesRequest& req) {
  std::shared_ptr<Session> s;
  if (!req.session_id().empty()) {
    TD_ASSIGN_OR_RETURN(s, sessions_.Get(principal, req.session_id()));
  }
  v1::ListDevicesResponse resp;
  for (const device::Device d : device::ListDevices()) {
    TD_ASSIGN_OR_RETURN(device::Backend * b, device::FindBackend(d));
    const device::MemoryStats stats = b->memory_stats();
    v1::DeviceInfo* info = resp.add_devices();
    info->set_name(d.ToString());
    info->set_kind(d.type == device::Device::Type::kCpu ? "cpu" : "cuda");
    info->set_description(b->description());
    info->set_total_bytes(b->total_bytes());
    info->set_bytes_in_use(stats.bytes_in_use);
    info->set_bytes_cached(stats.bytes_cached);
    if (s != nullptr) info->set_session_bytes(s->memory()->bytes(d));
    info->set_is_default(d == options_.default_device);
  }
  return resp;
}

absl::StatusOr<v1::ListOpsResponse> TensorService::ListOps(const v1::ListOpsRequest&) {
  v1::ListOpsResponse resp;
  for (const autograd::OpDef* op : autograd::OpRegistry::Global().List()) {
    v1::OpSchema* o = resp.add_ops();
    o->set_name(op->name);
    o->set_doc(op->doc);
    for (const std::string& in : op->inputs) o->add_inputs(in);
    for (const autograd::AttrDef& a : op->attrs) {
      v1::AttrSchema* as = o->add_attrs();
      as->set_name(a.name);
      as->set_type(std::string(autograd::AttrTypeName(a.type)));
      as->set_required(!a.default_value.has_value() && !a.optional);
      if (a.default_value.has_value()) {
        as->set_default_value(autograd::AttrValueToString(*a.default_value));
      } else if (a.optional) {
        as->set_default_value("None");
      }
      as->set_doc(a.doc);
    }
    if (op->inplace_variant) o->set_inplace_variant(op->name + "_");
    o->set_supports_out(op->supports_out);
    o->set_num_outputs(op->num_outputs);
    o->set_is_view(op->is_view);
  }
  return resp;
}

absl::StatusOr<v1::BackwardResponse> TensorService::Backward(const std::string& principal,
                                                             const v1::BackwardRequest& req) {
  return OnSession(principal, req, &TensorService::BackwardLocked);
}

absl::StatusOr<v1::BackwardResponse> TensorService::BackwardLocked(Session& session,
                                                                   const v1::BackwardRequest& req) {
  Session* s = &session;
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * root, s->Find(h));
  autograd::BackwardOptions options{.retain_graph = req.retain_graph()};
  if (req.has_gradient()) {
    TD_ASSIGN_OR_RETURN(uint64_t g, s->Resolve(req.gradient()));
    TD_ASSIGN_OR_RETURN(TensorEntry * grad, s->Find(g));
    options.gradient = grad->tensor;
  }
  TD_RETURN_IF_ERROR(autograd::Backward(ContextFor(*s), root->variable(), options));
  return v1::BackwardResponse();
}

absl::StatusOr<v1::AutogradResponse> TensorService::Autograd(const std::string& principal,
                                                             const v1::AutogradRequest& req) {
  return OnSession(principal, req, &TensorService::AutogradLocked);
}

absl::StatusOr<v1::AutogradResponse> TensorService::AutogradLocked(Session& session,
                                                                   const v1::AutogradRequest& req) {
  Session* s = &session;
  TD_ASSIGN_OR_RETURN(uint64_t h, s->Resolve(req.tensor()));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, s->Find(h));
  autograd::Variable v = e->variable();
  v1::AutogradResponse resp;
  switch (req.action_case()) {
    case v1::AutogradRequest::kSetRequiresGrad:
      TD_RETURN_IF_ERROR(autograd::SetRequiresGrad(v, req.set_requires_grad()));
      e->meta = v.meta;
      break;
    case v1::AutogradRequest::kRetainGrad:
      if (req.retain_grad()) TD_RETURN_IF_ERROR(autograd::RetainGrad(v));
      break;
    case v1::AutogradRequest::kGetGrad:
      if (v.meta != nullptr && v.meta->grad.has_value()) {
        TD_RETURN_IF_ERROR(s->CheckBindable(req.get_grad()));
        TD_ASSIGN_OR_RETURN(uint64_t g,
                            s->Bind(req.get_grad(), TensorEntry{.tensor = *v.meta->grad}));
        TD_ASSIGN_OR_RETURN(TensorEntry * ge, s->Find(g));
        s->FillMeta(g, *ge, resp.mutable_grad());
        resp.set_grad_defined(true);
      }
      break;
    case v1::AutogradRequest::kSetGrad: {
      TD_ASSIGN_OR_RETURN(uint64_t g, s->Resolve(req.set_grad()));
      TD_ASSIGN_OR_RETURN(TensorEntry * ge, s->Find(g));
      if (ge->tensor.shape() != v.tensor.shape() || ge->tensor.dtype() != v.tensor.dtype()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "assigned grad has data of a different size or type: ",
            device::ShapeToString(ge->tensor.shape()), " ", device::DTypeName(ge->tensor.dtype()),
            " for a tensor of ", device::ShapeToString(v.tensor.shape()), " ",
            device::DTypeName(v.tensor.dtype())));
      }
      if (v.meta == nullptr) {
        return absl::InvalidArgumentError(
            "the tensor does not require grad: call requires_grad_() before assigning .grad");
      }
      v.meta->grad = ge->tensor;
      break;
    }
    case v1::AutogradRequest::kClearGrad:
      if (v.meta != nullptr) v.meta->grad.reset();
      break;
    case v1::AutogradRequest::ACTION_NOT_SET:
      return absl::InvalidArgumentError(
          "Autograd needs an action: set_requires_grad, retain_grad, get_grad, set_grad or "
          "clear_grad");
  }
  // Binding the grad may have moved the table's entries: look it up again.
  TD_ASSIGN_OR_RETURN(e, s->Find(h));
  s->FillMeta(h, *e, resp.mutable_tensor());
  return resp;
}

absl::StatusOr<v1::SetGradModeResponse> TensorService::SetGradMode(
    const std::string& principal, const v1::SetGradModeRequest& req) {
  return OnSession(principal, req, &TensorService::SetGradModeLocked);
}

absl::StatusOr<v1::SetGradModeResponse> TensorService::SetGradModeLocked(
    Session& session, const v1::SetGradModeRequest& req) {
  Session* s = &session;
  v1::SetGradModeResponse resp;
  resp.set_previous(s->grad_enabled());
  s->set_grad_enabled(req.enabled());
  return resp;
}

absl::StatusOr<v1::OptimizerResponse> TensorService::OptimizerLocked(
    Session& s, const v1::OptimizerRequest& req) {
  const uint64_t id = req.optimizer_id();
  auto& optimizers = s.optimizers();
  if (req.has_create()) {
    if (id == 0) return absl::InvalidArgumentError("optimizer_id must be non-zero");
    if (optimizers.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("optimizer ", id, " already exists"));
    }
    std::vector<autograd::Variable> params;
    params.reserve(req.create().params_size());
    for (const v1::TensorRef& r : req.create().params()) {
      TD_ASSIGN_OR_RETURN(uint64_t h, s.Resolve(r));
      TD_ASSIGN_OR_RETURN(TensorEntry * e, s.Find(h));
      params.push_back(e->variable());
    }
    TD_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> opt,
                        Optimizer::Create(req.create(), std::move(params)));
    optimizers.emplace(id, std::move(opt));
    return v1::OptimizerResponse();
  }
  auto it = optimizers.find(id);
  if (it == optimizers.end()) {
    return absl::NotFoundError(absl::StrCat("no optimizer ", id, " in this session"));
  }
  switch (req.action_case()) {
    case v1::OptimizerRequest::kStep:
      TD_RETURN_IF_ERROR(it->second->Step(ContextFor(s)));
      break;
    case v1::OptimizerRequest::kZeroGrad:
      TD_RETURN_IF_ERROR(it->second->ZeroGrad(ContextFor(s), req.zero_grad().set_to_none()));
      break;
    case v1::OptimizerRequest::kDestroy:
      optimizers.erase(it);
      break;
    default:
      return absl::InvalidArgumentError(
          "Optimizer needs an action: create, step, zero_grad or destroy");
  }
  return v1::OptimizerResponse();
}

}  // namespace tensord::server
