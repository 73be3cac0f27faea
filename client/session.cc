// Session: connecting, factories, generic op calls and transfers.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/session_state.h"
#include "client/tensor.h"

namespace tensord::client {

namespace {

constexpr int kInvalidArgument = static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT);
constexpr int kInternal = static_cast<int>(grpc::StatusCode::INTERNAL);

v1::TensorRef Ref(uint64_t handle) {
  v1::TensorRef r;
  r.set_handle(handle);
  return r;
}

void SetAttrs(const Attrs& attrs, v1::ExecuteRequest* e) {
  for (const auto& [k, v] : attrs) (*e->mutable_attrs())[k] = v.proto();
}

// requires_grad=True of a factory: the new tensor becomes a leaf that
// requires grad.
Tensor WithGrad(Tensor t, const Options& o) {
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}

}  // namespace

Attrs FactoryAttrs(const std::vector<int64_t>* shape, const Options& o, Attrs extra) {
  if (shape != nullptr) extra.emplace("size", *shape);
  if (!o.dtype.empty()) extra.emplace("dtype", Attr::DType(o.dtype));
  if (!o.device.empty()) extra.emplace("device", o.device);
  return extra;
}

// ---- dtypes ------------------------------------------------------------------

std::string DTypeName(v1::DType d) {
  switch (d) {
    case v1::FLOAT32:
      return "float32";
    case v1::FLOAT64:
      return "float64";
    case v1::INT64:
      return "int64";
    case v1::INT32:
      return "int32";
    case v1::BOOL:
      return "bool";
    case v1::FLOAT16:
      return "float16";
    case v1::BFLOAT16:
      return "bfloat16";
    default:
      throw Error(kInternal, absl::StrCat("the daemon sent unknown dtype ", static_cast<int>(d),
                                          ": update the client"));
  }
}

v1::DType ParseDType(const std::string& dtype) {
  static const std::map<std::string, v1::DType> kNames = {
      {"float32", v1::FLOAT32}, {"float", v1::FLOAT32}, {"float64", v1::FLOAT64},
      {"double", v1::FLOAT64},  {"int64", v1::INT64},   {"long", v1::INT64},
      {"int32", v1::INT32},     {"int", v1::INT32},     {"bool", v1::BOOL},
      {"float16", v1::FLOAT16}, {"half", v1::FLOAT16},  {"bfloat16", v1::BFLOAT16}};
  const std::string name = absl::StartsWith(dtype, "torch.") ? dtype.substr(6) : dtype;
  auto it = kNames.find(name);
  if (it == kNames.end()) {
    throw Error(kInvalidArgument,
                absl::StrCat("unknown dtype '", dtype,
                             "': use float32, float64, float16, bfloat16, int64, int32 or bool"));
  }
  return it->second;
}

int64_t ItemSize(v1::DType d) {
  switch (d) {
    case v1::FLOAT64:
    case v1::INT64:
      return 8;
    case v1::FLOAT32:
    case v1::INT32:
      return 4;
    case v1::FLOAT16:
    case v1::BFLOAT16:
      return 2;
    case v1::BOOL:
      return 1;
    default:
      return 0;
  }
}

// ---- SessionState --------------------------------------------------------------

SessionState::SessionState(std::unique_ptr<v1::Tensord::Stub> stub_in,
                           const v1::OpenSessionResponse& opened, bool close_on_exit_in,
                           bool exclusive)
    : stub(std::move(stub_in)),
      id(opened.session_id()),
      attached(opened.attached()),
      default_device(opened.default_device()),
      close_on_exit(close_on_exit_in),
      pipeline(stub.get(), opened.session_id()),
      handle_base_(opened.handle_base()) {
  if (exclusive) grad_enabled = true;  // a new session starts with grad enabled
}

SessionState::~SessionState() {
  pipeline.Close();
  if (close_on_exit && !closed) {
    grpc::ClientContext ctx;
    v1::CloseSessionRequest req;
    v1::CloseSessionResponse resp;
    req.set_session_id(id);
    stub->CloseSession(&ctx, req, &resp);  // best effort: the lease frees it otherwise
  }
}

// ---- Session ---------------------------------------------------------------

