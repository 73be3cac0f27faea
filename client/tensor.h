// The C++ client of tensord: a Session holds a connection and a session on
// the daemon; a Tensor is an RAII handle to a tensor living there (released
// when its last copy dies). Operators and methods mirror PyTorch's names.
// Errors from the daemon throw tensord::client::Error, which carries the
// status code and the daemon's message.
#ifndef TENSORD_CLIENT_TENSOR_H_
#define TENSORD_CLIENT_TENSOR_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "client/error.h"
#include "client/raw_tensor.h"
#include "client/repr.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::client {

// An op attribute value: a number, bool, string, list, or dtype.
class Attr {
 public:
  Attr(int v);                                 // NOLINT: implicit by design
  Attr(int64_t v);                             // NOLINT
  Attr(double v);                              // NOLINT
  Attr(bool v);                                // NOLINT
  Attr(const char* v);                         // NOLINT
  Attr(std::string v);                         // NOLINT
  Attr(std::vector<int64_t> v);                // NOLINT
  Attr(std::initializer_list<int64_t> v);      // NOLINT
  Attr(std::vector<double> v);                 // NOLINT
  static Attr DType(const std::string& name);  // "float64", "torch.long", ...
  const v1::AttrValue& proto() const { return value_; }

 private:
  Attr() = default;
  v1::AttrValue value_;
};
using Attrs = std::map<std::string, Attr>;

// A Python number: int stays int (x + 2 keeps an int64 tensor int64), double
// is a float, as in PyTorch's type promotion.
class Scalar {
 public:
  Scalar(int v) : attr_(static_cast<int64_t>(v)) {}  // NOLINT: implicit by design
  Scalar(int64_t v) : attr_(v) {}                    // NOLINT
  Scalar(double v) : attr_(v) {}                     // NOLINT
  Scalar(bool v) : attr_(v) {}                       // NOLINT
  const Attr& attr() const { return attr_; }

 private:
  Attr attr_;
};

// torch.Size: prints as "torch.Size([5, 3])".
struct Size {
  std::vector<int64_t> dims;
  int64_t operator[](size_t i) const { return dims.at(i); }
  size_t size() const { return dims.size(); }
  bool operator==(const Size&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Size& s);

// Called as a transfer proceeds: bytes moved so far and in all.
using Progress = std::function<void(int64_t done, int64_t total)>;

// Factory options, as PyTorch's keyword arguments.
struct Options {
  std::string dtype;   // empty: the op's default
  std::string device;  // empty: the session's default
  bool requires_grad = false;
};

class SessionState;
class Session;
struct TensorHandle;

class Tensor {
 public:
  Tensor() = default;
  bool defined() const { return state_ != nullptr; }
  uint64_t handle() const;

  // Metadata, from the daemon's last reply about this handle.
  Size size() const;
  int64_t size(int64_t dim) const;
  int64_t dim() const;
  int64_t numel() const;
  std::string dtype() const;  // "float32", ...
  std::string device() const;
  bool requires_grad() const;
  std::string grad_fn() const;  // "" for leaves
  // What PyTorch prints for y.grad_fn: "<AddBackward0 object at 0x1a>", or
  // "None" for a leaf.
  std::string grad_fn_repr() const;
  bool is_leaf() const;
  // Metadata: the daemon's description as of the last fetch, or asked for
  // (waiting for the pipeline) when an op may have changed it.
  const v1::TensorMeta& meta() const;

  // Autograd (the graph lives in the daemon).
  // out.backward(): from a one-element tensor, or with `gradient` (the
  // vector of a vector-Jacobian product) from any tensor. Gradients
  // accumulate into the .grad of leaves that require grad.
  void backward(const std::optional<Tensor>& gradient = std::nullopt,
                bool retain_graph = false) const;
  // x.grad: nullopt while it is None. The result shares the gradient's memory
  // (x.grad().value().zero_() clears it in place, as in PyTorch). A
  // non-empty `name` binds it to that name in the session.
  std::optional<Tensor> grad(const std::string& name = "") const;
  // x.grad = g, or x.grad = None with nullopt.
  void set_grad(const std::optional<Tensor>& g);
  Tensor& requires_grad_(bool requires_grad = true);
  void retain_grad();
  Tensor detach() const;

  // Data. Ops are pipelined: these wait for every op sent before them and
  // throw the first error any of them raised.
  HostTensor Fetch() const;
  // The raw bytes, streamed in chunks when large (any size).
  RawTensor FetchRaw(const Progress& progress = nullptr) const;
  // The same into `out`, reusing its buffer: fetching repeatedly into one
  // RawTensor writes warm memory instead of faulting in fresh pages (which
  // costs more than the copy itself for large tensors).
  void FetchRaw(RawTensor* out, const Progress& progress = nullptr) const;
  std::string repr() const;  // PyTorch's repr
  double item() const;
  std::string item_repr() const;  // Python's repr of .item()

