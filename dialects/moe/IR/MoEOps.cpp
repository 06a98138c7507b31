//===- MoEOps.cpp - moe dialect operations and verifiers ------------------===//
//
// Verifiers name the operand and print the expected shape with its symbols
// (T, H, E, K, I, N) next to what was found.
//
//===----------------------------------------------------------------------===//
#include "dialects/moe/IR/MoEOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace hexmoe::moe;

namespace {

/// One expected dimension: a symbol for messages and its value, or
/// ShapedType::kDynamic when only the symbol is known.
struct Dim {
  const char *symbol;
  int64_t value;
};

/// Combines two known sizes of the same symbol; dynamic if either is.
int64_t mulDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) ? ShapedType::kDynamic : a * b;
}

std::string describe(ArrayRef<Dim> dims) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(dims, os, [&](const Dim &d) {
    os << d.symbol;
    if (!ShapedType::isDynamic(d.value)) os << "=" << d.value;
  });
  os << "]";
  return s;
}

/// Checks that `value` is a ranked tensor with the expected dims (dynamic
/// dims on either side match anything).
LogicalResult expectShape(Operation *op, StringRef name, Value value, ArrayRef<Dim> dims) {
  auto type = cast<RankedTensorType>(value.getType());
  auto fail = [&]() {
    return op->emitOpError() << "'" << name << "' must be " << describe(dims) << ", got "
                             << type;
  };
  if (type.getRank() != static_cast<int64_t>(dims.size())) return fail();
  for (auto [actual, want] : llvm::zip(type.getShape(), dims)) {
    if (ShapedType::isDynamic(actual) || ShapedType::isDynamic(want.value)) continue;
    if (actual != want.value) return fail();
  }
  return success();
}

/// Weights are constants of the model: their shapes must be static.
LogicalResult expectStatic(Operation *op, StringRef name, Value value, int64_t rank) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != rank || !type.hasStaticShape())
    return op->emitOpError() << "'" << name << "' must be a static rank-" << rank
                             << " tensor, got " << type;
  return success();
}

int64_t dimOf(Value v, unsigned i) { return cast<RankedTensorType>(v.getType()).getDimSize(i); }

/// Checks a rank-2 activation and returns its (rows, cols).
LogicalResult expectMatrix(Operation *op, StringRef name, Value value, const char *rows,
                           const char *cols) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != 2)
    return op->emitOpError() << "'" << name << "' must be a rank-2 tensor [" << rows << ", "
                             << cols << "], got " << type;
  if (ShapedType::isDynamic(type.getDimSize(1)))
    return op->emitOpError() << "'" << name << "' must have a static " << cols
                             << " dimension, got " << type;
  return success();
}

/// Router attribute rules shared by moe.router and moe.layer.
LogicalResult verifyRouting(Operation *op, int64_t numExperts, int64_t topK, int64_t nGroup,
                            int64_t topkGroup, double scale) {
  if (topK > numExperts)
    return op->emitOpError() << "top_k = " << topK << " exceeds the " << numExperts << " experts";
  if (nGroup < 1 || numExperts % nGroup != 0)
    return op->emitOpError() << "n_group = " << nGroup << " must divide the " << numExperts
                             << " experts";
  if (topkGroup < 1 || topkGroup > nGroup)
    return op->emitOpError() << "topk_group = " << topkGroup << " must be in [1, n_group = "
                             << nGroup << "]";
  int64_t reachable = topkGroup * (numExperts / nGroup);
  if (topK > reachable)
    return op->emitOpError() << "top_k = " << topK << " exceeds the " << reachable
                             << " experts in the " << topkGroup << " kept groups";
  if (!(scale > 0.0) || !std::isfinite(scale))
    return op->emitOpError() << "routed_scaling_factor must be positive and finite, got "
                             << scale;
  return success();
}

/// Checks gate/up [E, I, H] (or [I, H] when `grouped` is false) and down
/// [E, H, I] ([H, I]); returns I through `inter`.
LogicalResult verifyExpertWeights(Operation *op, Value gate, Value up, Value down,
                                  int64_t numExperts, int64_t hidden, bool grouped,
                                  StringRef prefix, int64_t &inter) {
  int64_t rank = grouped ? 3 : 2;
  std::string g = (prefix + "gate").str(), u = (prefix + "up").str(), d = (prefix + "down").str();
  if (failed(expectStatic(op, g, gate, rank)) || failed(expectStatic(op, u, up, rank)) ||
      failed(expectStatic(op, d, down, rank)))
    return failure();
  inter = dimOf(gate, rank - 2);
  SmallVector<Dim> gateDims, downDims;
  if (grouped) {
    gateDims.push_back({"E", numExperts});
    downDims.push_back({"E", numExperts});
  }
  gateDims.append({{"I", inter}, {"H", hidden}});
  downDims.append({{"H", hidden}, {"I", inter}});
  if (failed(expectShape(op, g, gate, gateDims)) || failed(expectShape(op, u, up, gateDims)) ||
      failed(expectShape(op, d, down, downDims)))
    return failure();
  return success();
}

} // namespace

