#include "device/device.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tensord::device {

absl::StatusOr<Device> Device::Parse(absl::string_view text) {
  if (text == "cpu") return Device::Cpu();
  if (text == "cuda") return Device{Type::kCuda, 0};
  if (text.substr(0, 5) == "cuda:") {
    int index = 0;
    if (absl::SimpleAtoi(text.substr(5), &index) && index >= 0) return Device{Type::kCuda, index};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", text, "': use 'cpu', 'cuda' or 'cuda:N'"));
}

std::string Device::ToString() const {
  return type == Type::kCpu ? "cpu" : absl::StrCat("cuda:", index);
}

}  // namespace tensord::device
