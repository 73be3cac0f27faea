// The process-wide table of backends, one per device. Backends register
// themselves at start-up (see device/cpu); lookups are thread-safe.
#ifndef TENSORD_DEVICE_REGISTRY_H_
#define TENSORD_DEVICE_REGISTRY_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "device/backend.h"
#include "device/device.h"

namespace tensord::device {

// Takes ownership for the life of the process.
void RegisterBackend(std::unique_ptr<Backend> backend);
// NOT_FOUND naming the devices there are when `d` has no backend.
absl::StatusOr<Backend*> FindBackend(Device d);
std::vector<Device> ListDevices();

}  // namespace tensord::device

#endif  // TENSORD_DEVICE_REGISTRY_H_
