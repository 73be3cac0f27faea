#include "client/tensor.h"

#include <cstring>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "device/half.h"  // header-only bit conversions; no link dependency
#include "grpcpp/grpcpp.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::client {

// ---- Errors and attributes -------------------------------------------------

Error::Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

std::string Error::code_name() const {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  return code_ >= 0 && code_ <= 16 ? kNames[code_] : absl::StrCat("CODE_", code_);
}

Attr::Attr(int v) { value_.set_i(v); }
Attr::Attr(int64_t v) { value_.set_i(v); }
Attr::Attr(double v) { value_.set_f(v); }
Attr::Attr(bool v) { value_.set_b(v); }
Attr::Attr(const char* v) { value_.set_s(v); }
Attr::Attr(std::string v) { value_.set_s(std::move(v)); }
Attr::Attr(std::vector<int64_t> v) {
  for (int64_t x : v) value_.mutable_ints()->add_values(x);
}
Attr::Attr(std::initializer_list<int64_t> v) : Attr(std::vector<int64_t>(v)) {}
Attr::Attr(std::vector<double> v) {
  for (double x : v) value_.mutable_floats()->add_values(x);
}
Attr Attr::DType(const std::string& name) {
  Attr a;
  a.value_.set_s(name);  // the daemon parses dtype names for dtype attributes
  return a;
}

std::ostream& operator<<(std::ostream& os, const Size& s) { return os << FormatSize(s.dims); }

// ---- Session state -----------------------------------------------------------

class SessionState {
 public:
  SessionState(std::unique_ptr<v1::Tensord::Stub> stub, std::string id, bool attached,
               std::string default_device, bool close_on_exit)
      : stub(std::move(stub)),
        id(std::move(id)),
        attached(attached),
        default_device(std::move(default_device)),
        close_on_exit(close_on_exit) {}
  ~SessionState() {
    if (close_on_exit && !closed) {
      grpc::ClientContext ctx;
      v1::CloseSessionRequest req;
      v1::CloseSessionResponse resp;
      req.set_session_id(id);
      stub->CloseSession(&ctx, req, &resp);  // best effort: the lease frees it otherwise
    }
  }

  template <typename Req, typename Resp>
  Resp Call(grpc::Status (v1::Tensord::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
            Req req) {
    grpc::ClientContext ctx;
    Resp resp;
    grpc::Status s = (stub.get()->*method)(&ctx, req, &resp);
    if (!s.ok()) throw Error(s.error_code(), s.error_message());
    return resp;
  }

  std::unique_ptr<v1::Tensord::Stub> stub;
  std::string id;
  bool attached;
  std::string default_device;
  bool close_on_exit;
  bool closed = false;
};

struct Tensor::HandleState {
  std::shared_ptr<SessionState> session;
  v1::TensorMeta meta;
  bool owned = true;  // release on destruction (named tensors are owned by their name)
  ~HandleState() {
    if (!owned || session->closed) return;
    try {
      v1::ReleaseRequest req;
      req.set_session_id(session->id);
      req.add_tensors()->set_handle(meta.handle());
      session->Call(&v1::Tensord::Stub::Release, req);
    } catch (const Error&) {
      // The session may be gone already (expired or closed elsewhere).
    }
  }
};

namespace {

v1::TensorRef Ref(uint64_t handle) {
  v1::TensorRef r;
  r.set_handle(handle);
  return r;
}

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
      return "unknown";
  }
}

template <typename T>
T Load(const std::string& raw, size_t i) {
  T v;
  std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
  return v;
}