bool hexmoe::moe::hasSaneSizes(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked) return false;
  int64_t elements = 1;
  for (int64_t d : ranked.getShape()) {
    if (ShapedType::isDynamic(d)) {
      elements = -1;
      continue;
    }
    if (d < 1 || d >= (int64_t(1) << 31)) return false;
    if (elements > 0) elements = elements > (int64_t(1) << 40) / d ? (int64_t(1) << 40) + 1 : elements * d;
  }
  return elements <= (int64_t(1) << 40);
}

#define GET_OP_CLASSES
#include "dialects/moe/IR/MoEOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult RouterOp::verify() {
  if (failed(expectMatrix(*this, "hidden", getHidden(), "T", "H")) ||
      failed(expectStatic(*this, "weight", getWeight(), 2)))
    return failure();
  int64_t t = dimOf(getHidden(), 0), h = dimOf(getHidden(), 1), e = dimOf(getWeight(), 0);
  int64_t k = getTopK();
  if (failed(expectShape(*this, "weight", getWeight(), {{"E", e}, {"H", h}})))
    return failure();
  if (getBias() && failed(expectShape(*this, "bias", getBias(), {{"E", e}})))
    return failure();
  if (failed(expectShape(*this, "ids", getIds(), {{"T", t}, {"K", k}})) ||
      failed(expectShape(*this, "weights", getWeights(), {{"T", t}, {"K", k}})))
    return failure();
  return verifyRouting(*this, e, k, getNGroup(), getTopkGroup(),
                       getRoutedScalingFactor().convertToDouble());
}

LogicalResult DispatchOp::verify() {
  if (failed(expectMatrix(*this, "hidden", getHidden(), "T", "H")) ||
      failed(expectMatrix(*this, "ids", getIds(), "T", "K")))
    return failure();
  int64_t t = dimOf(getHidden(), 0), h = dimOf(getHidden(), 1), k = dimOf(getIds(), 1);
  int64_t n = mulDims(t, k), e = getNumExperts();
  if (failed(expectShape(*this, "ids", getIds(), {{"T", t}, {"K", k}})) ||
      failed(expectShape(*this, "rows", getRows(), {{"N=T*K", n}, {"H", h}})) ||
      failed(expectShape(*this, "offsets", getOffsets(), {{"E+1", e + 1}})) ||
      failed(expectShape(*this, "inverse", getInverse(), {{"N=T*K", n}})))
    return failure();
  return success();
}

LogicalResult ExpertFfnOp::verify() {
  if (failed(expectMatrix(*this, "rows", getRows(), "N", "H")))
    return failure();
  int64_t n = dimOf(getRows(), 0), h = dimOf(getRows(), 1), inter = 0;
  if (failed(expectStatic(*this, "gate", getGate(), 3)))
    return failure();
  int64_t e = dimOf(getGate(), 0);
  if (failed(verifyExpertWeights(*this, getGate(), getUp(), getDown(), e, h, true, "", inter)) ||
      failed(expectShape(*this, "offsets", getOffsets(), {{"E+1", e + 1}})) ||
      failed(expectShape(*this, "out", getOut(), {{"N", n}, {"H", h}})))
    return failure();
  return success();
}

LogicalResult FfnOp::verify() {
  if (failed(expectMatrix(*this, "input", getInput(), "T", "H")))
    return failure();
  int64_t t = dimOf(getInput(), 0), h = dimOf(getInput(), 1), inter = 0;
  if (failed(verifyExpertWeights(*this, getGate(), getUp(), getDown(), 1, h, false, "", inter)) ||
      failed(expectShape(*this, "out", getOut(), {{"T", t}, {"H", h}})))
    return failure();
  return success();
}

LogicalResult CombineOp::verify() {
  if (failed(expectMatrix(*this, "expert_out", getExpertOut(), "N", "H")) ||
      failed(expectMatrix(*this, "weights", getWeights(), "T", "K")))
    return failure();
  int64_t h = dimOf(getExpertOut(), 1), t = dimOf(getWeights(), 0), k = dimOf(getWeights(), 1);
  int64_t n = mulDims(t, k);
  if (failed(expectShape(*this, "expert_out", getExpertOut(), {{"N=T*K", n}, {"H", h}})) ||
      failed(expectShape(*this, "inverse", getInverse(), {{"N=T*K", n}})) ||
      failed(expectShape(*this, "out", getOut(), {{"T", t}, {"H", h}})))
    return failure();
  if (getShared() && failed(expectShape(*this, "shared", getShared(), {{"T", t}, {"H", h}})))
    return failure();
  return success();
}

