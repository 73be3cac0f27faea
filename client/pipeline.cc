#include "client/pipeline.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/error.h"

namespace tensord::client {

namespace {
constexpr int kUnavailable = static_cast<int>(grpc::StatusCode::UNAVAILABLE);
constexpr int kFailedPrecondition = static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION);
}  // namespace

Pipeline::Pipeline(v1::Tensord::Stub* stub, std::string session_id)
    : stub_(stub), session_id_(std::move(session_id)) {}

Pipeline::~Pipeline() { Close(); }

void Pipeline::StartLocked() {
  if (started_) return;
  started_ = true;
  ctx_ = std::make_unique<grpc::ClientContext>();
  stream_ = stub_->Stream(ctx_.get());
  writer_ = std::thread(&Pipeline::WriterLoop, this);
}

uint64_t Pipeline::EnqueueLocked(v1::Command cmd) {
  if (broken_code_ != 0) throw Error(broken_code_, broken_message_);
  if (closing_) {
    throw Error(kFailedPrecondition, "the session was closed: open a new one to run more ops");
  }
  StartLocked();
  *pending_.add_commands() = std::move(cmd);
  last_release_index_ = UINT64_MAX;
  if (++pending_ops_ >= kMaxQueuedOps) urgent_ = true;
  return next_seq_++;
}

uint64_t Pipeline::Send(v1::Command cmd) {
  absl::MutexLock l(&mu_);
  const uint64_t seq = EnqueueLocked(std::move(cmd));
  last_send_ = absl::Now();
  // A polling writer sends the op unless a barrier or more ops come first
  // (an op and the sync after it then cost one message). A sleeping writer
  // would cost a wake-up before the op leaves, so the op goes out from this
  // thread and the writer starts polling for the ops that may follow.
  if (!writer_polling_) {
    wake_writer_ = true;
    FlushLocked();
  }
  return seq;
}

void Pipeline::Release(uint64_t handle) noexcept {
  absl::MutexLock l(&mu_);
  if (broken_code_ != 0 || closing_ || !started_) return;
  // Releases ride along with the next batch; only a long list of them is
  // worth a message of its own.
  if (++pending_releases_ >= kMaxLazyReleases) urgent_ = true;
  if (last_release_index_ < static_cast<uint64_t>(pending_.commands_size())) {
    pending_.mutable_commands(static_cast<int>(last_release_index_))
        ->mutable_release()
        ->add_tensors()
        ->set_handle(handle);
    return;
  }
  v1::Command cmd;
  cmd.mutable_release()->add_tensors()->set_handle(handle);
  *pending_.add_commands() = std::move(cmd);
  ++next_seq_;
  last_release_index_ = static_cast<uint64_t>(pending_.commands_size() - 1);
}

void Pipeline::WriteBatch(v1::StreamRequest* batch) {
  batch->Swap(&pending_);
  last_release_index_ = UINT64_MAX;
  urgent_ = false;
  pending_ops_ = 0;
  pending_releases_ = 0;
  if (!sent_session_) {
    batch->set_session_id(session_id_);
    sent_session_ = true;
  }
  writing_ = true;
  mu_.Unlock();
  // A failed write means the stream ended: the next reader learns why.
  const bool ok = stream_->Write(*batch);
  mu_.Lock();
  writing_ = false;
  if (!ok) write_failed_ = true;
}

void Pipeline::FlushLocked() {
  if (writing_ || pending_.commands_size() == 0 || read_done_ || write_failed_) return;
  v1::StreamRequest batch;
  WriteBatch(&batch);
}

void Pipeline::WriterLoop() {
  mu_.Lock();
  // What queued while the writer was writing goes out at once.
  bool wrote = false;
  for (;;) {
    if (!wrote) {
      writer_polling_ = absl::Now() - last_send_ < kActiveSpell;
      wake_writer_ = false;
      const absl::Condition ready(
          +[](Pipeline* p) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return p->read_done_ || p->write_failed_ || p->wake_writer_ ||
                   (!p->writing_ &&
                    (p->urgent_ || p->closing_ || (!p->writer_polling_ && p->pending_ops_ > 0)));
          },
          this);
      if (writer_polling_) {
        mu_.AwaitWithTimeout(ready, kPollInterval);
      } else {
        mu_.Await(ready);
      }
    }
    if (read_done_ || write_failed_) break;
    if (writing_) {
      wrote = false;
      continue;
    }
    if (closing_ && pending_.commands_size() == 0) break;  // everything was sent
    wrote = pending_ops_ > 0 || urgent_ || closing_;
    if (wrote) {
      v1::StreamRequest batch;
      WriteBatch(&batch);
    }
  }
  const bool half_close = !read_done_ && !write_failed_;
  mu_.Unlock();
  if (half_close) stream_->WritesDone();
  mu_.Lock();
  writer_done_ = true;
  mu_.Unlock();
}

