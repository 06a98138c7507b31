// The scheduler's C API (runtime/include/hexmoe/plan.h) over the C++ library.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "hexmoe/plan.h"
#include "runtime/scheduler/calibration.h"
#include "runtime/scheduler/online.h"
#include "runtime/scheduler/plan_json.h"
#include "runtime/scheduler/planner.h"

struct hexmoe_plan {
  hexmoe::scheduler::Plan plan;
};

namespace {

using hexmoe::Status;
using hexmoe::StatusCode;
using hexmoe::StatusOr;

char* copyString(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

/// The C enum has the same numbering as StatusCode.
hexmoe_status_code_t toC(StatusCode code) { return static_cast<hexmoe_status_code_t>(code); }

hexmoe_status_code_t fail(const Status& status, char** out_error) {
  if (out_error != nullptr) *out_error = copyString(status.message());
  return toC(status.code());
}

hexmoe_status_code_t fail(hexmoe_status_code_t code, const std::string& message, char** out_error) {
  if (out_error != nullptr) *out_error = copyString(message);
  return code;
}

/// A trace document or a synthetic spec, as the load of `model`.
StatusOr<hexmoe::scheduler::LoadProfile> readLoad(const char* load, const hexmoe::scheduler::ModelShape& model,
                                              double tokens_per_step, uint64_t seed) {
  std::string text = load;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    HEXMOE_ASSIGN_OR_RETURN(hexmoe::scheduler::LoadTrace trace, hexmoe::scheduler::parseTrace(text, "load", model));
    return trace.mean().scaledTo(tokens_per_step);
  }
  HEXMOE_ASSIGN_OR_RETURN(hexmoe::scheduler::SyntheticLoad spec, hexmoe::scheduler::parseLoadSpec(text, seed));
  return hexmoe::scheduler::expectedLoad(spec, model, tokens_per_step);
}

hexmoe_status_code_t wrap(StatusOr<hexmoe::scheduler::Plan> result, hexmoe_plan** out_plan, char** out_error) {
  if (!result.ok()) return fail(result.status(), out_error);
  *out_plan = new hexmoe_plan{std::move(result).value()};
  return HEXMOE_STATUS_OK;
}

/// Runs `body`, turning any exception into a status: none crosses the C API.
template <typename Body>
hexmoe_status_code_t guarded(char** out_error, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(HEXMOE_STATUS_RESOURCE_EXHAUSTED, "out of memory", out_error);
  } catch (const std::exception& e) {
    return fail(HEXMOE_STATUS_INTERNAL, std::string("internal error: ") + e.what(), out_error);
  } catch (...) {
    return fail(HEXMOE_STATUS_INTERNAL, "internal error", out_error);
  }
}

}  // namespace

