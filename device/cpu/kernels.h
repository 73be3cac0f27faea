// The CPU kernels behind CpuBackend, one per primitive. They take HostViews
// that the backend has already validated (shapes agree, memory in bounds)
// and report only dtype- and value-dependent errors.
#ifndef TENSORD_DEVICE_CPU_KERNELS_H_
#define TENSORD_DEVICE_CPU_KERNELS_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "device/cpu/host_view.h"
#include "device/generator.h"
#include "device/primitives.h"
#include "device/scalar.h"

namespace tensord::device::cpu {

// elementwise.cc
absl::Status FillKernel(const HostView& out, const Scalar& value);
absl::Status CopyKernel(const HostView& src, const HostView& out);
absl::Status UnaryKernel(UnaryOp op, const HostView& in, const HostView& out);
absl::Status BinaryKernel(BinaryOp op, const HostView& a, const HostView& b, const HostView& out);

// reduce.cc
absl::Status ReduceKernel(ReduceOp op, const HostView& in, std::span<const int64_t> dims,
                          const HostView& out);

// matmul.cc. out_aliases_input: out shares memory with a or b, so the
// product goes through a temporary.
absl::Status MatmulKernel(const HostView& a, const HostView& b, const HostView& out,
                          bool out_aliases_input);

// generate.cc
absl::Status ArangeKernel(const Scalar& start, const Scalar& step, const HostView& out);
absl::Status RandomKernel(RandomOp op, double p0, double p1, Generator& gen, const HostView& out);

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_KERNELS_H_
