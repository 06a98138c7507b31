/* Kernels for runtime tests, built as shared objects by the host C compiler
 * (no hexmoe-compile involved) and carried in test artifacts as CPU variants.
 * Each follows runtime/schema/kernel_abi.h; a workgroup handles the rows
 * [n*id/count, n*(id+1)/count), so any workgroup count covers every row.
 * HEXMOE_TEST_VARIANT tags each build so a test can tell which one ran. */
#include <stdint.h>
#include <string.h>

#include "runtime/schema/kernel_abi.h"

#ifndef HEXMOE_TEST_VARIANT
#define HEXMOE_TEST_VARIANT 0
#endif

#define KERNEL __attribute__((visibility("default"))) void

/* Each kernel's ABI record (kernel_abi.h): workgroups, tile, bindings, then
 * per binding element type (f32 0, bf16 1, i32 2, i64 3), rank and extents as
 * (static_size, dim, factor): D(f) is f * dims[0], S(n) the static size n. */
#define ABI(kernel, ...) \
  __attribute__((visibility("default"))) const int64_t hexmoe_abi_##kernel[] = {HEXMOE_KERNEL_ABI_VERSION, __VA_ARGS__};
#define D(f) 0, 0, f
#define S(n) n, -1, 1
ABI(hexmoe_test_add, 1, 2, 3, 0, 2, D(1), S(4), 0, 2, D(1), S(4), 0, 2, D(1), S(4))
ABI(hexmoe_test_scale2, 2, 4, 2, 0, 2, D(1), S(4), 0, 2, D(1), S(4))
ABI(hexmoe_test_pair_sum, 1, 1, 3, 0, 2, D(1), S(3), 0, 1, D(2), 0, 1, D(1))
ABI(hexmoe_test_dims_info, 1, 0, 1, 3, 1, S(2))
ABI(hexmoe_test_zero_i32, 1, 0, 1, 2, 1, D(1))
ABI(hexmoe_test_count_workgroups, 1, 1, 1, 2, 1, D(1))
ABI(hexmoe_test_double_i32, 3, 0, 1, 2, 1, D(1))
ABI(hexmoe_test_variant_tag, 1, 0, 1, 2, 1, S(1))
ABI(hexmoe_test_bf16_to_f32, 1, 64, 2, 1, 1, D(1), 0, 1, D(1))

static void rowRange(int64_t n, int64_t id, int64_t count, int64_t* begin, int64_t* end) {
  *begin = n * id / count;
  *end = n * (id + 1) / count;
}

/* t[T,4] = a[T,4] + b[T,4]; bindings a, b, t; dims T. */
KERNEL hexmoe_test_add(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  const float* a = (const float*)bindings[0];
  const float* b = (const float*)bindings[1];
  float* t = (float*)bindings[2];
  int64_t begin, end;
  rowRange(dims[0], id, count, &begin, &end);
  for (int64_t i = begin * 4; i < end * 4; ++i) t[i] = a[i] + b[i];
}

/* out[T,4] = 2 * t[T,4]; bindings t, out; dims T. */
KERNEL hexmoe_test_scale2(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  const float* t = (const float*)bindings[0];
  float* out = (float*)bindings[1];
  int64_t begin, end;
  rowRange(dims[0], id, count, &begin, &end);
  for (int64_t i = begin * 4; i < end * 4; ++i) out[i] = 2.0f * t[i];
}

/* out[T] = x[T,3] summed over its row + y[2t] + y[2t+1]; bindings x, y, out;
 * dims T, U. */
KERNEL hexmoe_test_pair_sum(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  const float* x = (const float*)bindings[0];
  const float* y = (const float*)bindings[1];
  float* out = (float*)bindings[2];
  int64_t begin, end;
  rowRange(dims[0], id, count, &begin, &end);
  for (int64_t t = begin; t < end; ++t)
    out[t] = x[3 * t] + x[3 * t + 1] + x[3 * t + 2] + y[2 * t] + y[2 * t + 1];
}

/* info[2] = {dims[0], dims[1]}; one workgroup. */
KERNEL hexmoe_test_dims_info(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  (void)id;
  (void)count;
  int64_t* info = (int64_t*)bindings[0];
  info[0] = dims[0];
  info[1] = dims[1];
}

/* counts[N] = 0; one workgroup. */
KERNEL hexmoe_test_zero_i32(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  (void)id;
  (void)count;
  memset(bindings[0], 0, (size_t)dims[0] * sizeof(int32_t));
}

/* counts[id] += 1, atomically, so a workgroup run twice shows as 2 even when
 * both runs race. Launched with N workgroups. */
KERNEL hexmoe_test_count_workgroups(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  (void)dims;
  (void)count;
  int32_t* counts = (int32_t*)bindings[0];
  __atomic_fetch_add(&counts[id], 1, __ATOMIC_RELAXED);
}

/* counts[N] *= 2; a dispatch after count_workgroups, to see the barrier. */
KERNEL hexmoe_test_double_i32(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  int32_t* counts = (int32_t*)bindings[0];
  int64_t begin, end;
  rowRange(dims[0], id, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i) counts[i] *= 2;
}

/* out[1] = the build's tag; one workgroup. */
KERNEL hexmoe_test_variant_tag(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  (void)dims;
  (void)id;
  (void)count;
  *(int32_t*)bindings[0] = HEXMOE_TEST_VARIANT;
}

/* out[N] f32 = x[N] bf16 widened; bindings x, out; dims N. */
KERNEL hexmoe_test_bf16_to_f32(void* const* bindings, const int64_t* dims, int64_t id, int64_t count) {
  const uint16_t* x = (const uint16_t*)bindings[0];
  uint32_t* out = (uint32_t*)bindings[1];
  int64_t begin, end;
  rowRange(dims[0], id, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i) out[i] = (uint32_t)x[i] << 16;
}
