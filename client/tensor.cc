#include "client/tensor.h"

#include <cstring>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/session_state.h"
#include "device/half.h"  // header-only bit conversions; no link dependency

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

namespace {

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

}  // namespace

// ---- Tensor ------------------------------------------------------------------

uint64_t Tensor::handle() const {
  if (state_ == nullptr) throw Error(9, "this Tensor is undefined: assign it from an op first");
  return state_->handle;
}
const v1::TensorMeta& Tensor::meta() const {
  const uint64_t h = handle();
  if (!state_->meta.has_value()) {
    v1::Command cmd;
    cmd.mutable_describe()->mutable_tensor()->set_handle(h);
    state_->meta = state_->session->pipeline.Call(std::move(cmd)).describe().meta();
  }
  return *state_->meta;
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

RawTensor Tensor::FetchRaw(const Progress& progress) const {
  RawTensor raw;
  FetchRaw(&raw, progress);
  return raw;
}

void Tensor::FetchRaw(RawTensor* out, const Progress& progress) const {
  RawTensor& raw = *out;
  v1::Command cmd;
  cmd.mutable_fetch()->mutable_tensor()->set_handle(handle());
  cmd.mutable_fetch()->set_max_raw_bytes(kInlineTransferBytes);
  v1::CommandReply reply = state_->session->pipeline.Call(std::move(cmd));
  v1::FetchResponse* f = reply.mutable_fetch();
  state_->meta = f->meta();
  raw.shape.assign(f->meta().shape().begin(), f->meta().shape().end());
  raw.dtype = DTypeName(f->meta().dtype());
  raw.data.clear();  // keeps its capacity: warm pages are reused
  if (!f->raw_omitted()) {
    raw.data.append(f->raw());
    if (progress)
      progress(static_cast<int64_t>(raw.data.size()), static_cast<int64_t>(raw.data.size()));
    return;
  }
  // Large: through shared memory when the daemon is on this host, else on
  // its own stream in chunks. The pipeline is idle (the fetch above waited
  // for it), so either copy is the tensor as of this call.
  v1::TensorMeta staged_meta;
  if (state_->session->StagedFetch(handle(), &raw, &staged_meta)) {
    state_->meta = staged_meta;
    if (progress)
      progress(static_cast<int64_t>(raw.data.size()), static_cast<int64_t>(raw.data.size()));
    return;
  }
  grpc::ClientContext ctx;
  v1::FetchRequest req;
  req.set_session_id(state_->session->id);
  req.mutable_tensor()->set_handle(handle());
  std::unique_ptr<grpc::ClientReader<v1::FetchChunk>> reader =
      state_->session->stub->FetchChunks(&ctx, req);
  v1::FetchChunk chunk;
  int64_t total = f->meta().nbytes();
  raw.data.reserve(static_cast<size_t>(total));
  while (reader->Read(&chunk)) {
    if (chunk.has_meta()) {
      state_->meta = chunk.meta();
      total = chunk.meta().nbytes();
      raw.shape.assign(chunk.meta().shape().begin(), chunk.meta().shape().end());
    }
    raw.data.append(chunk.data());
    if (progress) progress(static_cast<int64_t>(raw.data.size()), total);
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) throw Error(s.error_code(), s.error_message());
}

HostTensor Tensor::Fetch() const {
  RawTensor raw = FetchRaw();
  return Decode(*state_->meta, raw.data);
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

// Queues an autograd action on a tensor.
v1::Command AutogradCommand(uint64_t handle) {
  v1::Command cmd;
  cmd.mutable_autograd()->mutable_tensor()->set_handle(handle);
  return cmd;
}

}  // namespace

void Tensor::backward(const std::optional<Tensor>& gradient, bool retain_graph) const {
  v1::Command cmd;
  v1::BackwardRequest* b = cmd.mutable_backward();
  b->mutable_tensor()->set_handle(handle());
  if (gradient.has_value()) b->mutable_gradient()->set_handle(gradient->handle());
  b->set_retain_graph(retain_graph);
  state_->session->pipeline.Send(std::move(cmd));
}

std::optional<Tensor> Tensor::grad(const std::string& name) const {
  v1::Command cmd = AutogradCommand(handle());
  const uint64_t h = state_->session->NewHandle();
  cmd.mutable_autograd()->mutable_get_grad()->set_handle(h);
  cmd.mutable_autograd()->mutable_get_grad()->set_name(name);
  v1::CommandReply reply = state_->session->pipeline.Call(std::move(cmd));
  if (!reply.autograd().grad_defined()) return std::nullopt;
  auto g = std::make_shared<TensorHandle>(state_->session, h, /*owned=*/name.empty());
  g->meta = reply.autograd().grad();
  return Tensor(g);
}

void Tensor::set_grad(const std::optional<Tensor>& g) {
  v1::Command cmd = AutogradCommand(handle());
  if (g.has_value()) {
    cmd.mutable_autograd()->mutable_set_grad()->set_handle(g->handle());
  } else {
    cmd.mutable_autograd()->set_clear_grad(true);
  }
  state_->session->pipeline.Send(std::move(cmd));
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  v1::Command cmd = AutogradCommand(handle());
  cmd.mutable_autograd()->set_set_requires_grad(requires_grad);
  state_->session->pipeline.Send(std::move(cmd));
  state_->meta.reset();
  return *this;
}

void Tensor::retain_grad() {
  v1::Command cmd = AutogradCommand(handle());
  cmd.mutable_autograd()->set_retain_grad(true);
  state_->session->pipeline.Send(std::move(cmd));
}

Tensor Tensor::detach() const { return Op("detach"); }

Tensor Tensor::Op(const std::string& op, std::vector<Tensor> others, const Attrs& attrs) const {
  others.insert(others.begin(), *this);
  return session().Exec(op, std::move(others), attrs);
}

Tensor& Tensor::InPlace(const std::string& op, std::vector<Tensor> others, const Attrs& attrs) {
  Op(op, std::move(others), attrs);  // resets the metadata this tensor shares
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
