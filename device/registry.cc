#include "device/registry.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace tensord::device {
namespace {

struct Table {
  absl::Mutex mu;
  std::vector<std::unique_ptr<Backend>> backends ABSL_GUARDED_BY(mu);
};

Table& GetTable() {
  static Table* table = new Table;  // never destroyed: storages may outlive main
  return *table;
}

}  // namespace

void RegisterBackend(std::unique_ptr<Backend> backend) {
  Table& t = GetTable();
  absl::MutexLock lock(&t.mu);
  t.backends.push_back(std::move(backend));
}

absl::StatusOr<Backend*> FindBackend(Device d) {
  Table& t = GetTable();
  absl::MutexLock lock(&t.mu);
  std::vector<std::string> names;
  for (const auto& b : t.backends) {
    if (b->device() == d) return b.get();
    names.push_back(b->device().ToString());
  }
  return absl::NotFoundError(absl::StrCat("device ", d.ToString(),
                                          " is not available on this daemon; devices: ",
                                          absl::StrJoin(names, ", ")));
}

std::vector<Device> ListDevices() {
  Table& t = GetTable();
  absl::MutexLock lock(&t.mu);
  std::vector<Device> out;
  for (const auto& b : t.backends) out.push_back(b->device());
  return out;
}

}  // namespace tensord::device
