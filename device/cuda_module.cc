// LoadCudaModule: finds libtensord_cuda.so, opens it and lets it register
// its backends. Nothing here includes CUDA headers, so tensord builds and
// runs on hosts without the toolkit; failures become FAILED_PRECONDITION
// with the file, the loader's or driver's message and what to do.
#include "device/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device/backend.h"
#include "device/cuda_module_entry.h"
#include "device/operand_checks.h"
#include "device/queue.h"
#include "device/registry.h"
#include "device/settings.h"

#ifndef TENSORD_HAVE_CUDA
#define TENSORD_HAVE_CUDA 0
#endif

namespace tensord::device {
namespace {

constexpr char kModuleName[] = "libtensord_cuda.so";

// The module binds at load time to tensord_device functions of the
// executable, which links tensord_device statically: an archive contributes
// only the objects something refers to, so this (never called) function
// refers to one symbol of every object the module uses. Whatever links the
// loader thus carries them; the executable must export them (ENABLE_EXPORTS).
[[gnu::used]] [[maybe_unused]] void ModuleImports(Backend& backend, const Tensor& t) {
  RegisterBackend(nullptr);
  (void)t.device().ToString();
  (void)DTypeName(t.dtype());
  (void)ShapeToString(t.shape());
  (void)Scalar(0).ToString();
  (void)t.is_contiguous();
  (void)CheckOperand(backend, t, "");
  (void)CurrentQueue();
  (void)AllowTf32();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string ExecutableDir() {
  std::string buf(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return ".";
  buf.resize(static_cast<size_t>(n));
  const size_t slash = buf.rfind('/');
  return slash == std::string::npos ? "." : buf.substr(0, slash);
}

absl::StatusOr<std::string> FindModule() {
  if (const char* env = std::getenv("TENSORD_CUDA_MODULE"); env != nullptr && *env != '\0') {
    if (Exists(env)) return std::string(env);
    return absl::FailedPreconditionError(
        absl::StrCat("TENSORD_CUDA_MODULE names ", env,
                     ", which does not exist: point it at the libtensord_cuda.so of this build "
                     "of tensord, or unset it to look beside the executable"));
  }
  const std::string dir = ExecutableDir();
  const std::vector<std::string> candidates = {absl::StrCat(dir, "/", kModuleName),
                                               absl::StrCat(dir, "/../lib/tensord/", kModuleName)};
  for (const std::string& c : candidates) {
    if (Exists(c)) return c;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no CUDA backend module: looked for ", absl::StrJoin(candidates, " and "), "; ",
      TENSORD_HAVE_CUDA ? "build the tensord_cuda target (it needs the CUDA toolkit) or set "
                          "TENSORD_CUDA_MODULE to the path of libtensord_cuda.so"
                        : "this tensord was built without CUDA (no toolkit found, or "
                          "-DTENSORD_CUDA=OFF): rebuild with the CUDA toolkit installed"));
}

// What to do about a dlopen failure, from its message.
std::string DlopenHint(const std::string& message) {
  if (absl::StrContains(message, "undefined symbol")) {
    return "the module and this executable come from different builds, or the executable was "
           "linked without ENABLE_EXPORTS (-rdynamic): rebuild them together";
  }
  if (absl::StrContains(message, "cannot open shared object file")) {
    return "install the CUDA runtime's cuBLAS libraries (libcublas.so.13, libcublasLt.so.13) "
           "or add their directory to LD_LIBRARY_PATH";
  }
  return "check that the file is the libtensord_cuda.so built with this tensord";
}

absl::StatusOr<int> Load() {
  absl::StatusOr<std::string> path = FindModule();
  if (!path.ok()) return path.status();
  ::dlerror();
  void* handle = ::dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    const std::string message = err != nullptr ? err : "unknown dlopen error";
    return absl::FailedPreconditionError(absl::StrCat("cannot load the CUDA backend module ", *path,
                                                      ": ", message, "; ", DlopenHint(message)));
  }
  // Never closed: the backends it registers live as long as the process.
  auto init = reinterpret_cast<CudaModuleInit>(::dlsym(handle, kCudaModuleEntry));
  if (init == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(*path, " is not a tensord CUDA backend module (it has no ", kCudaModuleEntry,
                     "): point TENSORD_CUDA_MODULE at libtensord_cuda.so"));
  }
  char error[1024] = {};
  const int n = init(kCudaModuleAbi, error, sizeof(error));
  if (n < 0) {
    error[sizeof(error) - 1] = '\0';
    return absl::FailedPreconditionError(absl::StrCat("CUDA backend module ", *path, ": ", error));
  }
  return n;
}

}  // namespace

absl::StatusOr<int> LoadCudaModule() {
  static const absl::StatusOr<int>* const result = new absl::StatusOr<int>(Load());
  return *result;
}

}  // namespace tensord::device
