// CpuBackend: host memory, operand validation, and the static registrar.
// Each primitive checks shapes and dtypes, turns its tensors into HostViews
// and hands them to a kernel (kernels.h).
#include "device/cpu/cpu_backend.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/checks.h"
#include "device/cpu/host_view.h"
#include "device/cpu/kernels.h"
#include "device/cpu/parallel.h"
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

absl::Status CheckSameShape(const Tensor& x, const Tensor& y, const char* what) {
  if (x.shape() == y.shape()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": shapes differ: ", ShapeToString(x.shape()), " vs ", ShapeToString(y.shape())));
}

absl::Status CheckDType(const Tensor& t, DType want, const char* what) {
  if (t.dtype() == want) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " has dtype ",
                                                 std::string(DTypeName(t.dtype())), ", expected ",
                                                 std::string(DTypeName(want))));
}

absl::Status CheckContiguous(const Tensor& t, const char* what) {
  if (t.is_contiguous()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " must be contiguous; got shape ",
                                                 ShapeToString(t.shape()), " and stride ",
                                                 ShapeToString(t.strides())));
}

absl::StatusOr<HostView> CpuBackend::Host(const Tensor& t, const char* what) const {
  if (!t.defined()) return absl::InvalidArgumentError(absl::StrCat(what, " is undefined"));
  if (&t.storage().backend() != this) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " lives on ", t.device().ToString(), ", not on the cpu backend"));
  }
  if (t.strides().size() != t.shape().size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has ", t.shape().size(), " dims but ",
                                                   t.strides().size(), " strides"));
  }
  const int64_t itemsize = static_cast<int64_t>(ItemSize(t.dtype()));
  char* base = static_cast<char*>(Data(t.storage()));
  bool empty = false;
  int64_t lo = t.offset(), hi = t.offset();  // element offsets reached
  bool overflow = false;
  for (size_t d = 0; d < t.shape().size(); ++d) {
    const int64_t size = t.shape()[d];
    if (size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has a negative size in ", ShapeToString(t.shape())));
    }
    if (size == 0) empty = true;
    int64_t span = 0;
    overflow |= __builtin_mul_overflow(size - 1, t.strides()[d], &span);
    overflow |= __builtin_add_overflow(span < 0 ? lo : hi, span, span < 0 ? &lo : &hi);
  }
  if (empty) return HostView{base, t.shape(), t.strides(), t.dtype()};
  int64_t end_byte = 0;
  overflow |= __builtin_mul_overflow(hi + 1, itemsize, &end_byte);
  if (overflow || lo < 0 || static_cast<uint64_t>(end_byte) > t.storage().nbytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (shape ", ShapeToString(t.shape()), ", stride ",
                     ShapeToString(t.strides()), ", offset ", t.offset(),
                     ") reaches outside its storage of ", t.storage().nbytes(), " bytes"));
  }
  return HostView{base + t.offset() * itemsize, t.shape(), t.strides(), t.dtype()};
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
  TD_RETURN_IF_ERROR(CheckSameShape(src, out, "Copy"));
  TD_ASSIGN_OR_RETURN(const HostView i, Host(src, "Copy: src"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Copy: out"));
  return CopyKernel(i, o);
}

absl::Status CpuBackend::Unary(UnaryOp op, const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckSameShape(in, out, "Unary"));
  TD_RETURN_IF_ERROR(CheckDType(out, in.dtype(), "Unary: out"));
  TD_ASSIGN_OR_RETURN(const HostView i, Host(in, "Unary: in"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Unary: out"));
  return UnaryKernel(op, i, o);
}

absl::Status CpuBackend::Binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckSameShape(a, out, "Binary (a, out)"));
  TD_RETURN_IF_ERROR(CheckSameShape(b, out, "Binary (b, out)"));
  TD_RETURN_IF_ERROR(CheckDType(b, a.dtype(), "Binary: b"));
  const DType out_dtype = WritesBool(op) ? DType::kBool : a.dtype();
  TD_RETURN_IF_ERROR(CheckDType(out, out_dtype, "Binary: out"));
  TD_ASSIGN_OR_RETURN(const HostView va, Host(a, "Binary: a"));
  TD_ASSIGN_OR_RETURN(const HostView vb, Host(b, "Binary: b"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Binary: out"));
  return BinaryKernel(op, va, vb, vo);
}

absl::Status CpuBackend::Reduce(ReduceOp op, const Tensor& in, std::span<const int64_t> dims,
                                const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckDType(out, in.dtype(), "Reduce: out"));
  Shape want = in.shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 || dims[i] >= in.dim() || (i > 0 && dims[i] <= dims[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat("Reduce: dims ", ShapeToString(dims),
                                                     " must be sorted, unique and within [0, ",
                                                     in.dim(), ")"));
    }
    want[dims[i]] = 1;
  }
  if (out.shape() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Reduce: out has shape ", ShapeToString(out.shape()), ", expected ", ShapeToString(want)));
  }
  TD_ASSIGN_OR_RETURN(const HostView i, Host(in, "Reduce: in"));
  TD_ASSIGN_OR_RETURN(const HostView o, Host(out, "Reduce: out"));
  return ReduceKernel(op, i, dims, o);
}

absl::Status CpuBackend::Matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  const bool ranks_ok = a.dim() == 3 && b.dim() == 3 && out.dim() == 3;
  if (!ranks_ok || a.shape()[0] != b.shape()[0] || a.shape()[2] != b.shape()[1] ||
      out.shape() != Shape{a.shape()[0], a.shape()[1], b.shape()[2]}) {
    return absl::InvalidArgumentError(
        absl::StrCat("Matmul: expected a [B, M, K], b [B, K, N], out [B, M, N]; got a ",
                     ShapeToString(a.shape()), ", b ", ShapeToString(b.shape()), ", out ",
                     ShapeToString(out.shape())));
  }
  TD_RETURN_IF_ERROR(CheckDType(b, a.dtype(), "Matmul: b"));
  TD_RETURN_IF_ERROR(CheckDType(out, a.dtype(), "Matmul: out"));
  TD_ASSIGN_OR_RETURN(const HostView va, Host(a, "Matmul: a"));
  TD_ASSIGN_OR_RETURN(const HostView vb, Host(b, "Matmul: b"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Matmul: out"));
  return MatmulKernel(va, vb, vo, out.SharesStorageWith(a) || out.SharesStorageWith(b));
}

absl::Status CpuBackend::Arange(const Scalar& start, const Scalar& step, const Tensor& out) {
  if (out.dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Arange: out must be 1-D, got shape ", ShapeToString(out.shape())));
  }
  TD_RETURN_IF_ERROR(CheckContiguous(out, "Arange: out"));
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
