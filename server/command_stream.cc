#include "server/command_stream.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/queue.h"
#include "device/status_macros.h"

namespace tensord::server {

namespace {

// What a command is called in error messages.
std::string Describe(const v1::Command& cmd) {
  switch (cmd.kind_case()) {
    case v1::Command::kExecute:
      return cmd.execute().op();
    case v1::Command::kCreate:
      return "create";
    case v1::Command::kRelease:
      return "release";
    case v1::Command::kFetch:
      return "fetch";
    case v1::Command::kDescribe:
      return "describe";
    case v1::Command::kSync:
      return "sync";
    case v1::Command::kBackward:
      return "backward";
    case v1::Command::kAutograd:
      return "autograd";
    case v1::Command::kSetGradMode:
      return "set_grad_mode";
    case v1::Command::kOptimizer:
      return "optimizer";
    case v1::Command::KIND_NOT_SET:
      break;
  }
  return "empty command";
}

// Barriers are answered whether or not the client asked.
bool AlwaysAnswered(const v1::Command& cmd) {
  return cmd.has_fetch() || cmd.has_describe() || cmd.has_sync();
}

// Calls fn on every tensor the command reads or changes in place.
template <typename Fn>
void ForEachInput(const v1::Command& cmd, Fn fn) {
  switch (cmd.kind_case()) {
    case v1::Command::kExecute:
      for (const v1::TensorRef& r : cmd.execute().inputs()) fn(r);
      if (cmd.execute().has_out()) fn(cmd.execute().out());
      break;
    case v1::Command::kFetch:
      fn(cmd.fetch().tensor());
      break;
    case v1::Command::kDescribe:
      fn(cmd.describe().tensor());
      break;
    case v1::Command::kBackward:
      fn(cmd.backward().tensor());
      if (cmd.backward().has_gradient()) fn(cmd.backward().gradient());
      break;
    case v1::Command::kAutograd:
      fn(cmd.autograd().tensor());
      if (cmd.autograd().has_set_grad()) fn(cmd.autograd().set_grad());
      break;
    case v1::Command::kOptimizer:
      for (const v1::TensorRef& r : cmd.optimizer().create().params()) fn(r);
      break;
    default:
      break;
  }
}

// Calls fn on the outputs a command binds. (A failed in-place op, out= or
// autograd change leaves its tensor as it was, as in PyTorch: users of that
// tensor run normally, and the client reports the failure at its next
// barrier.)
template <typename SpecFn>
void ForEachOutput(const v1::Command& cmd, SpecFn fn) {
  switch (cmd.kind_case()) {
    case v1::Command::kExecute:
      for (const v1::OutputSpec& o : cmd.execute().outputs()) fn(o);
      break;
    case v1::Command::kCreate:
      fn(cmd.create().output());
      break;
    case v1::Command::kAutograd:
      if (cmd.autograd().has_get_grad()) fn(cmd.autograd().get_grad());
      break;
    default:
      break;
  }
}

}  // namespace

uint64_t CommandStream::FailedSource(const v1::TensorRef& ref) const {
  if (ref.has_handle()) {
    auto it = failed_handles_.find(ref.handle());
    return it == failed_handles_.end() ? 0 : it->second;
  }
  auto it = failed_names_.find(ref.name());
  return it == failed_names_.end() ? 0 : it->second;
}

uint64_t CommandStream::FailedInputs(const v1::Command& cmd) const {
  if (failed_handles_.empty() && failed_names_.empty()) return 0;
  uint64_t root = 0;
  ForEachInput(cmd, [&](const v1::TensorRef& r) {
    if (root == 0) root = FailedSource(r);
  });
  return root;
}

void CommandStream::MarkFailed(const v1::Command& cmd, uint64_t root) {
  ForEachOutput(cmd, [&](const v1::OutputSpec& o) {
    if (o.handle() != 0) failed_handles_.emplace(o.handle(), root);
    if (!o.name().empty()) failed_names_.emplace(o.name(), root);
  });
}

void CommandStream::ClearOutputs(const v1::Command& cmd) {
  if (failed_handles_.empty() && failed_names_.empty()) return;
  ForEachOutput(cmd, [&](const v1::OutputSpec& o) {
    failed_handles_.erase(o.handle());
    failed_names_.erase(o.name());
  });
}

absl::Status CommandStream::RunOne(Session& s, const v1::Command& cmd, v1::CommandReply* reply) {
  TensorService& t = *service_;
  switch (cmd.kind_case()) {
    case v1::Command::kExecute: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_execute(), t.ExecuteLocked(s, cmd.execute()));
      break;
    }
    case v1::Command::kCreate: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_create(), t.CreateTensorLocked(s, cmd.create()));
      break;
    }
    case v1::Command::kRelease: {
      // Releasing what a failed command never bound only forgets it.
      v1::ReleaseRequest rest;
      int64_t forgotten = 0;
      for (const v1::TensorRef& r : cmd.release().tensors()) {
        if (FailedSource(r) != 0) {
          r.has_handle() ? failed_handles_.erase(r.handle()) : failed_names_.erase(r.name());
          ++forgotten;
        } else {
          *rest.add_tensors() = r;
        }
      }
      TD_ASSIGN_OR_RETURN(*reply->mutable_release(), t.ReleaseLocked(s, rest));
      reply->mutable_release()->set_released(reply->release().released() + forgotten);
      break;
    }
    case v1::Command::kFetch: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_fetch(), t.FetchLocked(s, cmd.fetch()));
      break;
    }
    case v1::Command::kDescribe: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_describe(), t.DescribeLocked(s, cmd.describe()));
      break;
    }
    case v1::Command::kSync:
      reply->mutable_sync();
      break;
    case v1::Command::kBackward: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_backward(), t.BackwardLocked(s, cmd.backward()));
      break;
    }
    case v1::Command::kAutograd: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_autograd(), t.AutogradLocked(s, cmd.autograd()));
      break;
    }
    case v1::Command::kSetGradMode: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_set_grad_mode(),
                          t.SetGradModeLocked(s, cmd.set_grad_mode()));
      break;
    }
    case v1::Command::kOptimizer: {
      TD_ASSIGN_OR_RETURN(*reply->mutable_optimizer(), t.OptimizerLocked(s, cmd.optimizer()));
      break;
    }
    case v1::Command::KIND_NOT_SET:
      return absl::InvalidArgumentError(
          "empty command: set one of execute, create, release, fetch, describe, sync, backward, "
          "autograd, set_grad_mode or optimizer");
  }
  return absl::OkStatus();
}

