#include "runtime/scheduler/load.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace hexmoe::scheduler {

LoadProfile LoadProfile::scaledTo(double tokens) const {
  LoadProfile out = *this;
  double factor = tokens_per_step > 0 ? tokens / tokens_per_step : 0;
  for (auto& layer : out.expert_tokens) {
    for (double& v : layer) v *= factor;
  }
  out.tokens_per_step = tokens;
  return out;
}

LoadProfile LoadTrace::mean(int first, int count) const {
  if (count < 0) count = num_steps - first;
  LoadProfile profile;
  profile.tokens_per_step = tokens_per_step;
  profile.description = description;
  profile.expert_tokens.assign(num_layers, std::vector<double>(num_experts, 0.0));
  for (int s = first; s < first + count; ++s) {
    for (int l = 0; l < num_layers; ++l) {
      const uint32_t* row = at(s, l);
      for (int e = 0; e < num_experts; ++e) profile.expert_tokens[l][e] += row[e];
    }
  }
  for (auto& layer : profile.expert_tokens) {
    for (double& v : layer) v /= std::max(1, count);
  }
  return profile;
}

std::string SyntheticLoad::describe() const {
  char buffer[128];
  switch (kind) {
    case Kind::kUniform: std::snprintf(buffer, sizeof(buffer), "uniform"); break;
    case Kind::kLognormal: std::snprintf(buffer, sizeof(buffer), "lognormal:%g", shape); break;
    case Kind::kZipf: std::snprintf(buffer, sizeof(buffer), "zipf:%g", shape); break;
    case Kind::kDrifting:
      std::snprintf(buffer, sizeof(buffer), "drifting:%g:%g", shape, drift_rate);
      break;
  }
  return std::string(buffer) + " seed " + std::to_string(seed);
}

StatusOr<SyntheticLoad> parseLoadSpec(const std::string& spec, uint64_t seed) {
  SyntheticLoad load;
  load.seed = seed;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const std::string& kind = parts[0];
  size_t max_params = 1;
  if (kind == "uniform") {
    load.kind = SyntheticLoad::Kind::kUniform;
    max_params = 0;
  } else if (kind == "lognormal") {
    load.kind = SyntheticLoad::Kind::kLognormal;
  } else if (kind == "zipf") {
    load.kind = SyntheticLoad::Kind::kZipf;
  } else if (kind == "drifting") {
    load.kind = SyntheticLoad::Kind::kDrifting;
    max_params = 2;
  } else {
    return invalidArgument("load \"" + spec +
                           "\": expected a trace file or uniform, lognormal[:SIGMA], zipf[:S], "
                           "drifting[:SIGMA[:RATE]]");
  }
  if (parts.size() - 1 > max_params) {
    return invalidArgument("load \"" + spec + "\": too many parameters for " + kind);
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    char* end = nullptr;
    double v = std::strtod(parts[i].c_str(), &end);
    bool ok = !parts[i].empty() && end != nullptr && *end == '\0' && std::isfinite(v) && v >= 0 &&
              (i == 1 ? v <= 10 : (v > 0 && v <= 1));
    if (!ok) {
      return invalidArgument("load \"" + spec + "\": parameter \"" + parts[i] + "\" must be " +
                             (i == 1 ? "a number in [0, 10]" : "a rate in (0, 1]"));
    }
    (i == 1 ? load.shape : load.drift_rate) = v;
  }
  return load;
}

/// A stream per (seed, layer) so that layers differ and a layer's load does
/// not change when the model has more layers.
static std::mt19937_64 layerRng(uint64_t seed, int layer, uint64_t salt) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(layer), static_cast<uint32_t>(salt)};
  return std::mt19937_64(seq);
}

/// Log-weights of a layer at step 0.
static std::vector<double> initialLogWeights(const SyntheticLoad& load, int experts, int layer) {
  std::mt19937_64 rng = layerRng(load.seed, layer, 1);
  std::vector<double> logw(experts, 0.0);
  switch (load.kind) {
    case SyntheticLoad::Kind::kUniform: break;
    case SyntheticLoad::Kind::kLognormal:
    case SyntheticLoad::Kind::kDrifting: {
      std::normal_distribution<double> normal(0.0, 1.0);
      for (double& x : logw) x = load.shape * normal(rng);
      break;
    }
    case SyntheticLoad::Kind::kZipf: {
      std::vector<int> rank(experts);
      std::iota(rank.begin(), rank.end(), 1);
      std::shuffle(rank.begin(), rank.end(), rng);
      for (int e = 0; e < experts; ++e) logw[e] = -load.shape * std::log(static_cast<double>(rank[e]));
      break;
    }
  }
  return logw;
}