Session Session::Open(const SessionConfig& config) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // Several 1 MiB chunks in flight per stream (see tensord's main.cc).
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 20);
  auto channel =
      grpc::CreateCustomChannel(config.address, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::Tensord::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.set_wait_for_ready(false);
  v1::OpenSessionRequest req;
  req.set_name(config.name);
  req.set_lease_seconds(config.lease_seconds);
  v1::OpenSessionResponse resp;
  grpc::Status s = stub->OpenSession(&ctx, req, &resp);
  if (!s.ok()) {
    std::string msg = s.error_message();
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      msg = absl::StrCat("cannot reach tensord at ", config.address, " (", msg,
                         "): is it running? Set the address with --addr or TENSORD_ADDR");
    }
    throw Error(s.error_code(), msg);
  }
  const bool close = config.close_on_exit.value_or(config.name.empty());
  auto state = std::make_shared<SessionState>(std::move(stub), resp, close,
                                              /*exclusive=*/config.name.empty());
  {
    absl::MutexLock l(&state->staging_mu);
    state->use_shared_memory = config.shared_memory;
  }
  return Session(std::move(state));
}

const std::string& Session::id() const { return state_->id; }
bool Session::attached() const { return state_->attached; }
std::string Session::default_device() const { return state_->default_device; }

bool Session::set_grad_enabled(bool enabled) const {
  v1::Command cmd;
  cmd.mutable_set_grad_mode()->set_enabled(enabled);
  if (state_->grad_enabled.has_value()) {
    const bool previous = *state_->grad_enabled;
    state_->pipeline.Send(std::move(cmd));
    state_->grad_enabled = enabled;
    return previous;
  }
  return state_->pipeline.Call(std::move(cmd)).set_grad_mode().previous();
}

NoGradGuard::~NoGradGuard() {
  try {
    session_.set_grad_enabled(previous_);
  } catch (const Error&) {
    // The session is gone; there is no mode left to restore.
  }
}

void Session::Sync() const { state_->pipeline.Sync(); }

std::vector<Tensor> Session::ExecAll(const std::string& op,
                                     const std::vector<v1::TensorRef>& inputs, const Attrs& attrs,
                                     const std::vector<std::string>& output_names,
                                     const v1::TensorRef* out) const {
  v1::Command cmd;
  v1::ExecuteRequest* e = cmd.mutable_execute();
  e->set_op(op);
  for (const v1::TensorRef& r : inputs) *e->add_inputs() = r;
  SetAttrs(attrs, e);
  for (const std::string& name : output_names) e->add_outputs()->set_name(name);
  if (out != nullptr) *e->mutable_out() = *out;
  v1::CommandReply reply = state_->pipeline.Call(std::move(cmd));
  std::vector<Tensor> results;
  for (const v1::TensorMeta& meta : reply.execute().outputs()) {
    // Named results belong to their name; results written into an existing
    // tensor (in-place, out=) belong to that tensor's handle.
    const bool owned =
        meta.name().empty() &&
        (inputs.empty() || !inputs[0].has_handle() || inputs[0].handle() != meta.handle()) &&
        (out == nullptr || !out->has_handle() || out->handle() != meta.handle());
    auto h = std::make_shared<TensorHandle>(state_, meta.handle(), owned);
    h->meta = meta;
    results.push_back(SessionState::Wrap(h));
  }
  return results;
}

Tensor Session::ExecNamed(const std::string& op, const std::vector<v1::TensorRef>& inputs,
                          const Attrs& attrs, const std::string& output_name,
                          const v1::TensorRef* out) const {
  std::vector<std::string> names;
  if (!output_name.empty()) names.push_back(output_name);
  std::vector<Tensor> results = ExecAll(op, inputs, attrs, names, out);
  return results.empty() ? Tensor() : results[0];
}

std::vector<Tensor> Session::ExecMulti(const std::string& op, std::vector<Tensor> inputs,
                                       const Attrs& attrs) const {
  std::vector<v1::TensorRef> refs;
  for (const Tensor& t : inputs) refs.push_back(Ref(t.handle()));
  return ExecAll(op, refs, attrs, {}, nullptr);
}