HostTensor Decode(const v1::TensorMeta& meta, const std::string& raw) {
  HostTensor h;
  h.shape.assign(meta.shape().begin(), meta.shape().end());
  h.dtype = DTypeName(meta.dtype());
  int64_t n = 1;
  for (int64_t s : h.shape) n *= s;
  for (int64_t i = 0; i < n; ++i) {
    switch (meta.dtype()) {
      case v1::FLOAT32:
        h.floats.push_back(Load<float>(raw, i));
        break;
      case v1::FLOAT64:
        h.floats.push_back(Load<double>(raw, i));
        break;
      case v1::FLOAT16:
        h.floats.push_back(device::Half::ToFloat(Load<uint16_t>(raw, i)));
        break;
      case v1::BFLOAT16:
        h.floats.push_back(device::BFloat16::ToFloat(Load<uint16_t>(raw, i)));
        break;
      case v1::INT64:
        h.ints.push_back(Load<int64_t>(raw, i));
        break;
      case v1::INT32:
        h.ints.push_back(Load<int32_t>(raw, i));
        break;
      case v1::BOOL:
        h.ints.push_back(Load<uint8_t>(raw, i) != 0);
        break;
      default:
        throw Error(13, "the daemon sent a tensor of unknown dtype");
    }
  }
  return h;
}

void AddFactoryOptions(const Options& o, Attrs* attrs) {
  if (!o.dtype.empty()) attrs->emplace("dtype", Attr::DType(o.dtype));
  if (!o.device.empty()) attrs->emplace("device", o.device);
}

}  // namespace

// ---- Session ---------------------------------------------------------------

Session Session::Open(const SessionConfig& config) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
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
  return Session(std::make_shared<SessionState>(std::move(stub), resp.session_id(), resp.attached(),
                                                resp.default_device(), close));
}

const std::string& Session::id() const { return state_->id; }

bool Session::set_grad_enabled(bool enabled) const {
  v1::SetGradModeRequest req;
  req.set_session_id(state_->id);
  req.set_enabled(enabled);
  return state_->Call(&v1::Tensord::Stub::SetGradMode, req).previous();
}

NoGradGuard::~NoGradGuard() {
  try {
    session_.set_grad_enabled(previous_);
  } catch (const Error&) {
    // The session is gone; there is no mode left to restore.
  }
}
bool Session::attached() const { return state_->attached; }
std::string Session::default_device() const { return state_->default_device; }

