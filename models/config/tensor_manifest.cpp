// Expected tensors of each architecture and the checkpoint check.
#include "models/config/tensor_manifest.h"

#include <cstdlib>
#include <map>
#include <set>

#include "models/weights/dequant.h"

namespace hexmoe::models {
namespace {

using Shape = std::vector<int64_t>;

std::string layerPrefix(int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

std::string describe(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void addAttention(const ModelConfig& c, const std::string& p, std::vector<ExpectedTensor>& out) {
  const int64_t h = c.hiddenSize, nh = c.numHeads;
  auto add = [&](const std::string& name, Shape shape) { out.push_back({p + "self_attn." + name, std::move(shape)}); };
  if (c.isMla()) {
    const int64_t qk = c.qkNopeHeadDim + c.qkRopeHeadDim;
    if (c.qLoraRank > 0) {
      add("q_a_proj.weight", {c.qLoraRank, h});
      add("q_a_layernorm.weight", {c.qLoraRank});
      add("q_b_proj.weight", {nh * qk, c.qLoraRank});
    } else {
      add("q_proj.weight", {nh * qk, h});
    }
    add("kv_a_proj_with_mqa.weight", {c.kvLoraRank + c.qkRopeHeadDim, h});
    add("kv_a_layernorm.weight", {c.kvLoraRank});
    add("kv_b_proj.weight", {nh * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank});
    add("o_proj.weight", {h, nh * c.vHeadDim});
    return;
  }
  const int64_t q = nh * c.headDim, kv = c.numKvHeads * c.headDim;
  add("q_proj.weight", {q, h});
  add("k_proj.weight", {kv, h});
  add("v_proj.weight", {kv, h});
  add("o_proj.weight", {h, q});
  if (c.qkvBias) {
    add("q_proj.bias", {q});
    add("k_proj.bias", {kv});
    add("v_proj.bias", {kv});
  }
  if (c.outputBias) add("o_proj.bias", {h});
  if (c.qkNorm) {
    add("q_norm.weight", {c.headDim});
    add("k_norm.weight", {c.headDim});
  }
}

void addFfn(const std::string& p, int64_t h, int64_t inter, std::vector<ExpectedTensor>& out) {
  out.push_back({p + "gate_proj.weight", {inter, h}});
  out.push_back({p + "up_proj.weight", {inter, h}});
  out.push_back({p + "down_proj.weight", {h, inter}});
}

void addMoe(const ModelConfig& c, const CheckpointLayout& layout, int64_t layer,
            std::vector<ExpectedTensor>& out) {
  const std::string p = layerPrefix(layer) + layout.moePrefix + ".";
  const int64_t h = c.hiddenSize, e = c.numExperts, inter = c.expertIntermediate;
  out.push_back({p + "gate.weight", {e, h}});
  if (c.correctionBias) out.push_back({p + "gate.e_score_correction_bias", {e}});
  if (layout.experts == ExpertLayout::kPacked) {
    out.push_back({p + "experts.gate_up_proj", {e, 2 * inter, h}});
    out.push_back({p + "experts.down_proj", {e, h, inter}});
  } else {
    for (int64_t j = 0; j < e; ++j) {
      out.push_back({expertTensorName(layout, layer, j, "gate"), {inter, h}});
      out.push_back({expertTensorName(layout, layer, j, "up"), {inter, h}});
      out.push_back({expertTensorName(layout, layer, j, "down"), {h, inter}});
    }
  }
  if (c.sharedIntermediate > 0) {
    const bool qwen = c.architecture == Architecture::kQwen2Moe;
    addFfn(p + (qwen ? "shared_expert." : "shared_experts."), h, c.sharedIntermediate, out);
    if (c.sharedExpertGate) out.push_back({p + "shared_expert_gate.weight", {1, h}});
  }
}

/// "model.layers.<L>.<rest>" → L, or -1.
int64_t layerOf(const std::string& name) {
  static const std::string head = "model.layers.";
  if (name.compare(0, head.size(), head) != 0) return -1;
  size_t i = head.size(), j = i;
  while (j < name.size() && j - i < 6 && name[j] >= '0' && name[j] <= '9') ++j;
  if (j == i || j >= name.size() || name[j] != '.') return -1;
  return std::strtoll(name.c_str() + i, nullptr, 10);
}

/// "...experts.<j>.<rest>" → j, or -1.
int64_t expertOf(const std::string& name) {
  const size_t at = name.find(".experts.");
  if (at == std::string::npos) return -1;
  size_t i = at + 9, j = i;
  while (j < name.size() && j - i < 7 && name[j] >= '0' && name[j] <= '9') ++j;
  if (j == i || j >= name.size() || name[j] != '.') return -1;
  return std::strtoll(name.c_str() + i, nullptr, 10);
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string expertTensorName(const CheckpointLayout& layout, int64_t layer, int64_t j, const std::string& proj) {
  const std::string p = layerPrefix(layer) + layout.moePrefix + ".experts." + std::to_string(j) + ".";
  if (layout.moePrefix == "block_sparse_moe")
    return p + (proj == "gate" ? "w1" : proj == "up" ? "w3" : "w2") + ".weight";
  return p + proj + "_proj.weight";
}

std::vector<ExpectedTensor> expectedTensors(const ModelConfig& c, const CheckpointLayout& layout) {
  std::vector<ExpectedTensor> out;
  out.push_back({"model.embed_tokens.weight", {c.vocabSize, c.hiddenSize}});
  for (int64_t i = 0; i < c.numLayers; ++i) {
    const std::string p = layerPrefix(i);
    out.push_back({p + "input_layernorm.weight", {c.hiddenSize}});
    addAttention(c, p, out);
    out.push_back({p + "post_attention_layernorm.weight", {c.hiddenSize}});
    if (c.moeLayers[static_cast<size_t>(i)])
      addMoe(c, layout, i, out);
    else
      addFfn(p + "mlp.", c.hiddenSize, c.denseIntermediate, out);
  }
  out.push_back({"model.norm.weight", {c.hiddenSize}});
  if (!c.tieWordEmbeddings) out.push_back({"lm_head.weight", {c.vocabSize, c.hiddenSize}});
  return out;
}

StatusOr<CheckpointLayout> checkCheckpoint(const ModelConfig& c, const weights::Checkpoint& ckpt) {
  CheckpointLayout layout;
  const std::string where = ckpt.dir() + ": ";
  // The layout, from the first layer with routed experts.
  for (int64_t i = 0; i < c.numLayers; ++i) {
    if (!c.moeLayers[static_cast<size_t>(i)]) continue;
    if (c.architecture == Architecture::kMixtral && ckpt.find(layerPrefix(i) + "block_sparse_moe.gate.weight"))
      layout.moePrefix = "block_sparse_moe";
    if (ckpt.find(layerPrefix(i) + layout.moePrefix + ".experts.gate_up_proj")) layout.experts = ExpertLayout::kPacked;
    break;
  }

  std::set<std::string> expected;
  for (const ExpectedTensor& t : expectedTensors(c, layout)) {
    expected.insert(t.name);
    const weights::CheckpointTensor* found = ckpt.find(t.name);
    if (!found) {
      const int64_t j = expertOf(t.name);
      if (j >= 0)
        return invalidArgument(where + "lacks tensor '" + t.name + "': " + c.source + " gives layer " +
                               std::to_string(layerOf(t.name)) + " " + std::to_string(c.numExperts) +
                               " experts, and expert " + std::to_string(j) + " is missing");
      return invalidArgument(where + "lacks tensor '" + t.name + "' " + describe(t.shape) + ", which " + c.source +
                             " implies");
    }
    const weights::TensorInfo& info = *found->info;
    if (info.shape != t.shape)
      return invalidArgument(where + "tensor '" + t.name + "' is " + info.describe() + ", but " + c.source +
                             " implies " + describe(t.shape));
    if (!weights::isFloating(info.dtype) || info.dtype == weights::DType::kF8E8M0 ||
        info.dtype == weights::DType::kF8E5M2)
      return invalidArgument(where + "tensor '" + t.name + "' is " + info.describe() +
                             ": weights must be F32, F16, BF16, F64 or block-scaled F8_E4M3");
    if (info.dtype == weights::DType::kF8E4M3) {
      if (!c.fp8)
        return invalidArgument(where + "tensor '" + t.name + "' is F8_E4M3, but " + c.source +
                               " has no quantization_config (quant_method fp8)");
      if (t.shape.size() != 2 || !endsWith(t.name, ".weight"))
        return invalidArgument(where + "tensor '" + t.name + "' is F8_E4M3; only 2-D .weight tensors may be");
      const std::string scaleName = t.name + "_scale_inv";
      const weights::CheckpointTensor* scale = ckpt.find(scaleName);
      if (!scale)
        return invalidArgument(where + "tensor '" + t.name + "' is F8_E4M3 without its scales '" + scaleName + "'");
      HEXMOE_RETURN_IF_ERROR(
          weights::checkBlockFp8(info, *scale->info, {c.fp8->blockRows, c.fp8->blockCols}).withPrefix(where));
      expected.insert(scaleName);
    }
  }

  for (const std::string& name : ckpt.names()) {
    if (expected.count(name) || endsWith(name, "rotary_emb.inv_freq")) continue;
    const int64_t layer = layerOf(name);
    if (layer >= c.numLayers && layer < c.numLayers + c.numNextnPredictLayers) continue;  // MTP
    if (layer >= c.numLayers)
      return invalidArgument(where + "tensor '" + name + "' belongs to layer " + std::to_string(layer) + ", but " +
                             c.source + " has num_hidden_layers = " + std::to_string(c.numLayers));
    const int64_t j = expertOf(name);
    if (j >= c.numExperts && layer >= 0)
      return invalidArgument(where + "tensor '" + name + "' is expert " + std::to_string(j) + " of layer " +
                             std::to_string(layer) + ", but " + c.source + " gives " + std::to_string(c.numExperts) +
                             " experts");
    return invalidArgument(where + "tensor '" + name + "' is not part of a " + architectureName(c.architecture) +
                           " model as " + c.source + " describes it");
  }
  return layout;
}

}  // namespace hexmoe::models