extern "C" {

void hexmoe_plan_options_init(hexmoe_plan_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->algorithm = "capacity";
  options->objective = "latency";
  options->context_tokens = -1;
  options->seed = 42;
  options->compute_lower_bound = 1;
}

hexmoe_status_code_t hexmoe_plan_create(const char* pool_json, const char* model_json, const char* load,
                                        const hexmoe_plan_options* user_options, hexmoe_plan** out_plan,
                                        char** out_error) {
  using namespace hexmoe::scheduler;
  if (out_error != nullptr) *out_error = nullptr;
  if (pool_json == nullptr || model_json == nullptr || load == nullptr || out_plan == nullptr) {
    return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "pool, model, load and out_plan are required", out_error);
  }
  return guarded(out_error, [&]() -> hexmoe_status_code_t {
    hexmoe_plan_options options;
    hexmoe_plan_options_init(&options);
    if (user_options != nullptr) {
      // Copy only the fields the caller's struct has.
      size_t size = std::min<size_t>(user_options->struct_size, sizeof(options));
      if (size < sizeof(uint32_t)) return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "options.struct_size is not set", out_error);
      std::memcpy(&options, user_options, size);
    }
    PlanRequest request;
    StatusOr<Pool> pool = parsePool(pool_json, "pool");
    if (!pool.ok()) return fail(pool.status(), out_error);
    request.pool = *pool;
    if (options.calibration_json != nullptr) {
      StatusOr<Calibration> calibration = parseCalibration(options.calibration_json, "calibration");
      if (!calibration.ok()) return fail(calibration.status(), out_error);
      applyCalibration(*calibration, &request.pool);
    }
    StatusOr<ModelShape> model = parseModelConfig(model_json, "model");
    if (!model.ok()) return fail(model.status(), out_error);
    request.model = *model;
    std::string objective = options.objective != nullptr ? options.objective : "latency";
    if (objective == "latency") request.cost.objective = Objective::kLatency;
    else if (objective == "throughput") request.cost.objective = Objective::kThroughput;
    else return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "objective must be \"latency\" or \"throughput\"", out_error);
    // Finite and in range (NaN fails the comparison too); <= 0 picks the default.
    auto outOfRange = [&](const char* name, double value, double max) {
      return fail(HEXMOE_STATUS_INVALID_ARGUMENT, std::string("options.") + name + " must be a number up to " +
                                                      std::to_string(max) + ", got " + std::to_string(value),
                  out_error);
    };
    if (!(std::fabs(options.tokens_per_step) <= kMaxTokensPerStep)) {
      return outOfRange("tokens_per_step", options.tokens_per_step, kMaxTokensPerStep);
    }
    if (!(std::fabs(options.context_tokens) <= kMaxContextTokens)) {
      return outOfRange("context_tokens", options.context_tokens, kMaxContextTokens);
    }
    request.cost.tokens_per_step = options.tokens_per_step > 0 ? options.tokens_per_step
                                   : request.cost.objective == Objective::kLatency ? 64 : 4096;
    request.cost.context_tokens = options.context_tokens >= 0 ? options.context_tokens : 2048;
    std::optional<Algorithm> algorithm = parseAlgorithm(options.algorithm != nullptr ? options.algorithm : "capacity");
    if (!algorithm) return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "algorithm must be capacity, eplb or round-robin", out_error);
    request.planner.algorithm = *algorithm;
    request.planner.compute_lower_bound = options.compute_lower_bound != 0;
    StatusOr<LoadProfile> profile = readLoad(load, request.model, request.cost.tokens_per_step, options.seed);
    if (!profile.ok()) return fail(profile.status(), out_error);
    request.load = *profile;
    return wrap(makePlan(request), out_plan, out_error);
  });
}

hexmoe_status_code_t hexmoe_plan_from_json(const char* plan_json, hexmoe_plan** out_plan, char** out_error) {
  if (out_error != nullptr) *out_error = nullptr;
  if (plan_json == nullptr || out_plan == nullptr) {
    return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "plan_json and out_plan are required", out_error);
  }
  return guarded(out_error, [&] { return wrap(hexmoe::scheduler::parsePlan(plan_json, "plan"), out_plan, out_error); });
}

hexmoe_status_code_t hexmoe_plan_replan(const hexmoe_plan* previous, const char* load, double budget,
                                        double hysteresis, hexmoe_plan** out_plan, char** out_error) {
  using namespace hexmoe::scheduler;
  if (out_error != nullptr) *out_error = nullptr;
  if (previous == nullptr || load == nullptr || out_plan == nullptr || !(budget >= 0) || !(hysteresis >= 0)) {
    return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "previous, load and out_plan are required; budget and hysteresis >= 0",
                out_error);
  }
  return guarded(out_error, [&]() -> hexmoe_status_code_t {
    StatusOr<LoadProfile> profile = readLoad(load, previous->plan.model, previous->plan.options.tokens_per_step, 42);
    if (!profile.ok()) return fail(profile.status(), out_error);
    ReplanOptions options;
    options.migration_budget_bytes = budget;
    options.hysteresis = hysteresis;
    return wrap(replan(previous->plan, *profile, options), out_plan, out_error);
  });
}

hexmoe_status_code_t hexmoe_plan_without_device(const hexmoe_plan* plan, const char* device_name,
                                                hexmoe_plan** out_plan, char** out_error) {
  if (out_error != nullptr) *out_error = nullptr;
  if (plan == nullptr || device_name == nullptr || out_plan == nullptr) {
    return fail(HEXMOE_STATUS_INVALID_ARGUMENT, "plan, device_name and out_plan are required", out_error);
  }
  return guarded(out_error, [&]() -> hexmoe_status_code_t {
    int device = plan->plan.pool.findDevice(device_name);
    if (device < 0) {
      return fail(HEXMOE_STATUS_NOT_FOUND, std::string("no device named \"") + device_name + "\" in the plan's pool",
                  out_error);
    }
    return wrap(hexmoe::scheduler::replanWithoutDevice(plan->plan, device), out_plan, out_error);
  });
}