std::vector<Tensor> Session::ExecAll(const std::string& op,
                                     const std::vector<v1::TensorRef>& inputs, const Attrs& attrs,
                                     const std::vector<std::string>& output_names,
                                     const v1::TensorRef* out) const {
  v1::ExecuteRequest req;
  req.set_session_id(state_->id);
  req.set_op(op);
  for (const v1::TensorRef& r : inputs) *req.add_inputs() = r;
  for (const auto& [k, v] : attrs) (*req.mutable_attrs())[k] = v.proto();
  for (const std::string& name : output_names) req.add_outputs()->set_name(name);
  if (out != nullptr) *req.mutable_out() = *out;
  v1::ExecuteResponse resp = state_->Call(&v1::Tensord::Stub::Execute, req);
  std::vector<Tensor> results;
  for (const v1::TensorMeta& meta : resp.outputs()) {
    auto h = std::make_shared<Tensor::HandleState>();
    h->session = state_;
    h->meta = meta;
    // Named results belong to their name; results written into an existing
    // tensor (in-place, out=) belong to that tensor's handle.
    h->owned = meta.name().empty() &&
               (inputs.empty() || !inputs[0].has_handle() || inputs[0].handle() != meta.handle()) &&
               (out == nullptr || !out->has_handle() || out->handle() != meta.handle());
    results.push_back(Tensor(h));
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
  std::vector<v1::TensorRef> refs;
  for (const Tensor& t : inputs) refs.push_back(Ref(t.handle()));
  v1::TensorRef out_ref;
  if (out != nullptr) out_ref = Ref(out->handle());
  Tensor r = ExecNamed(op, refs, attrs, "", out != nullptr ? &out_ref : nullptr);
  // Keep the caller's view of a tensor written in place up to date.
  if (r.defined()) {
    for (Tensor& in : inputs) {
      if (in.handle() == r.handle()) in.state_->meta = r.meta();
    }
    if (out != nullptr && out->handle() == r.handle()) out->state_->meta = r.meta();
  }
  return r;
}

Tensor Session::Named(const std::string& name) const {
  v1::DescribeRequest req;
  req.set_session_id(state_->id);
  req.mutable_tensor()->set_name(name);
  v1::DescribeResponse resp = state_->Call(&v1::Tensord::Stub::Describe, req);
  auto h = std::make_shared<Tensor::HandleState>();
  h->session = state_;
  h->meta = resp.meta();
  h->owned = false;
  return Tensor(h);
}

std::vector<v1::TensorMeta> Session::ListTensors() const {
  v1::ListTensorsRequest req;
  req.set_session_id(state_->id);
  v1::ListTensorsResponse resp = state_->Call(&v1::Tensord::Stub::ListTensors, req);
  return {resp.tensors().begin(), resp.tensors().end()};
}

std::vector<v1::OpSchema> Session::ListOps() const {
  v1::ListOpsResponse resp = state_->Call(&v1::Tensord::Stub::ListOps, v1::ListOpsRequest());
  return {resp.ops().begin(), resp.ops().end()};
}

void Session::Release(const std::vector<v1::TensorRef>& refs) const {
  v1::ReleaseRequest req;
  req.set_session_id(state_->id);
  for (const auto& r : refs) *req.add_tensors() = r;
  state_->Call(&v1::Tensord::Stub::Release, req);
}

void Session::Close() {
  if (state_->closed) return;
  v1::CloseSessionRequest req;
  req.set_session_id(state_->id);
  state_->Call(&v1::Tensord::Stub::CloseSession, req);
  state_->closed = true;
}

namespace {
// Attributes of a factory call: size (when given), extras, dtype and device.
Attrs FactoryAttrs(const std::vector<int64_t>* shape, const Options& o, Attrs extra = {}) {
  if (shape != nullptr) extra.emplace("size", *shape);
  AddFactoryOptions(o, &extra);
  return extra;
}

// requires_grad=True of a factory: the new tensor becomes a leaf that
// requires grad.
Tensor WithGrad(Tensor t, const Options& o) {
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}
}  // namespace

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
  v1::CreateTensorRequest req;
  req.set_session_id(state_->id);
  req.set_literal(literal);
  req.mutable_output()->set_name(name);
  if (!o.dtype.empty()) {
    v1::DType d;
    std::string name = o.dtype.rfind("torch.", 0) == 0 ? o.dtype.substr(6) : o.dtype;
    static const std::map<std::string, v1::DType> kNames = {
        {"float32", v1::FLOAT32}, {"float", v1::FLOAT32}, {"float64", v1::FLOAT64},
        {"double", v1::FLOAT64},  {"int64", v1::INT64},   {"long", v1::INT64},
        {"int32", v1::INT32},     {"int", v1::INT32},     {"bool", v1::BOOL},
        {"float16", v1::FLOAT16}, {"half", v1::FLOAT16},  {"bfloat16", v1::BFLOAT16}};
    auto it = kNames.find(name);
    if (it == kNames.end()) throw Error(3, absl::StrCat("unknown dtype '", o.dtype, "'"));
    d = it->second;
    req.set_dtype(d);
  }
  req.set_device(o.device);
  req.set_requires_grad(o.requires_grad);
  v1::CreateTensorResponse resp = state_->Call(&v1::Tensord::Stub::CreateTensor, req);
  auto h = std::make_shared<Tensor::HandleState>();
  h->session = state_;
  h->meta = resp.tensor();
  h->owned = name.empty();
  return Tensor(h);
}

Tensor Session::tensor(const std::vector<double>& values, std::vector<int64_t> shape,
                       const Options& o) const {
  v1::CreateTensorRequest req;
  req.set_session_id(state_->id);
  v1::TensorData* d = req.mutable_data();
  for (int64_t s : shape) d->add_shape(s);
  d->set_dtype(v1::FLOAT64);
  d->set_raw(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)));
  req.set_device(o.device);
  req.set_requires_grad(o.requires_grad);
  v1::CreateTensorResponse resp = state_->Call(&v1::Tensord::Stub::CreateTensor, req);
  auto h = std::make_shared<Tensor::HandleState>();
  h->session = state_;
  h->meta = resp.tensor();
  Tensor t(h);
  return t.to(o.dtype.empty() ? "float32" : o.dtype);
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
  Exec("manual_seed", {}, {{"seed", static_cast<int64_t>(seed)}});
}