Tensor Session::Exec(const std::string& op, std::vector<Tensor> inputs, const Attrs& attrs,
                     const Tensor* out) const {
  v1::Command cmd;
  v1::ExecuteRequest* e = cmd.mutable_execute();
  e->set_op(op);
  for (const Tensor& t : inputs) e->add_inputs()->set_handle(t.handle());
  SetAttrs(attrs, e);
  e->set_only_listed_outputs(true);
  // In-place ops (add_, ...) and out= write into an existing tensor, whose
  // metadata may change (t_ transposes, grad_fn moves).
  if (out != nullptr || absl::EndsWith(op, "_")) {
    if (out != nullptr) e->mutable_out()->set_handle(out->handle());
    state_->pipeline.Send(std::move(cmd));
    Tensor target = out != nullptr ? *out : inputs.at(0);
    SessionState::Unwrap(target)->meta.reset();
    return target;
  }
  const uint64_t h = state_->NewHandle();
  e->add_outputs()->set_handle(h);
  state_->pipeline.Send(std::move(cmd));
  return SessionState::Wrap(std::make_shared<TensorHandle>(state_, h, /*owned=*/true));
}

Tensor Session::Named(const std::string& name) const {
  v1::Command cmd;
  cmd.mutable_describe()->mutable_tensor()->set_name(name);
  v1::CommandReply reply = state_->pipeline.Call(std::move(cmd));
  auto h = std::make_shared<TensorHandle>(state_, reply.describe().meta().handle(),
                                          /*owned=*/false);
  h->meta = reply.describe().meta();
  return SessionState::Wrap(h);
}

std::vector<v1::TensorMeta> Session::ListTensors() const {
  state_->pipeline.Sync();
  v1::ListTensorsRequest req;
  req.set_session_id(state_->id);
  v1::ListTensorsResponse resp = state_->Call(&v1::Tensord::Stub::ListTensors, req);
  return {resp.tensors().begin(), resp.tensors().end()};
}

std::vector<v1::OpSchema> Session::ListOps() const {
  v1::ListOpsResponse resp = state_->Call(&v1::Tensord::Stub::ListOps, v1::ListOpsRequest());
  return {resp.ops().begin(), resp.ops().end()};
}

std::vector<v1::DeviceInfo> Session::ListDevices() const {
  state_->pipeline.Sync();  // count what the ops sent so far allocated
  v1::ListDevicesRequest req;
  req.set_session_id(state_->id);
  v1::ListDevicesResponse resp = state_->Call(&v1::Tensord::Stub::ListDevices, req);
  return {resp.devices().begin(), resp.devices().end()};
}

void Session::Release(const std::vector<v1::TensorRef>& refs) const {
  v1::Command cmd;
  for (const auto& r : refs) *cmd.mutable_release()->add_tensors() = r;
  state_->pipeline.Call(std::move(cmd));
}

void Session::Close() {
  if (state_->closed) return;
  state_->pipeline.Close();
  v1::CloseSessionRequest req;
  req.set_session_id(state_->id);
  state_->Call(&v1::Tensord::Stub::CloseSession, req);
  state_->closed = true;
}

Tensor Session::empty(std::vector<int64_t> shape, const Options& o) const {
  return WithGrad(Exec("empty", {}, FactoryAttrs(&shape, o)), o);
}
Tensor Session::zeros(std::vector<int64_t> shape, const Options& o) const {
  return WithGrad(Exec("zeros", {}, FactoryAttrs(&shape, o)), o);
}
Tensor Session::ones(std::vector<int64_t> shape, const Options& o) const {
  return WithGrad(Exec("ones", {}, FactoryAttrs(&shape, o)), o);
}
Tensor Session::full(std::vector<int64_t> shape, Scalar value, const Options& o) const {
  return WithGrad(Exec("full", {}, FactoryAttrs(&shape, o, {{"fill_value", value.attr()}})), o);
}
Tensor Session::rand(std::vector<int64_t> shape, const Options& o) const {
  return WithGrad(Exec("rand", {}, FactoryAttrs(&shape, o)), o);
}
Tensor Session::randn(std::vector<int64_t> shape, const Options& o) const {
  return WithGrad(Exec("randn", {}, FactoryAttrs(&shape, o)), o);
}
Tensor Session::arange(Scalar end, const Options& o) const { return arange(0, end, 1, o); }
Tensor Session::arange(Scalar start, Scalar end, Scalar step, const Options& o) const {
  return WithGrad(
      Exec("arange", {},
           FactoryAttrs(nullptr, o,
                        {{"start", start.attr()}, {"end", end.attr()}, {"step", step.attr()}})),
      o);
}