bool CommandStream::Cheap(const v1::StreamRequest& req) {
  constexpr int kMaxCommands = 16;
  constexpr int64_t kMaxBytes = int64_t{1} << 18;
  if (req.commands_size() > kMaxCommands) return false;
  const std::string& id = session_id_.empty() ? req.session_id() : session_id_;
  absl::StatusOr<std::shared_ptr<Session>> s = service_->sessions().Get(principal_, id);
  if (!s.ok()) return true;  // the error is cheap
  absl::MutexLock lock(&(*s)->mu());
  int64_t bytes = 0;
  auto add = [&](const v1::TensorRef& r) {
    absl::StatusOr<uint64_t> h = (*s)->Resolve(r);
    if (!h.ok()) return;
    absl::StatusOr<TensorEntry*> e = (*s)->Find(*h);
    if (e.ok()) bytes += static_cast<int64_t>((*e)->tensor.nbytes());
  };
  for (const v1::Command& cmd : req.commands()) {
    switch (cmd.kind_case()) {
      case v1::Command::kBackward:
      case v1::Command::kOptimizer:
        return false;
      case v1::Command::kExecute: {
        const v1::ExecuteRequest& e = cmd.execute();
        if (e.inputs_size() == 0) {
          // A factory: its size decides.
          auto it = e.attrs().find("size");
          if (it != e.attrs().end()) {
            int64_t n = 1;
            for (int64_t d : it->second.ints().values()) {
              if (d < 0 || (d > 0 && n > kMaxBytes / d)) return false;
              n *= d;
            }
            bytes += n * 8;
          }
        }
        ForEachInput(cmd, add);
        break;
      }
      case v1::Command::kCreate:
        bytes +=
            static_cast<int64_t>(cmd.create().literal().size() + cmd.create().data().raw().size());
        break;
      default:
        ForEachInput(cmd, add);
        break;
    }
    if (bytes > kMaxBytes) return false;
  }
  return true;
}

absl::StatusOr<v1::StreamResponse> CommandStream::Run(const v1::StreamRequest& req) {
  if (session_id_.empty()) {
    if (req.session_id().empty()) {
      return absl::InvalidArgumentError(
          "the first message of a stream names its session: set session_id");
    }
    session_id_ = req.session_id();
  } else if (!req.session_id().empty() && req.session_id() != session_id_) {
    return absl::InvalidArgumentError(absl::StrCat("this stream serves session ", session_id_,
                                                   ": open another stream for session ",
                                                   req.session_id()));
  }
  TD_ASSIGN_OR_RETURN(std::shared_ptr<Session> s,
                      service_->sessions().Get(principal_, session_id_));
  v1::StreamResponse resp;
  absl::MutexLock lock(&s->mu());
  device::ScopedQueue queue(s->queue_id());
  for (const v1::Command& cmd : req.commands()) {
    const uint64_t seq = next_seq_++;
    v1::CommandReply reply;
    if (const uint64_t root = FailedInputs(cmd); root != 0 && !cmd.has_release()) {
      MarkFailed(cmd, root);
      reply.set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
      reply.set_message(absl::StrCat(Describe(cmd), " depends on failed op ", root,
                                     ": fix the error of op ", root, " first"));
      reply.set_depends_on(root);
    } else if (absl::Status st = RunOne(*s, cmd, &reply); !st.ok()) {
      MarkFailed(cmd, seq);
      reply.Clear();
      reply.set_code(static_cast<int>(st.code()));
      reply.set_message(std::string(st.message()));
    } else {
      ClearOutputs(cmd);
      if (!cmd.want_reply() && !AlwaysAnswered(cmd)) continue;
    }
    reply.set_seq(seq);
    *resp.add_replies() = std::move(reply);
  }
  return resp;
}

}  // namespace tensord::server