// ---- Tensor ------------------------------------------------------------------

uint64_t Tensor::handle() const {
  if (state_ == nullptr) throw Error(9, "this Tensor is undefined: assign it from an op first");
  return state_->meta.handle();
}
const v1::TensorMeta& Tensor::meta() const {
  handle();
  return state_->meta;
}
Size Tensor::size() const { return Size{{meta().shape().begin(), meta().shape().end()}}; }
int64_t Tensor::size(int64_t dim) const {
  const int64_t d = dim < 0 ? dim + this->dim() : dim;
  if (d < 0 || d >= this->dim()) {
    throw Error(3, absl::StrCat("Dimension out of range (expected to be in range of [",
                                -this->dim(), ", ", this->dim() - 1, "], but got ", dim, ")"));
  }
  return meta().shape(static_cast<int>(d));
}
int64_t Tensor::dim() const { return meta().shape_size(); }
int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t s : meta().shape()) n *= s;
  return n;
}
std::string Tensor::dtype() const { return DTypeName(meta().dtype()); }
std::string Tensor::device() const { return meta().device(); }
bool Tensor::requires_grad() const { return meta().requires_grad(); }
std::string Tensor::grad_fn() const { return meta().grad_fn(); }
Session Tensor::session() const { return Session(state_->session); }

HostTensor Tensor::Fetch() const {
  v1::FetchRequest req;
  req.set_session_id(state_->session->id);
  req.mutable_tensor()->set_handle(handle());
  v1::FetchResponse resp = state_->session->Call(&v1::Tensord::Stub::Fetch, req);
  state_->meta = resp.meta();
  return Decode(resp.meta(), resp.raw());
}

std::string Tensor::repr() const {
  HostTensor h = Fetch();
  ReprOptions o;
  o.device = meta().device();
  o.requires_grad = meta().requires_grad();
  o.grad_fn = meta().grad_fn();
  return FormatTensor(h, o);
}

double Tensor::item() const {
  HostTensor h = Fetch();
  const size_t n = h.floats.size() + h.ints.size();
  if (n != 1) {
    throw Error(3, absl::StrCat("a Tensor with ", n,
                                " elements cannot be converted to Scalar: index it first"));
  }
  return h.floats.empty() ? static_cast<double>(h.ints[0]) : h.floats[0];
}

std::string Tensor::item_repr() const {
  HostTensor h = Fetch();
  if (h.floats.size() + h.ints.size() != 1) {
    throw Error(3, absl::StrCat("a Tensor with ", h.floats.size() + h.ints.size(),
                                " elements cannot be converted to Scalar: index it first"));
  }
  return FormatItem(h);
}

bool Tensor::is_leaf() const { return meta().is_leaf(); }

std::string Tensor::grad_fn_repr() const {
  if (meta().grad_fn().empty()) return "None";
  return absl::StrCat("<", meta().grad_fn(), " object at 0x", absl::Hex(meta().grad_fn_id()), ">");
}

namespace {

v1::AutogradResponse AutogradCall(const std::shared_ptr<SessionState>& session, uint64_t handle,
                                  const std::function<void(v1::AutogradRequest&)>& set) {
  v1::AutogradRequest req;
  req.set_session_id(session->id);
  req.mutable_tensor()->set_handle(handle);
  set(req);
  return session->Call(&v1::Tensord::Stub::Autograd, req);
}

}  // namespace

void Tensor::backward(const std::optional<Tensor>& gradient, bool retain_graph) const {
  v1::BackwardRequest req;
  req.set_session_id(state_->session->id);
  req.mutable_tensor()->set_handle(handle());
  if (gradient.has_value()) req.mutable_gradient()->set_handle(gradient->handle());
  req.set_retain_graph(retain_graph);
  state_->session->Call(&v1::Tensord::Stub::Backward, req);
}

