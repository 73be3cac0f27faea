// Minimal leveled logging to stderr, one line per event with a timestamp:
// "2026-11-27T12:00:00.123Z WARN  Execute: NOT_FOUND: unknown op 'foo'".
#ifndef TENSORD_SERVER_LOG_H_
#define TENSORD_SERVER_LOG_H_

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace tensord::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn", "error".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
void SetLogLevel(LogLevel level);
void Log(LogLevel level, absl::string_view message);

}  // namespace tensord::server

#endif  // TENSORD_SERVER_LOG_H_
