// CpuBackend: host memory, operand validation, and the static registrar.
// Each primitive checks shapes and dtypes, turns its tensors into HostViews
// and hands them to a kernel (kernels.h).
#include "device/cpu/cpu_backend.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/host_view.h"
#include "device/cpu/kernels.h"
#include "device/cpu/parallel.h"
#include "device/operand_checks.h"
#include "device/registry.h"
#include "device/status_macros.h"

namespace tensord::device::cpu {
namespace {

bool RegisterCpuBackend() {
  static const bool registered = [] {
    RegisterBackend(std::make_unique<CpuBackend>());
    return true;
  }();
  return registered;
}

[[maybe_unused]] const bool kCpuBackendRegistered = RegisterCpuBackend();

}  // namespace

absl::StatusOr<HostView> CpuBackend::Host(const Tensor& t, const char* what) const {
  TD_ASSIGN_OR_RETURN(char* data, OperandData(t, what));
  return HostView{data, t.shape(), t.strides(), t.dtype()};
}

std::string CpuBackend::description() const {
  std::string model;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 1);
      model.erase(0, model.find_first_not_of(' '));
      break;
    }
  }
  const std::string cores = absl::StrCat(std::thread::hardware_concurrency(), " logical cores");
  return model.empty() ? cores : absl::StrCat(model, ", ", cores);
}

int64_t CpuBackend::total_bytes() const {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

absl::StatusOr<std::shared_ptr<Storage>> CpuBackend::Allocate(size_t nbytes) {
  void* ptr = allocator_.Allocate(nbytes);
  if (ptr == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("out of host memory allocating ", nbytes,
                                                     " bytes: free tensors or lower the size"));
  }
  return std::make_shared<Storage>(this, ptr, nbytes);
}

void CpuBackend::Free(void* ptr, size_t nbytes) { allocator_.Free(ptr, nbytes); }

MemoryStats CpuBackend::memory_stats() const { return allocator_.stats(); }

void CpuBackend::EmptyCache() { allocator_.EmptyCache(); }

namespace {
// A large copy split over the kernel threads (one memcpy stream does not
// reach the memory bandwidth of several cores).
void ParallelMemcpy(void* dst, const void* src, size_t n) {
  constexpr int64_t kGrain = int64_t{4} << 20;
  ParallelFor(static_cast<int64_t>(n), kGrain, [&](int64_t begin, int64_t end) {
    std::memcpy(static_cast<char*>(dst) + begin, static_cast<const char*>(src) + begin,
                static_cast<size_t>(end - begin));
  });
}
}  // namespace

absl::Status CpuBackend::CopyFromHost(const void* src, const Tensor& dst) {
  TD_RETURN_IF_ERROR(CheckContiguous(dst, "CopyFromHost: dst"));
  TD_ASSIGN_OR_RETURN(const HostView view, Host(dst, "CopyFromHost: dst"));
  if (dst.nbytes() > 0) ParallelMemcpy(view.data, src, dst.nbytes());
  return absl::OkStatus();
}

absl::Status CpuBackend::CopyToHost(const Tensor& src, void* dst) {
  TD_RETURN_IF_ERROR(CheckContiguous(src, "CopyToHost: src"));
  TD_ASSIGN_OR_RETURN(const HostView view, Host(src, "CopyToHost: src"));
  if (src.nbytes() > 0) ParallelMemcpy(dst, view.data, src.nbytes());
  return absl::OkStatus();
}

absl::Status CpuBackend::Fill(const Tensor& out, const Scalar& value) {
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Fill: out"));
  return FillKernel(o, value);
}

absl::Status CpuBackend::Copy(const Tensor& src, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckCopyOperands(src, out));
  TD_ASSIGN_OR_RETURN(const HostView i, Host(src, "Copy: src"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Copy: out"));
  return CopyKernel(i, o);
}

absl::Status CpuBackend::Unary(UnaryOp op, const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckUnaryOperands(in, out));
  TD_ASSIGN_OR_RETURN(const HostView i, Host(in, "Unary: in"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Unary: out"));
  return UnaryKernel(op, i, o);
}

absl::Status CpuBackend::Binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckBinaryOperands(op, a, b, out));
  TD_ASSIGN_OR_RETURN(const HostView va, Host(a, "Binary: a"));
  TD_ASSIGN_OR_RETURN(const HostView vb, Host(b, "Binary: b"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Binary: out"));
  return BinaryKernel(op, va, vb, vo);
}

absl::Status CpuBackend::Reduce(ReduceOp op, const Tensor& in, std::span<const int64_t> dims,
                                const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckReduceOperands(in, dims, out));
  TD_ASSIGN_OR_RETURN(const HostView i, Host(in, "Reduce: in"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Reduce: out"));
  return ReduceKernel(op, i, dims, o);
}

absl::Status CpuBackend::Matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckMatmulOperands(a, b, out));
  TD_ASSIGN_OR_RETURN(const HostView va, Host(a, "Matmul: a"));
  TD_ASSIGN_OR_RETURN(const HostView vb, Host(b, "Matmul: b"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Matmul: out"));
  return MatmulKernel(va, vb, vo, out.SharesStorageWith(a) || out.SharesStorageWith(b));
}

absl::Status CpuBackend::Arange(const Scalar& start, const Scalar& step, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckArangeOperands(out));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Arange: out"));
  return ArangeKernel(start, step, o);
}

absl::Status CpuBackend::Random(RandomOp op, double p0, double p1, Generator& gen,
                                const Tensor& out) {
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Random: out"));
  return RandomKernel(op, p0, p1, gen, o);
}

Backend& CpuBackendInstance() {
  RegisterCpuBackend();
  static Backend* const instance = *FindBackend(Device::Cpu());
  return *instance;
}

}  // namespace tensord::device::cpu
