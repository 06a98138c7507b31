/* CPU + OpenCL in one runtime, from C: an artifact compiled with
 * --target=cpu,opencl loads on both devices; the same call on cpu:0 and (with
 * its inputs copied there) on opencl:0 gives the same result; the OpenCL
 * device refuses a CPU tensor in place, naming the copy that is needed.
 * Exits 77 (skipped, with the reason) where no OpenCL device opens. */
#include <hexmoe/hexmoe.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    hexmoe_status_t s_ = (call);                                               \
    if (s_) {                                                                  \
      fprintf(stderr, "FAIL: %s: %s\n", #call, hexmoe_status_message(s_));    \
      hexmoe_status_free(s_);                                                  \
      return 1;                                                                \
    }                                                                          \
  } while (0)

enum { kT = 5, kH = 256, kI = 512, kE = 8, kArgs = 5 };

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MIXTRAL-cpu,opencl.hxm\n", argv[0]);
    return 2;
  }
  hexmoe_runtime_options_t options;
  hexmoe_runtime_options_init(&options);
  options.devices = "cpu,opencl:0";
  options.threads = 2;
  hexmoe_runtime_t* runtime = NULL;
  hexmoe_status_t s = hexmoe_runtime_create(&options, &runtime);
  if (s) {
    const int unavailable = hexmoe_status_code(s) == HEXMOE_STATUS_UNAVAILABLE;
    fprintf(stderr, "%s: %s\n", unavailable ? "SKIP" : "FAIL", hexmoe_status_message(s));
    hexmoe_status_free(s);
    return unavailable ? 77 : 1;
  }
  hexmoe_module_t* module = NULL;
  CHECK(hexmoe_module_load_file(runtime, argv[1], &module));
  hexmoe_function_t* fn = hexmoe_module_function(module, 0);

  const int64_t shapes[kArgs][3] = {{kT, kH}, {kE, kH}, {kE, kI, kH}, {kE, kI, kH}, {kE, kH, kI}};
  const size_t ranks[kArgs] = {2, 2, 3, 3, 3};
  const double scales[kArgs] = {1.0, 0.0625, 0.0625, 0.0625, 0.044};
  hexmoe_tensor_t* onCpu[kArgs];
  hexmoe_tensor_t* onOpencl[kArgs];
  unsigned state = 12345u;
  for (int a = 0; a < kArgs; ++a) {
    size_t n = 1;
    for (size_t d = 0; d < ranks[a]; ++d) n *= (size_t)shapes[a][d];
    float* data = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; ++i) {
      state = state * 1664525u + 1013904223u;
      data[i] = (float)(scales[a] * ((double)(state >> 8) / 16777216.0 * 2.0 - 1.0));
    }
    CHECK(hexmoe_tensor_create(runtime, HEXMOE_F32, ranks[a], shapes[a], data, &onCpu[a]));
    free(data);
    CHECK(hexmoe_tensor_copy(onCpu[a], 1, &onOpencl[a]));
    if (hexmoe_tensor_device(onOpencl[a]) != 1) {
      fprintf(stderr, "FAIL: a copy to device 1 lives on device %zu\n", hexmoe_tensor_device(onOpencl[a]));
      return 1;
    }
  }

  hexmoe_tensor_t* outCpu = NULL;
  hexmoe_tensor_t* outOpencl = NULL;
  CHECK(hexmoe_function_invoke_on_device(fn, 0, onCpu, kArgs, &outCpu, 1));
  CHECK(hexmoe_function_invoke_on_device(fn, 1, onOpencl, kArgs, &outOpencl, 1));
  if (hexmoe_tensor_device(outOpencl) != 1) {
    fprintf(stderr, "FAIL: the OpenCL call's result lives on device %zu\n", hexmoe_tensor_device(outOpencl));
    return 1;
  }

  /* CPU tensors are not used in place by the OpenCL device. */
  hexmoe_tensor_t* unused = NULL;
  s = hexmoe_function_invoke_on_device(fn, 1, onCpu, kArgs, &unused, 1);
  if (!s || hexmoe_status_code(s) != HEXMOE_STATUS_INVALID_ARGUMENT ||
      !strstr(hexmoe_status_message(s), "hexmoe_tensor_copy")) {
    fprintf(stderr, "FAIL: CPU tensors on opencl:0: %s\n", s ? hexmoe_status_message(s) : "accepted");
    return 1;
  }
  hexmoe_status_free(s);

  static float a[kT * kH], b[kT * kH];
  CHECK(hexmoe_tensor_read(outCpu, a, sizeof a));
  CHECK(hexmoe_tensor_read(outOpencl, b, sizeof b));
  double diff = 0, norm = 0;
  for (int i = 0; i < kT * kH; ++i) {
    diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    norm += (double)a[i] * a[i];
  }
  const double rel = sqrt(diff / (norm > 0 ? norm : 1e-30));
  if (!(norm > 0) || !(rel < 1e-5)) {
    fprintf(stderr, "FAIL: cpu:0 and opencl:0 differ: relative L2 %.3e (norm %.3e)\n", rel, sqrt(norm));
    return 1;
  }
  printf("ok: cpu:0 and opencl:0 agree, relative L2 difference %.2e\n", rel);

  for (int i = 0; i < kArgs; ++i) {
    hexmoe_tensor_release(onCpu[i]);
    hexmoe_tensor_release(onOpencl[i]);
  }
  hexmoe_tensor_release(outCpu);
  hexmoe_tensor_release(outOpencl);
  hexmoe_module_release(module);
  hexmoe_runtime_destroy(runtime);
  return 0;
}