hexmoe_status_code_t hexmoe_plan_to_json(const hexmoe_plan* plan, char** out_json) {
  if (plan == nullptr || out_json == nullptr) return HEXMOE_STATUS_INVALID_ARGUMENT;
  try {
    *out_json = copyString(hexmoe::scheduler::planToJson(plan->plan).dump(1));
    return *out_json != nullptr ? HEXMOE_STATUS_OK : HEXMOE_STATUS_INTERNAL;
  } catch (...) {
    return HEXMOE_STATUS_INTERNAL;
  }
}

hexmoe_status_code_t hexmoe_plan_step_seconds(const hexmoe_plan* plan, double* out_seconds, double* out_lower_bound) {
  if (plan == nullptr) return HEXMOE_STATUS_INVALID_ARGUMENT;
  if (out_seconds != nullptr) *out_seconds = plan->plan.metrics.step_seconds;
  if (out_lower_bound != nullptr) *out_lower_bound = plan->plan.lower_bound_seconds;
  return HEXMOE_STATUS_OK;
}

hexmoe_status_code_t hexmoe_plan_shape(const hexmoe_plan* plan, int32_t* out_layers, int32_t* out_experts,
                                       int32_t* out_devices) {
  if (plan == nullptr) return HEXMOE_STATUS_INVALID_ARGUMENT;
  if (out_layers != nullptr) *out_layers = static_cast<int32_t>(plan->plan.layers.size());
  if (out_experts != nullptr) *out_experts = plan->plan.model.num_experts;
  if (out_devices != nullptr) *out_devices = plan->plan.pool.size();
  return HEXMOE_STATUS_OK;
}

hexmoe_status_code_t hexmoe_plan_moe_layer(const hexmoe_plan* plan, int32_t moe_layer, int32_t* out_layer) {
  if (plan == nullptr || out_layer == nullptr || moe_layer < 0 ||
      moe_layer >= static_cast<int32_t>(plan->plan.model.moe_layers.size())) {
    return HEXMOE_STATUS_INVALID_ARGUMENT;
  }
  *out_layer = plan->plan.model.moe_layers[moe_layer];
  return HEXMOE_STATUS_OK;
}

hexmoe_status_code_t hexmoe_plan_device_name(const hexmoe_plan* plan, int32_t device, const char** out_name) {
  if (plan == nullptr || out_name == nullptr || device < 0 || device >= plan->plan.pool.size()) {
    return HEXMOE_STATUS_INVALID_ARGUMENT;
  }
  *out_name = plan->plan.pool.devices[device].name.c_str();
  return HEXMOE_STATUS_OK;
}

hexmoe_status_code_t hexmoe_plan_replicas(const hexmoe_plan* plan, int32_t moe_layer, int32_t expert,
                                          int32_t* out_devices, double* out_shares, size_t capacity,
                                          size_t* out_count) {
  if (plan == nullptr || moe_layer < 0 || moe_layer >= static_cast<int32_t>(plan->plan.layers.size()) ||
      expert < 0 || expert >= plan->plan.model.num_experts) {
    return HEXMOE_STATUS_INVALID_ARGUMENT;
  }
  const hexmoe::scheduler::ExpertReplicas& rs = plan->plan.layers[moe_layer].experts[expert];
  for (size_t i = 0; i < rs.size() && i < capacity; ++i) {
    if (out_devices != nullptr) out_devices[i] = rs[i].device;
    if (out_shares != nullptr) out_shares[i] = rs[i].share;
  }
  if (out_count != nullptr) *out_count = rs.size();
  return HEXMOE_STATUS_OK;
}

void hexmoe_plan_free(hexmoe_plan* plan) { delete plan; }

void hexmoe_plan_free_string(char* text) { std::free(text); }

}  // extern "C"
