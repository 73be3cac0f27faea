// A tensor arriving in chunks (the Upload RPC): allocated when the header
// arrives, filled chunk by chunk without holding the session lock (nobody
// else can see it yet), and bound to its handle/name once complete.
#ifndef TENSORD_SERVER_TENSOR_UPLOAD_H_
#define TENSORD_SERVER_TENSOR_UPLOAD_H_

#include <cstdint>
#include <memory>
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

  int64_t received() const { return received_; }
  int64_t total() const { return static_cast<int64_t>(tensor_.nbytes()); }

 private:
  std::shared_ptr<Session> session_;
  device::Tensor tensor_;
  v1::UploadHeader header_;
  int64_t received_ = 0;
};

}  // namespace tensord::server

#endif  // TENSORD_SERVER_TENSOR_UPLOAD_H_
