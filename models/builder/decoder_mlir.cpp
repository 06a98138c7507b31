// Hugging Face config + checkpoint → moe-dialect MLIR text of the decoder.
#include "models/builder/decoder_mlir.h"

#include "models/weights/dequant.h"
#include "models/weights/dtype.h"
#include "models/weights/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace hexmoe::models {
namespace {

std::string shapeOf(const std::vector<int64_t>& dims, const std::string& type) {
  std::string s = "tensor<";
  for (int64_t d : dims) s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
  return s + type + ">";
}

/// Writes the function's arguments and body, one SSA value at a time.
class Emitter {
 public:
  Emitter(const ModelConfig& config, const weights::Checkpoint& ckpt, const BuildOptions& options, BuiltModel& out)
      : config_(config), ckpt_(ckpt), options_(options), out_(out) {}

  /// A plain argument named `name` (moe.name).
  std::string input(const std::string& name, const std::string& type) {
    const std::string v = "%a" + std::to_string(args_.size());
    args_.push_back(v + ": " + type + " {moe.name = \"" + name + "\"}");
    return v;
  }

  /// A weight argument: `pieces` are checkpoint tensor names, each with an
  /// optional "@r0:r1" row range; its element type is the first tensor's.
  /// Block-scaled FP8 (DeepSeek's e4m3 with `weight_scale_inv`) is the
  /// e4m3 weight and its f32 scales, and the value is their moe.dequant,
  /// which the kernels read in place.
  StatusOr<std::pair<std::string, std::string>> weight(const std::vector<std::string>& pieces,
                                                       const std::vector<int64_t>& shape) {
    const std::string first = pieces.front().substr(0, pieces.front().find('@'));
    const weights::CheckpointTensor* t = ckpt_.find(first);
    if (!t) return notFound(ckpt_.dir() + ": the checkpoint has no tensor '" + first + "'");
    std::string type;
    switch (t->info->dtype) {
      case weights::DType::kF32: type = "f32"; break;
      case weights::DType::kBF16: type = "bf16"; break;
      case weights::DType::kF16: type = "f16"; break;
      case weights::DType::kF8E4M3: return fp8Weight(pieces, shape);
      default:
        return unimplemented(ckpt_.dir() + ": tensor '" + first + "' is " + weights::dtypeName(t->info->dtype) +
                             "; the decoder takes F32, BF16, F16 and block-scaled F8_E4M3 checkpoints");
    }
    for (const std::string& p : pieces) {
      const weights::CheckpointTensor* o = ckpt_.find(p.substr(0, p.find('@')));
      if (o && o->info->dtype != t->info->dtype)
        return invalidArgument(ckpt_.dir() + ": tensor '" + p.substr(0, p.find('@')) + "' is " +
                               weights::dtypeName(o->info->dtype) + ", but '" + first + "', stacked with it, is " +
                               weights::dtypeName(t->info->dtype));
    }
    return argument(pieces, shapeOf(shape, type));
  }

