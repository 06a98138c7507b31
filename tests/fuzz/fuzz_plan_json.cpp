// Fuzz target: the scheduler's inputs. The first byte picks the reader: pool,
// model config, plan, load trace, calibration, a pool spec ("4xh100+2xcpu")
// or a load spec ("zipf:1.2"); the rest is its text. A pool or model that
// parses is planned (small ones, so each input stays fast) with the
// algorithm the second byte picks, against a fixed small partner.
#include <cstdint>
#include <string>

#include "runtime/scheduler/calibration.h"
#include "runtime/scheduler/load.h"
#include "runtime/scheduler/model.h"
#include "runtime/scheduler/plan_json.h"
#include "runtime/scheduler/planner.h"
#include "runtime/scheduler/pool.h"

namespace {

using namespace hexmoe::scheduler;

const char kModel[] = R"({"format":"hexmoe-model","num_layers":2,"moe_layers":[0,1],"num_experts":8,
  "top_k":2,"hidden_size":256,"expert_intermediate_size":512,"n_group":2,"topk_group":1})";
const char kPool[] = R"({"format":"hexmoe-pool","devices":[
  {"name":"g0","preset":"h100-sxm","node":0},{"name":"g1","preset":"a800-sxm","node":1},
  {"name":"c0","preset":"cpu-epyc-9654","node":0}]})";

const ModelShape& smallModel() {
  static const ModelShape model = [] {
    hexmoe::StatusOr<ModelShape> m = parseModelConfig(kModel, "model");
    if (!m.ok()) __builtin_trap();
    return *m;
  }();
  return model;
}

const Pool& smallPool() {
  static const Pool pool = [] {
    hexmoe::StatusOr<Pool> p = parsePool(kPool, "pool");
    if (!p.ok()) __builtin_trap();
    return *p;
  }();
  return pool;
}

void plan(const Pool& pool, const ModelShape& model, uint8_t choice) {
  if (pool.size() > 8 || model.num_experts > 64 || model.numMoeLayers() > 4) return;
  PlanRequest request;
  request.pool = pool;
  request.model = model;
  static const Algorithm kAlgorithms[] = {Algorithm::kCapacity, Algorithm::kEplb, Algorithm::kRoundRobin};
  request.planner.algorithm = kAlgorithms[choice % 3];
  request.planner.compute_lower_bound = false;
  request.cost.tokens_per_step = 16;
  hexmoe::StatusOr<SyntheticLoad> load = parseLoadSpec("zipf:1", 1);
  if (!load.ok()) __builtin_trap();
  request.load = expectedLoad(*load, model, request.cost.tokens_per_step);
  hexmoe::StatusOr<Plan> result = makePlan(request);
  if (!result.ok() && result.status().message().empty()) __builtin_trap();
}

template <typename T>
void expectMessage(const hexmoe::StatusOr<T>& r) {
  if (!r.ok() && r.status().message().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t which = data[0], choice = data[1];
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (which % 7) {
    case 0: {
      hexmoe::StatusOr<Pool> pool = parsePool(text, "fuzz.json");
      expectMessage(pool);
      if (!pool.ok()) break;
      // Written out in full, a pool reads back.
      if (!parsePool(poolToJson(*pool).dump(), "round-trip").ok()) __builtin_trap();
      plan(*pool, smallModel(), choice);
      break;
    }
    case 1: {
      hexmoe::StatusOr<ModelShape> model = parseModelConfig(text, "fuzz.json");
      expectMessage(model);
      if (model.ok()) plan(smallPool(), *model, choice);
      break;
    }
    case 2: expectMessage(parsePlan(text, "fuzz.json")); break;
    case 3: expectMessage(parseTrace(text, "fuzz.json", smallModel())); break;
    case 4: expectMessage(parseCalibration(text, "fuzz.json")); break;
    case 5: expectMessage(parsePoolSpec(text)); break;
    case 6: expectMessage(parseLoadSpec(text, choice)); break;
  }
  return 0;
}
