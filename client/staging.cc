// Large transfers through shared memory: the client's staging buffer is a
// segment the daemon created and both map, reused from transfer to transfer
// so that its pages are faulted in once. Falls back to the network (and
// stays there) when the daemon does not offer shared memory to this client.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/session_state.h"

namespace tensord::client {

namespace {

bool MeansNoSharedMemory(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
         s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
         s.error_code() == grpc::StatusCode::UNIMPLEMENTED;
}

}  // namespace

void* SessionState::MapStaging(const v1::SharedSegment& seg) {
  if (staging != nullptr && staging->name() == seg.name() &&
      static_cast<int64_t>(staging->size()) >= seg.nbytes()) {
    return staging->data();
  }
  staging.reset();
  absl::StatusOr<std::unique_ptr<shm::SharedSegment>> mapped =
      shm::SharedSegment::Open(seg.name(), static_cast<size_t>(seg.nbytes()));
  if (!mapped.ok()) {
    // Another host's /dev/shm (a container, a forwarded socket): the
    // network works everywhere.
    use_shared_memory = false;
    return nullptr;
  }
  staging = *std::move(mapped);
  return staging->data();
}

std::optional<v1::CreateTensorResponse> SessionState::StagedUpload(const RawTensor& raw,
                                                                   const v1::UploadHeader& header) {
  absl::MutexLock l(&staging_mu);
  if (!use_shared_memory) return std::nullopt;
  v1::StagingRequest req;
  req.set_session_id(id);
  req.set_client_key(client_key());
  req.set_nbytes(static_cast<int64_t>(raw.data.size()));
  v1::StagingResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Staging(&ctx, req, &resp);
  if (!s.ok()) {
    if (!MeansNoSharedMemory(s)) throw Error(s.error_code(), s.error_message());
    use_shared_memory = false;
    return std::nullopt;
  }
  void* dst = MapStaging(resp.staging());
  if (dst == nullptr) return std::nullopt;
  std::memcpy(dst, raw.data.data(), raw.data.size());
  v1::StagedUploadRequest up;
  *up.mutable_header() = header;
  up.set_client_key(client_key());
  v1::CreateTensorResponse created;
  grpc::ClientContext ctx2;
  s = stub->StagedUpload(&ctx2, up, &created);
  if (!s.ok()) throw Error(s.error_code(), s.error_message());
  return created;
}

bool SessionState::StagedFetch(uint64_t handle, RawTensor* out, v1::TensorMeta* meta) {
  absl::MutexLock l(&staging_mu);
  if (!use_shared_memory) return false;
  v1::StagedFetchRequest req;
  req.set_session_id(id);
  req.mutable_tensor()->set_handle(handle);
  req.set_client_key(client_key());
  v1::StagedFetchResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->StagedFetch(&ctx, req, &resp);
  if (!s.ok()) {
    if (!MeansNoSharedMemory(s)) throw Error(s.error_code(), s.error_message());
    use_shared_memory = false;
    return false;
  }
  const void* src = MapStaging(resp.staging());
  if (src == nullptr) return false;
  *meta = resp.meta();
  const size_t n = static_cast<size_t>(resp.meta().nbytes());
  out->data.clear();
  out->data.append(static_cast<const char*>(src), n);  // one pass, no zero-fill
  return true;
}

}  // namespace tensord::client