Tensor Session::tensor(const std::string& literal, const Options& o,
                       const std::string& name) const {
  v1::Command cmd;
  v1::CreateTensorRequest* req = cmd.mutable_create();
  req->set_literal(literal);
  if (!o.dtype.empty()) req->set_dtype(ParseDType(o.dtype));
  req->set_device(o.device);
  req->set_requires_grad(o.requires_grad);
  const uint64_t h = state_->NewHandle();
  req->mutable_output()->set_handle(h);
  req->mutable_output()->set_name(name);
  state_->pipeline.Send(std::move(cmd));
  return SessionState::Wrap(std::make_shared<TensorHandle>(state_, h, /*owned=*/name.empty()));
}

Tensor Session::tensor(const std::vector<double>& values, std::vector<int64_t> shape,
                       const Options& o) const {
  RawTensor raw{.shape = std::move(shape), .dtype = "float64"};
  raw.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  Options keep = o;
  keep.dtype.clear();
  keep.requires_grad = false;
  Tensor t = FromRaw(raw, keep);
  return WithGrad(t.to(o.dtype.empty() ? "float32" : o.dtype), o);
}

Tensor Session::FromRaw(const RawTensor& raw, const Options& o, const std::string& name,
                        const Progress& progress) const {
  const v1::DType dtype = ParseDType(raw.dtype);
  const uint64_t h = state_->NewHandle();
  // With a dtype conversion, the name goes to the converted tensor.
  const bool convert = !o.dtype.empty() && ParseDType(o.dtype) != dtype;
  const std::string upload_name = convert ? "" : name;
  auto result = [&] {
    Tensor t = SessionState::Wrap(std::make_shared<TensorHandle>(state_, h, upload_name.empty()));
    if (!convert) return t;
    v1::Command cmd;
    v1::ExecuteRequest* e = cmd.mutable_execute();
    e->set_op("to");
    e->add_inputs()->set_handle(h);
    SetAttrs({{"dtype", Attr::DType(o.dtype)}}, e);
    e->set_only_listed_outputs(true);
    const uint64_t converted = state_->NewHandle();
    e->add_outputs()->set_handle(converted);
    e->mutable_outputs(0)->set_name(name);
    state_->pipeline.Send(std::move(cmd));
    return SessionState::Wrap(std::make_shared<TensorHandle>(state_, converted, name.empty()));
  };
  if (static_cast<int64_t>(raw.data.size()) <= kInlineTransferBytes) {
    v1::Command cmd;
    v1::CreateTensorRequest* req = cmd.mutable_create();
    v1::TensorData* d = req->mutable_data();
    for (int64_t s : raw.shape) d->add_shape(s);
    d->set_dtype(dtype);
    d->set_raw(raw.data);
    req->set_device(o.device);
    req->set_requires_grad(o.requires_grad);
    req->mutable_output()->set_handle(h);
    req->mutable_output()->set_name(upload_name);
    state_->pipeline.Send(std::move(cmd));
    if (progress)
      progress(static_cast<int64_t>(raw.data.size()), static_cast<int64_t>(raw.data.size()));
    return result();
  }
  // Ops sent earlier may use the name this upload rebinds: let them run.
  state_->pipeline.Sync();
  v1::UploadRequest msg;
  v1::UploadHeader* header = msg.mutable_header();
  header->set_session_id(state_->id);
  for (int64_t s : raw.shape) header->add_shape(s);
  header->set_dtype(dtype);
  header->set_device(o.device);
  header->set_requires_grad(o.requires_grad);
  header->mutable_output()->set_handle(h);
  header->mutable_output()->set_name(upload_name);
  const int64_t total = static_cast<int64_t>(raw.data.size());
  if (state_->StagedUpload(raw, *header).has_value()) {
    if (progress) progress(total, total);
    return result();
  }
  grpc::ClientContext ctx;
  v1::CreateTensorResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> writer = state_->stub->Upload(&ctx, &resp);
  bool ok = writer->Write(msg);
  // Chunks hold whole elements.
  const int64_t item = std::max<int64_t>(1, ItemSize(dtype));
  const int64_t step = kInlineTransferBytes / item * item;
  for (int64_t done = 0; ok && done < total;) {
    const int64_t n = std::min(step, total - done);
    msg.set_chunk(raw.data.data() + done, static_cast<size_t>(n));
    ok = writer->Write(msg);
    done += n;
    if (progress) progress(done, total);
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) throw Error(s.error_code(), s.error_message());
  return result();
}