  // Generic op call with this tensor as the first input.
  Tensor Op(const std::string& op, std::vector<Tensor> others = {}, const Attrs& attrs = {}) const;

  Tensor add(const Tensor& other, Scalar alpha = 1) const;
  Tensor sub(const Tensor& other, Scalar alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor add(Scalar other) const;
  Tensor sub(Scalar other) const;
  Tensor mul(Scalar other) const;
  Tensor div(Scalar other) const;
  Tensor neg() const;
  // In place: return *this, whose data (and for t_, shape) changed.
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(Scalar other);
  Tensor& mul_(Scalar other);
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(Scalar value);
  Tensor& zero_();
  Tensor& t_();

  Tensor view(std::vector<int64_t> shape) const;
  Tensor reshape(std::vector<int64_t> shape) const;
  Tensor index(const std::string& spec) const;  // x.index(":, 1") is x[:, 1]
  Tensor select(int64_t dim, int64_t index) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor permute(std::vector<int64_t> dims) const;
  Tensor expand(std::vector<int64_t> shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(const std::string& dtype_or_device) const;
  Tensor to(const std::string& device, const std::string& dtype) const;
  Tensor sum() const;
  Tensor sum(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor matmul(const Tensor& other) const;

  // x.numpy() + numpy.save: writes the tensor to a .npy file (created or
  // truncated). bfloat16 has no NumPy dtype: convert it with .to() first.
  // Implemented in files.cc.
  void save_npy(const std::string& path, const Progress& progress = nullptr) const;

  Tensor new_empty(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor new_zeros(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor new_ones(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor new_full(std::vector<int64_t> shape, Scalar value, const Options& o = {}) const;

  Session session() const;

 private:
  friend class Session;
  friend class SessionState;
  explicit Tensor(std::shared_ptr<TensorHandle> s) : state_(std::move(s)) {}
  Tensor& InPlace(const std::string& op, std::vector<Tensor> others, const Attrs& attrs);
  std::shared_ptr<TensorHandle> state_;
};

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a);
// Prints PyTorch's repr.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// A CPU tensor whose storage is a shared-memory segment that the daemon and
// this process both map (same host only): the blitz's NumPy bridge. An
// in-place op in the daemon is seen in data() at once, and a write to
// data() is seen by the next op, with no copy. The mapping stays valid as
// long as this object (or a copy) lives, even after the tensor is released.
class SharedTensor {
 public:
  const Tensor& tensor() const { return tensor_; }
  void* data() const { return data_; }
  int64_t nbytes() const { return nbytes_; }
  // The elements, when T matches the dtype's size (float for float32, ...).
  template <typename T>
  std::span<T> values() const {
    return {static_cast<T*>(data_), static_cast<size_t>(nbytes_) / sizeof(T)};
  }

 private:
  friend class Session;
  Tensor tensor_;
  std::shared_ptr<void> mapping_;
  void* data_ = nullptr;
  int64_t nbytes_ = 0;
};

struct SessionConfig {
  std::string address = "127.0.0.1:50051";  // HOST:PORT, or unix:PATH
  std::string name;                         // named sessions persist and can be re-attached
  int64_t lease_seconds = 0;                // 0: the daemon's default
  // Close the session on the daemon when the last Session/Tensor copy goes
  // away. Defaults to true for unnamed sessions, false for named ones.
  std::optional<bool> close_on_exit;
  // Move large tensors (FromRaw, FetchRaw) through shared memory when the
  // daemon runs on this host and offers it; false always uses the network.
  bool shared_memory = true;
};

class Session {
 public:
  // Connects and opens (or re-attaches) a session. Throws Error.
  static Session Open(const SessionConfig& config);
  static Session Open(const std::string& address) {
    return Open(SessionConfig{.address = address});
  }

  const std::string& id() const;
  bool attached() const;  // re-attached an existing named session
  std::string default_device() const;

  // Generic calls.
  Tensor Exec(const std::string& op, std::vector<Tensor> inputs, const Attrs& attrs = {},
              const Tensor* out = nullptr) const;
  // Ops with several results (max over a dim, split): every output.
  std::vector<Tensor> ExecMulti(const std::string& op, std::vector<Tensor> inputs,
                                const Attrs& attrs = {}) const;
  // By reference (handle or name); output_names bind the outputs in order.
  std::vector<Tensor> ExecAll(const std::string& op, const std::vector<v1::TensorRef>& inputs,
                              const Attrs& attrs, const std::vector<std::string>& output_names,
                              const v1::TensorRef* out = nullptr) const;
  Tensor ExecNamed(const std::string& op, const std::vector<v1::TensorRef>& inputs,
                   const Attrs& attrs, const std::string& output_name,
                   const v1::TensorRef* out = nullptr) const;
  // Tensors bound to names in the session (as tensorctl names them).
  Tensor Named(const std::string& name) const;
  std::vector<v1::TensorMeta> ListTensors() const;
  std::vector<v1::OpSchema> ListOps() const;
  // The daemon's devices (cpu, cuda:N) with their memory: total, in use and
  // cached by the daemon, and held by this session (session_bytes).
  std::vector<v1::DeviceInfo> ListDevices() const;
  // Waits until every op sent so far ran; throws the first error any of
  // them raised (ops return before they run: errors surface here, at
  // Fetch/item, or at any other call that waits for the daemon).
  void Sync() const;
  // A zero-filled CPU tensor in shared memory (torch.zeros + .numpy()).
  // Needs a daemon on this host, reached through its --unix_socket or
  // 127.0.0.1 as the same user: otherwise FAILED_PRECONDITION or
  // PERMISSION_DENIED says why.
  SharedTensor shared_zeros(std::vector<int64_t> shape, const Options& o = {},
                            const std::string& name = "") const;
  // A tensor from raw bytes (e.g. a .npy file), streamed in chunks when
  // large. A non-empty `name` binds it to that name in the session.
  Tensor FromRaw(const RawTensor& raw, const Options& o = {}, const std::string& name = "",
                 const Progress& progress = nullptr) const;
  void Release(const std::vector<v1::TensorRef>& refs) const;
  void Close();

  // Files (implemented in files.cc). File errors throw Error with the
  // status code of the failure (NOT_FOUND, INVALID_ARGUMENT, ...) and a
  // message that starts with the path. `progress` counts the bytes moved
  // to or from the daemon, over all tensors.
  //
  // torch.save of a state dict, as safetensors: fetches the tensors and
  // writes them to `path` (created or truncated) under their given names,
  // which must be unique and non-empty.
  void save(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
            const std::map<std::string, std::string>& metadata = {},
            const Progress& progress = nullptr) const;
  // torch.load of a safetensors file: every tensor with its name, in the
  // file's data order. With `bind_names` each is also bound to its name in
  // the session (rebinding names already there). The header's metadata is
  // stored in `*metadata` when given.
  std::vector<std::pair<std::string, Tensor>> load(
      const std::string& path, bool bind_names = false, const Progress& progress = nullptr,
      std::map<std::string, std::string>* metadata = nullptr) const;
  // torch.from_numpy(numpy.load(path)).to(o.dtype, o.device), with
  // requires_grad and a name as FromRaw takes them.
  Tensor load_npy(const std::string& path, const Options& o = {}, const std::string& name = "",
                  const Progress& progress = nullptr) const;

  // Factories (torch.*).
  Tensor empty(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor zeros(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor ones(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor full(std::vector<int64_t> shape, Scalar value, const Options& o = {}) const;
  Tensor rand(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor randn(std::vector<int64_t> shape, const Options& o = {}) const;
  Tensor arange(Scalar end, const Options& o = {}) const;
  Tensor arange(Scalar start, Scalar end, Scalar step = 1, const Options& o = {}) const;
  // torch.tensor from a Python-style literal: "[5.5, 3]", "[[1, 2], [3, 4]]".
  // A non-empty `name` binds the result to that name in the session.
  Tensor tensor(const std::string& literal, const Options& o = {},
                const std::string& name = "") const;
  // torch.tensor from values and a shape (float64 data, cast to o.dtype or float32).
  Tensor tensor(const std::vector<double>& values, std::vector<int64_t> shape,
                const Options& o = {}) const;
  Tensor empty_like(const Tensor& t, const Options& o = {}) const;
  Tensor zeros_like(const Tensor& t, const Options& o = {}) const;
  Tensor ones_like(const Tensor& t, const Options& o = {}) const;
  Tensor rand_like(const Tensor& t, const Options& o = {}) const;
  Tensor randn_like(const Tensor& t, const Options& o = {}) const;
  Tensor add(const Tensor& a, const Tensor& b, Tensor* out = nullptr) const;
  void manual_seed(uint64_t seed) const;

  // torch.set_grad_enabled for this session; returns the previous mode.
  bool set_grad_enabled(bool enabled) const;

 private:
  friend class Tensor;
  explicit Session(std::shared_ptr<SessionState> s) : state_(std::move(s)) {}
  std::shared_ptr<SessionState> state_;
};

// torch.no_grad() as a scope: ops on the session record no graph until the
// guard goes away (the previous mode comes back then).
class NoGradGuard {
 public:
  explicit NoGradGuard(const Session& session)
      : session_(session), previous_(session.set_grad_enabled(false)) {}
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  Session session_;
  bool previous_;
};

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_TENSOR_H_
