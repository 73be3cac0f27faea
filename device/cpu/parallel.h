// The kernel thread pool. CPU kernels split large loops over a fixed set of
// threads sized to the cores; the calling thread takes part. One parallel
// region runs at a time: a kernel that starts while another request's kernel
// holds the pool (or from inside a region) runs on its own thread, so
// concurrent requests never oversubscribe the cores. OpenBLAS is given the
// same thread count, and its calls never overlap a region of ours.
#ifndef TENSORD_DEVICE_CPU_PARALLEL_H_
#define TENSORD_DEVICE_CPU_PARALLEL_H_

#include <cstdint>

#include "absl/functional/function_ref.h"

namespace tensord::device::cpu {

// Threads a parallel region uses, the caller included. Defaults to the
// TENSORD_NUM_THREADS environment variable if set, else the cores this
// process may run on.
int NumThreads();

// Sets the thread count (1 runs every kernel on the calling thread) and
// OpenBLAS's. Values below 1 mean "the cores this process may run on".
// Safe to call at any time; regions already running finish as they began.
void SetNumThreads(int threads);

// Calls fn(begin, end) over disjoint, ordered chunks that cover [0, n), each
// at least `grain` long (except when n itself is shorter), on up to
// NumThreads() threads, and returns when all are done. Chunk order across
// threads is unspecified, so fn must not depend on it.
void ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t, int64_t)> fn);

// Runs fn holding the pool (waiting while another region runs), for
// libraries that bring their own threads (OpenBLAS), so that they and our
// regions take turns on the cores.
void RunExclusive(absl::FunctionRef<void()> fn);

// Elements per chunk for memory-bound kernels: below about twice this, a
// loop runs on one thread, where waking another costs more than it saves.
inline constexpr int64_t kElementGrain = 32768;

}  // namespace tensord::device::cpu

#endif  // TENSORD_DEVICE_CPU_PARALLEL_H_