std::optional<Tensor> Tensor::grad(const std::string& name) const {
  v1::AutogradResponse resp =
      AutogradCall(state_->session, handle(),
                   [&name](v1::AutogradRequest& r) { r.mutable_get_grad()->set_name(name); });
  if (!resp.grad_defined()) return std::nullopt;
  auto h = std::make_shared<HandleState>();
  h->session = state_->session;
  h->meta = resp.grad();
  h->owned = name.empty();
  return Tensor(h);
}

void Tensor::set_grad(const std::optional<Tensor>& g) {
  v1::AutogradResponse resp = AutogradCall(state_->session, handle(), [&g](v1::AutogradRequest& r) {
    if (g.has_value()) {
      r.mutable_set_grad()->set_handle(g->handle());
    } else {
      r.set_clear_grad(true);
    }
  });
  state_->meta = resp.tensor();
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  v1::AutogradResponse resp = AutogradCall(
      state_->session, handle(),
      [requires_grad](v1::AutogradRequest& r) { r.set_set_requires_grad(requires_grad); });
  state_->meta = resp.tensor();
  return *this;
}

void Tensor::retain_grad() {
  v1::AutogradResponse resp = AutogradCall(state_->session, handle(),
                                           [](v1::AutogradRequest& r) { r.set_retain_grad(true); });
  state_->meta = resp.tensor();
}

Tensor Tensor::detach() const { return Op("detach"); }

Tensor Tensor::Op(const std::string& op, std::vector<Tensor> others, const Attrs& attrs) const {
  others.insert(others.begin(), *this);
  return session().Exec(op, std::move(others), attrs);
}

Tensor& Tensor::InPlace(const std::string& op, std::vector<Tensor> others, const Attrs& attrs) {
  Tensor r = Op(op, std::move(others), attrs);
  state_->meta = r.meta();
  return *this;
}

Tensor Tensor::add(const Tensor& o, Scalar alpha) const {
  return Op("add", {o}, {{"alpha", alpha.attr()}});
}
Tensor Tensor::sub(const Tensor& o, Scalar alpha) const {
  return Op("sub", {o}, {{"alpha", alpha.attr()}});
}
Tensor Tensor::mul(const Tensor& o) const { return Op("mul", {o}); }
Tensor Tensor::div(const Tensor& o) const { return Op("div", {o}); }
Tensor Tensor::add(Scalar o) const { return Op("add", {}, {{"other", o.attr()}}); }
Tensor Tensor::sub(Scalar o) const { return Op("sub", {}, {{"other", o.attr()}}); }
Tensor Tensor::mul(Scalar o) const { return Op("mul", {}, {{"other", o.attr()}}); }
Tensor Tensor::div(Scalar o) const { return Op("div", {}, {{"other", o.attr()}}); }
Tensor Tensor::neg() const { return Op("neg"); }
Tensor& Tensor::add_(const Tensor& o, Scalar alpha) {
  return InPlace("add_", {o}, {{"alpha", alpha.attr()}});
}
Tensor& Tensor::sub_(const Tensor& o, Scalar alpha) {
  return InPlace("sub_", {o}, {{"alpha", alpha.attr()}});
}
Tensor& Tensor::mul_(const Tensor& o) { return InPlace("mul_", {o}, {}); }
Tensor& Tensor::div_(const Tensor& o) { return InPlace("div_", {o}, {}); }
Tensor& Tensor::add_(Scalar o) { return InPlace("add_", {}, {{"other", o.attr()}}); }
Tensor& Tensor::mul_(Scalar o) { return InPlace("mul_", {}, {{"other", o.attr()}}); }
Tensor& Tensor::copy_(const Tensor& src) { return InPlace("copy_", {src}, {}); }
Tensor& Tensor::fill_(Scalar v) { return InPlace("fill_", {}, {{"value", v.attr()}}); }
Tensor& Tensor::zero_() { return InPlace("zero_", {}, {}); }
Tensor& Tensor::t_() { return InPlace("t_", {}, {}); }

