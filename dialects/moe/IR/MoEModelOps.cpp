//===- MoEModelOps.cpp - verifiers of the decoder ops ---------------------===//
//
// As MoEOps.cpp: each message names the operand and the expected shape with
// its symbols next to what was found.
//
//===----------------------------------------------------------------------===//
#include "dialects/moe/IR/MoEOps.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace hexmoe::moe;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// `value` must be rank 2 [rows, cols] with a static `cols` (= `want` unless
/// negative); returns cols.
FailureOr<int64_t> matrix(Operation *op, StringRef name, Value value, StringRef rows, StringRef cols,
                          int64_t want = -1) {
  RankedTensorType t = typeOf(value);
  auto fail = [&]() -> FailureOr<int64_t> {
    InFlightDiagnostic d = op->emitOpError() << "'" << name << "' must be [" << rows << ", " << cols;
    if (want >= 0) d << "=" << want;
    d << "], got " << t;
    return failure();
  };
  if (t.getRank() != 2 || t.isDynamicDim(1)) return fail();
  if (want >= 0 && t.getDimSize(1) != want) return fail();
  return t.getDimSize(1);
}

/// `value` must be a static rank-`rank` weight.
LogicalResult staticWeight(Operation *op, StringRef name, Value value, int64_t rank) {
  RankedTensorType t = typeOf(value);
  if (t.getRank() != rank || !t.hasStaticShape())
    return op->emitOpError() << "'" << name << "' must be a static rank-" << rank << " tensor, got " << t;
  return success();
}

/// The token dimension of `a` and `b` agree where both are known.
LogicalResult sameRows(Operation *op, StringRef an, Value a, StringRef bn, Value b) {
  int64_t x = typeOf(a).getDimSize(0), y = typeOf(b).getDimSize(0);
  if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
    return op->emitOpError() << "'" << an << "' has " << x << " rows, '" << bn << "' " << y;
  return success();
}

/// positions must be [T] matching the rows of `rows`.
LogicalResult positionsFor(Operation *op, Value positions, StringRef rowsName, Value rows) {
  if (typeOf(positions).getRank() != 1)
    return op->emitOpError() << "'positions' must be [T], got " << positions.getType();
  return sameRows(op, "positions", positions, rowsName, rows);
}

} // namespace

LogicalResult EmbeddingOp::verify() {
  if (typeOf(getIds()).getRank() != 1) return emitOpError() << "'ids' must be [T], got " << getIds().getType();
  if (failed(staticWeight(*this, "table", getTable(), 2))) return failure();
  const int64_t h = typeOf(getTable()).getDimSize(1);
  if (failed(matrix(*this, "out", getOut(), "T", "H", h))) return failure();
  return sameRows(*this, "out", getOut(), "ids", getIds());
}

LogicalResult RmsNormOp::verify() {
  FailureOr<int64_t> n = matrix(*this, "input", getInput(), "T", "N");
  if (failed(n) || failed(staticWeight(*this, "weight", getWeight(), 1))) return failure();
  const int64_t g = typeOf(getWeight()).getDimSize(0);
  if (*n % g != 0)
    return emitOpError() << "'weight' [G=" << g << "] must divide the " << *n << " columns of 'input' into groups";
  if (getInput().getType() != getOut().getType())
    return emitOpError() << "'out' must have the type of 'input', " << getInput().getType() << ", got "
                         << getOut().getType();
  if (!(getEpsilon().convertToDouble() > 0)) return emitOpError("'epsilon' must be positive");
  return success();
}

LogicalResult LinearOp::verify() {
  FailureOr<int64_t> k = matrix(*this, "input", getInput(), "T", "K");
  if (failed(k) || failed(staticWeight(*this, "weight", getWeight(), 2))) return failure();
  RankedTensorType w = typeOf(getWeight());
  if (w.getDimSize(1) != *k)
    return emitOpError() << "'weight' must be [N, K=" << *k << "], got " << w;
  const int64_t n = w.getDimSize(0);
  if (getBias()) {
    RankedTensorType b = typeOf(getBias());
    if (b.getRank() != 1 || b.getDimSize(0) != n) return emitOpError() << "'bias' must be [N=" << n << "], got " << b;
  }
  if (failed(matrix(*this, "out", getOut(), "T", "N", n))) return failure();
  return sameRows(*this, "out", getOut(), "input", getInput());
}

LogicalResult AddOp::verify() {
  FailureOr<int64_t> n = matrix(*this, "lhs", getLhs(), "T", "N");
  if (failed(n) || failed(matrix(*this, "rhs", getRhs(), "T", "N", *n)) ||
      failed(matrix(*this, "out", getOut(), "T", "N", *n)))
    return failure();
  if (failed(sameRows(*this, "lhs", getLhs(), "rhs", getRhs()))) return failure();
  return sameRows(*this, "out", getOut(), "lhs", getLhs());
}

LogicalResult RopeOp::verify() {
  FailureOr<int64_t> cols = matrix(*this, "input", getInput(), "T", "n*D");
  if (failed(cols) || failed(positionsFor(*this, getPositions(), "input", getInput()))) return failure();
  const int64_t d = getHeadDim(), r = getRopeDim();
  if (*cols % d != 0) return emitOpError() << "head_dim " << d << " must divide the " << *cols << " columns";
  if (r > d || r % 2 != 0) return emitOpError() << "rope_dim " << r << " must be even and at most head_dim " << d;
  if (failed(staticWeight(*this, "table", getTable(), 2))) return failure();
  if (typeOf(getTable()).getDimSize(1) != r)
    return emitOpError() << "'table' must be [P, R=" << r << "] (cosines then sines), got " << getTable().getType();
  if (getInput().getType() != getOut().getType())
    return emitOpError() << "'out' must have the type of 'input', got " << getOut().getType();
  return success();
}

