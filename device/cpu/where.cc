// CpuBackend::Where: out = cond ? a : b, elementwise over strided views.
#include "absl/status/status.h"
#include "device/cpu/cpu_backend.h"
#include "device/cpu/strided_loop.h"
#include "device/operand_checks.h"
#include "device/status_macros.h"

namespace tensord::device::cpu {

absl::Status CpuBackend::Where(const Tensor& cond, const Tensor& a, const Tensor& b,
                               const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckWhereOperands(cond, a, b, out));
  TD_ASSIGN_OR_RETURN(const HostView vc, Host(cond, "Where: cond"));
  TD_ASSIGN_OR_RETURN(const HostView va, Host(a, "Where: a"));
  TD_ASSIGN_OR_RETURN(const HostView vb, Host(b, "Where: b"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Where: out"));
  DispatchDType(out.dtype(), [&]<typename T>() {
    Map<T, bool, T, T>([](bool c, T x, T y) { return c ? x : y; }, vo, vc, va, vb);
  });
  return absl::OkStatus();
}

}  // namespace tensord::device::cpu
