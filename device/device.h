// Where a tensor lives: "cpu" or "cuda:N".
#ifndef TENSORD_DEVICE_DEVICE_H_
#define TENSORD_DEVICE_DEVICE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace tensord::device {

struct Device {
  enum class Type { kCpu, kCuda };
  Type type = Type::kCpu;
  int index = 0;

  static Device Cpu() { return {}; }
  // "cpu", "cuda", "cuda:1".
  static absl::StatusOr<Device> Parse(absl::string_view text);
  std::string ToString() const;
  bool operator==(const Device&) const = default;
};

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_DEVICE_H_
