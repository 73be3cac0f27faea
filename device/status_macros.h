// Early-return helpers for absl::Status and absl::StatusOr.
#ifndef TENSORD_DEVICE_STATUS_MACROS_H_
#define TENSORD_DEVICE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TD_CONCAT_INNER_(a, b) a##b
#define TD_CONCAT_(a, b) TD_CONCAT_INNER_(a, b)

// TD_ASSIGN_OR_RETURN(Type var, expr): declares var from a StatusOr or
// returns its error.
#define TD_ASSIGN_OR_RETURN(lhs, expr)                      \
  auto TD_CONCAT_(td_statusor_, __LINE__) = (expr);         \
  if (!TD_CONCAT_(td_statusor_, __LINE__).ok())             \
    return TD_CONCAT_(td_statusor_, __LINE__).status();     \
  lhs = *std::move(TD_CONCAT_(td_statusor_, __LINE__))

#define TD_RETURN_IF_ERROR(expr)                                        \
  do {                                                                  \
    if (absl::Status td_status_ = (expr); !td_status_.ok()) return td_status_; \
  } while (0)

#endif  // TENSORD_DEVICE_STATUS_MACROS_H_
