// The streaming RPCs of GrpcService: the pipelined command stream, chunked
// uploads and chunked fetches. Work runs on the worker pool; gRPC's threads
// only move messages.
#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/command_stream.h"
#include "server/grpc_service.h"
#include "server/log.h"
#include "server/tensor_transfer.h"

namespace tensord::server {

namespace {

// Bytes per message of a chunked transfer.
constexpr size_t kChunkBytes = size_t{1} << 20;
// Flow control of the command stream: reading pauses while this many
// commands wait to run, execution pauses while this many replies wait to be
// sent (a client that never reads its replies cannot make the daemon buffer
// without bound).
constexpr int kMaxQueuedCommands = 1 << 14;
constexpr size_t kMaxQueuedReplies = 256;

void LogFailure(const char* method, const absl::Status& s) {
  const bool server_fault =
      s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown;
  Log(server_fault ? LogLevel::kError : LogLevel::kDebug, absl::StrCat(method, ": ", s.ToString()));
}

class StreamReactor final : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  StreamReactor(TensorService* service, ThreadPool* pool, std::string principal)
      : pool_(pool), commands_(service, std::move(principal)) {
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    bool read_more = false;
    bool inline_run = false;
    v1::StreamRequest req;
    {
      absl::MutexLock l(&mu_);
      if (!ok) {
        reads_done_ = true;
      } else {
        read_more = !stopped_;
        // Nothing ahead of it and cheap: run it here (no thread hand-off).
        if (!draining_ && !finished_ && !stopped_ && queue_.empty() &&
            writes_.size() < kMaxQueuedReplies && commands_.Cheap(incoming_)) {
          draining_ = true;
          inline_run = true;
          req = std::move(incoming_);
        } else {
          queued_commands_ += incoming_.commands_size();
          queue_.push_back(std::move(incoming_));
          if (queued_commands_ >= kMaxQueuedCommands) {
            read_paused_ = true;
            read_more = false;
          }
          ScheduleDrainLocked();
        }
        incoming_.Clear();
      }
    }
    if (inline_run) {
      Process(std::move(req));
      absl::MutexLock l(&mu_);
      draining_ = false;
      ScheduleDrainLocked();  // what arrived meanwhile
    }
    if (read_more) StartRead(&incoming_);
    MaybeFinish();
  }

  void OnWriteDone(bool ok) override {
    const v1::StreamResponse* next = nullptr;
    {
      absl::MutexLock l(&mu_);
      writes_.pop_front();
      if (!ok) Stop(absl::CancelledError("the client stopped reading replies"));
      if (!writes_.empty() && !stopped_) {
        next = &writes_.front();
      } else {
        writing_ = false;
      }
      ScheduleDrainLocked();  // it may have paused for replies to drain
    }
    if (next != nullptr) StartWrite(next);
    MaybeFinish();
  }

  void OnCancel() override {
    absl::MutexLock l(&mu_);
    Stop(absl::CancelledError("the client went away"));
  }

  void OnDone() override { delete this; }

 private:
  void ScheduleDrainLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (draining_ || finished_ || queue_.empty() || writes_.size() >= kMaxQueuedReplies) return;
    draining_ = true;
    pool_->Schedule([this] { Drain(); });
  }