void Pipeline::ReadOnceLocked() {
  reading_ = true;
  mu_.Unlock();
  v1::StreamResponse resp;
  const bool ok = stream_->Read(&resp);
  mu_.Lock();
  reading_ = false;
  if (!ok) {
    EndLocked();
    return;
  }
  for (v1::CommandReply& r : *resp.mutable_replies()) {
    if (r.code() != 0) failures_.push_back({r.seq(), r.code(), r.message()});
    const uint64_t seq = r.seq();
    if (awaited_.contains(seq)) replies_[seq] = std::make_unique<v1::CommandReply>(std::move(r));
  }
}

void Pipeline::EndLocked() {
  read_done_ = true;
  mu_.Await(absl::Condition(&writer_done_));
  mu_.Unlock();
  const grpc::Status s = stream_->Finish();
  mu_.Lock();
  if (!s.ok()) {
    broken_code_ = s.error_code();
    broken_message_ = absl::StrCat("the stream to tensord broke: ", s.error_message(),
                                   " (is the daemon still running? open a new session)");
  } else if (!closing_) {
    broken_code_ = kUnavailable;
    broken_message_ = "tensord ended the session's stream: open a new session";
  } else {
    broken_code_ = kFailedPrecondition;
    broken_message_ = "the session was closed: open a new one to run more ops";
  }
}

bool Pipeline::AwaitLocked(uint64_t seq) {
  struct Wait {
    Pipeline* p;
    uint64_t seq;
  } wait{this, seq};
  for (;;) {
    if ((seq != 0 && replies_.contains(seq)) || broken_code_ != 0)
      return broken_code_ == 0 || replies_.contains(seq);
    // The waiting thread reads the replies itself (no hand-off from a reader
    // thread); another waiter may be reading already.
    if (!reading_ && !read_done_) {
      ReadOnceLocked();
      continue;
    }
    mu_.Await(absl::Condition(
        +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          Pipeline* p = w->p;
          return (w->seq != 0 && p->replies_.contains(w->seq)) || p->broken_code_ != 0 ||
                 (!p->reading_ && !p->read_done_);
        },
        &wait));
  }
}

void Pipeline::ThrowFailuresLocked(uint64_t seq) {
  if (failures_.empty() || failures_.front().seq > seq) return;
  Failure first = failures_.front();
  size_t n = 0;
  while (n < failures_.size() && failures_[n].seq <= seq) ++n;
  failures_.erase(failures_.begin(), failures_.begin() + static_cast<ptrdiff_t>(n));
  if (first.seq != seq) {
    absl::StrAppend(&first.message, " (raised by op #", first.seq,
                    " of this session's stream: a pipelined op's error surfaces at the next "
                    "fetch, item or sync)");
  }
  throw Error(first.code, first.message);
}

v1::CommandReply Pipeline::Call(v1::Command cmd) {
  absl::MutexLock l(&mu_);
  cmd.set_want_reply(true);
  const uint64_t seq = EnqueueLocked(std::move(cmd));
  urgent_ = true;  // if a write is in flight, the writer sends it next
  awaited_.insert(seq);
  FlushLocked();
  AwaitLocked(seq);
  awaited_.erase(seq);
  auto it = replies_.find(seq);
  if (it == replies_.end()) throw Error(broken_code_, broken_message_);
  v1::CommandReply reply = std::move(*it->second);
  replies_.erase(it);
  ThrowFailuresLocked(seq);
  return reply;
}

void Pipeline::Sync() {
  v1::Command cmd;
  cmd.mutable_sync();
  Call(std::move(cmd));
}

void Pipeline::Close() {
  {
    absl::MutexLock l(&mu_);
    if (closing_) return;
    closing_ = true;
    if (!started_) return;
    // The writer sends what is queued and half-closes; read (and drop) the
    // replies until the daemon has run everything and ends the stream.
    AwaitLocked(0);
  }
  writer_.join();
}

}  // namespace tensord::client
