// CpuBackend::Gather, Scatter, CountNonzero and Nonzero: the data-dependent
// indexing primitives. Every index value is bounds-checked before anything
// is written, so a bad index leaves `out` untouched.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "device/cpu/cpu_backend.h"
#include "device/cpu/host_view.h"
#include "device/cpu/strided_loop.h"
#include "device/operand_checks.h"
#include "device/status_macros.h"

namespace tensord::device::cpu {
namespace {

// The size of `t` along `dim`; a 0-dim tensor has one element along dim 0.
int64_t SizeAt(const Tensor& t, int64_t dim) { return t.dim() == 0 ? 1 : t.shape()[dim]; }
int64_t StrideAt(const Tensor& t, int64_t dim) { return t.dim() == 0 ? 0 : t.strides()[dim]; }

// INVALID_ARGUMENT naming the first value of `index` (row-major) outside
// [-size, size).
absl::Status CheckIndexValues(const HostView& index, int64_t dim, int64_t size) {
  bool bad = false;
  int64_t bad_value = 0;
  ForEachRow<1>(index.shape, {&index}, [&](const RowPtrs<1>& p, const RowSteps<1>& s, int64_t n) {
    for (int64_t j = 0; j < n && !bad; ++j) {
      const int64_t v = *reinterpret_cast<const int64_t*>(p[0] + j * s[0]);
      if (v < -size || v >= size) {
        bad = true;
        bad_value = v;
      }
    }
  });
  if (!bad) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "index ", bad_value, " is out of bounds for dimension ", dim, " with size ", size));
}

// `v` re-shaped to `shape` with a zero stride along dim: the element at a
// position is then the dim-0 element of that row, and index k is reached
// by stepping k * stride_along_dim.
HostView AlongDim(const HostView& v, std::span<const int64_t> shape, int64_t dim,
                  std::vector<int64_t>& strides) {
  strides.assign(v.strides.begin(), v.strides.end());
  if (!strides.empty()) strides[dim] = 0;
  return HostView{v.data, shape, strides, v.dtype};
}

template <typename T>
bool IsNonzero(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v) != 0.0f;
  } else {
    return v != T(0);
  }
}

template <typename T>
T AddElements(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a || b;
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(a) + static_cast<float>(b));
  } else {
    return static_cast<T>(a + b);
  }
}

}  // namespace

absl::Status CpuBackend::Gather(const Tensor& in, int64_t dim, const Tensor& index,
                                const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckIndexOperands("Gather", in, dim, index, out));
  TD_ASSIGN_OR_RETURN(const HostView vi, Host(in, "Gather: in"));
  TD_ASSIGN_OR_RETURN(const HostView vx, Host(index, "Gather: index"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Gather: out"));
  const int64_t size = SizeAt(in, dim);
  TD_RETURN_IF_ERROR(CheckIndexValues(vx, dim, size));
  std::vector<int64_t> strides;
  const HostView src = AlongDim(vi, out.shape(), dim, strides);
  const int64_t step = StrideAt(in, dim) * static_cast<int64_t>(ItemSize(in.dtype()));
  DispatchDType(out.dtype(), [&]<typename T>() {
    ForEachRow<3>(out.shape(), {&vo, &vx, &src},
                  [&](const RowPtrs<3>& p, const RowSteps<3>& s, int64_t n) {
                    for (int64_t j = 0; j < n; ++j) {
                      int64_t k = *reinterpret_cast<const int64_t*>(p[1] + j * s[1]);
                      if (k < 0) k += size;
                      *reinterpret_cast<T*>(p[0] + j * s[0]) =
                          *reinterpret_cast<const T*>(p[2] + j * s[2] + k * step);
                    }
                  });
  });
  return absl::OkStatus();
}

absl::Status CpuBackend::Scatter(ScatterMode mode, int64_t dim, const Tensor& index,
                                 const Tensor& src, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckIndexOperands("Scatter", out, dim, index, src));
  TD_ASSIGN_OR_RETURN(const HostView vs, Host(src, "Scatter: src"));
  TD_ASSIGN_OR_RETURN(const HostView vx, Host(index, "Scatter: index"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Scatter: out"));
  const int64_t size = SizeAt(out, dim);
  TD_RETURN_IF_ERROR(CheckIndexValues(vx, dim, size));
  std::vector<int64_t> strides;
  const HostView dst = AlongDim(vo, src.shape(), dim, strides);
  const int64_t step = StrideAt(out, dim) * static_cast<int64_t>(ItemSize(out.dtype()));
  const bool add = mode == ScatterMode::kAdd;
  DispatchDType(out.dtype(), [&]<typename T>() {
    ForEachRow<3>(src.shape(), {&dst, &vx, &vs},
                  [&](const RowPtrs<3>& p, const RowSteps<3>& s, int64_t n) {
                    for (int64_t j = 0; j < n; ++j) {
                      int64_t k = *reinterpret_cast<const int64_t*>(p[1] + j * s[1]);
                      if (k < 0) k += size;
                      T* o = reinterpret_cast<T*>(p[0] + j * s[0] + k * step);
                      const T v = *reinterpret_cast<const T*>(p[2] + j * s[2]);
                      *o = add ? AddElements(*o, v) : v;
                    }
                  });
  });
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CpuBackend::CountNonzero(const Tensor& in) {
  TD_ASSIGN_OR_RETURN(const HostView v, Host(in, "CountNonzero: in"));
  int64_t count = 0;
  DispatchDType(in.dtype(), [&]<typename T>() {
    ForEachRow<1>(v.shape, {&v}, [&](const RowPtrs<1>& p, const RowSteps<1>& s, int64_t n) {
      for (int64_t j = 0; j < n; ++j) {
        count += IsNonzero(*reinterpret_cast<const T*>(p[0] + j * s[0])) ? 1 : 0;
      }
    });
  });
  return count;
}

absl::Status CpuBackend::Nonzero(const Tensor& in, const Tensor& out) {
  TD_RETURN_IF_ERROR(CheckDType(out, DType::kInt64, "Nonzero: out"));
  TD_ASSIGN_OR_RETURN(const int64_t count, CountNonzero(in));
  TD_RETURN_IF_ERROR(CheckNonzeroOperands(in, count, out));
  TD_ASSIGN_OR_RETURN(const HostView v, Host(in, "Nonzero: in"));
  TD_ASSIGN_OR_RETURN(const HostView vo, Host(out, "Nonzero: out"));
  const int64_t rank = in.dim();
  int64_t* base = vo.as<int64_t>();
  int64_t linear = 0, row = 0;  // rows arrive in row-major order, so linear counts elements
  DispatchDType(in.dtype(), [&]<typename T>() {
    ForEachRow<1>(v.shape, {&v}, [&](const RowPtrs<1>& p, const RowSteps<1>& s, int64_t n) {
      for (int64_t j = 0; j < n; ++j, ++linear) {
        if (!IsNonzero(*reinterpret_cast<const T*>(p[0] + j * s[0]))) continue;
        int64_t rest = linear;
        for (int64_t d = rank - 1; d >= 0; --d) {
          base[row * vo.strides[0] + d * vo.strides[1]] = rest % in.shape()[d];
          rest /= in.shape()[d];
        }
        ++row;
      }
    });
  });
  return absl::OkStatus();
}

}  // namespace tensord::device::cpu
