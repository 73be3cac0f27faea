#include "client/nn/module.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "client/safetensors.h"
#include "client/session_state.h"

namespace tensord::nn {

namespace {

constexpr int kInvalidArgument = 3;

std::string DimsString(const std::vector<int64_t>& d) {
  return absl::StrCat("[", absl::StrJoin(d, ", "), "]");
}

}  // namespace

std::string ShapeString(const Shape& s) { return DimsString(s); }

namespace {

// Handles are never reused by a client (each takes a fresh id from its own
// range), so a remembered shape cannot name another tensor; the table is
// cleared when it grows large, which only skips some client-side checks.
struct ShapeMemory {
  absl::Mutex mu;
  absl::flat_hash_map<uint64_t, Shape> shapes ABSL_GUARDED_BY(mu);
};
ShapeMemory& Memory() {
  static auto* m = new ShapeMemory;
  return *m;
}

}  // namespace

void RememberShape(const Tensor& t, const Shape& shape) {
  ShapeMemory& m = Memory();
  absl::MutexLock lock(&m.mu);
  if (m.shapes.size() > 4096) m.shapes.clear();
  m.shapes[t.handle()] = shape;
}

std::optional<Shape> KnownShape(const Tensor& t) {
  const auto& h = client::SessionState::Unwrap(t);
  if (h == nullptr) return std::nullopt;
  if (h->meta.has_value()) return Shape(h->meta->shape().begin(), h->meta->shape().end());
  ShapeMemory& m = Memory();
  absl::MutexLock lock(&m.mu);
  auto it = m.shapes.find(h->handle);
  if (it == m.shapes.end()) return std::nullopt;
  return it->second;
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  if (!t.requires_grad()) t.requires_grad_(true);
  params_.emplace_back(name, std::move(t));
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, std::move(t));
  return buffers_.back().second;
}

void Module::Collect(const std::string& prefix, bool params, bool buffers,
                     NamedTensors* out) const {
  if (params) {
    for (const auto& [n, t] : params_) out->emplace_back(prefix + n, t);
  }
  if (buffers) {
    for (const auto& [n, t] : buffers_) out->emplace_back(prefix + n, t);
  }
  for (const auto& [n, m] : children_)
    m->Collect(absl::StrCat(prefix, n, "."), params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  Collect("", true, false, &out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  Collect("", false, true, &out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  Collect("", true, true, &out);
  return out;
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (set_to_none) {
      p.set_grad(std::nullopt);
    } else if (std::optional<Tensor> g = p.grad()) {
      g->zero_();
    }
  }
}

void Module::train(bool mode) {
  training_ = mode;
  for (auto& [n, m] : children_) m->train(mode);
}

void Module::to(const std::string& device) {
  for (auto& [n, t] : params_) {
    if (t.device() == device) continue;
    Tensor moved = t.detach().to(device);
    moved.requires_grad_(true);
    t = moved;
  }
  for (auto& [n, t] : buffers_) t = t.to(device);
  for (auto& [n, m] : children_) m->to(device);
}

void Module::save(const std::string& path) const {
  client::NamedTensors file;
  for (const auto& [name, t] : state_dict()) file.tensors.emplace_back(name, t.FetchRaw());
  // Write beside the target and rename: rename is atomic within a
  // directory, so readers see the old file or the new one, never half.
  const std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  absl::Status st = client::WriteSafetensors(tmp, file);
  if (!st.ok()) {
    std::remove(tmp.c_str());
    throw client::Error(static_cast<int>(st.code()),
                        absl::StrCat("saving the state dict to ", path, ": ", st.message()));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw client::Error(13, absl::StrCat("saving the state dict: cannot rename ", tmp, " to ", path,
                                         ": ", std::strerror(err)));
  }
}

void Module::load(const std::string& path) {
  absl::StatusOr<client::NamedTensors> file = client::ReadSafetensors(path);
  if (!file.ok()) {
    throw client::Error(static_cast<int>(file.status().code()),
                        absl::StrCat("loading a state dict: ", file.status().message()));
  }
  std::map<std::string, const client::RawTensor*> by_name;
  for (const auto& [name, raw] : file->tensors) by_name[name] = &raw;
  NamedTensors own = state_dict();
  std::set<std::string> expected;
  for (const auto& [name, t] : own) {
    expected.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      throw client::Error(kInvalidArgument,
                          absl::StrCat("loading a state dict from ", path, ": missing key '", name,
                                       "' (the file has ", file->tensors.size(), " tensors)"));
    }
    const Shape shape(t.size().dims);
    if (it->second->shape != shape || it->second->dtype != t.dtype()) {
      throw client::Error(
          kInvalidArgument,
          absl::StrCat("loading a state dict from ", path, ": key '", name, "' is ",
                       it->second->dtype, " ", DimsString(it->second->shape), " in the file but ",
                       t.dtype(), " ", DimsString(shape), " in the model"));
    }
  }
  for (const auto& [name, raw] : file->tensors) {
    if (!expected.contains(name)) {
      throw client::Error(kInvalidArgument, absl::StrCat("loading a state dict from ", path,
                                                         ": unexpected key '", name, "'"));
    }
  }
  Session session = own.front().second.session();
  client::NoGradGuard no_grad(session);
  for (auto& [name, t] : own) {
    Tensor src = session.FromRaw(*by_name[name], {.device = t.device()});
    t.copy_(src);
  }
  session.Sync();
}

}  // namespace tensord::nn
