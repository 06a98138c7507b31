//===- KernelSource.cpp - C-family kernel source for the moe ops ----------===//
//
// Work split, one work-item per job: the router one token, the sort the whole
// copy list, the grouped expert kernels one (expert, output row) pair over
// all of that expert's token rows, so each weight row is read once per
// dispatch; the combine one (token, column); the decoder ops one (token,
// column), (token, group) or (token, head), attention with an online softmax
// (no score buffer). Shapes are compile-time
// constants in the source; only the token count is read from `dims`.
// Indices are `long`: an expert tensor passes 2^31 elements on real models.
//
//===----------------------------------------------------------------------===//
#include "compiler/Target/KernelSource.h"

#include "compiler/Plan/Passes.h"
#include "dialects/moe/IR/MoEOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/TypeSwitch.h"

#include <sstream>
#include <vector>

using namespace mlir;

namespace hexmoe::compiler {
namespace {

/// How an emitted kernel is launched: `workgroups` * ceil(W / tile)
/// work-items over workload W, or `workgroups` when tile is 0.
struct KernelLaunch {
  int64_t workgroups = 1;
  int64_t tile = 0;
};

std::string num(int64_t v) { return std::to_string(v) + "L"; }

/// A float literal that round-trips.
std::string flt(double v) {
  std::ostringstream s;
  s.precision(9);
  s << std::scientific << static_cast<float>(v) << "f";
  return s.str();
}

Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }
int64_t staticDim(Value v, unsigned i) { return cast<RankedTensorType>(v.getType()).getDimSize(i); }

/// The type a binding of element type `t` is passed as: bf16 as its bits; f16
/// as `half` in OpenCL C (loaded with vload_half), as its bits in CUDA and
/// HIP C++ (widened by hx_f16, so no half header is needed).
const char *clType(Type t, SourceLanguage lang) {
  if (t.isBF16()) return "ushort";
  if (t.isF16()) return lang == SourceLanguage::OpenCL ? "half" : "ushort";
  if (isa<Float8E4M3FNType>(t)) return "uchar";
  if (t.isInteger(8)) return "char";
  if (t.isInteger(32)) return "int";
  if (t.isInteger(64)) return "long";
  return "float";
}

/// An expression loading element `index` of weight binding `mem` as float.
std::string loadWeight(Type elementType, const std::string &mem, const std::string &index, SourceLanguage lang) {
  if (elementType.isBF16()) return "hx_bf16(" + mem + "[" + index + "])";
  if (elementType.isF16())
    return lang == SourceLanguage::OpenCL ? "vload_half(" + index + ", " + mem + ")" : "hx_f16(" + mem + "[" + index + "])";
  return mem + "[" + index + "]";
}

/// A weight operand as its kernel reads it: binding `mem` of [..., rows,
/// cols], and for a block-scaled format (moe.dequant) the scales binding
/// `<mem>_scales` that follows it.
struct ClWeight {
  std::string mem, scales;
  Type storage;
  SourceLanguage lang;
  int64_t rows = 0, cols = 0, blockRows = 0, blockCols = 0;
};

ClWeight weightOf(Value v, const std::string &mem, SourceLanguage lang) {
  auto t = cast<RankedTensorType>(v.getType());
  ClWeight w;
  w.mem = mem;
  w.lang = lang;
  w.rows = t.getRank() >= 2 ? t.getDimSize(t.getRank() - 2) : 1;
  w.cols = t.getDimSize(t.getRank() - 1);
  w.storage = t.getElementType();
  if (auto dq = v.getDefiningOp<moe::DequantOp>()) {
    w.storage = elementTypeOf(dq.getQuantized());
    w.scales = mem + "_scales";
    w.blockRows = dq.getBlock()[0];
    w.blockCols = dq.getBlock()[1];
  }
  return w;
}

/// Appends the binding names of `w` (itself, then its scales) to `names`.
void addNames(std::vector<std::string> &names, const ClWeight &w) {
  names.push_back(w.mem);
  if (!w.scales.empty()) names.push_back(w.scales);
}

/// An expression loading flat element `index` of weight `w` as its f32 value.
std::string loadWeight(const ClWeight &w, const std::string &index) {
  if (w.scales.empty()) return loadWeight(w.storage, w.mem, index, w.lang);
  const std::string code = w.storage.isInteger(8) ? "(float)" + w.mem + "[" + index + "]"
                                                  : "hx_fp8(" + w.mem + "[" + index + "])";
  return "(" + code + " * " + w.scales + "[hx_block(" + index + ", " + num(w.rows) + ", " + num(w.cols) + ", " +
         num(w.blockRows) + ", " + num(w.blockCols) + ")])";
}

/// An expression loading the 8 weights at flat index `index` (a multiple of
/// 8 within one row) as float8, each times its scale when block-scaled (the
/// 8 share one: their block's columns are a multiple of 8).
std::string loadWeight8(const ClWeight &w, const std::string &index) {
  const std::string bytes = "vload8(0, " + w.mem + " + " + index + ")";
  if (w.storage.isBF16()) return "hx_bf16x8(" + bytes + ")";
  if (w.storage.isF16()) return "vload_half8(0, " + w.mem + " + " + index + ")";
  if (w.scales.empty()) return "(" + bytes + ")";
  const std::string code = w.storage.isInteger(8) ? "convert_float8(" + bytes + ")" : "hx_fp8x8(" + bytes + ")";
  return "(" + code + " * " + w.scales + "[hx_block(" + index + ", " + num(w.rows) + ", " + num(w.cols) + ", " +
         num(w.blockRows) + ", " + num(w.blockCols) + ")])";
}

/// Lines computing `float <acc> = Σ_c act[c] * w[base + c]` for c < n, for
/// each (acc, weight) pair over the same activations: in OpenCL C 8-wide
/// vector loads and fused multiply-adds when n is a multiple of 8 (and a
/// block-scaled weight's blocks are a multiple of 8 columns), scalar
/// otherwise and in CUDA and HIP C++.
std::vector<std::string> dotLines(ArrayRef<std::pair<std::string, const ClWeight *>> sums, const std::string &act,
                                  const std::string &base, int64_t n) {
  std::vector<std::string> out;
  bool scalar = n % 8 != 0;
  for (const auto &sum : sums) scalar |= sum.second->lang != SourceLanguage::OpenCL;
  for (const auto &sum : sums) scalar |= !sum.second->scales.empty() && sum.second->blockCols % 8 != 0;
  if (scalar) {
    for (const auto &[acc, w] : sums) out.push_back("float " + acc + " = 0.0f;");
    out.push_back("for (long c = 0; c < " + num(n) + "; ++c) {");
    for (const auto &[acc, w] : sums)
      out.push_back("  " + acc + " = fma(" + act + "[c], " + loadWeight(*w, base + " + c") + ", " + acc + ");");
    out.push_back("}");
    return out;
  }
  for (const auto &[acc, w] : sums) out.push_back("float8 " + acc + "8 = (float8)(0.0f);");
  out.push_back("for (long c = 0; c < " + num(n) + "; c += 8) {");
  out.push_back("  const float8 a8 = vload8(0, " + act + " + c);");
  for (const auto &[acc, w] : sums)
    out.push_back("  " + acc + "8 = fma(a8, " + loadWeight8(*w, base + " + c") + ", " + acc + "8);");
  out.push_back("}");
  for (const auto &[acc, w] : sums) out.push_back("const float " + acc + " = hx_sum8(" + acc + "8);");
  return out;
}

/// The kernel's signature and the token count, for the bindings of `f`.
/// Bodies are written in OpenCL C's spelling; line() drops the `__global`
/// address space, the one spelling CUDA and HIP C++ lack.
class KernelWriter {
public:
  KernelWriter(func::FuncOp f, std::string &out, SourceLanguage lang) : f_(f), out_(out), lang_(lang) {}