/// Expected copies per expert: total * softmax(logw), capped at `cap` per
/// expert with the excess spread over the others (water-filling).
static std::vector<double> cappedShares(const std::vector<double>& logw, double total, double cap) {
  size_t n = logw.size();
  double top = *std::max_element(logw.begin(), logw.end());
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = std::exp(logw[i] - top);
  std::vector<double> out(n, 0.0);
  std::vector<bool> capped(n, false);
  total = std::min(total, cap * static_cast<double>(n));
  for (size_t round = 0; round <= n; ++round) {
    double free_total = total, free_weight = 0;
    for (size_t i = 0; i < n; ++i) {
      if (capped[i]) free_total -= cap;
      else free_weight += w[i];
    }
    bool changed = false;
    for (size_t i = 0; i < n; ++i) {
      if (capped[i]) {
        out[i] = cap;
        continue;
      }
      out[i] = free_weight > 0 ? free_total * w[i] / free_weight : 0;
      if (out[i] > cap) {
        capped[i] = true;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return out;
}

LoadProfile expectedLoad(const SyntheticLoad& load, const ModelShape& model, double tokens_per_step) {
  LoadProfile profile;
  profile.tokens_per_step = tokens_per_step;
  profile.description = load.describe();
  double total = tokens_per_step * model.top_k;
  for (int l = 0; l < model.numMoeLayers(); ++l) {
    profile.expert_tokens.push_back(
        cappedShares(initialLogWeights(load, model.num_experts, l), total, tokens_per_step));
  }
  return profile;
}

LoadTrace sampleTrace(const SyntheticLoad& load, const ModelShape& model, double tokens_per_step,
                      int steps) {
  LoadTrace trace;
  trace.tokens_per_step = tokens_per_step;
  trace.num_steps = steps;
  trace.num_layers = model.numMoeLayers();
  trace.num_experts = model.num_experts;
  trace.description = load.describe();
  trace.counts.assign(static_cast<size_t>(steps) * trace.num_layers * trace.num_experts, 0);
  uint64_t copies = static_cast<uint64_t>(std::llround(tokens_per_step * model.top_k));
  // Ornstein-Uhlenbeck in log space: stationary spread `shape`, correlation 1/rate steps.
  double keep = 1.0 - load.drift_rate;
  double noise = load.shape * std::sqrt(std::max(0.0, 1.0 - keep * keep));
  for (int l = 0; l < trace.num_layers; ++l) {
    std::vector<double> logw = initialLogWeights(load, model.num_experts, l);
    std::mt19937_64 rng = layerRng(load.seed, l, 2);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int s = 0; s < steps; ++s) {
      if (load.kind == SyntheticLoad::Kind::kDrifting && s > 0) {
        for (double& x : logw) x = keep * x + noise * normal(rng);
      }
      std::vector<double> p = cappedShares(logw, 1.0, tokens_per_step / std::max<double>(1, copies));
      // Multinomial by sequential binomials.
      uint64_t left = copies;
      double p_left = 1.0;
      uint32_t* row = trace.at(s, l);
      for (int e = 0; e < trace.num_experts && left > 0; ++e) {
        double q = p_left > 0 ? std::clamp(p[e] / p_left, 0.0, 1.0) : 1.0;
        std::binomial_distribution<uint64_t> binomial(left, q);
        uint64_t c = e + 1 == trace.num_experts ? left : binomial(rng);
        row[e] = static_cast<uint32_t>(c);
        left -= c;
        p_left -= p[e];
      }
    }
  }
  return trace;
}

StatusOr<LoadTrace> parseTrace(const std::string& text, const std::string& source,
                               const ModelShape& model) {
  Json root;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &root));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields top, JsonFields::of(source, root, ""));
  HEXMOE_RETURN_IF_ERROR(top.onlyKnown(
      {"format", "version", "model", "description", "tokens_per_step", "num_experts", "steps"}));
  std::string format;
  HEXMOE_RETURN_IF_ERROR(top.string("format", &format));
  if (format != "hexmoe-trace") return top.errorAt("format", "expected \"hexmoe-trace\"");
  LoadTrace trace;
  trace.description = source;
  HEXMOE_RETURN_IF_ERROR(top.optionalString("description", &trace.description));
  HEXMOE_RETURN_IF_ERROR(
      top.number("tokens_per_step", &trace.tokens_per_step, JsonFields::Range::kPositive, kMaxTokensPerStep));
  int64_t experts = 0;
  HEXMOE_RETURN_IF_ERROR(top.integer("num_experts", &experts, 1));
  if (experts != model.num_experts) {
    return top.errorAt("num_experts", "the trace has " + std::to_string(experts) +
                                          " experts per layer but the model has " +
                                          std::to_string(model.num_experts));
  }
  const Json* steps = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("steps", Json::value_t::array, &steps));
  if (steps->empty()) return top.errorAt("steps", "expected at least one step");
  // A step may give one row for every layer, so the counts can outgrow the text.
  int64_t per_step = static_cast<int64_t>(model.numMoeLayers()) * model.num_experts;
  if (per_step > 0 && static_cast<int64_t>(steps->size()) > kMaxTraceCounts / per_step) {
    return top.errorAt("steps", std::to_string(steps->size()) + " steps of " + std::to_string(model.numMoeLayers()) +
                                    " MoE layers x " + std::to_string(model.num_experts) + " experts exceed the " +
                                    std::to_string(kMaxTraceCounts) + " counts a trace may hold");
  }
  trace.num_steps = static_cast<int>(steps->size());
  trace.num_layers = model.numMoeLayers();
  trace.num_experts = model.num_experts;
  trace.counts.assign(static_cast<size_t>(trace.num_steps) * trace.num_layers * trace.num_experts, 0);
  for (size_t s = 0; s < steps->size(); ++s) {
    const Json& step = (*steps)[s];
    std::string step_path = indexJsonPath("steps", s);
    if (!step.is_array() || (step.size() != 1 && step.size() != static_cast<size_t>(trace.num_layers))) {
      return top.error(step_path, "expected an array of " + std::to_string(trace.num_layers) +
                                      " per-layer count arrays (or one, used for every layer)");
    }
    for (size_t l = 0; l < step.size(); ++l) {
      const Json& row = step[l];
      std::string row_path = indexJsonPath(step_path, l);
      if (!row.is_array() || row.size() != static_cast<size_t>(experts)) {
        return top.error(row_path, "expected an array of " + std::to_string(experts) + " counts");
      }
      for (size_t e = 0; e < row.size(); ++e) {
        const Json& v = row[e];
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
          return top.error(indexJsonPath(row_path, e),
                           "expected a non-negative integer count, got " + describeJsonValue(v));
        }
        uint64_t c = v.get<uint64_t>();
        if (c > 0xffffffffu) {
          return top.error(indexJsonPath(row_path, e), "expected a count below 2^32, got " + describeJsonValue(v));
        }
        if (step.size() == 1) {
          for (int ll = 0; ll < trace.num_layers; ++ll) trace.at(static_cast<int>(s), ll)[e] = static_cast<uint32_t>(c);
        } else {
          trace.at(static_cast<int>(s), static_cast<int>(l))[e] = static_cast<uint32_t>(c);
        }
      }
    }
  }
  return trace;
}