SharedTensor Session::shared_zeros(std::vector<int64_t> shape, const Options& o,
                                   const std::string& name) const {
  if (!o.device.empty() && o.device != "cpu") {
    throw Error(kInvalidArgument,
                absl::StrCat("shared tensors live on the cpu, not ", o.device,
                             ": move the result with .to(\"", o.device, "\") instead"));
  }
  if (!name.empty()) state_->pipeline.Sync();  // earlier ops may use the name
  v1::CreateSharedRequest req;
  req.set_session_id(state_->id);
  for (int64_t d : shape) req.add_shape(d);
  req.set_dtype(ParseDType(o.dtype.empty() ? "float32" : o.dtype));
  req.set_requires_grad(o.requires_grad);
  const uint64_t h = state_->NewHandle();
  req.mutable_output()->set_handle(h);
  req.mutable_output()->set_name(name);
  v1::CreateSharedResponse resp = state_->Call(&v1::Tensord::Stub::CreateShared, req);
  auto handle = std::make_shared<TensorHandle>(state_, h, /*owned=*/name.empty());
  handle->meta = resp.tensor();
  SharedTensor t;
  t.tensor_ = SessionState::Wrap(handle);
  absl::StatusOr<std::unique_ptr<shm::SharedSegment>> mapped =
      shm::SharedSegment::Open(resp.segment().name(), static_cast<size_t>(resp.segment().nbytes()));
  if (!mapped.ok()) {
    throw Error(static_cast<int>(mapped.status().code()),
                absl::StrCat("cannot map the shared tensor: ", mapped.status().message()));
  }
  t.data_ = (*mapped)->data();
  t.nbytes_ = resp.segment().nbytes();
  t.mapping_ = std::shared_ptr<shm::SharedSegment>(std::move(*mapped));
  return t;
}

Tensor Session::empty_like(const Tensor& t, const Options& o) const {
  return WithGrad(Exec("empty_like", {t}, FactoryAttrs(nullptr, o)), o);
}
Tensor Session::zeros_like(const Tensor& t, const Options& o) const {
  return WithGrad(Exec("zeros_like", {t}, FactoryAttrs(nullptr, o)), o);
}
Tensor Session::ones_like(const Tensor& t, const Options& o) const {
  return WithGrad(Exec("ones_like", {t}, FactoryAttrs(nullptr, o)), o);
}
Tensor Session::rand_like(const Tensor& t, const Options& o) const {
  return WithGrad(Exec("rand_like", {t}, FactoryAttrs(nullptr, o)), o);
}
Tensor Session::randn_like(const Tensor& t, const Options& o) const {
  return WithGrad(Exec("randn_like", {t}, FactoryAttrs(nullptr, o)), o);
}

Tensor Session::add(const Tensor& a, const Tensor& b, Tensor* out) const {
  return Exec("add", {a, b}, {}, out);
}

void Session::manual_seed(uint64_t seed) const {
  v1::Command cmd;
  v1::ExecuteRequest* e = cmd.mutable_execute();
  e->set_op("manual_seed");
  SetAttrs({{"seed", static_cast<int64_t>(seed)}}, e);
  e->set_only_listed_outputs(true);
  state_->pipeline.Send(std::move(cmd));
}

}  // namespace tensord::client