  SourceLanguage lang() const { return lang_; }

  /// Writes `__kernel void name(...) {` (CUDA and HIP: `extern "C"
  /// __global__ void name(...) {`), naming the bindings `names`, then the
  /// workgroup id `wg` and `const long W = ...;` for the workload.
  void open(const std::vector<std::string> &names) {
    SmallVector<Type> types(f_.getArgumentTypes());
    const size_t numArgs = types.size();
    llvm::append_range(types, f_.getResultTypes());
    const bool cl = lang_ == SourceLanguage::OpenCL;
    const std::string space = cl ? "__global " : "", restrictKw = cl ? "* restrict " : "* __restrict__ ";
    out_ += (cl ? "__kernel void " : "extern \"C\" __global__ void ") + f_.getName().str() + "(";
    for (size_t i = 0; i < types.size(); ++i) {
      const char *cv = i < numArgs ? "const " : "";
      out_ += space + cv + clType(cast<RankedTensorType>(types[i]).getElementType(), lang_) + restrictKw + names[i] +
              ", ";
    }
    out_ += space + "const long" + restrictKw + "dims) {\n";
    out_ += cl ? "  const long wg = get_global_id(0);\n" : "  const long wg = hx_global_id();\n";
    auto workload = f_->getAttrOfType<moe::ExtentAttr>(compiler::kWorkloadAttr);
    if (workload.isStatic())
      out_ += "  const long W = " + num(workload.getStaticSize()) + ";\n";
    else
      out_ += "  const long W = dims[" + std::to_string(workload.getDim()) + "] * " + num(workload.getFactor()) +
              ";\n";
    // Kernels over a static range read only their own shape.
    out_ += "  (void)W;\n";
  }
  void line(std::string text) {
    if (lang_ != SourceLanguage::OpenCL)
      for (size_t at; (at = text.find("__global ")) != std::string::npos;) text.erase(at, 9);
    out_ += "  " + text + "\n";
  }
  void close() { out_ += "}\n\n"; }

private:
  func::FuncOp f_;
  std::string &out_;
  SourceLanguage lang_;
};

/// Activation of the gate value g: silu(g) = g / (1 + e^-g), gelu(g) =
/// g/2 (1 + erf(g/√2)).
std::string activation(bool gelu) {
  return gelu ? "0.5f * g * (1.0f + erf(g * 0.70710678118654752f))" : "g / (1.0f + exp(-g))";
}

FailureOr<KernelLaunch> emitRouter(moe::RouterOp r, KernelWriter &w) {
  const int64_t h = staticDim(r.getHidden(), 1), e = staticDim(r.getWeight(), 0);
  const int64_t k = r.getTopK(), nGroup = r.getNGroup(), topkGroup = r.getTopkGroup();
  const bool bias = static_cast<bool>(r.getBias());
  const double scale = r.getRoutedScalingFactor().convertToDouble();
  const ClWeight wt = weightOf(r.getWeight(), "weight", w.lang());
  if (bias)
    w.open({"hidden", "weight", "bias", "ids", "weights"});
  else
    w.open({"hidden", "weight", "ids", "weights"});
  // W is the token count; one work-item per token.
  w.line("if (wg >= W) return;");
  w.line("const long tok = wg;");
  w.line("float scores[" + num(e) + "], choice[" + num(e) + "];");
  w.line("__global const float* x = hidden + tok * " + num(h) + ";");
  w.line("for (long i = 0; i < " + num(e) + "; ++i) {");
  for (const std::string &l : dotLines({{"acc", &wt}}, "x", "i * " + num(h), h)) w.line("  " + l);
  w.line("  scores[i] = acc;");
  w.line("}");
  if (r.getScoring() == moe::Scoring::sigmoid) {
    w.line("for (long i = 0; i < " + num(e) + "; ++i) scores[i] = 1.0f / (1.0f + exp(-scores[i]));");
  } else {
    w.line("float top = -INFINITY;");
    w.line("for (long i = 0; i < " + num(e) + "; ++i) top = fmax(top, scores[i]);");
    w.line("float sum = 0.0f;");
    w.line("for (long i = 0; i < " + num(e) + "; ++i) { scores[i] = exp(scores[i] - top); sum += scores[i]; }");
    w.line("for (long i = 0; i < " + num(e) + "; ++i) scores[i] = scores[i] / sum;");
  }
  // The correction bias shifts selection, never the weights.
  w.line("for (long i = 0; i < " + num(e) + "; ++i) choice[i] = scores[i]" + (bias ? " + bias[i]" : "") + ";");
  if (nGroup > 1) {
    // Group-limited selection (DeepSeek-V3): rate each group by its two best
    // selection scores, keep the best topk_group groups, mask the rest's
    // experts with -inf (never 0.0: kept scores may be negative).
    const int64_t groupSize = e / nGroup;
    w.line("float rating[" + num(nGroup) + "]; int keep[" + num(nGroup) + "];");
    w.line("for (long g = 0; g < " + num(nGroup) + "; ++g) {");
    w.line("  float b1 = -INFINITY, b2 = -INFINITY;");
    w.line("  for (long j = 0; j < " + num(groupSize) + "; ++j) {");
    w.line("    const float v = choice[g * " + num(groupSize) + " + j];");
    w.line("    if (v > b1) { b2 = b1; b1 = v; } else if (v > b2) { b2 = v; }");
    w.line("  }");
    w.line(std::string("  rating[g] = ") + (groupSize >= 2 ? "b1 + b2" : "b1") + "; keep[g] = 0;");
    w.line("}");
    w.line("for (long n = 0; n < " + num(topkGroup) + "; ++n) {");
    w.line("  long best = 0; float bv = -INFINITY;");
    w.line("  for (long g = 0; g < " + num(nGroup) + "; ++g) if (rating[g] > bv) { bv = rating[g]; best = g; }");
    w.line("  keep[best] = 1; rating[best] = -INFINITY;");
    w.line("}");
    w.line("for (long i = 0; i < " + num(e) + "; ++i) if (!keep[i / " + num(groupSize) + "]) choice[i] = -INFINITY;");
  }
  // Top-k by repeated argmax (k is small), ties to the lower index.
  w.line("float total = 0.0f;");
  w.line("for (long j = 0; j < " + num(k) + "; ++j) {");
  w.line("  long best = 0; float bv = -INFINITY;");
  w.line("  for (long i = 0; i < " + num(e) + "; ++i) if (choice[i] > bv) { bv = choice[i]; best = i; }");
  w.line("  ids[tok * " + num(k) + " + j] = (int)best;");
  w.line("  weights[tok * " + num(k) + " + j] = scores[best];");
  w.line("  total += scores[best];");
  w.line("  choice[best] = -INFINITY;");
  w.line("}");
  if (r.getNormTopkProb() || scale != 1.0) {
    std::string factor = flt(scale);
    if (r.getNormTopkProb()) factor += " / (total + 1e-20f)";
    w.line("const float factor = " + factor + ";");
    w.line("for (long j = 0; j < " + num(k) + "; ++j) weights[tok * " + num(k) + " + j] *= factor;");
  }
  w.close();
  return KernelLaunch{1, 1};
}

FailureOr<KernelLaunch> emitSort(moe::SortByExpertOp s, KernelWriter &w) {
  const int64_t e = s.getNumExperts(), k = staticDim(s.getIds(), 1);
  w.open({"ids", "offsets", "copies", "inverse"});
  w.line("if (wg != 0) return;");
  w.line("const long n = W * " + num(k) + ";");
  w.line("int cursor[" + num(e) + "];");
  w.line("for (long i = 0; i <= " + num(e) + "; ++i) offsets[i] = 0;");
  // Ids outside [0, E) are dropped rather than written out of bounds.
  w.line("for (long c = 0; c < n; ++c) { const int x = ids[c]; if (x >= 0 && x < " + num(e) +
         ") offsets[x + 1] += 1; }");
  w.line("for (long i = 0; i < " + num(e) + "; ++i) { cursor[i] = offsets[i]; offsets[i + 1] += offsets[i]; }");
  // A stable counting sort: copies of one expert keep token order.
  w.line("for (long c = 0; c < n; ++c) {");
  w.line("  const int x = ids[c];");
  w.line("  if (x < 0 || x >= " + num(e) + ") { inverse[c] = 0; continue; }");
  w.line("  const int row = cursor[x]++;");
  w.line("  copies[row] = (int)c; inverse[c] = row;");
  w.line("}");
  w.close();
  return KernelLaunch{1, 0};
}

FailureOr<KernelLaunch> emitGateUp(moe::GroupedGateUpOp g, KernelWriter &w) {
  const bool grouped = static_cast<bool>(g.getOffsets());
  const int64_t rank = grouped ? 3 : 2;
  const int64_t h = staticDim(g.getHidden(), 1), inter = staticDim(g.getGate(), rank - 2);
  const int64_t e = grouped ? staticDim(g.getGate(), 0) : 1, k = g.getTopK();
  const ClWeight gate = weightOf(g.getGate(), "gate", w.lang()), up = weightOf(g.getUp(), "up", w.lang());
  std::vector<std::string> names = {"hidden"};
  addNames(names, gate);
  addNames(names, up);
  if (grouped) names.insert(names.end(), {"copies", "offsets"});
  names.push_back("out");
  w.open(names);
  w.line("if (wg >= " + num(e * inter) + ") return;");
  w.line("const long i = wg % " + num(inter) + ";");
  if (grouped) {
    w.line("const long expert = wg / " + num(inter) + ";");
    w.line("const long begin = offsets[expert], end = offsets[expert + 1];");
  } else {
    // W is the token count.
    w.line("const long expert = 0, begin = 0, end = W;");
  }
  w.line("const long base = (expert * " + num(inter) + " + i) * " + num(h) + ";");
  w.line("for (long r = begin; r < end; ++r) {");
  w.line(std::string("  const long token = ") + (grouped ? "copies[r] / " + num(k) : "r") + ";");
  w.line("  __global const float* x = hidden + token * " + num(h) + ";");
  for (const std::string &l : dotLines({{"g", &gate}, {"u", &up}}, "x", "base", h)) w.line("  " + l);
  w.line("  out[r * " + num(inter) + " + i] = (" + activation(g.getActivation() == moe::Activation::gelu) +
         ") * u;");
  w.line("}");
  w.close();
  return KernelLaunch{e * inter, 0};
}

FailureOr<KernelLaunch> emitDown(moe::GroupedDownOp d, KernelWriter &w) {
  const bool grouped = static_cast<bool>(d.getOffsets());
  const int64_t rank = grouped ? 3 : 2;
  const int64_t h = staticDim(d.getDown(), rank - 2), inter = staticDim(d.getAct(), 1);
  const int64_t e = grouped ? staticDim(d.getDown(), 0) : 1;
  const ClWeight down = weightOf(d.getDown(), "down", w.lang());
  std::vector<std::string> names = {"act"};
  addNames(names, down);
  if (grouped) names.push_back("offsets");
  names.push_back("out");
  w.open(names);
  w.line("if (wg >= " + num(e * h) + ") return;");
  w.line("const long col = wg % " + num(h) + ";");
  if (grouped) {
    w.line("const long expert = wg / " + num(h) + ";");
    w.line("const long begin = offsets[expert], end = offsets[expert + 1];");
  } else {
    // W is the row count.
    w.line("const long expert = 0, begin = 0, end = W;");
  }
  w.line("const long base = (expert * " + num(h) + " + col) * " + num(inter) + ";");
  w.line("for (long r = begin; r < end; ++r) {");
  w.line("  __global const float* a = act + r * " + num(inter) + ";");
  for (const std::string &l : dotLines({{"acc", &down}}, "a", "base", inter)) w.line("  " + l);
  w.line("  out[r * " + num(h) + " + col] = acc;");
  w.line("}");
  w.close();
  return KernelLaunch{e * h, 0};
}

FailureOr<KernelLaunch> emitCombine(moe::CombineOp c, KernelWriter &w) {
  const int64_t h = staticDim(c.getExpertOut(), 1), k = staticDim(c.getWeights(), 1);
  const bool shared = static_cast<bool>(c.getShared());
  if (shared)
    w.open({"expert_out", "inverse", "weights", "shared", "out"});
  else
    w.open({"expert_out", "inverse", "weights", "out"});
  // W is the token count; one work-item per (token, column).
  w.line("const long tok = wg / " + num(h) + ", col = wg % " + num(h) + ";");
  w.line("if (tok >= W) return;");
  w.line(std::string("float acc = ") + (shared ? "shared[tok * " + num(h) + " + col]" : "0.0f") + ";");
  w.line("for (long j = 0; j < " + num(k) + "; ++j) {");
  w.line("  const long copy = tok * " + num(k) + " + j;");
  w.line("  acc = fma(weights[copy], expert_out[(long)inverse[copy] * " + num(h) + " + col], acc);");
  w.line("}");
  w.line("out[tok * " + num(h) + " + col] = acc;");
  w.close();
  return KernelLaunch{h, 1};
}

//===----------------------------------------------------------------------===//
// Decoder ops: one work-item per (token, column), (token, group) or
// (token, head); linear one output column over all rows, as the down kernel.
//===----------------------------------------------------------------------===//

FailureOr<KernelLaunch> emitEmbedding(moe::EmbeddingOp e, KernelWriter &w) {
  const int64_t v = staticDim(e.getTable(), 0), h = staticDim(e.getTable(), 1);
  w.open({"ids", "table", "out"});
  w.line("const long tok = wg / " + num(h) + ", col = wg % " + num(h) + ";");
  w.line("if (tok >= W) return;");
  w.line("const long id = ids[tok];");
  // An id outside the table writes zeros, never reads outside it.
  w.line("out[tok * " + num(h) + " + col] = (id >= 0 && id < " + num(v) + ") ? " +
         loadWeight(elementTypeOf(e.getTable()), "table", "id * " + num(h) + " + col", w.lang()) + " : 0.0f;");
  w.close();
  return KernelLaunch{h, 1};
}

FailureOr<KernelLaunch> emitRmsNorm(moe::RmsNormOp n, KernelWriter &w) {
  const int64_t cols = staticDim(n.getInput(), 1), g = staticDim(n.getWeight(), 0), groups = cols / g;
  const Type wt = elementTypeOf(n.getWeight());
  w.open({"input", "weight", "out"});
  w.line("const long tok = wg / " + num(groups) + ", grp = wg % " + num(groups) + ";");
  w.line("if (tok >= W) return;");
  w.line("const long base = tok * " + num(cols) + " + grp * " + num(g) + ";");
  w.line("float ss = 0.0f;");
  w.line("for (long c = 0; c < " + num(g) + "; ++c) ss = fma(input[base + c], input[base + c], ss);");
  w.line("const float scale = 1.0f / sqrt(ss / " + flt(static_cast<double>(g)) + " + " +
         flt(n.getEpsilon().convertToDouble()) + ");");
  w.line("for (long c = 0; c < " + num(g) + "; ++c) out[base + c] = input[base + c] * scale * " +
         loadWeight(wt, "weight", "c", w.lang()) + ";");
  w.close();
  return KernelLaunch{groups, 1};
}

FailureOr<KernelLaunch> emitLinear(moe::LinearOp l, KernelWriter &w) {
  const int64_t n = staticDim(l.getWeight(), 0), k = staticDim(l.getWeight(), 1);
  const ClWeight weight = weightOf(l.getWeight(), "weight", w.lang());
  const bool bias = static_cast<bool>(l.getBias());
  std::vector<std::string> names = {"input"};
  addNames(names, weight);
  if (bias) names.push_back("bias");
  names.push_back("out");
  w.open(names);
  w.line("if (wg >= " + num(n) + ") return;");
  w.line("const long col = wg, base = col * " + num(k) + ";");
  w.line("for (long r = 0; r < W; ++r) {");
  w.line("  __global const float* a = input + r * " + num(k) + ";");
  for (const std::string &line : dotLines({{"acc", &weight}}, "a", "base", k)) w.line("  " + line);
  w.line("  out[r * " + num(n) + " + col] = acc" +
         (bias ? " + " + loadWeight(elementTypeOf(l.getBias()), "bias", "col", w.lang()) : std::string()) + ";");
  w.line("}");
  w.close();
  return KernelLaunch{n, 0};
}

/// add and sigmoid_gate: one work-item per element.
FailureOr<KernelLaunch> emitElementwise(Operation *op, KernelWriter &w) {
  const int64_t n = staticDim(op->getOperand(0), 1);
  const bool add = isa<moe::AddOp>(op);
  w.open({"lhs", "rhs", "out"});
  w.line("const long tok = wg / " + num(n) + ", col = wg % " + num(n) + ";");
  w.line("if (tok >= W) return;");
  w.line("const long i = tok * " + num(n) + " + col;");
  w.line(add ? "out[i] = lhs[i] + rhs[i];" : "out[i] = lhs[i] / (1.0f + exp(-rhs[tok]));");
  w.close();
  return KernelLaunch{n, 1};
}

FailureOr<KernelLaunch> emitRope(moe::RopeOp r, KernelWriter &w) {
  const int64_t cols = staticDim(r.getInput(), 1), d = r.getHeadDim(), rd = r.getRopeDim(), half = rd / 2;
  const int64_t heads = cols / d, p = staticDim(r.getTable(), 0);
  w.open({"input", "positions", "table", "out"});
  w.line("const long tok = wg / " + num(heads) + ", head = wg % " + num(heads) + ";");
  w.line("if (tok >= W) return;");
  w.line("const long base = tok * " + num(cols) + " + head * " + num(d) + ";");
  w.line("for (long c = 0; c < " + num(d) + "; ++c) out[base + c] = input[base + c];");
  w.line("const long pos = clamp((long)positions[tok], 0L, " + num(p - 1) + ");");
  w.line("const long rot = base + " + num(d - rd) + ";");
  w.line("for (long i = 0; i < " + num(half) + "; ++i) {");
  w.line("  const float c = table[pos * " + num(rd) + " + i], s = table[pos * " + num(rd) + " + " + num(half) + " + i];");
  if (r.getInterleaved())
    w.line("  const long a = rot + 2 * i, b = a + 1;");
  else
    w.line("  const long a = rot + i, b = a + " + num(half) + ";");
  w.line("  const float xa = input[a], xb = input[b];");
  w.line("  out[a] = xa * c - xb * s;");
  w.line("  out[b] = fma(xa, s, xb * c);");
  w.line("}");
  w.close();
  return KernelLaunch{heads, 1};
}

FailureOr<KernelLaunch> emitKvWrite(moe::KvWriteOp k, KernelWriter &w) {
  const int64_t slots = staticDim(k.getCache(), 0), c = staticDim(k.getCache(), 1);
  // The cache is bound twice: as the argument and as the result it is.
  w.open({"cache_in", "rows", "positions", "cache"});
  w.line("const long tok = wg / " + num(c) + ", col = wg % " + num(c) + ";");
  w.line("if (tok >= W) return;");
  w.line("const long p = positions[tok];");
  w.line("if (p < 0 || p >= " + num(slots) + ") return;");
  w.line("cache[p * " + num(c) + " + col] = rows[tok * " + num(c) + " + col];");
  w.close();
  return KernelLaunch{c, 1};
}

FailureOr<KernelLaunch> emitAttention(moe::AttentionOp a, KernelWriter &w) {
  const int64_t nh = a.getNumHeads(), nkv = a.getNumKvHeads(), d = a.getHeadDim(), dv = a.getVHeadDim();
  const int64_t slots = staticDim(a.getKCache(), 0), window = a.getSlidingWindow();
  w.open({"q", "k_cache", "v_cache", "positions", "out"});
  // W is tokens * heads.
  w.line("if (wg >= W) return;");
  w.line("const long tok = wg / " + num(nh) + ", head = wg % " + num(nh) + ", grp = head / " + num(nh / nkv) + ";");
  w.line("const long p = clamp((long)positions[tok], 0L, " + num(slots - 1) + ");");
  w.line("const long start = " + (window > 0 ? "(p >= " + num(window - 1) + " ? p - " + num(window - 1) + " : 0L)" : std::string("0L")) + ";");
  w.line("__global const float* qh = q + tok * " + num(nh * d) + " + head * " + num(d) + ";");
  // Online softmax: one pass, a running maximum and rescaled sums.
  w.line("float m = -INFINITY, l = 0.0f, acc[" + num(dv) + "];");
  w.line("for (long c = 0; c < " + num(dv) + "; ++c) acc[c] = 0.0f;");
  w.line("for (long j = start; j <= p; ++j) {");
  w.line("  __global const float* kj = k_cache + j * " + num(nkv * d) + " + grp * " + num(d) + ";");
  w.line("  float s = 0.0f;");
  w.line("  for (long c = 0; c < " + num(d) + "; ++c) s = fma(qh[c], kj[c], s);");
  w.line("  s *= " + flt(a.getScale().convertToDouble()) + ";");
  w.line("  const float mn = fmax(m, s), corr = exp(m - mn), e = exp(s - mn);");
  w.line("  l = l * corr + e;");
  w.line("  __global const float* vj = v_cache + j * " + num(nkv * dv) + " + grp * " + num(dv) + ";");
  w.line("  for (long c = 0; c < " + num(dv) + "; ++c) acc[c] = fma(e, vj[c], acc[c] * corr);");
  w.line("  m = mn;");
  w.line("}");
  w.line("for (long c = 0; c < " + num(dv) + "; ++c) out[tok * " + num(nh * dv) + " + head * " + num(dv) +
         " + c] = acc[c] / l;");
  w.close();
  return KernelLaunch{1, 1};
}

FailureOr<KernelLaunch> emitMlaAttention(moe::MlaAttentionOp a, KernelWriter &w) {
  const int64_t nh = a.getNumHeads(), nope = a.getNopeDim(), dv = a.getVDim();
  const int64_t slots = staticDim(a.getLatentCache(), 0), lat = staticDim(a.getLatentCache(), 1);
  const int64_t r = staticDim(a.getRopeCache(), 1), qw = nope + r, kvw = nope + dv;
  const ClWeight kvb = weightOf(a.getKvB(), "kv_b", w.lang());
  std::vector<std::string> names = {"q", "latent", "rope"};
  addNames(names, kvb);
  names.insert(names.end(), {"positions", "out"});
  w.open(names);
  w.line("if (wg >= W) return;");
  w.line("const long tok = wg / " + num(nh) + ", head = wg % " + num(nh) + ";");
  w.line("const long p = clamp((long)positions[tok], 0L, " + num(slots - 1) + ");");
  w.line("__global const float* qh = q + tok * " + num(nh * qw) + " + head * " + num(qw) + ";");
  w.line("const long kRows = head * " + num(kvw) + " * " + num(lat) + ";");
  // The query in the latent space, then an online softmax over latents.
  w.line("float qa[" + num(lat) + "], acc[" + num(lat) + "];");
  w.line("for (long c = 0; c < " + num(lat) + "; ++c) { qa[c] = 0.0f; acc[c] = 0.0f; }");
  w.line("for (long i = 0; i < " + num(nope) + "; ++i)");
  w.line("  for (long c = 0; c < " + num(lat) + "; ++c) qa[c] = fma(qh[i], " +
         loadWeight(kvb, "kRows + i * " + num(lat) + " + c") + ", qa[c]);");
  w.line("float m = -INFINITY, l = 0.0f;");
  w.line("for (long j = 0; j <= p; ++j) {");
  w.line("  float s = 0.0f;");
  w.line("  for (long c = 0; c < " + num(lat) + "; ++c) s = fma(qa[c], latent[j * " + num(lat) + " + c], s);");
  w.line("  for (long c = 0; c < " + num(r) + "; ++c) s = fma(qh[" + num(nope) + " + c], rope[j * " + num(r) +
         " + c], s);");
  w.line("  s *= " + flt(a.getScale().convertToDouble()) + ";");
  w.line("  const float mn = fmax(m, s), corr = exp(m - mn), e = exp(s - mn);");
  w.line("  l = l * corr + e;");
  w.line("  for (long c = 0; c < " + num(lat) + "; ++c) acc[c] = fma(e, latent[j * " + num(lat) + " + c], acc[c] * corr);");
  w.line("  m = mn;");
  w.line("}");
  w.line("const long vRows = kRows + " + num(nope * lat) + ";");
  w.line("for (long mm = 0; mm < " + num(dv) + "; ++mm) {");
  w.line("  float o = 0.0f;");
  w.line("  for (long c = 0; c < " + num(lat) + "; ++c) o = fma(acc[c], " +
         loadWeight(kvb, "vRows + mm * " + num(lat) + " + c") + ", o);");
  w.line("  out[tok * " + num(nh * dv) + " + head * " + num(dv) + " + mm] = o / l;");
  w.line("}");
  w.close();
  return KernelLaunch{1, 1};
}


const char *openclPrelude() {
  return "// OpenCL C generated by hexmoe-compile (target opencl).\n"
         "// bf16 values travel as their 16 bits: the high half of an f32.\n"
         "inline float hx_bf16(ushort bits) { return as_float(((uint)bits) << 16); }\n"
         "inline float8 hx_bf16x8(ushort8 bits) { return as_float8(convert_uint8(bits) << 16); }\n"
         "// float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN) travels as its byte.\n"
         "inline float hx_fp8(uchar b) {\n"
         "  const uint m = b & 0x7Fu;\n"
         "  const float v = m == 0x7Fu ? NAN : (m < 8u ? (float)m * 0x1p-9f : as_float((m << 20) + (120u << 23)));\n"
         "  return (b & 0x80u) ? -v : v;\n"
         "}\n"
         "inline float8 hx_fp8x8(uchar8 b) {\n"
         "  const uint8 m = convert_uint8(b & (uchar8)(0x7F));\n"
         "  float8 v = select(as_float8((m << 20) + (uint8)(120u << 23)), convert_float8(m) * 0x1p-9f,\n"
         "                    m < (uint8)(8u));\n"
         "  v = select(v, (float8)(NAN), m == (uint8)(0x7Fu));\n"
         "  return select(v, -v, convert_uint8(b) >= (uint8)(0x80u));\n"
         "}\n"
         "// The scale of flat element i of block-scaled [..., rows, cols] weights.\n"
         "inline long hx_block(long i, long rows, long cols, long br, long bc) {\n"
         "  const long rg = i / cols, c = i - rg * cols, m = rg / rows, r = rg - m * rows;\n"
         "  return (m * ((rows + br - 1) / br) + r / br) * ((cols + bc - 1) / bc) + c / bc;\n"
         "}\n"
         "inline float hx_sum8(float8 v) {\n"
         "  const float4 q = v.lo + v.hi;\n"
         "  const float2 p = q.lo + q.hi;\n"
         "  return p.x + p.y;\n"
         "}\n\n";
}

/// CUDA and HIP C++ share one prelude: no half or math headers, bit casts
/// through the compilers' intrinsics, OpenCL C's clamp for longs. A
/// freestanding program (clang's CUDA and HIP modes with no vendor headers or
/// device libraries: targets cuda and rocm) defines the attributes, the bit
/// casts and the math it uses itself, exp and erf by polynomials. The work-item
/// id comes last, after the line "// Work-item ids.".
std::string gpuPrelude(SourceLanguage lang, bool freestanding) {
  const bool hip = lang == SourceLanguage::Hip;
  std::string out;
  if (freestanding) {
    out = hip ? "// HIP C++ generated by hexmoe-compile (target rocm), for clang with no ROCm headers.\n"
              : "// CUDA C++ generated by hexmoe-compile (target cuda), for clang with no CUDA headers.\n";
    out += "#ifndef __device__\n#define __device__ __attribute__((device))\n#endif\n"
           "#ifndef __global__\n#define __global__ __attribute__((global))\n#endif\n"
           "#define INFINITY __builtin_inff()\n"
           "#define NAN __builtin_nanf(\"\")\n"
           "__device__ inline float __uint_as_float(unsigned int b) { return __builtin_bit_cast(float, b); }\n"
           "__device__ inline float __int_as_float(int b) { return __builtin_bit_cast(float, b); }\n"
           "__device__ inline float fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }\n"
           "__device__ inline float fmax(float a, float b) { return __builtin_fmaxf(a, b); }\n"
           "__device__ inline float sqrt(float x) { return __builtin_sqrtf(x); }\n"
           "// e^x: x = n ln2 + r, |r| <= ln2/2 (Cody-Waite), e^r to degree 7, times 2^n.\n"
           "__device__ inline float exp(float x) {\n"
           "  if (!(x == x)) return x;\n"
           "  if (x > 88.72284f) return INFINITY;\n"
           "  if (x < -87.33654f) return 0.0f;\n"
           "  const float n = __builtin_rintf(x * 1.44269504f);\n"
           "  const float r = __builtin_fmaf(n, -1.42860677e-6f, __builtin_fmaf(n, -0.693145752f, x));\n"
           "  float p = 1.98412698e-4f;\n"
           "  p = __builtin_fmaf(p, r, 1.38888889e-3f);\n"
           "  p = __builtin_fmaf(p, r, 8.33333333e-3f);\n"
           "  p = __builtin_fmaf(p, r, 4.16666667e-2f);\n"
           "  p = __builtin_fmaf(p, r, 1.66666667e-1f);\n"
           "  p = __builtin_fmaf(p, r, 0.5f);\n"
           "  p = __builtin_fmaf(p, r, 1.0f);\n"
           "  p = __builtin_fmaf(p, r, 1.0f);\n"
           "  const int e = (int)n, h = e / 2;\n"
           "  return p * __uint_as_float((unsigned int)(h + 127) << 23) * __uint_as_float((unsigned int)(e - h + 127) << 23);\n"
           "}\n"
           "// erf(x), Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).\n"
           "__device__ inline float erf(float x) {\n"
           "  const float a = __builtin_fabsf(x), t = 1.0f / __builtin_fmaf(0.3275911f, a, 1.0f);\n"
           "  float p = 1.061405429f;\n"
           "  p = __builtin_fmaf(p, t, -1.453152027f);\n"
           "  p = __builtin_fmaf(p, t, 1.421413741f);\n"
           "  p = __builtin_fmaf(p, t, -0.284496736f);\n"
           "  p = __builtin_fmaf(p, t, 0.254829592f);\n"
           "  const float y = 1.0f - p * t * exp(-a * a);\n"
           "  return x < 0.0f ? -y : y;\n"
           "}\n";
  } else {
    out = hip ? "// HIP C++ generated by hexmoe-compile (target hip-source).\n"
                "#if !defined(__HIPCC_RTC__)\n#include <hip/hip_runtime.h>\n#endif\n"
              : "// CUDA C++ generated by hexmoe-compile (target cuda-source).\n";
  }
  out += "typedef unsigned char uchar;\n"
         "typedef unsigned short ushort;\n"
         "typedef unsigned int uint;\n"
         "#ifndef INFINITY\n#define INFINITY __int_as_float(0x7f800000)\n#endif\n"
         "#ifndef NAN\n#define NAN __int_as_float(0x7fc00000)\n#endif\n"
         "// bf16 values travel as their 16 bits: the high half of an f32.\n"
         "__device__ inline float hx_bf16(ushort bits) { return __uint_as_float(((uint)bits) << 16); }\n"
         "// f16 values travel as their 16 bits, widened exactly (subnormals too).\n"
         "__device__ inline float hx_f16(ushort h) {\n"
         "  const uint s = ((uint)h & 0x8000u) << 16, e = ((uint)h >> 10) & 0x1Fu, m = (uint)h & 0x3FFu;\n"
         "  if (e == 0u) { const float v = (float)m * 5.9604644775390625e-8f; return s ? -v : v; }\n"
         "  return __uint_as_float(s | (e == 0x1Fu ? 0x7F800000u | (m << 13) : ((e + 112u) << 23) | (m << 13)));\n"
         "}\n"
         "// float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN) travels as its byte.\n"
         "__device__ inline float hx_fp8(uchar b) {\n"
         "  const uint m = b & 0x7Fu;\n"
         "  const float v = m == 0x7Fu ? NAN : (m < 8u ? (float)m * 0.001953125f : __uint_as_float((m << 20) + (120u << 23)));\n"
         "  return (b & 0x80u) ? -v : v;\n"
         "}\n"
         "// The scale of flat element i of block-scaled [..., rows, cols] weights.\n"
         "__device__ inline long hx_block(long i, long rows, long cols, long br, long bc) {\n"
         "  const long rg = i / cols, c = i - rg * cols, m = rg / rows, r = rg - m * rows;\n"
         "  return (m * ((rows + br - 1) / br) + r / br) * ((cols + bc - 1) / bc) + c / bc;\n"
         "}\n"
         "__device__ inline long clamp(long x, long lo, long hi) { return x < lo ? lo : (x > hi ? hi : x); }\n"
         "// Work-item ids.\n";
  if (!freestanding)
    out += "__device__ inline long hx_global_id() { return (long)blockIdx.x * (long)blockDim.x + (long)threadIdx.x; }\n";
  else if (hip)
    out += "__device__ inline long hx_global_id() {\n"
           "  return (long)__builtin_amdgcn_workgroup_id_x() * (long)__builtin_amdgcn_workgroup_size_x() +\n"
           "         (long)__builtin_amdgcn_workitem_id_x();\n"
           "}\n";
  else
    out += "__device__ inline long hx_global_id() {\n"
           "  return (long)__nvvm_read_ptx_sreg_ctaid_x() * (long)__nvvm_read_ptx_sreg_ntid_x() +\n"
           "         (long)__nvvm_read_ptx_sreg_tid_x();\n"
           "}\n";
  return out + "\n";
}

FailureOr<KernelLaunch> emitKernel(func::FuncOp f, std::string &source, SourceLanguage lang) {
  Block &body = f.getBody().front();
  // One moe op and its return, after the moe.dequant ops of its weights.
  Operation *op = body.getTerminator()->getPrevNode();
  bool wellFormed = f->getAttrOfType<moe::ExtentAttr>(compiler::kWorkloadAttr) && op && !isa<moe::DequantOp>(op);
  for (Operation &o : body.without_terminator()) wellFormed &= &o == op || isa<moe::DequantOp>(o);
  if (!wellFormed)
    return f.emitError("a kernel function holds one moe op (after the moe.dequant ops of its weights) and its "
                       "return, with a #moe.extent workload");
  KernelWriter w(f, source, lang);
  return llvm::TypeSwitch<Operation *, FailureOr<KernelLaunch>>(op)
      .Case<moe::RouterOp>([&](auto op) { return emitRouter(op, w); })
      .Case<moe::SortByExpertOp>([&](auto op) { return emitSort(op, w); })
      .Case<moe::GroupedGateUpOp>([&](auto op) { return emitGateUp(op, w); })
      .Case<moe::GroupedDownOp>([&](auto op) { return emitDown(op, w); })
      .Case<moe::CombineOp>([&](auto op) { return emitCombine(op, w); })
      .Case<moe::EmbeddingOp>([&](auto op) { return emitEmbedding(op, w); })
      .Case<moe::RmsNormOp>([&](auto op) { return emitRmsNorm(op, w); })
      .Case<moe::LinearOp>([&](auto op) { return emitLinear(op, w); })
      .Case<moe::AddOp, moe::SigmoidGateOp>([&](Operation *op) { return emitElementwise(op, w); })
      .Case<moe::RopeOp>([&](auto op) { return emitRope(op, w); })
      .Case<moe::KvWriteOp>([&](auto op) { return emitKvWrite(op, w); })
      .Case<moe::AttentionOp>([&](auto op) { return emitAttention(op, w); })
      .Case<moe::MlaAttentionOp>([&](auto op) { return emitMlaAttention(op, w); })
      .Default([&](Operation *op) -> FailureOr<KernelLaunch> {
        return op->emitOpError("has no ") << languageName(lang) << " kernel";
      });
}

} // namespace

