#include "server/session.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/graph.h"
#include "device/queue.h"
#include "server/proto_convert.h"

namespace tensord::server {

Session::Session(std::string id, std::string name, std::string principal, absl::Duration lease)
    : id_(std::move(id)),
      name_(std::move(name)),
      principal_(std::move(principal)),
      lease_(lease),
      queue_id_(device::NewQueueId()),
      deadline_(absl::Now() + lease) {}

Session::~Session() {
  // Tensors first: their memory then goes back to the queue's pools, which
  // the backends share out once the queue's work is done.
  ReleaseAll();
  device::ReleaseQueueEverywhere(queue_id_);
}

void Session::Renew(absl::Time now) {
  absl::MutexLock lock(&lease_mu_);
  deadline_ = now + lease_;
}

bool Session::ExpiredAt(absl::Time now) const {
  absl::MutexLock lock(&lease_mu_);
  return now >= deadline_;
}

absl::StatusOr<uint64_t> Session::Resolve(const v1::TensorRef& ref) const {
  switch (ref.ref_case()) {
    case v1::TensorRef::kHandle:
      if (tensors_.contains(ref.handle())) return ref.handle();
      return absl::NotFoundError(
          absl::StrCat("unknown tensor handle ", ref.handle(),
                       " in this session: it was released, or belongs to another session"));
    case v1::TensorRef::kName: {
      auto it = names_.find(ref.name());
      if (it != names_.end()) return it->second;
      return absl::NotFoundError(absl::StrCat("no tensor named '", ref.name(),
                                              "' in this session: `tensorctl ls` lists them"));
    }
    case v1::TensorRef::REF_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("tensor reference is empty: give a handle or a name");
}

absl::StatusOr<TensorEntry*> Session::Find(uint64_t handle) {
  auto it = tensors_.find(handle);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown tensor handle ", handle, " in this session"));
  }
  return &it->second;
}

absl::Status Session::CheckBindable(const v1::OutputSpec& spec) const {
  if (spec.handle() == 0) return absl::OkStatus();
  if ((spec.handle() & kServerHandleBit) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output handle ", spec.handle(),
        " has the top bit set, which is reserved for daemon-assigned handles: choose ids in "
        "1 .. 2^63-1"));
  }
  if (tensors_.contains(spec.handle())) {
    return absl::AlreadyExistsError(absl::StrCat("output handle ", spec.handle(),
                                                 " is already in use in this session: release "
                                                 "it first or choose another id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Session::Bind(const v1::OutputSpec& spec, TensorEntry entry) {
  if (absl::Status s = CheckBindable(spec); !s.ok()) return s;
  const uint64_t handle =
      spec.handle() != 0 ? spec.handle() : (kServerHandleBit | next_server_handle_++);
  if (!spec.name().empty()) {
    // Like Python assignment: the name now means the new tensor, and the
    // tensor it meant before is dropped (its storage lives on in any views).
    auto it = names_.find(spec.name());
    if (it != names_.end()) tensors_.erase(it->second);
    names_[spec.name()] = handle;
    entry.name = spec.name();
  }
  tensors_[handle] = std::move(entry);
  return handle;
}

void Session::Replace(uint64_t handle, device::Tensor tensor,
                      std::shared_ptr<autograd::AutogradMeta> meta) {
  TensorEntry& e = tensors_[handle];
  e.tensor = std::move(tensor);
  e.meta = std::move(meta);
}

bool Session::Release(uint64_t handle) {
  auto it = tensors_.find(handle);
  if (it == tensors_.end()) return false;
  if (!it->second.name.empty()) names_.erase(it->second.name);
  tensors_.erase(it);
  return true;
}

int64_t Session::ReleaseAll() {
  const int64_t n = num_tensors();
  tensors_.clear();
  names_.clear();
  staging_.clear();
  optimizers_.clear();
  return n;
}

absl::StatusOr<shm::SharedSegment*> Session::Staging(uint64_t key, size_t nbytes) {
  std::unique_ptr<shm::SharedSegment>& seg = staging_[key];
  if (seg == nullptr || seg->size() < nbytes) {
    // Round up so that slowly growing transfers do not remap every time.
    constexpr size_t kStep = size_t{1} << 20;
    seg.reset();
    absl::StatusOr<std::unique_ptr<shm::SharedSegment>> fresh =
        shm::SharedSegment::Create((nbytes + kStep - 1) / kStep * kStep);
    if (!fresh.ok()) {
      staging_.erase(key);
      return fresh.status();
    }
    seg = *std::move(fresh);
  }
  return seg.get();
}

void Session::FillMeta(uint64_t handle, const TensorEntry& e, v1::TensorMeta* meta) const {
  const device::Tensor& t = e.tensor;
  meta->set_handle(handle);
  meta->set_name(e.name);
  for (int64_t s : t.shape()) meta->add_shape(s);
  for (int64_t s : t.strides()) meta->add_strides(s);
  meta->set_storage_offset(t.offset());
  meta->set_dtype(ToProto(t.dtype()));
  meta->set_device(t.device().ToString());
  const autograd::Variable v = e.variable();
  meta->set_requires_grad(v.requires_grad());
  meta->set_grad_fn(v.grad_fn_name());
  meta->set_is_leaf(v.is_leaf());
  if (!v.is_leaf()) meta->set_grad_fn_id(v.meta->grad_fn->sequence);
  meta->set_nbytes(static_cast<int64_t>(t.nbytes()));
}

std::vector<uint64_t> Session::Handles() const {
  std::vector<uint64_t> out;
  for (const auto& [h, e] : tensors_) out.push_back(h);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tensord::server