  /// A weight of the projections BuildOptions::quantize covers: quantised
  /// here when asked (and not FP8 already), else as weight() takes it.
  StatusOr<std::pair<std::string, std::string>> projection(const std::vector<std::string>& pieces,
                                                           const std::vector<int64_t>& shape) {
    using Q = BuildOptions::Quantize;
    const std::string first = pieces.front().substr(0, pieces.front().find('@'));
    const weights::CheckpointTensor* t = ckpt_.find(first);
    if (options_.quantize == Q::kNone || !t || !weights::isFloating(t->info->dtype) ||
        t->info->dtype == weights::DType::kF8E4M3)
      return weight(pieces, shape);
    // The f32 values of every piece, in order.
    int64_t elements = 1;
    for (int64_t d : shape) elements *= d;
    std::vector<float> values(static_cast<size_t>(elements));
    int64_t at = 0;
    std::string spec;
    for (const std::string& piece : pieces) {
      spec += (spec.empty() ? "" : ";") + piece;
      const std::string name = piece.substr(0, piece.find('@'));
      const weights::CheckpointTensor* p = ckpt_.find(name);
      if (!p) return notFound(ckpt_.dir() + ": the checkpoint has no tensor '" + name + "'");
      const int64_t last = p->info->shape.empty() ? 1 : p->info->shape.back();
      int64_t r0 = 0, r1 = last == 0 ? 0 : p->info->elementCount() / last;
      if (piece.find('@') != std::string::npos) {
        const std::string range = piece.substr(piece.find('@') + 1);
        r0 = std::stoll(range.substr(0, range.find(':')));
        r1 = std::stoll(range.substr(range.find(':') + 1));
      }
      const int64_t n = (r1 - r0) * last;
      if (at + n > elements || !weights::isFloating(p->info->dtype) || p->info->dtype == weights::DType::kF8E4M3)
        return weight(pieces, shape);  // weight() reports what does not fit
      weights::convertToF32(p->info->dtype, p->bytes() + r0 * last * weights::dtypeSize(p->info->dtype),
                            static_cast<size_t>(n), values.data() + at);
      at += n;
    }
    if (at != elements) return weight(pieces, shape);
    const size_t rank = shape.size();
    const int64_t rows = shape[rank - 2], cols = shape[rank - 1], matrices = elements / (rows * cols);
    const bool fp8 = options_.quantize == Q::kFp8;
    const weights::BlockSize block = fp8 ? weights::BlockSize{128, 128} : weights::BlockSize{1, 32};
    weights::Quantized q = weights::quantizeBlocks(values.data(), matrices, rows, cols, block,
                                                   fp8 ? weights::QuantFormat::kFp8E4M3 : weights::QuantFormat::kInt8);
    const std::string key = std::string(fp8 ? "hexmoe.fp8." : "hexmoe.int8.") + spec;
    out_.generatedWeights[key] = std::move(q.codes);
    std::vector<uint8_t>& scaleBytes = out_.generatedWeights[key + ".scale"];
    scaleBytes.resize(q.scales.size() * 4);
    std::memcpy(scaleBytes.data(), q.scales.data(), scaleBytes.size());
    std::vector<int64_t> scaleShape = shape;
    scaleShape[rank - 2] = (rows + block.rows - 1) / block.rows;
    scaleShape[rank - 1] = (cols + block.cols - 1) / block.cols;
    const auto codes = generated(key, shape, fp8 ? "f8E4M3FN" : "i8");
    const auto scales = generated(key + ".scale", scaleShape);
    const std::string tensor = shapeOf(shape, "f32");
    const std::string v = op("moe.dequant " + codes.first + ", " + scales.first + " block [" +
                             std::to_string(block.rows) + ", " + std::to_string(block.cols) + "] : (" + codes.second +
                             ", " + scales.second + ") -> " + tensor);
    return std::make_pair(v, tensor);
  }

  /// A compiler-made weight (embedded), f32 unless `type` says otherwise.
  std::pair<std::string, std::string> generated(const std::string& name, const std::vector<int64_t>& shape,
                                                const std::string& type = "f32") {
    const std::string v = "%w" + std::to_string(args_.size());
    const std::string tensor = shapeOf(shape, type);
    args_.push_back(v + ": " + tensor + " {moe.weight = \"" + name + "\"}");
    return {v, tensor};
  }


  /// Appends `op` (which uses "$" for its result) and returns the value.
  std::string op(const std::string& text) {
    const std::string v = "%v" + std::to_string(values_++);
    body_ << "  " << v << " = " << text << "\n";
    return v;
  }

  /// A weight argument of `tensor` type gathering `pieces`.
  std::pair<std::string, std::string> argument(const std::vector<std::string>& pieces, const std::string& tensor) {
    std::string spec;
    for (const std::string& p : pieces) spec += (spec.empty() ? "" : ";") + p;
    const std::string v = "%w" + std::to_string(args_.size());
    args_.push_back(v + ": " + tensor + " {moe.weight = \"" + spec + "\"}");
    return {v, tensor};
  }