StatusOr<LoadTrace> loadTrace(const std::string& path, const ModelShape& model) {
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readTextFile(path));
  return parseTrace(text, path, model);
}

Json traceToJson(const LoadTrace& trace) {
  Json steps = Json::array();
  for (int s = 0; s < trace.num_steps; ++s) {
    Json layers = Json::array();
    for (int l = 0; l < trace.num_layers; ++l) {
      const uint32_t* row = trace.at(s, l);
      layers.push_back(std::vector<uint32_t>(row, row + trace.num_experts));
    }
    steps.push_back(std::move(layers));
  }
  return Json{{"format", "hexmoe-trace"},
              {"version", 1},
              {"description", trace.description},
              {"tokens_per_step", trace.tokens_per_step},
              {"num_experts", trace.num_experts},
              {"steps", std::move(steps)}};
}

Status checkProfile(const LoadProfile& profile, const ModelShape& model) {
  if (profile.numLayers() != model.numMoeLayers()) {
    return invalidArgument("load has " + std::to_string(profile.numLayers()) +
                           " MoE layers but the model has " + std::to_string(model.numMoeLayers()));
  }
  for (int l = 0; l < profile.numLayers(); ++l) {
    const auto& row = profile.expert_tokens[l];
    if (static_cast<int>(row.size()) != model.num_experts) {
      return invalidArgument("load layer " + std::to_string(l) + " has " + std::to_string(row.size()) +
                             " experts but the model has " + std::to_string(model.num_experts));
    }
    for (size_t e = 0; e < row.size(); ++e) {
      if (!std::isfinite(row[e]) || row[e] < 0) {
        return invalidArgument("load layer " + std::to_string(l) + " expert " + std::to_string(e) +
                               " has a negative or non-finite count (" + std::to_string(row[e]) + ")");
      }
    }
  }
  return okStatus();
}

}  // namespace hexmoe::scheduler
