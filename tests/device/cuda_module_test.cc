// LoadCudaModule on this host: every way of not finding or not being able
// to use the CUDA module is a FAILED_PRECONDITION that says which file and
// what to do, never a crash. Each case runs in a child process, because the
// loader answers once per process. With the module of this build and no
// NVIDIA driver, it loads (every symbol it needs is exported by this
// executable) and reports the driver's error, or 0 devices.
#include "device/cuda_module.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "device/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::device {
namespace {

using ::testing::ExitedWithCode;

// Loads with TENSORD_CUDA_MODULE set to `env` (unset if null) and prints
// the outcome to stderr, for the parent to match.
void LoadAndReport(const char* env) {
  if (env == nullptr) {
    ::unsetenv("TENSORD_CUDA_MODULE");
  } else {
    ::setenv("TENSORD_CUDA_MODULE", env, 1);
  }
  absl::StatusOr<int> n = LoadCudaModule();
  absl::StatusOr<int> again = LoadCudaModule();
  if (n.ok() != again.ok() || n.status() != again.status()) {
    std::fprintf(stderr, "second call differs\n");
    std::exit(3);
  }
  if (n.ok()) {
    int cuda = 0;
    for (const Device d : ListDevices()) cuda += d.type == Device::Type::kCuda ? 1 : 0;
    std::fprintf(stderr, "%d device(s), %s\n", *n, cuda == *n ? "all registered" : "MISSING");
  } else {
    std::fprintf(stderr, "%s\n", n.status().ToString().c_str());
  }
  std::exit(0);
}

class CudaModule : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(CudaModule, MissingFileNamedByTheEnvironment) {
  EXPECT_EXIT(LoadAndReport("/nonexistent/libtensord_cuda.so"), ExitedWithCode(0),
              "FAILED_PRECONDITION: TENSORD_CUDA_MODULE names /nonexistent/libtensord_cuda.so, "
              "which does not exist: point it at the libtensord_cuda.so of this build of "
              "tensord, or unset it");
}

TEST_F(CudaModule, NotBesideTheExecutable) {
  // Test binaries live where neither ./ nor ../lib/tensord holds the module.
  EXPECT_EXIT(LoadAndReport(nullptr), ExitedWithCode(0),
              "FAILED_PRECONDITION: no CUDA backend module: looked for "
              ".*/libtensord_cuda.so and .*/../lib/tensord/libtensord_cuda.so; ");
}

TEST_F(CudaModule, NotASharedLibrary) {
  const std::string path = ::testing::TempDir() + "/not_a_module.so";
  std::ofstream(path) << "just text\n";
  EXPECT_EXIT(LoadAndReport(path.c_str()), ExitedWithCode(0),
              "FAILED_PRECONDITION: cannot load the CUDA backend module .*not_a_module.so: ");
}

TEST_F(CudaModule, ALibraryWithoutTheEntryPoint) {
  Dl_info info;
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(static_cast<double (*)(double)>(&::cos)), &info), 0);
  EXPECT_EXIT(LoadAndReport(info.dli_fname), ExitedWithCode(0),
              "FAILED_PRECONDITION: .* is not a tensord CUDA backend module \\(it has no "
              "tensord_cuda_module_init\\)");
}

#ifdef TENSORD_CUDA_MODULE_PATH
// The module of this build loads; on a host without a driver its devices
// count fails with the driver's reason, on a GPU host it registers them.
TEST_F(CudaModule, ThisBuildsModuleLoads) {
  EXPECT_EXIT(LoadAndReport(TENSORD_CUDA_MODULE_PATH), ExitedWithCode(0),
              "([0-9]+ device\\(s\\), all registered|FAILED_PRECONDITION: CUDA backend module "
              ".*libtensord_cuda.so: cudaGetDeviceCount failed: .*NVIDIA driver)");
}
#endif

}  // namespace
}  // namespace tensord::device