LogicalResult LayerOp::verify() {
  if (failed(expectMatrix(*this, "hidden", getHidden(), "T", "H")) ||
      failed(expectStatic(*this, "router_weight", getRouterWeight(), 2)) ||
      failed(expectStatic(*this, "gate", getGate(), 3)))
    return failure();
  int64_t t = dimOf(getHidden(), 0), h = dimOf(getHidden(), 1);
  int64_t e = dimOf(getRouterWeight(), 0), inter = 0;
  if (failed(expectShape(*this, "router_weight", getRouterWeight(), {{"E", e}, {"H", h}})))
    return failure();
  if (getBias() && failed(expectShape(*this, "bias", getBias(), {{"E", e}})))
    return failure();
  if (failed(verifyExpertWeights(*this, getGate(), getUp(), getDown(), e, h, true, "", inter)))
    return failure();
  int numShared = (getSharedGate() ? 1 : 0) + (getSharedUp() ? 1 : 0) + (getSharedDown() ? 1 : 0);
  if (numShared != 0 && numShared != 3)
    return emitOpError("shared_gate, shared_up and shared_down must be given together");
  if (numShared == 3 && failed(verifyExpertWeights(*this, getSharedGate(), getSharedUp(),
                                                   getSharedDown(), 1, h, false, "shared_",
                                                   inter)))
    return failure();
  if (failed(expectShape(*this, "out", getOut(), {{"T", t}, {"H", h}})))
    return failure();
  return verifyRouting(*this, e, getTopK(), getNGroup(), getTopkGroup(),
                       getRoutedScalingFactor().convertToDouble());
}

LogicalResult SortByExpertOp::verify() {
  if (failed(expectMatrix(*this, "ids", getIds(), "T", "K")))
    return failure();
  int64_t n = mulDims(dimOf(getIds(), 0), dimOf(getIds(), 1)), e = getNumExperts();
  if (failed(expectShape(*this, "offsets", getOffsets(), {{"E+1", e + 1}})) ||
      failed(expectShape(*this, "copies", getCopies(), {{"N=T*K", n}})) ||
      failed(expectShape(*this, "inverse", getInverse(), {{"N=T*K", n}})))
    return failure();
  return success();
}

LogicalResult GroupedGateUpOp::verify() {
  if (failed(expectMatrix(*this, "hidden", getHidden(), "T", "H")))
    return failure();
  if (static_cast<bool>(getCopies()) != static_cast<bool>(getOffsets()))
    return emitOpError("'copies' and 'offsets' must be given together");
  bool grouped = static_cast<bool>(getOffsets());
  int64_t rank = grouped ? 3 : 2;
  if (failed(expectStatic(*this, "gate", getGate(), rank)))
    return failure();
  int64_t h = dimOf(getHidden(), 1), e = grouped ? dimOf(getGate(), 0) : 1;
  int64_t inter = dimOf(getGate(), rank - 2);
  SmallVector<Dim> gateDims;
  if (grouped) gateDims.push_back({"E", e});
  gateDims.append({{"I", inter}, {"H", h}});
  if (failed(expectShape(*this, "gate", getGate(), gateDims)) ||
      failed(expectStatic(*this, "up", getUp(), rank)) ||
      failed(expectShape(*this, "up", getUp(), gateDims)))
    return failure();
  int64_t rows = dimOf(getHidden(), 0);
  if (grouped) {
    rows = mulDims(rows, getTopK());
    if (failed(expectShape(*this, "copies", getCopies(), {{"N=T*top_k", rows}})) ||
        failed(expectShape(*this, "offsets", getOffsets(), {{"E+1", e + 1}})))
      return failure();
  }
  return expectShape(*this, "out", getOut(), {{grouped ? "N" : "T", rows}, {"I", inter}});
}

LogicalResult GroupedDownOp::verify() {
  if (failed(expectMatrix(*this, "act", getAct(), "N", "I")))
    return failure();
  bool grouped = static_cast<bool>(getOffsets());
  int64_t rank = grouped ? 3 : 2;
  if (failed(expectStatic(*this, "down", getDown(), rank)))
    return failure();
  int64_t n = dimOf(getAct(), 0), inter = dimOf(getAct(), 1);
  int64_t h = dimOf(getDown(), rank - 2), e = grouped ? dimOf(getDown(), 0) : 1;
  SmallVector<Dim> downDims;
  if (grouped) downDims.push_back({"E", e});
  downDims.append({{"H", h}, {"I", inter}});
  if (failed(expectShape(*this, "down", getDown(), downDims)))
    return failure();
  if (grouped && failed(expectShape(*this, "offsets", getOffsets(), {{"E+1", e + 1}})))
    return failure();
  return expectShape(*this, "out", getOut(), {{"N", n}, {"H", h}});
}
