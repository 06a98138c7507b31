#include "runtime/scheduler/plan_json.h"

#include <algorithm>
#include <cmath>

namespace hexmoe::scheduler {

/// Rounds for the file: shares and loads to 6 significant digits keep the
/// file small and stable across runs without changing any decision.
static double rounded(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  double scale = std::pow(10.0, 6 - static_cast<int>(std::ceil(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

Json planToJson(const Plan& plan) {
  const PlanMetrics& m = plan.metrics;
  Json predicted = {{"step_ms", m.step_seconds * 1e3},
                    {"fixed_ms", m.fixed_seconds * 1e3},
                    {"tokens_per_second", m.step_seconds > 0 ? plan.options.tokens_per_step / m.step_seconds : 0.0},
                    {"mean_imbalance", m.mean_imbalance},
                    {"fits_memory", m.fits_memory}};
  if (plan.lower_bound_seconds > 0) {
    predicted["lower_bound_ms"] = plan.lower_bound_seconds * 1e3;
    predicted["ratio_to_lower_bound"] = m.step_seconds / plan.lower_bound_seconds;
  }
  Json devices = Json::array();
  for (int d = 0; d < plan.pool.size(); ++d) {
    bool attention = std::find(plan.attention_devices.begin(), plan.attention_devices.end(), d) !=
                     plan.attention_devices.end();
    double busy = 0;
    for (size_t l = 0; l < m.layer_seconds.size(); ++l) {
      if (m.layer_seconds[l] > 0) busy += m.device_seconds[l][d] / m.layer_seconds[l];
    }
    Json device = {{"name", plan.pool.devices[d].name},
                   {"kind", plan.pool.devices[d].kind},
                   {"attention", attention},
                   {"replicas", d < static_cast<int>(m.replicas.size()) ? m.replicas[d] : 0},
                   {"memory_gb", d < static_cast<int>(m.memory_bytes.size()) ? m.memory_bytes[d] / 1e9 : 0.0},
                   {"capacity_gb", d < static_cast<int>(m.memory_capacity_bytes.size()) ? m.memory_capacity_bytes[d] / 1e9 : 0.0},
                   {"mean_utilisation", m.layer_seconds.empty() ? 0.0 : busy / m.layer_seconds.size()}};
    if (plan.pool.devices[d].lost) device["lost"] = true;
    devices.push_back(std::move(device));
  }
  Json layers = Json::array();
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    Json experts = Json::array();
    for (const ExpertReplicas& rs : plan.layers[l].experts) {
      Json replicas = Json::array();
      for (const Replica& r : rs) replicas.push_back(Json::array({r.device, rounded(r.share)}));
      experts.push_back(std::move(replicas));
    }
    Json layer = {{"layer", plan.model.moe_layers[l]}, {"experts", std::move(experts)}};
    if (l < m.layer_seconds.size()) {
      layer["step_ms"] = m.layer_seconds[l] * 1e3;
      layer["exchange_ms"] = m.exchange_seconds[l] * 1e3;
    }
    layers.push_back(std::move(layer));
  }
  Json migrations = Json::array();
  for (const Migration& mg : plan.migrations) {
    migrations.push_back({{"layer", plan.model.moe_layers[mg.layer]},
                          {"expert", mg.expert},
                          {"from", mg.from_device >= 0 ? Json(plan.pool.devices[mg.from_device].name) : Json()},
                          {"to", mg.to_device >= 0 ? Json(plan.pool.devices[mg.to_device].name) : Json()},
                          {"bytes", mg.bytes}});
  }
  std::vector<std::string> attention_names;
  for (int a : plan.attention_devices) attention_names.push_back(plan.pool.devices[a].name);
  std::vector<int> dense;
  for (int i = 0; i < plan.model.num_layers; ++i) {
    if (std::find(plan.model.moe_layers.begin(), plan.model.moe_layers.end(), i) == plan.model.moe_layers.end()) {
      dense.push_back(i);
    }
  }
  Json load = Json::array();
  for (const auto& row : plan.load.expert_tokens) {
    Json r = Json::array();
    for (double v : row) r.push_back(rounded(v));
    load.push_back(std::move(r));
  }
  return Json{{"format", "hexmoe-plan"},
              {"version", 1},
              {"algorithm", plan.algorithm},
              {"objective", objectiveName(plan.options.objective)},
              {"tokens_per_step", plan.options.tokens_per_step},
              {"context_tokens", plan.options.context_tokens},
              {"load_description", plan.load.description},
              {"predicted", predicted},
              {"attention", {{"devices", attention_names},
                             {"token_share_each", attention_names.empty() ? 0.0 : 1.0 / attention_names.size()},
                             {"runs", "attention, routers, shared experts, dense layers and the LM head"},
                             {"dense_layers", dense}}},
              {"devices", devices},
              {"layers", layers},
              {"migrations", migrations},
              {"notes", plan.notes},
              {"expert_load", load},
              {"pool", poolToJson(plan.pool)},
              {"model", modelToJson(plan.model)}};
}

StatusOr<Plan> parsePlan(const std::string& text, const std::string& source) {
  Json root;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &root));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields top, JsonFields::of(source, root, ""));
  std::string format;
  HEXMOE_RETURN_IF_ERROR(top.string("format", &format));
  if (format != "hexmoe-plan") return top.errorAt("format", "expected \"hexmoe-plan\"");
  Plan plan;
  const Json* pool = nullptr;
  const Json* model = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("pool", Json::value_t::object, &pool));
  HEXMOE_RETURN_IF_ERROR(top.child("model", Json::value_t::object, &model));
  // Nested documents are checked by their own readers; errors name the plan.
  HEXMOE_ASSIGN_OR_RETURN(plan.pool, parsePool(pool->dump(), source + " (pool)"));
  HEXMOE_ASSIGN_OR_RETURN(plan.model, parseModelConfig(model->dump(), source + " (model)"));
  HEXMOE_RETURN_IF_ERROR(top.optionalString("algorithm", &plan.algorithm));
  std::string objective = "latency";
  HEXMOE_RETURN_IF_ERROR(top.optionalString("objective", &objective));
  if (objective == "latency") plan.options.objective = Objective::kLatency;
  else if (objective == "throughput") plan.options.objective = Objective::kThroughput;
  else return top.errorAt("objective", "expected \"latency\" or \"throughput\"");
  HEXMOE_RETURN_IF_ERROR(
      top.number("tokens_per_step", &plan.options.tokens_per_step, JsonFields::Range::kPositive, kMaxTokensPerStep));
  HEXMOE_RETURN_IF_ERROR(top.optionalNumber("context_tokens", &plan.options.context_tokens,
                                            JsonFields::Range::kNonNegative, kMaxContextTokens));
  HEXMOE_RETURN_IF_ERROR(top.optionalString("load_description", &plan.load.description));