Tensor Tensor::view(std::vector<int64_t> s) const { return Op("view", {}, {{"size", s}}); }
Tensor Tensor::reshape(std::vector<int64_t> s) const { return Op("reshape", {}, {{"size", s}}); }
Tensor Tensor::index(const std::string& spec) const { return Op("index", {}, {{"spec", spec}}); }
Tensor Tensor::select(int64_t d, int64_t i) const {
  return Op("select", {}, {{"dim", d}, {"index", i}});
}
Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  return Op("slice", {}, {{"dim", d}, {"start", start}, {"end", end}, {"step", step}});
}
Tensor Tensor::transpose(int64_t a, int64_t b) const {
  return Op("transpose", {}, {{"dim0", a}, {"dim1", b}});
}
Tensor Tensor::t() const { return Op("t"); }
Tensor Tensor::permute(std::vector<int64_t> d) const { return Op("permute", {}, {{"dims", d}}); }
Tensor Tensor::expand(std::vector<int64_t> s) const { return Op("expand", {}, {{"size", s}}); }
Tensor Tensor::unsqueeze(int64_t d) const { return Op("unsqueeze", {}, {{"dim", d}}); }
Tensor Tensor::squeeze() const { return Op("squeeze"); }
Tensor Tensor::contiguous() const { return Op("contiguous"); }
Tensor Tensor::clone() const { return Op("clone"); }
Tensor Tensor::to(const std::string& s) const {
  const bool is_device = s == "cpu" || s.rfind("cuda", 0) == 0;
  return is_device ? Op("to", {}, {{"device", s}}) : Op("to", {}, {{"dtype", Attr::DType(s)}});
}
Tensor Tensor::to(const std::string& dev, const std::string& dtype) const {
  return Op("to", {}, {{"device", dev}, {"dtype", Attr::DType(dtype)}});
}
Tensor Tensor::sum() const { return Op("sum"); }
Tensor Tensor::sum(std::vector<int64_t> d, bool keepdim) const {
  return Op("sum", {}, {{"dim", d}, {"keepdim", keepdim}});
}
Tensor Tensor::mean() const { return Op("mean"); }
Tensor Tensor::mean(std::vector<int64_t> d, bool keepdim) const {
  return Op("mean", {}, {{"dim", d}, {"keepdim", keepdim}});
}
Tensor Tensor::matmul(const Tensor& o) const { return Op("matmul", {o}); }

Tensor Tensor::new_empty(std::vector<int64_t> s, const Options& o) const {
  return Op("new_empty", {}, FactoryAttrs(&s, o));
}
Tensor Tensor::new_zeros(std::vector<int64_t> s, const Options& o) const {
  return Op("new_zeros", {}, FactoryAttrs(&s, o));
}
Tensor Tensor::new_ones(std::vector<int64_t> s, const Options& o) const {
  return Op("new_ones", {}, FactoryAttrs(&s, o));
}
Tensor Tensor::new_full(std::vector<int64_t> s, Scalar v, const Options& o) const {
  return Op("new_full", {}, FactoryAttrs(&s, o, {{"fill_value", v.attr()}}));
}

Tensor operator+(const Tensor& a, const Tensor& b) { return a.add(b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return a.sub(b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return a.mul(b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return a.div(b); }
Tensor operator+(const Tensor& a, Scalar b) { return a.add(b); }
Tensor operator-(const Tensor& a, Scalar b) { return a.sub(b); }
Tensor operator*(const Tensor& a, Scalar b) { return a.mul(b); }
Tensor operator/(const Tensor& a, Scalar b) { return a.div(b); }
Tensor operator+(Scalar a, const Tensor& b) { return b.add(a); }
Tensor operator*(Scalar a, const Tensor& b) { return b.mul(a); }
Tensor operator-(const Tensor& a) { return a.neg(); }
std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.repr(); }

}  // namespace tensord::client
