/* The scheduler's C API (expert placement).
 *
 * Plans which device serves each expert of a MoE model on a pool of unequal
 * devices, re-plans as routing load shifts or a device is lost. Pure: no
 * device is touched; inputs are JSON documents (formats in docs/scheduler.md).
 * libhexmoe_runtime exports it beside the runtime's API in hexmoe.h.
 *
 * Conventions, as in hexmoe.h: functions return a hexmoe_status_code_t
 * (HEXMOE_STATUS_OK on success); results come back through out-parameters;
 * handles are opaque; strings the library returns are freed with
 * hexmoe_plan_free_string. Where a function takes `char** out_error` (which
 * may be NULL), a failure stores a message there naming the input and the
 * JSON field at fault. The codes a scheduler call returns:
 *
 *   HEXMOE_STATUS_INVALID_ARGUMENT     malformed document, option or argument
 *   HEXMOE_STATUS_NOT_FOUND            unknown device name or preset
 *   HEXMOE_STATUS_RESOURCE_EXHAUSTED   the pool cannot hold the model; out of memory
 *   HEXMOE_STATUS_FAILED_PRECONDITION  what is left after a device loss cannot hold it
 *   HEXMOE_STATUS_UNIMPLEMENTED        recognised input not read yet
 *   HEXMOE_STATUS_INTERNAL             a bug: please report it
 *
 * No C++ exception crosses this API.
 */
#ifndef HEXMOE_PLAN_H_
#define HEXMOE_PLAN_H_

#include <stddef.h>
#include <stdint.h>

#include "hexmoe/hexmoe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hexmoe_plan hexmoe_plan;

typedef struct hexmoe_plan_options {
  uint32_t struct_size;         /* sizeof(hexmoe_plan_options); lets the struct grow */
  const char* algorithm;        /* "capacity" (default), "eplb" or "round-robin" */
  const char* objective;        /* "latency" (default) or "throughput" */
  double tokens_per_step;       /* 0: 64 for latency, 4096 for throughput */
  double context_tokens;        /* KV-cache length per attention read; < 0: 2048 */
  uint64_t seed;                /* for synthetic loads */
  const char* calibration_json; /* a hexmoe-calibration document, or NULL */
  int32_t compute_lower_bound;  /* nonzero: also compute the lower bound */
} hexmoe_plan_options;

/* Fills the defaults. */
HEXMOE_API void hexmoe_plan_options_init(hexmoe_plan_options* options);

/* Plans from a hexmoe-pool document, a model (Hugging Face config.json text or
 * a hexmoe-model document) and a load: a hexmoe-trace document, or a synthetic
 * spec such as "lognormal:1.0", "zipf:1.2", "uniform". `options` may be NULL. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_create(const char* pool_json, const char* model_json, const char* load,
                                                   const hexmoe_plan_options* options, hexmoe_plan** out_plan,
                                                   char** out_error);

/* Reads a plan written by hexmoe_plan_to_json or hexmoe-plan -o. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_from_json(const char* plan_json, hexmoe_plan** out_plan, char** out_error);

/* Re-plans for fresh load (same forms as in hexmoe_plan_create), copying at
 * most `migration_budget_bytes` of weights; weights stay put unless the
 * predicted step time improves by more than `hysteresis` (e.g. 0.02). The new
 * plan's JSON lists the copies under "migrations". */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_replan(const hexmoe_plan* previous, const char* load,
                                                   double migration_budget_bytes, double hysteresis,
                                                   hexmoe_plan** out_plan, char** out_error);

/* The plan after losing the named device: every expert still has a replica. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_without_device(const hexmoe_plan* plan, const char* device_name,
                                                           hexmoe_plan** out_plan, char** out_error);

/* The plan as JSON (free with hexmoe_plan_free_string). */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_to_json(const hexmoe_plan* plan, char** out_json);

/* Predicted step time; the lower bound is 0 when it was not computed. Either
 * out-parameter may be NULL. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_step_seconds(const hexmoe_plan* plan, double* out_seconds,
                                                         double* out_lower_bound_seconds);

/* MoE layers, routed experts per layer, devices in the pool. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_shape(const hexmoe_plan* plan, int32_t* out_moe_layers,
                                                  int32_t* out_experts, int32_t* out_devices);

/* The model's layer index of the i-th MoE layer. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_moe_layer(const hexmoe_plan* plan, int32_t moe_layer, int32_t* out_layer);

/* A device's name; the pointer lives as long as the plan. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_device_name(const hexmoe_plan* plan, int32_t device, const char** out_name);

/* The replicas of one expert (moe_layer counts MoE layers from 0): up to
 * `capacity` device indices and token shares; `out_count` gets the total. */
HEXMOE_API hexmoe_status_code_t hexmoe_plan_replicas(const hexmoe_plan* plan, int32_t moe_layer, int32_t expert,
                                                     int32_t* out_devices, double* out_shares, size_t capacity,
                                                     size_t* out_count);

HEXMOE_API void hexmoe_plan_free(hexmoe_plan* plan);
HEXMOE_API void hexmoe_plan_free_string(char* text);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* HEXMOE_PLAN_H_ */
