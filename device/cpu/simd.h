// Runtime instruction-set dispatch for the hot loops. A function marked
// TENSORD_SIMD_CLONES is compiled for baseline x86-64, for AVX2 and for
// AVX-512; the loader picks the best the CPU runs, so a
// shipped binary vectorizes for the machine it lands on without
// -march=native. Everything such a function inlines is compiled for the
// clone's instruction set; what it calls out of line stays baseline. Kernels
// build with -ffp-contract=off, so every clone rounds exactly like the
// baseline and results do not depend on the CPU.
#ifndef TENSORD_DEVICE_CPU_SIMD_H_
#define TENSORD_DEVICE_CPU_SIMD_H_

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TENSORD_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TENSORD_SIMD_CLONES
#endif

#endif  // TENSORD_DEVICE_CPU_SIMD_H_
