// Routing load: how many token copies each expert receives per step.
//
// A LoadTrace is per step (recorded routing, or sampled from a synthetic
// distribution with a fixed seed); a LoadProfile is the expected load per step
// that the algorithms optimise for. Formats and generators: docs/scheduler.md.
#ifndef HEXMOE_RUNTIME_SCHEDULER_LOAD_H_
#define HEXMOE_RUNTIME_SCHEDULER_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/json_fields.h"
#include "runtime/scheduler/model.h"
#include "runtime/base/status.h"

namespace hexmoe::scheduler {

/// Tokens in one step (a decode batch or a prefill chunk) are at most this,
/// in traces, plans, options and the C API.
constexpr double kMaxTokensPerStep = 1e9;
/// A trace (recorded or sampled) holds at most this many counts, steps x MoE
/// layers x experts: 1 GiB.
constexpr int64_t kMaxTraceCounts = int64_t{1} << 28;

/// Expected token copies per step, per expert of each MoE layer.
struct LoadProfile {
  double tokens_per_step = 0;
  std::vector<std::vector<double>> expert_tokens;  // [moe layer][expert]
  std::string description;

  int numLayers() const { return static_cast<int>(expert_tokens.size()); }
  /// The same shape of load at a different batch size.
  LoadProfile scaledTo(double tokens) const;
};

/// Token copies per expert, per MoE layer, per step.
struct LoadTrace {
  double tokens_per_step = 0;
  int num_steps = 0;
  int num_layers = 0;
  int num_experts = 0;
  std::vector<uint32_t> counts;  // [step][layer][expert]
  std::string description;

  const uint32_t* at(int step, int layer) const {
    return counts.data() + (static_cast<size_t>(step) * num_layers + layer) * num_experts;
  }
  uint32_t* at(int step, int layer) {
    return counts.data() + (static_cast<size_t>(step) * num_layers + layer) * num_experts;
  }
  /// The mean over steps [first, first + count), or all steps.
  LoadProfile mean(int first = 0, int count = -1) const;
};

struct SyntheticLoad {
  enum class Kind { kUniform, kLognormal, kZipf, kDrifting };
  Kind kind = Kind::kLognormal;
  double shape = 1.0;         // lognormal/drifting: sigma; zipf: exponent s
  double drift_rate = 0.02;   // drifting: mean reversion per step (correlation time 1/rate)
  uint64_t seed = 42;
  std::string describe() const;
};

/// `uniform`, `lognormal[:SIGMA]`, `zipf[:S]`, `drifting[:SIGMA[:RATE]]`.
StatusOr<SyntheticLoad> parseLoadSpec(const std::string& spec, uint64_t seed);

/// The expected load (for drifting: at step 0). An expert never gets more than
/// one copy of a token, so loads above tokens_per_step are capped and the rest
/// spread over the others in proportion.
LoadProfile expectedLoad(const SyntheticLoad& load, const ModelShape& model, double tokens_per_step);

/// Samples `steps` steps: per layer and step, tokens_per_step * top_k copies
/// drawn multinomially from the (possibly drifting) expert probabilities.
LoadTrace sampleTrace(const SyntheticLoad& load, const ModelShape& model, double tokens_per_step,
                      int steps);

/// Reads a `hexmoe-trace` document for `model`; errors name the field path.
StatusOr<LoadTrace> parseTrace(const std::string& text, const std::string& source,
                               const ModelShape& model);
StatusOr<LoadTrace> loadTrace(const std::string& path, const ModelShape& model);
Json traceToJson(const LoadTrace& trace);

/// Checks a profile's shape against a model (layers x experts, finite, >= 0).
Status checkProfile(const LoadProfile& profile, const ModelShape& model);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_LOAD_H_