LogicalResult KvWriteOp::verify() {
  if (failed(staticWeight(*this, "cache", getCache(), 2))) return failure();
  const int64_t c = typeOf(getCache()).getDimSize(1);
  if (failed(matrix(*this, "rows", getRows(), "T", "C", c)) ||
      failed(positionsFor(*this, getPositions(), "rows", getRows())))
    return failure();
  if (getOut().getType() != getCache().getType())
    return emitOpError() << "'out' must be the cache's type " << getCache().getType();
  return success();
}

LogicalResult AttentionOp::verify() {
  const int64_t nh = getNumHeads(), nkv = getNumKvHeads(), d = getHeadDim(), dv = getVHeadDim();
  if (nh % nkv != 0)
    return emitOpError() << "num_kv_heads " << nkv << " must divide num_heads " << nh;
  if (failed(matrix(*this, "q", getQ(), "T", "num_heads*head_dim", nh * d)) ||
      failed(positionsFor(*this, getPositions(), "q", getQ())))
    return failure();
  if (failed(staticWeight(*this, "k_cache", getKCache(), 2)) || failed(staticWeight(*this, "v_cache", getVCache(), 2)))
    return failure();
  RankedTensorType k = typeOf(getKCache()), v = typeOf(getVCache());
  if (k.getDimSize(1) != nkv * d)
    return emitOpError() << "'k_cache' must be [S, num_kv_heads*head_dim=" << nkv * d << "], got " << k;
  if (v.getDimSize(1) != nkv * dv || v.getDimSize(0) != k.getDimSize(0))
    return emitOpError() << "'v_cache' must be [S=" << k.getDimSize(0) << ", num_kv_heads*v_head_dim=" << nkv * dv
                         << "], got " << v;
  if (failed(matrix(*this, "out", getOut(), "T", "num_heads*v_head_dim", nh * dv))) return failure();
  if (getSlidingWindow() < 0) return emitOpError("'sliding_window' must be >= 0");
  if (!(getScale().convertToDouble() > 0)) return emitOpError("'scale' must be positive");
  return sameRows(*this, "out", getOut(), "q", getQ());
}

LogicalResult MlaAttentionOp::verify() {
  const int64_t nh = getNumHeads(), nope = getNopeDim(), dv = getVDim();
  if (failed(staticWeight(*this, "latent_cache", getLatentCache(), 2)) ||
      failed(staticWeight(*this, "rope_cache", getRopeCache(), 2)) || failed(staticWeight(*this, "kv_b", getKvB(), 2)))
    return failure();
  RankedTensorType c = typeOf(getLatentCache()), pe = typeOf(getRopeCache()), kvb = typeOf(getKvB());
  const int64_t slots = c.getDimSize(0), latent = c.getDimSize(1), rope = pe.getDimSize(1);
  if (pe.getDimSize(0) != slots)
    return emitOpError() << "'rope_cache' must be [S=" << slots << ", R], got " << pe;
  if (failed(matrix(*this, "q", getQ(), "T", "num_heads*(nope_dim+R)", nh * (nope + rope))) ||
      failed(positionsFor(*this, getPositions(), "q", getQ())))
    return failure();
  if (kvb.getDimSize(0) != nh * (nope + dv) || kvb.getDimSize(1) != latent)
    return emitOpError() << "'kv_b' must be [num_heads*(nope_dim+v_dim)=" << nh * (nope + dv) << ", L=" << latent
                         << "], got " << kvb;
  if (failed(matrix(*this, "out", getOut(), "T", "num_heads*v_dim", nh * dv))) return failure();
  if (!(getScale().convertToDouble() > 0)) return emitOpError("'scale' must be positive");
  return sameRows(*this, "out", getOut(), "q", getQ());
}

LogicalResult SigmoidGateOp::verify() {
  FailureOr<int64_t> n = matrix(*this, "input", getInput(), "T", "N");
  if (failed(n) || failed(matrix(*this, "gate", getGate(), "T", "1", 1)) ||
      failed(matrix(*this, "out", getOut(), "T", "N", *n)))
    return failure();
  if (failed(sameRows(*this, "gate", getGate(), "input", getInput()))) return failure();
  return sameRows(*this, "out", getOut(), "input", getInput());
}

//===----------------------------------------------------------------------===//
// moe.dequant (MoEWeightOps.td)
//===----------------------------------------------------------------------===//

LogicalResult DequantOp::verify() {
  RankedTensorType q = typeOf(getQuantized()), s = typeOf(getScale()), out = typeOf(getOut());
  if (q.getRank() < 2 || !q.hasStaticShape())
    return emitOpError() << "'quantized' must be a static tensor of rank 2 or more, got " << q;
  ArrayRef<int64_t> block = getBlock();
  if (block.size() != 2 || block[0] < 1 || block[1] < 1)
    return emitOpError() << "'block' must be two positive sizes [rows, cols], got " << block.size() << " values";
  SmallVector<int64_t> want(q.getShape());
  const size_t r = want.size();
  want[r - 2] = (want[r - 2] + block[0] - 1) / block[0];
  want[r - 1] = (want[r - 1] + block[1] - 1) / block[1];
  if (s.getShape() != ArrayRef<int64_t>(want)) {
    std::string text;
    llvm::raw_string_ostream os(text);
    for (size_t i = 0; i < want.size(); ++i) os << (i ? "x" : "") << want[i];
    return emitOpError() << "'scale' must be [" << text << "] (ceil of the last two dims over block [" << block[0]
                         << ", " << block[1] << "]), got " << s;
  }
  if (out.getShape() != q.getShape())
    return emitOpError() << "'out' must have the shape of 'quantized' " << q << ", got " << out;
  return success();
}