const char *languageName(SourceLanguage lang) {
  switch (lang) {
  case SourceLanguage::OpenCL: return "OpenCL C";
  case SourceLanguage::Cuda: return "CUDA C++";
  case SourceLanguage::Hip: return "HIP C++";
  }
  return "?";
}

FailureOr<ExecutableBinary> emitSourceProgram(ModuleOp module, SourceLanguage lang, StringRef format,
                                              StringRef extension, bool freestanding) {
  ExecutableBinary exe;
  exe.format = format.str();
  exe.name = format.str();
  exe.fileExtension = extension.str();
  std::string source =
      lang == SourceLanguage::OpenCL ? std::string(openclPrelude()) : gpuPrelude(lang, freestanding);
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!f->hasAttr(kWorkloadAttr)) continue;
    FailureOr<KernelLaunch> launch = emitKernel(f, source, lang);
    if (failed(launch)) return failure();
    std::string record = std::string(kSourceAbiMarker) + f.getName().str();
    for (int64_t v : kernelAbiRecord(f, launch->workgroups, launch->tile)) record += " " + std::to_string(v);
    source += record + "\n\n";
    const int numBindings = static_cast<int>(f.getNumArguments() + f.getNumResults());
    exe.kernels.push_back({f.getName().str(), numBindings, launch->workgroups, launch->tile});
  }
  exe.data.assign(source.begin(), source.end());
  return exe;
}

} // namespace hexmoe::compiler
