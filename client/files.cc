// Session::save/load (safetensors), Session::load_npy and Tensor::save_npy:
// the file codecs joined to uploads and fetches, with their absl::Status
// failures turned into Error.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/npy.h"
#include "client/safetensors.h"
#include "client/session_state.h"
#include "client/tensor.h"

namespace tensord::client {
namespace {

// Throws `status` as Error (absl and gRPC share code numbers), with advice
// for the failures of opening a file that the codecs report bare.
void ThrowIfError(const absl::Status& status, bool writing) {
  if (status.ok()) return;
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      absl::StrAppend(&message, writing ? "; check that the directory exists" : "; check the path");
      break;
    case absl::StatusCode::kPermissionDenied:
      absl::StrAppend(&message, "; check the permissions of the file and its directory");
      break;
    case absl::StatusCode::kResourceExhausted:
      absl::StrAppend(&message, "; free some space or write elsewhere");
      break;
    default:
      break;
  }
  throw Error(static_cast<int>(status.code()), message);
}

// Reports the bytes of a sequence of transfers as one: `base` bytes were
// moved before the current one, `total` in all.
class Combined {
 public:
  Combined(const Progress& progress, int64_t total) : progress_(progress), total_(total) {}
  // The callback for the next transfer (none when nobody listens).
  Progress Next() {
    if (!progress_) return nullptr;
    return [this](int64_t done, int64_t) { progress_(std::min(base_ + done, total_), total_); };
  }
  void Finished(int64_t bytes) { base_ += bytes; }

 private:
  const Progress& progress_;
  const int64_t total_;
  int64_t base_ = 0;
};

int64_t ByteSize(const Tensor& t) {
  int64_t n = ItemSize(t.meta().dtype());
  for (int64_t d : t.meta().shape()) n *= d;
  return n;
}

}  // namespace

void Session::save(const std::string& path,
                   const std::vector<std::pair<std::string, Tensor>>& tensors,
                   const std::map<std::string, std::string>& metadata,
                   const Progress& progress) const {
  int64_t total = 0;
  for (const auto& [name, t] : tensors) total += ByteSize(t);
  Combined combined(progress, total);
  NamedTensors file;
  file.metadata = metadata;
  file.tensors.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    RawTensor raw = t.FetchRaw(combined.Next());
    combined.Finished(static_cast<int64_t>(raw.data.size()));
    file.tensors.emplace_back(name, std::move(raw));
  }
  ThrowIfError(WriteSafetensors(path, file), /*writing=*/true);
}

std::vector<std::pair<std::string, Tensor>> Session::load(
    const std::string& path, bool bind_names, const Progress& progress,
    std::map<std::string, std::string>* metadata) const {
  absl::StatusOr<NamedTensors> file = ReadSafetensors(path);
  ThrowIfError(file.status(), /*writing=*/false);
  int64_t total = 0;
  for (const auto& [name, raw] : file->tensors) total += static_cast<int64_t>(raw.data.size());
  Combined combined(progress, total);
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(file->tensors.size());
  for (auto& [name, raw] : file->tensors) {
    out.emplace_back(name, FromRaw(raw, {}, bind_names ? name : "", combined.Next()));
    combined.Finished(static_cast<int64_t>(raw.data.size()));
    raw.data = std::string();  // sent: free it before the next one goes
  }
  if (metadata != nullptr) *metadata = std::move(file->metadata);
  return out;
}

Tensor Session::load_npy(const std::string& path, const Options& o, const std::string& name,
                         const Progress& progress) const {
  absl::StatusOr<RawTensor> raw = ReadNpy(path);
  ThrowIfError(raw.status(), /*writing=*/false);
  if (o.dtype.empty() || ParseDType(o.dtype) == ParseDType(raw->dtype)) {
    return FromRaw(*raw, o, name, progress);
  }
  // FromRaw would bind the name to the tensor as read: convert first, then
  // bind the converted one (a leaf, requiring grad when asked).
  Tensor read = FromRaw(*raw, Options{.device = o.device}, "", progress);
  Tensor t;
  if (name.empty()) {
    t = read.to(o.dtype);
  } else {
    v1::TensorRef input;
    input.set_handle(read.handle());
    t = ExecNamed("to", {input}, {{"dtype", Attr::DType(o.dtype)}}, name);
  }
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}

void Tensor::save_npy(const std::string& path, const Progress& progress) const {
  if (dtype() == "bfloat16") {
    throw Error(static_cast<int>(absl::StatusCode::kInvalidArgument),
                absl::StrCat(path,
                             ": bfloat16 has no NumPy dtype, so it cannot be saved as .npy; "
                             "convert it first, e.g. x.to(\"float32\").save_npy(path), or save "
                             "it as safetensors with Session::save"));
  }
  ThrowIfError(WriteNpy(path, FetchRaw(progress)), /*writing=*/true);
}

}  // namespace tensord::client
