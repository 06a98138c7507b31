// hexmoe-bench: reference measurements that speed reports are normalised by.
//
//   hexmoe-bench stream [--threads=N] [--mb=M] [--reps=R]
//   hexmoe-bench fma [--threads=N] [--reps=R]
//
// fma prints the f32 fused multiply-add throughput of N threads (the compute
// roof of prefill and batched decode) as `fma_gflops=... isa=...`: 12
// (AVX2) or 24 (AVX-512) independent accumulator chains per thread, each
// FMA counted as two flops, best of R repetitions of about 0.2 s. It is
// measured, not computed from a nominal clock: virtual machines and boost
// clocks make the data-sheet figure wrong.
//
// prints the read-only streaming bandwidth (a sum over M MB with independent
// vector accumulators per thread, one sequential stream or four interleaved
// ones, whichever is faster: the roof of bandwidth-bound MoE decode, which
// only reads weights) and the STREAM triad bandwidth beside it, as
// `read_gbps=... triad_gbps=...`. Code paths are chosen at run time for the
// host's ISA (AVX-512, AVX2, or the x86-64 baseline); nothing assumes the
// build machine's CPU.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Sum of `n` floats with 16 independent partial sums, so the loop is limited
/// by loads rather than by the latency of one dependency chain.
__attribute__((target_clones("avx512f", "avx2", "default"))) float sumFloats(const float* p,
                                                                              size_t n) {
  float acc[16] = {0};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
  float s = 0;
  for (; i < n; ++i) s += p[i];
  for (float a : acc) s += a;
  return s;
}

/// The same over four interleaved streams (quarters of the range read side by
/// side), as an expert kernel reads several weight rows at once: more
/// streams in flight per core than one sequential pass keeps.
__attribute__((target_clones("avx512f", "avx2", "default"))) float sumFloats4(const float* p,
                                                                               size_t n) {
  const size_t q = n / 4;
  const float *a = p, *b = p + q, *c = p + 2 * q, *d = p + 3 * q;
  float acc[4][8] = {{0}};
  size_t i = 0;
  for (; i + 8 <= q; i += 8)
    for (int j = 0; j < 8; ++j) {
      acc[0][j] += a[i + j];
      acc[1][j] += b[i + j];
      acc[2][j] += c[i + j];
      acc[3][j] += d[i + j];
    }
  float s = 0;
  for (size_t k = 4 * i; k < n; ++k) s += p[k];  // covers the tails of all quarters
  for (auto& row : acc)
    for (float v : row) s += v;
  return s;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void triad(float* a, const float* b,
                                                                         const float* c, size_t n,
                                                                         float q) {
  for (size_t i = 0; i < n; ++i) a[i] = b[i] + q * c[i];
}

/// `iters` rounds of 12 independent 8-lane FMA chains; returns a value that
/// depends on every chain so the loop is not removed.
__attribute__((target("avx2,fma"))) float fmaChainsAvx2(long iters) {
  __m256 acc[12];
  for (int j = 0; j < 12; ++j) acc[j] = _mm256_set1_ps(1e-3f * static_cast<float>(j));
  const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-4f);
  for (long i = 0; i < iters; ++i)
    for (int j = 0; j < 12; ++j) acc[j] = _mm256_fmadd_ps(acc[j], m, c);
  __m256 s = acc[0];
  for (int j = 1; j < 12; ++j) s = _mm256_add_ps(s, acc[j]);
  return _mm256_cvtss_f32(s);
}

/// The same with 24 chains of 16 lanes.
__attribute__((target("avx512f"))) float fmaChainsAvx512(long iters) {
  __m512 acc[24];
  for (int j = 0; j < 24; ++j) acc[j] = _mm512_set1_ps(1e-3f * static_cast<float>(j));
  const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-4f);
  for (long i = 0; i < iters; ++i)
    for (int j = 0; j < 24; ++j) acc[j] = _mm512_fmadd_ps(acc[j], m, c);
  __m512 s = acc[0];
  for (int j = 1; j < 24; ++j) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Runs `body(thread, begin, end)` on `threads` threads over [0, n) and