  void Stop(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stopped_) return;
    stopped_ = true;
    status_ = std::move(s);
    queue_.clear();
    queued_commands_ = 0;
  }

  // Runs queued messages in order, one pool thread at a time.
  void Drain() {
    for (;;) {
      v1::StreamRequest req;
      {
        absl::MutexLock l(&mu_);
        if (queue_.empty() || stopped_ || writes_.size() >= kMaxQueuedReplies) {
          draining_ = false;
          break;
        }
        req = std::move(queue_.front());
        queue_.pop_front();
        queued_commands_ -= req.commands_size();
      }
      Process(std::move(req));
    }
    MaybeFinish();
  }

  // Runs one message (the caller is the only one draining) and queues its
  // replies.
  void Process(v1::StreamRequest req) {
    absl::StatusOr<v1::StreamResponse> resp = commands_.Run(req);
    const v1::StreamResponse* write = nullptr;
    bool read_more = false;
    {
      absl::MutexLock l(&mu_);
      if (!resp.ok()) {
        LogFailure("Stream", resp.status());
        Stop(resp.status());
      } else if (resp->replies_size() > 0 && !stopped_) {
        writes_.push_back(*std::move(resp));
        if (!writing_) {
          writing_ = true;
          write = &writes_.back();
        }
      }
      if (read_paused_ && queued_commands_ < kMaxQueuedCommands / 2 && !stopped_) {
        read_paused_ = false;
        read_more = true;
      }
    }
    if (write != nullptr) StartWrite(write);
    if (read_more) StartRead(&incoming_);
  }

  // Finishes once the client is done sending (or the stream failed), every
  // command ran and every reply went out.
  void MaybeFinish() {
    grpc::Status status;
    {
      absl::MutexLock l(&mu_);
      if (finished_ || draining_ || writing_) return;
      if (!stopped_ && !(reads_done_ && queue_.empty())) return;
      // A paused or failed stream may still have a read outstanding; gRPC
      // completes it when the call finishes.
      finished_ = true;
      status = ToGrpcStatus(status_);
    }
    Finish(status);
  }

  ThreadPool* pool_;
  CommandStream commands_;  // used by one Drain at a time
  v1::StreamRequest incoming_;

  absl::Mutex mu_;
  std::deque<v1::StreamRequest> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_commands_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<v1::StreamResponse> writes_ ABSL_GUARDED_BY(mu_);  // front is being written
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class UploadReactor final : public grpc::ServerReadReactor<v1::UploadRequest> {
 public:
  UploadReactor(TensorService* service, ThreadPool* pool, std::string principal,
                v1::CreateTensorResponse* resp)
      : service_(service), pool_(pool), principal_(std::move(principal)), resp_(resp) {
    StartRead(&msg_);
  }

  void OnReadDone(bool ok) override {
    pool_->Schedule([this, ok] {
      absl::Status s = ok ? Take() : Complete();
      if (!s.ok()) {
        LogFailure("Upload", s);
        Finish(ToGrpcStatus(s));
      } else if (ok) {
        StartRead(&msg_);
      } else {
        Finish(grpc::Status::OK);
      }
    });
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Take() {
    if (msg_.has_header()) {
      if (upload_ != nullptr) {
        return absl::InvalidArgumentError("an upload has one header: send it first, then chunks");
      }
      absl::StatusOr<std::unique_ptr<TensorUpload>> u =
          service_->BeginUpload(principal_, msg_.header());
      if (!u.ok()) return u.status();
      upload_ = *std::move(u);
      return absl::OkStatus();
    }
    if (upload_ == nullptr) {
      return absl::InvalidArgumentError(
          "an upload starts with its header (session, shape, dtype): send it before any chunk");
    }
    return upload_->Append(msg_.chunk());
  }

  absl::Status Complete() {
    if (upload_ == nullptr) {
      return absl::InvalidArgumentError("the upload ended before its header: send a header");
    }
    absl::StatusOr<v1::CreateTensorResponse> r = upload_->Finish();
    if (!r.ok()) return r.status();
    *resp_ = *std::move(r);
    return absl::OkStatus();
  }

  TensorService* service_;
  ThreadPool* pool_;
  const std::string principal_;
  v1::CreateTensorResponse* resp_;
  v1::UploadRequest msg_;
  std::unique_ptr<TensorUpload> upload_;
};

class FetchReactor final : public grpc::ServerWriteReactor<v1::FetchChunk> {
 public:
  FetchReactor(TensorService* service, ThreadPool* pool, std::string principal,
               const v1::FetchRequest& req)
      : pool_(pool) {
    pool_->Schedule([this, service, principal = std::move(principal), req] {
      absl::StatusOr<std::unique_ptr<TensorDownload>> d = service->BeginDownload(principal, req);
      if (!d.ok()) {
        Fail(d.status());
        return;
      }
      download_ = *std::move(d);
      *chunk_.mutable_meta() = download_->meta();
      Next();
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading the data"));
      return;
    }
    if (download_->done()) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.clear_meta();
    pool_->Schedule([this] { Next(); });
  }

  void OnDone() override { delete this; }

 private:
  void Fail(const absl::Status& s) {
    LogFailure("FetchChunks", s);
    Finish(ToGrpcStatus(s));
  }

  // Writes the next chunk (the first carries the metadata, even when empty).
  void Next() {
    if (absl::Status s = download_->Next(kChunkBytes, chunk_.mutable_data()); !s.ok()) {
      Fail(s);
      return;
    }
    StartWrite(&chunk_);
  }

  ThreadPool* pool_;
  std::unique_ptr<TensorDownload> download_;
  v1::FetchChunk chunk_;
};

}  // namespace

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* GrpcService::Stream(
    grpc::CallbackServerContext* ctx) {
  return new StreamReactor(service_, pool_, PrincipalOf(ctx));
}

grpc::ServerReadReactor<v1::UploadRequest>* GrpcService::Upload(grpc::CallbackServerContext* ctx,
                                                                v1::CreateTensorResponse* resp) {
  return new UploadReactor(service_, pool_, PrincipalOf(ctx), resp);
}

grpc::ServerWriteReactor<v1::FetchChunk>* GrpcService::FetchChunks(grpc::CallbackServerContext* ctx,
                                                                   const v1::FetchRequest* req) {
  return new FetchReactor(service_, pool_, PrincipalOf(ctx), *req);
}

}  // namespace tensord::server
