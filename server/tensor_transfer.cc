#include "server/tensor_transfer.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "autograd/variable.h"
#include "device/backend.h"
#include "device/queue.h"
#include "device/status_macros.h"

namespace tensord::server {

TensorUpload::TensorUpload(std::shared_ptr<Session> session, device::Tensor tensor,
                           v1::UploadHeader header)
    : session_(std::move(session)), tensor_(std::move(tensor)), header_(std::move(header)) {}

absl::Status TensorUpload::Append(std::string_view chunk) {
  const int64_t item = static_cast<int64_t>(device::ItemSize(tensor_.dtype()));
  const int64_t n = static_cast<int64_t>(chunk.size());
  if (n % item != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload chunk of ", n, " bytes is not a whole number of ",
                     device::DTypeName(tensor_.dtype()), " elements (", item,
                     " bytes each): split the data on element boundaries"));
  }
  if (received_ + n > total()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload sent ", received_ + n, " bytes but a tensor of size ",
        device::ShapeToString(tensor_.shape()), " and dtype ", device::DTypeName(tensor_.dtype()),
        " holds ", total(), ": check the header's shape and dtype"));
  }
  if (n == 0) return absl::OkStatus();
  const device::Tensor part(tensor_.storage_ptr(), {n / item}, {1}, received_ / item,
                            tensor_.dtype());
  device::ScopedQueue queue(session_->queue_id());
  TD_RETURN_IF_ERROR(part.backend().CopyFromHost(chunk.data(), part));
  received_ += n;
  return absl::OkStatus();
}

absl::StatusOr<v1::CreateTensorResponse> TensorUpload::Finish() {
  if (received_ != total()) {
    return absl::InvalidArgumentError(absl::StrCat("upload ended after ", received_, " of ",
                                                   total(), " bytes: send the whole tensor"));
  }
  absl::MutexLock lock(&session_->mu());
  autograd::Variable v{tensor_, nullptr};
  TD_RETURN_IF_ERROR(autograd::SetRequiresGrad(v, header_.requires_grad()));
  TD_ASSIGN_OR_RETURN(
      uint64_t handle,
      session_->Bind(header_.output(), TensorEntry{.tensor = v.tensor, .meta = v.meta}));
  TD_ASSIGN_OR_RETURN(TensorEntry * e, session_->Find(handle));
  v1::CreateTensorResponse resp;
  session_->FillMeta(handle, *e, resp.mutable_tensor());
  return resp;
}

TensorDownload::TensorDownload(std::shared_ptr<Session> session, v1::TensorMeta meta,
                               device::Tensor contiguous)
    : session_(std::move(session)),
      meta_(std::move(meta)),
      tensor_(std::move(contiguous)),
      version_(tensor_.storage().version()) {}

absl::Status TensorDownload::Next(size_t max_bytes, std::string* chunk) {
  const int64_t item = static_cast<int64_t>(device::ItemSize(tensor_.dtype()));
  const int64_t n = std::min(total() - sent_, static_cast<int64_t>(max_bytes) / item * item);
  chunk->resize(static_cast<size_t>(n));
  if (n > 0) {
    const device::Tensor part(tensor_.storage_ptr(), {n / item}, {1},
                              tensor_.offset() + sent_ / item, tensor_.dtype());
    device::ScopedQueue queue(session_->queue_id());
    TD_RETURN_IF_ERROR(part.backend().CopyToHost(part, chunk->data()));
  }
  sent_ += n;
  if (tensor_.storage().version() != version_) {
    return absl::AbortedError(
        "the tensor was modified by an in-place op while it was being fetched: fetch it again "
        "once the writer is done");
  }
  return absl::OkStatus();
}

}  // namespace tensord::server
