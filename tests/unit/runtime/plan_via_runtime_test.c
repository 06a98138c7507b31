/* A serving stack's view: only hexmoe/plan.h and libhexmoe_runtime.so, from C.
 * Plans DeepSeek-V3 on a one-GPU-plus-CPU-socket pool and checks the result
 * is served end to end through the runtime library's exported scheduler API. */
#include <hexmoe/plan.h>

#include <stdio.h>
#include <stdlib.h>

static char* slurp(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* text = malloc((size_t)n + 1);
  if (text && fread(text, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (text) text[n] = '\0';
  fclose(f);
  return text;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s POOL.json MODEL-config.json\n", argv[0]);
    return 2;
  }
  char* pool = slurp(argv[1]);
  char* model = slurp(argv[2]);
  if (!pool || !model) {
    fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  hexmoe_plan_options options;
  hexmoe_plan_options_init(&options);
  options.compute_lower_bound = 1;
  hexmoe_plan* plan = NULL;
  char* error = NULL;
  hexmoe_status_code_t s = hexmoe_plan_create(pool, model, "lognormal:1.0", &options, &plan, &error);
  if (s != HEXMOE_STATUS_OK) {
    fprintf(stderr, "FAIL: hexmoe_plan_create: %s\n", error ? error : "(no message)");
    return 1;
  }
  int32_t layers = 0, experts = 0, devices = 0;
  double seconds = 0, bound = 0;
  if (hexmoe_plan_shape(plan, &layers, &experts, &devices) != HEXMOE_STATUS_OK ||
      hexmoe_plan_step_seconds(plan, &seconds, &bound) != HEXMOE_STATUS_OK) {
    fprintf(stderr, "FAIL: cannot query the plan\n");
    return 1;
  }
  int ok = layers == 58 && experts == 256 && devices == 2 && seconds > 0 && bound > 0 &&
           seconds >= bound * (1 - 1e-9);
  printf("%s: %d MoE layers, %d experts, %d devices, step %.3f ms, lower bound %.3f ms; runtime %s\n",
         ok ? "ok" : "FAIL", layers, experts, devices, seconds * 1e3, bound * 1e3, hexmoe_version());
  hexmoe_plan_free(plan);
  free(pool);
  free(model);
  return ok ? 0 : 1;
}