  /// FP8 pieces: each a whole 2-D e4m3 tensor or a row range of one that
  /// starts on a row block (and ends on one, or at the tensor's end); its
  /// scales are the same rows of blocks of `<name>_scale_inv`.
  StatusOr<std::pair<std::string, std::string>> fp8Weight(const std::vector<std::string>& pieces,
                                                          const std::vector<int64_t>& shape) {
    if (!config_.fp8)
      return invalidArgument(ckpt_.dir() + ": tensor '" + pieces.front().substr(0, pieces.front().find('@')) +
                             "' is F8_E4M3, but config.json has no fp8 quantization_config (weight_block_size)");
    const int64_t br = config_.fp8->blockRows, bc = config_.fp8->blockCols;
    std::vector<std::string> scalePieces;
    bool scalesF32 = true;
    for (const std::string& piece : pieces) {
      const std::string name = piece.substr(0, piece.find('@'));
      const weights::CheckpointTensor* t = ckpt_.find(name);
      const weights::CheckpointTensor* s = ckpt_.find(name + "_scale_inv");
      if (!t) return notFound(ckpt_.dir() + ": the checkpoint has no tensor '" + name + "'");
      if (t->info->dtype != weights::DType::kF8E4M3 || t->info->shape.size() != 2)
        return unimplemented(ckpt_.dir() + ": tensor '" + name + "' is " + t->info->describe() +
                             "; block-scaled FP8 weights are read as 2-D F8_E4M3 tensors (one per expert), each with "
                             "its own '_scale_inv'");
      if (!s) return notFound(ckpt_.dir() + ": F8_E4M3 tensor '" + name + "' has no '" + name + "_scale_inv'");
      HEXMOE_RETURN_IF_ERROR(weights::checkBlockFp8(*t->info, *s->info, {br, bc}));
      scalesF32 &= s->info->dtype == weights::DType::kF32;
      const int64_t rows = t->info->shape[0];
      std::string scalePiece = name + "_scale_inv";
      if (piece.find('@') != std::string::npos) {
        const std::string range = piece.substr(piece.find('@') + 1);
        const int64_t r0 = std::stoll(range.substr(0, range.find(':')));
        const int64_t r1 = std::stoll(range.substr(range.find(':') + 1));
        if (r0 % br != 0 || (r1 % br != 0 && r1 != rows))
          return unimplemented(ckpt_.dir() + ": rows [" + std::to_string(r0) + ", " + std::to_string(r1) +
                               ") of F8_E4M3 tensor '" + name + "' do not fall on its " + std::to_string(br) +
                               "-row scale blocks");
        scalePiece += "@" + std::to_string(r0 / br) + ":" + std::to_string((r1 + br - 1) / br);
      }
      scalePieces.push_back(scalePiece);
    }
    std::vector<int64_t> scaleShape = shape;
    const size_t r = scaleShape.size();
    scaleShape[r - 2] = (scaleShape[r - 2] + br - 1) / br;
    scaleShape[r - 1] = (scaleShape[r - 1] + bc - 1) / bc;
    const auto q = argument(pieces, shapeOf(shape, "f8E4M3FN"));
    std::pair<std::string, std::string> scale;
    if (scalesF32) {
      scale = argument(scalePieces, shapeOf(scaleShape, "f32"));
    } else {
      // Scales stored narrower (bf16) are widened here and embedded: one
      // value per block.
      std::vector<float> values;
      std::string key = "hexmoe.f32";
      for (const std::string& piece : scalePieces) {
        const std::string name = piece.substr(0, piece.find('@'));
        const weights::CheckpointTensor* s = ckpt_.find(name);
        const int64_t cols = s->info->shape[1];
        int64_t r0 = 0, r1 = s->info->shape[0];
        if (piece.find('@') != std::string::npos) {
          const std::string range = piece.substr(piece.find('@') + 1);
          r0 = std::stoll(range.substr(0, range.find(':')));
          r1 = std::stoll(range.substr(range.find(':') + 1));
        }
        std::vector<float> part(static_cast<size_t>((r1 - r0) * cols));
        weights::convertToF32(s->info->dtype, s->bytes() + r0 * cols * weights::dtypeSize(s->info->dtype),
                              part.size(), part.data());
        values.insert(values.end(), part.begin(), part.end());
        key += "." + piece;
      }
      out_.generatedWeights[key].resize(values.size() * 4);
      std::memcpy(out_.generatedWeights[key].data(), values.data(), values.size() * 4);
      scale = generated(key, scaleShape);
    }
    const std::string tensor = shapeOf(shape, "f32");
    const std::string v = op("moe.dequant " + q.first + ", " + scale.first + " block [" + std::to_string(br) + ", " +
                             std::to_string(bc) + "] : (" + q.second + ", " + scale.second + ") -> " + tensor);
    return std::make_pair(v, tensor);
  }

