// The client's one exception type: a failure the daemon (or the connection
// to it) reported, with its status code and message.
#ifndef TENSORD_CLIENT_ERROR_H_
#define TENSORD_CLIENT_ERROR_H_

#include <stdexcept>
#include <string>

namespace tensord::client {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message);
  // A grpc::StatusCode / absl::StatusCode value.
  int code() const { return code_; }
  // "NOT_FOUND", "INVALID_ARGUMENT", ...
  std::string code_name() const;

 private:
  int code_;
};

}  // namespace tensord::client

#endif  // TENSORD_CLIENT_ERROR_H_