  const Json* attention = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("attention", Json::value_t::object, &attention));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields att, JsonFields::of(source, *attention, "attention"));
  const Json* names = nullptr;
  HEXMOE_RETURN_IF_ERROR(att.child("devices", Json::value_t::array, &names));
  for (size_t i = 0; i < names->size(); ++i) {
    const Json& n = (*names)[i];
    int d = n.is_string() ? plan.pool.findDevice(n.get<std::string>()) : -1;
    if (d < 0) {
      return att.error(indexJsonPath("attention.devices", i),
                       "expected the name of a device in the plan's pool, got " + describeJsonValue(n));
    }
    plan.attention_devices.push_back(d);
  }

  int layers = plan.model.numMoeLayers(), experts = plan.model.num_experts;
  const Json* layer_list = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("layers", Json::value_t::array, &layer_list));
  if (static_cast<int>(layer_list->size()) != layers) {
    return top.errorAt("layers", "expected " + std::to_string(layers) + " MoE layers, got " +
                                     std::to_string(layer_list->size()));
  }
  for (int l = 0; l < layers; ++l) {
    std::string path = indexJsonPath("layers", l);
    HEXMOE_ASSIGN_OR_RETURN(JsonFields layer, JsonFields::of(source, (*layer_list)[l], path));
    const Json* list = nullptr;
    HEXMOE_RETURN_IF_ERROR(layer.child("experts", Json::value_t::array, &list));
    if (static_cast<int>(list->size()) != experts) {
      return layer.errorAt("experts", "expected " + std::to_string(experts) + " experts");
    }
    LayerPlacement placement;
    placement.experts.resize(experts);
    for (int e = 0; e < experts; ++e) {
      std::string expert_path = indexJsonPath(joinJsonPath(path, "experts"), e);
      const Json& replicas = (*list)[e];
      if (!replicas.is_array() || replicas.empty()) {
        return top.error(expert_path, "expected a non-empty array of [device, share] replicas");
      }
      for (size_t r = 0; r < replicas.size(); ++r) {
        const Json& pair = replicas[r];
        std::string replica_path = indexJsonPath(expert_path, r);
        int64_t device = -1;
        double share = 0;
        // The index as int64 (4294967297 is not device 1), below the pool's size.
        bool ok = pair.is_array() && pair.size() == 2 && pair[0].is_number_integer() &&
                  checkJsonInteger(source, replica_path, pair[0], 0, plan.pool.size() - 1, &device).ok() &&
                  checkJsonNumber(source, replica_path, pair[1], JsonFields::Range::kNonNegative, &share).ok();
        if (!ok) {
          return top.error(replica_path, "expected [device index below " + std::to_string(plan.pool.size()) +
                                             ", share], got " + describeJsonValue(pair));
        }
        placement.experts[e].push_back({static_cast<int>(device), share});
      }
      // Shares were rounded for the file; restore their exact sum.
      double total = 0;
      for (const Replica& r : placement.experts[e]) total += r.share;
      if (!(total > 0)) return top.error(expert_path, "shares sum to zero");
      for (Replica& r : placement.experts[e]) r.share /= total;
    }
    plan.layers.push_back(std::move(placement));
  }

  const Json* load = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("expert_load", Json::value_t::array, &load));
  plan.load.tokens_per_step = plan.options.tokens_per_step;
  for (size_t l = 0; l < load->size(); ++l) {
    const Json& row = (*load)[l];
    std::vector<double> values;
    if (!row.is_array()) return top.error(indexJsonPath("expert_load", l), "expected an array of numbers");
    for (size_t e = 0; e < row.size(); ++e) {
      double v = 0;
      HEXMOE_RETURN_IF_ERROR(checkJsonNumber(source, indexJsonPath(indexJsonPath("expert_load", l), e), row[e],
                                             JsonFields::Range::kNonNegative, &v, kMaxTokensPerStep));
      values.push_back(v);
    }
    plan.load.expert_tokens.push_back(std::move(values));
  }
  HEXMOE_RETURN_IF_ERROR(checkProfile(plan.load, plan.model));
  const Json* predicted = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.optionalChild("predicted", Json::value_t::object, &predicted));
  if (predicted != nullptr) {
    HEXMOE_ASSIGN_OR_RETURN(JsonFields p, JsonFields::of(source, *predicted, "predicted"));
    double lower_bound_ms = 0;
    HEXMOE_RETURN_IF_ERROR(p.optionalNumber("lower_bound_ms", &lower_bound_ms, JsonFields::Range::kNonNegative));
    plan.lower_bound_seconds = lower_bound_ms / 1e3;
  }
  const Json* notes = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.optionalChild("notes", Json::value_t::array, &notes));
  if (notes != nullptr) {
    for (const Json& n : *notes) {
      if (n.is_string()) plan.notes.push_back(n.get<std::string>());
    }
  }
  HEXMOE_ASSIGN_OR_RETURN(CostModel cm, costModelOf(plan));
  HEXMOE_RETURN_IF_ERROR(validatePlacement(cm, plan.layers));
  plan.metrics = evaluatePlacement(cm, plan.load, plan.layers);
  return plan;
}

StatusOr<Plan> loadPlan(const std::string& path) {
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readTextFile(path));
  return parsePlan(text, path);
}

}  // namespace hexmoe::scheduler
