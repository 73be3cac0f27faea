// Tensors moving in chunks. An upload (the Upload RPC) is allocated when
// its header arrives, filled chunk by chunk without holding the session lock
// (nobody else can see it yet), and bound to its handle/name once complete.
// A download (FetchChunks) reads a contiguous tensor chunk by chunk without
// copying it first; if an op writes the tensor meanwhile, it fails ABORTED
// rather than return a mix of old and new data.
#ifndef TENSORD_SERVER_TENSOR_TRANSFER_H_
#define TENSORD_SERVER_TENSOR_TRANSFER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "device/tensor.h"
#include "server/session.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

class TensorUpload {
 public:
  TensorUpload(std::shared_ptr<Session> session, device::Tensor tensor, v1::UploadHeader header);

  // Copies the next chunk in: a whole number of elements, not past the end.
  absl::Status Append(std::string_view chunk);
  // Binds the tensor once every byte has arrived.
  absl::StatusOr<v1::CreateTensorResponse> Finish();

  int64_t total() const { return static_cast<int64_t>(tensor_.nbytes()); }

 private:
  std::shared_ptr<Session> session_;
  device::Tensor tensor_;
  v1::UploadHeader header_;
  int64_t received_ = 0;
};

class TensorDownload {
 public:
  // `contiguous` is the tensor to send (or a contiguous copy of it); it is
  // read on the session's work queue.
  TensorDownload(std::shared_ptr<Session> session, v1::TensorMeta meta, device::Tensor contiguous);

  const v1::TensorMeta& meta() const { return meta_; }
  bool done() const { return sent_ == total(); }
  int64_t total() const { return static_cast<int64_t>(tensor_.nbytes()); }
  // Replaces *chunk with up to max_bytes more bytes (whole elements).
  absl::Status Next(size_t max_bytes, std::string* chunk);

 private:
  std::shared_ptr<Session> session_;
  v1::TensorMeta meta_;
  device::Tensor tensor_;
  uint64_t version_;
  int64_t sent_ = 0;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_TENSOR_TRANSFER_H_