  std::string finish(const std::string& result, const std::string& resultType) {
    std::string s = "func.func @forward(";
    for (size_t i = 0; i < args_.size(); ++i) s += (i ? ",\n    " : "") + args_[i];
    s += ")\n    -> " + resultType + " {\n" + body_.str();
    s += "  return " + result + " : " + resultType + "\n}\n";
    return s;
  }

 private:
  const ModelConfig& config_;
  const weights::Checkpoint& ckpt_;
  const BuildOptions& options_;
  BuiltModel& out_;
  std::vector<std::string> args_;
  std::ostringstream body_;
  int values_ = 0;
};

std::string layerName(int64_t i, const std::string& rest) { return "model.layers." + std::to_string(i) + "." + rest; }

std::string f64(double v) {
  std::ostringstream s;
  s.precision(17);
  s << std::scientific << v;
  return s.str();
}

}  // namespace

std::vector<float> ropeTable(const ModelConfig& c, int64_t positions, int64_t dim) {
  const RopeConfig& r = c.rope;
  const int64_t half = dim / 2;
  std::vector<double> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) inv[i] = 1.0 / std::pow(r.theta, static_cast<double>(2 * i) / dim);
  double attention = 1.0;
  if (r.type == "linear") {
    for (double& f : inv) f /= r.factor;
  } else if (r.type == "yarn") {
    // transformers' _compute_yarn_parameters.
    auto mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
    attention = r.mscaleAllDim > 0 ? mscale(r.factor, r.mscale) / mscale(r.factor, r.mscaleAllDim)
                                   : mscale(r.factor, 1.0);
    auto correction = [&](double rotations) {
      return dim * std::log(r.originalMaxPositions / (rotations * 2 * M_PI)) / (2 * std::log(r.theta));
    };
    double low = std::max(std::floor(correction(r.betaFast)), 0.0);
    double high = std::min(std::ceil(correction(r.betaSlow)), static_cast<double>(dim - 1));
    if (low == high) high += 0.001;
    for (int64_t i = 0; i < half; ++i) {
      const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
      const double extrapolation = 1 - ramp;
      inv[i] = inv[i] / r.factor * (1 - extrapolation) + inv[i] * extrapolation;
    }
  }
  std::vector<float> table(static_cast<size_t>(positions * dim));
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      const double a = static_cast<double>(p) * inv[i];
      table[p * dim + i] = static_cast<float>(std::cos(a) * attention);
      table[p * dim + half + i] = static_cast<float>(std::sin(a) * attention);
    }
  return table;
}