/// returns the wall time.
template <typename F>
double parallel(int threads, size_t n, F body) {
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  double start = 0;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) {
      }
      size_t chunk = (n + threads - 1) / threads;
      size_t b = std::min(n, t * chunk), e = std::min(n, b + chunk);
      body(t, b, e);
    });
  }
  while (ready.load() != threads) {
  }
  start = seconds();
  go.store(true);
  for (auto& th : pool) th.join();
  return seconds() - start;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s stream [--threads=N] [--mb=M] [--reps=R]\n"
               "  read-only streaming bandwidth (sum over M MB, default 1024) and STREAM triad,\n"
               "  with N threads (default 2); prints the best of R repetitions (default 5)\n"
               "       %s fma [--threads=N] [--reps=R]\n"
               "  f32 fused multiply-add throughput of N threads (AVX-512 or AVX2, whichever\n"
               "  the host has), best of R repetitions\n",
               argv0, argv0);
  return 2;
}

int fmaPeak(int threads, int reps) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::fprintf(stderr, "hexmoe-bench: fma needs AVX2 and FMA, which this CPU lacks\n");
    return 1;
  }
  const double lanes = avx512 ? 24 * 16 : 12 * 8;
  auto chains = [&](long iters) { return avx512 ? fmaChainsAvx512(iters) : fmaChainsAvx2(iters); };
  // Calibrate one thread to about 0.2 s.
  long iters = 1 << 20;
  for (;;) {
    double t0 = seconds();
    volatile float sink = chains(iters);
    (void)sink;
    if (seconds() - t0 > 0.05 || iters > (1L << 34)) break;
    iters *= 2;
  }
  iters *= 4;
  std::vector<float> sink(threads);
  double best = 1e30;
  for (int r = 0; r < reps; ++r)
    best = std::min(best, parallel(threads, static_cast<size_t>(threads), [&](int t, size_t lo, size_t hi) {
                      if (lo < hi) sink[t] = chains(iters);
                    }));
  const double flops = 2.0 * lanes * static_cast<double>(iters) * threads;
  std::printf("threads=%d fma_gflops=%.1f isa=%s (checksum %g)\n", threads, flops / best / 1e9,
              avx512 ? "avx512" : "avx2", static_cast<double>(sink[0]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool fma = argc >= 2 && std::strcmp(argv[1], "fma") == 0;
  if (argc < 2 || (!fma && std::strcmp(argv[1], "stream") != 0)) return usage(argv[0]);
  int threads = 2, reps = 5;
  size_t mb = 1024;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--threads=", 0) == 0) threads = std::atoi(a.c_str() + 10);
    else if (a.rfind("--mb=", 0) == 0) mb = std::strtoull(a.c_str() + 5, nullptr, 10);
    else if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
    else if (a == "--help" || a == "-h") return usage(argv[0]), 0;
    else {
      std::fprintf(stderr, "hexmoe-bench: unknown option '%s'\n", a.c_str());
      return usage(argv[0]);
    }
  }
  if (threads < 1 || reps < 1 || mb < 16) return usage(argv[0]);
  if (fma) return fmaPeak(threads, reps);
  const size_t n = mb * (1u << 20) / sizeof(float);
  std::vector<float> a(n), b(n), c(n);
  // First touch by the threads that read, so pages spread like the workload's.
  parallel(threads, n, [&](int, size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) a[i] = 1.0f, b[i] = 2.0f, c[i] = 0.5f;
  });
  std::vector<float> sink(threads);
  double bestRead = 1e30, bestTriad = 1e30;
  for (int r = 0; r < reps; ++r) {
    bestRead = std::min(bestRead, parallel(threads, n, [&](int t, size_t lo, size_t hi) {
                          sink[t] += sumFloats(a.data() + lo, hi - lo);
                        }));
    bestRead = std::min(bestRead, parallel(threads, n, [&](int t, size_t lo, size_t hi) {
                          sink[t] += sumFloats4(a.data() + lo, hi - lo);
                        }));
    bestTriad = std::min(bestTriad, parallel(threads, n, [&](int, size_t lo, size_t hi) {
                           triad(a.data() + lo, b.data() + lo, c.data() + lo, hi - lo, 3.0f);
                         }));
  }
  double bytes = static_cast<double>(n) * sizeof(float);
  std::printf("threads=%d mb=%zu read_gbps=%.2f triad_gbps=%.2f (checksum %g)\n", threads, mb,
              bytes / bestRead / 1e9, 3 * bytes / bestTriad / 1e9, sink[0]);
  return 0;
}