StatusOr<BuiltModel> buildDecoderMlir(const ModelConfig& c, const CheckpointLayout& layout,
                                      const weights::Checkpoint& ckpt, const BuildOptions& options) {
  BuiltModel out;
  out.maxSeqLen = options.maxSeqLen > 0 ? options.maxSeqLen : std::min<int64_t>(c.maxPositions, 4096);
  const int64_t S = out.maxSeqLen, H = c.hiddenSize, D = c.headDim, nh = c.numHeads, nkv = c.numKvHeads;
  const int64_t q = nh * D, kv = nkv * D, V = c.vocabSize;
  const std::string act = shapeOf({-1, H}, "f32");

  Emitter e(c, ckpt, options, out);
  const std::string ids = e.input("ids", "tensor<?xi32>");
  const std::string pos = e.input("positions", "tensor<?xi32>");
  // Per layer: keys and values (GQA), or MLA's latents and rotary keys.
  std::vector<std::pair<std::string, std::string>> caches;
  const std::string cacheType = shapeOf({S, kv}, "f32");
  const std::string latentType = shapeOf({S, c.kvLoraRank}, "f32"), peType = shapeOf({S, c.qkRopeHeadDim}, "f32");
  for (int64_t i = 0; i < c.numLayers; ++i) {
    const std::string n = std::to_string(i);
    if (c.isMla())
      caches.push_back({e.input("latent_cache." + n, latentType), e.input("rope_cache." + n, peType)});
    else
      caches.push_back({e.input("k_cache." + n, cacheType), e.input("v_cache." + n, cacheType)});
  }

  const int64_t ropeDim = c.isMla() ? c.qkRopeHeadDim : D;
  const std::string ropeName = "hexmoe.rope." + std::to_string(S) + "x" + std::to_string(ropeDim);
  std::vector<float> table = ropeTable(c, S, ropeDim);
  out.generatedWeights[ropeName].resize(table.size() * 4);
  std::memcpy(out.generatedWeights[ropeName].data(), table.data(), table.size() * 4);
  const std::pair<std::string, std::string> ropeArg = e.generated(ropeName, {S, ropeDim});
  const std::string rope = ropeArg.first, ropeType = ropeArg.second;
  auto ropeOp = [&](const std::string& in, int64_t cols, int64_t headDim) {
    const std::string type = shapeOf({-1, cols}, "f32");
    return e.op("moe.rope " + in + ", " + pos + ", " + rope + " {head_dim = " + std::to_string(headDim) +
                " : i64, rope_dim = " + std::to_string(ropeDim) + " : i64" + (c.rope.interleaved ? ", interleaved" : "") +
                "} : (" + type + ", tensor<?xi32>, " + ropeType + ") -> " + type);
  };

  auto W = [&](std::vector<std::string> pieces, std::vector<int64_t> shape) { return e.weight(pieces, shape); };
  // The projections BuildOptions::quantize covers.
  auto P = [&](std::vector<std::string> pieces, std::vector<int64_t> shape) { return e.projection(pieces, shape); };
  HEXMOE_ASSIGN_OR_RETURN(auto embed, W({"model.embed_tokens.weight"}, {V, H}));
  std::string x = e.op("moe.embedding " + ids + ", " + embed.first + " : (tensor<?xi32>, " + embed.second + ") -> " + act);

  auto rmsNorm = [&](const std::string& in, const std::string& inType, const std::pair<std::string, std::string>& w) {
    return e.op("moe.rms_norm " + in + ", " + w.first + " {epsilon = " + f64(c.rmsNormEps) + " : f64} : (" + inType +
                ", " + w.second + ") -> " + inType);
  };
  auto linear = [&](const std::string& in, const std::string& inType, const std::pair<std::string, std::string>& w,
                    const std::pair<std::string, std::string>* bias, int64_t n) {
    const std::string outType = shapeOf({-1, n}, "f32");
    std::string text = "moe.linear " + in + ", " + w.first + (bias ? " bias " + bias->first : "") + " : (" + inType +
                       ", " + w.second + (bias ? ", " + bias->second : "") + ") -> " + outType;
    return e.op(text);
  };

  for (int64_t i = 0; i < c.numLayers; ++i) {
    auto L = [&](const std::string& rest) { return layerName(i, rest); };
    HEXMOE_ASSIGN_OR_RETURN(auto inNorm, W({L("input_layernorm.weight")}, {H}));
    const std::string n = rmsNorm(x, act, inNorm);
    std::string a;
    if (c.isMla()) {
      // DeepSeek's MLA: q through its LoRA (or directly), the latent and the
      // rotary key from kv_a_proj_with_mqa's two row blocks, attention in the
      // latent space against kv_b_proj.
      const int64_t qk = c.qkNopeHeadDim + c.qkRopeHeadDim, lr = c.kvLoraRank, pr = c.qkRopeHeadDim;
      std::string qv;
      if (c.qLoraRank > 0) {
        HEXMOE_ASSIGN_OR_RETURN(auto qa, P({L("self_attn.q_a_proj.weight")}, {c.qLoraRank, H}));
        HEXMOE_ASSIGN_OR_RETURN(auto qan, W({L("self_attn.q_a_layernorm.weight")}, {c.qLoraRank}));
        HEXMOE_ASSIGN_OR_RETURN(auto qb, P({L("self_attn.q_b_proj.weight")}, {nh * qk, c.qLoraRank}));
        const std::string qaType = shapeOf({-1, c.qLoraRank}, "f32");
        qv = linear(rmsNorm(linear(n, act, qa, nullptr, c.qLoraRank), qaType, qan), qaType, qb, nullptr, nh * qk);
      } else {
        HEXMOE_ASSIGN_OR_RETURN(auto qp, P({L("self_attn.q_proj.weight")}, {nh * qk, H}));
        qv = linear(n, act, qp, nullptr, nh * qk);
      }
      qv = ropeOp(qv, nh * qk, qk);
      const std::string kva = L("self_attn.kv_a_proj_with_mqa.weight");
      HEXMOE_ASSIGN_OR_RETURN(auto wc, P({kva + "@0:" + std::to_string(lr)}, {lr, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto wpe, P({kva + "@" + std::to_string(lr) + ":" + std::to_string(lr + pr)}, {pr, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto kvn, W({L("self_attn.kv_a_layernorm.weight")}, {lr}));
      const std::string lType = shapeOf({-1, lr}, "f32"), pType = shapeOf({-1, pr}, "f32");
      const std::string latent = rmsNorm(linear(n, act, wc, nullptr, lr), lType, kvn);
      const std::string pe = ropeOp(linear(n, act, wpe, nullptr, pr), pr, pr);
      const std::string lc = e.op("moe.kv_write " + caches[i].first + ", " + latent + ", " + pos + " : (" + latentType +
                                  ", " + lType + ", tensor<?xi32>) -> " + latentType);
      const std::string pc = e.op("moe.kv_write " + caches[i].second + ", " + pe + ", " + pos + " : (" + peType + ", " +
                                  pType + ", tensor<?xi32>) -> " + peType);
      HEXMOE_ASSIGN_OR_RETURN(auto kvb, P({L("self_attn.kv_b_proj.weight")}, {nh * (c.qkNopeHeadDim + c.vHeadDim), lr}));
      // transformers' DeepSeek scaling: qk_head_dim^-0.5, times mscale(factor, mscale_all_dim)^2 under YaRN.
      double scale = 1.0 / std::sqrt(static_cast<double>(qk));
      if (c.rope.type == "yarn" && c.rope.mscaleAllDim > 0 && c.rope.factor > 1) {
        const double m = 0.1 * c.rope.mscaleAllDim * std::log(c.rope.factor) + 1.0;
        scale *= m * m;
      }
      const std::string oType = shapeOf({-1, nh * c.vHeadDim}, "f32");
      const std::string attn = e.op("moe.mla_attention " + qv + ", " + lc + ", " + pc + ", " + kvb.first + ", " + pos +
                                    " {num_heads = " + std::to_string(nh) + " : i64, nope_dim = " +
                                    std::to_string(c.qkNopeHeadDim) + " : i64, v_dim = " + std::to_string(c.vHeadDim) +
                                    " : i64, scale = " + f64(scale) + " : f64} : (" + shapeOf({-1, nh * qk}, "f32") +
                                    ", " + latentType + ", " + peType + ", " + kvb.second + ", tensor<?xi32>) -> " + oType);
      HEXMOE_ASSIGN_OR_RETURN(auto o, P({L("self_attn.o_proj.weight")}, {H, nh * c.vHeadDim}));
      a = linear(attn, oType, o, nullptr, H);
    } else {
      std::pair<std::string, std::string> qkv[3], biases[3];
      const char* names[3] = {"q_proj", "k_proj", "v_proj"};
      const int64_t widths[3] = {q, kv, kv};
      std::string proj[3];
      for (int j = 0; j < 3; ++j) {
        HEXMOE_ASSIGN_OR_RETURN(qkv[j], P({L(std::string("self_attn.") + names[j] + ".weight")}, {widths[j], H}));
        if (c.qkvBias) {
          HEXMOE_ASSIGN_OR_RETURN(biases[j], W({L(std::string("self_attn.") + names[j] + ".bias")}, {widths[j]}));
        }
        proj[j] = linear(n, act, qkv[j], c.qkvBias ? &biases[j] : nullptr, widths[j]);
      }
      const std::string qType = shapeOf({-1, q}, "f32"), kvType = shapeOf({-1, kv}, "f32");
      if (c.qkNorm) {
        HEXMOE_ASSIGN_OR_RETURN(auto qn, W({L("self_attn.q_norm.weight")}, {D}));
        HEXMOE_ASSIGN_OR_RETURN(auto kn, W({L("self_attn.k_norm.weight")}, {D}));
        proj[0] = rmsNorm(proj[0], qType, qn);
        proj[1] = rmsNorm(proj[1], kvType, kn);
      }
      const std::string qr = ropeOp(proj[0], q, D);
      const std::string kr = ropeOp(proj[1], kv, D);
      const std::string kc = e.op("moe.kv_write " + caches[i].first + ", " + kr + ", " + pos + " : (" + cacheType + ", " +
                                  kvType + ", tensor<?xi32>) -> " + cacheType);
      const std::string vc = e.op("moe.kv_write " + caches[i].second + ", " + proj[2] + ", " + pos + " : (" + cacheType +
                                  ", " + kvType + ", tensor<?xi32>) -> " + cacheType);
      const std::string attn =
          e.op("moe.attention " + qr + ", " + kc + ", " + vc + ", " + pos + " {num_heads = " + std::to_string(nh) +
               " : i64, num_kv_heads = " + std::to_string(nkv) + " : i64, head_dim = " + std::to_string(D) +
               " : i64, v_head_dim = " + std::to_string(D) + " : i64, scale = " + f64(1.0 / std::sqrt(double(D))) +
               " : f64, sliding_window = " + std::to_string(c.slidingWindow.value_or(0)) + " : i64} : (" + qType + ", " +
               cacheType + ", " + cacheType + ", tensor<?xi32>) -> " + qType);
      HEXMOE_ASSIGN_OR_RETURN(auto o, P({L("self_attn.o_proj.weight")}, {H, q}));
      std::pair<std::string, std::string> ob;
      if (c.outputBias) {
        HEXMOE_ASSIGN_OR_RETURN(ob, W({L("self_attn.o_proj.bias")}, {H}));
      }
      a = linear(attn, qType, o, c.outputBias ? &ob : nullptr, H);
    }
    x = e.op("moe.add " + x + ", " + a + " : (" + act + ", " + act + ") -> " + act);

    HEXMOE_ASSIGN_OR_RETURN(auto postNorm, W({L("post_attention_layernorm.weight")}, {H}));
    const std::string n2 = rmsNorm(x, act, postNorm);
    std::string ffn;
    if (c.moeLayers[static_cast<size_t>(i)]) {
      const int64_t E = c.numExperts, I = c.expertIntermediate;
      const std::string p = L(layout.moePrefix + ".");
      std::string gatedShared;
      HEXMOE_ASSIGN_OR_RETURN(auto router, W({p + "gate.weight"}, {E, H}));
      std::vector<std::string> gate, up, down;
      if (layout.experts == ExpertLayout::kPacked) {
        const std::string gu = p + "experts.gate_up_proj";
        for (int64_t j = 0; j < E; ++j) {
          gate.push_back(gu + "@" + std::to_string(j * 2 * I) + ":" + std::to_string(j * 2 * I + I));
          up.push_back(gu + "@" + std::to_string(j * 2 * I + I) + ":" + std::to_string((j + 1) * 2 * I));
        }
        down.push_back(p + "experts.down_proj");
      } else {
        for (int64_t j = 0; j < E; ++j) {
          gate.push_back(expertTensorName(layout, i, j, "gate"));
          up.push_back(expertTensorName(layout, i, j, "up"));
          down.push_back(expertTensorName(layout, i, j, "down"));
        }
      }
      HEXMOE_ASSIGN_OR_RETURN(auto g, P(gate, {E, I, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto u, P(up, {E, I, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto d, P(down, {E, H, I}));
      std::string attrs;
      auto attr = [&](const std::string& a) { attrs += (attrs.empty() ? "" : ", ") + a; };
      if (c.normTopkProb) attr("norm_topk_prob");
      if (c.routedScalingFactor != 1.0) attr("routed_scaling_factor = " + f64(c.routedScalingFactor) + " : f64");
      if (c.nGroup > 1) {
        attr("n_group = " + std::to_string(c.nGroup) + " : i64");
        attr("topk_group = " + std::to_string(c.topkGroup) + " : i64");
      }
      std::string bias, biasType;
      if (c.correctionBias) {
        // The op takes the correction bias in f32; a bf16 or f16
        // checkpoint's is widened here (E values) and embedded.
        const std::string name = p + "gate.e_score_correction_bias";
        const weights::CheckpointTensor* t = ckpt.find(name);
        if (!t) return notFound(ckpt.dir() + ": the checkpoint has no tensor '" + name + "'");
        if (t->info->dtype == weights::DType::kF32) {
          HEXMOE_ASSIGN_OR_RETURN(auto b, W({name}, {E}));
          bias = b.first, biasType = b.second;
        } else {
          std::vector<float> values(static_cast<size_t>(E));
          weights::convertToF32(t->info->dtype, t->bytes(), values.size(), values.data());
          const std::string gen = "hexmoe.f32." + name;
          out.generatedWeights[gen].resize(values.size() * 4);
          std::memcpy(out.generatedWeights[gen].data(), values.data(), values.size() * 4);
          auto b = e.generated(gen, {E});
          bias = b.first, biasType = b.second;
        }
      }
      std::string shared, sharedTypes;
      if (c.sharedExpertGate) {
        // Qwen2-MoE: its shared expert is gated per token, so it runs beside
        // the routed experts: sigmoid(x · shared_expert_gate) * ffn(x).
        const int64_t Is = c.sharedIntermediate;
        HEXMOE_ASSIGN_OR_RETURN(auto sg, P({p + "shared_expert.gate_proj.weight"}, {Is, H}));
        HEXMOE_ASSIGN_OR_RETURN(auto su, P({p + "shared_expert.up_proj.weight"}, {Is, H}));
        HEXMOE_ASSIGN_OR_RETURN(auto sd, P({p + "shared_expert.down_proj.weight"}, {H, Is}));
        HEXMOE_ASSIGN_OR_RETURN(auto gw, W({p + "shared_expert_gate.weight"}, {1, H}));
        const std::string s0 = e.op("moe.ffn silu " + n2 + ", " + sg.first + ", " + su.first + ", " + sd.first + " : (" +
                                    act + ", " + sg.second + ", " + su.second + ", " + sd.second + ") -> " + act);
        const std::string g0 = linear(n2, act, gw, nullptr, 1);
        gatedShared = e.op("moe.sigmoid_gate " + s0 + ", " + g0 + " : (" + act + ", " + shapeOf({-1, 1}, "f32") +
                           ") -> " + act);
      } else if (c.sharedIntermediate > 0) {
        const int64_t Is = c.sharedIntermediate;
        HEXMOE_ASSIGN_OR_RETURN(auto sg, P({p + "shared_experts.gate_proj.weight"}, {Is, H}));
        HEXMOE_ASSIGN_OR_RETURN(auto su, P({p + "shared_experts.up_proj.weight"}, {Is, H}));
        HEXMOE_ASSIGN_OR_RETURN(auto sd, P({p + "shared_experts.down_proj.weight"}, {H, Is}));
        shared = " shared(" + sg.first + ", " + su.first + ", " + sd.first + ")";
        sharedTypes = ", " + sg.second + ", " + su.second + ", " + sd.second;
      }
      ffn = e.op("moe.layer " + c.scoring + " " + n2 + ", " + router.first + (bias.empty() ? "" : " bias " + bias) +
                 " top_k " + std::to_string(c.topK) + " experts(" + g.first + ", " + u.first + ", " + d.first + ")" +
                 shared + " {" + attrs + "} : (" + act + ", " + router.second +
                 (bias.empty() ? "" : ", " + biasType) + ", " + g.second + ", " + u.second + ", " + d.second +
                 sharedTypes + ") -> " + act);
      if (!gatedShared.empty()) ffn = e.op("moe.add " + ffn + ", " + gatedShared + " : (" + act + ", " + act + ") -> " + act);
    } else {
      const int64_t I = c.denseIntermediate;
      HEXMOE_ASSIGN_OR_RETURN(auto g, P({L("mlp.gate_proj.weight")}, {I, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto u, P({L("mlp.up_proj.weight")}, {I, H}));
      HEXMOE_ASSIGN_OR_RETURN(auto d, P({L("mlp.down_proj.weight")}, {H, I}));
      ffn = e.op("moe.ffn silu " + n2 + ", " + g.first + ", " + u.first + ", " + d.first + " : (" + act + ", " +
                 g.second + ", " + u.second + ", " + d.second + ") -> " + act);
    }
    x = e.op("moe.add " + x + ", " + ffn + " : (" + act + ", " + act + ") -> " + act);
  }
  HEXMOE_ASSIGN_OR_RETURN(auto finalNorm, W({"model.norm.weight"}, {H}));
  const std::string n = rmsNorm(x, act, finalNorm);
  HEXMOE_ASSIGN_OR_RETURN(auto head, W({c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"}, {V, H}));
  const std::string logits = linear(n, act, head, nullptr, V);
  out.mlir = e.finish(logits, shapeOf({-1, V}, "f32"));
  return out;
}

}  // namespace hexmoe::models
