//===- ModelKernels.cpp - CPU kernels of the decoder ops ------------------===//
//
// Embedding, RMSNorm, residual add, RoPE, KV-cache writes and attention.
// Row-wise kernels take tiles of tokens; attention takes one (token, head)
// pair per workgroup. moe.linear is the dense down-projection kernel with a
// bias (Kernels.cpp).
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace hexmoe::cpu {
namespace {

constexpr int64_t kRowsPerWorkgroup = 4;

Value cmp(KernelBuilder &kb, arith::CmpIPredicate p, Value a, Value b) {
  return arith::CmpIOp::create(kb.b(), kb.loc(), p, a, b);
}
Value selectV(KernelBuilder &kb, Value c, Value a, Value b) {
  return arith::SelectOp::create(kb.b(), kb.loc(), c, a, b);
}
Value maxIdx(KernelBuilder &kb, Value a, Value b) {
  return arith::MaxSIOp::create(kb.b(), kb.loc(), a, b);
}
Value sub(KernelBuilder &kb, Value a, Value b) {
  if (a.getType().isIndex()) return arith::SubIOp::create(kb.b(), kb.loc(), a, b);
  return arith::SubFOp::create(kb.b(), kb.loc(), a, b);
}
Value fdiv(KernelBuilder &kb, Value a, Value b) { return arith::DivFOp::create(kb.b(), kb.loc(), a, b); }
Value fma(KernelBuilder &kb, Value a, Value b, Value c) {
  if (isa<VectorType>(a.getType())) return vector::FMAOp::create(kb.b(), kb.loc(), a, b, c);
  return math::FmaOp::create(kb.b(), kb.loc(), a, b, c);
}

/// The rows [first, last) of this workgroup's token tile.
std::pair<Value, Value> tokenTile(KernelBuilder &kb, Value tokens) {
  Value first = kb.mul(kb.workgroupId(), kb.idx(kRowsPerWorkgroup));
  return {first, kb.min(kb.add(first, kb.idx(kRowsPerWorkgroup)), tokens)};
}

/// An index clamped to [0, n - 1] from an i32.
Value clampIndex(KernelBuilder &kb, Value i32Value, int64_t n) {
  Value i = kb.toIndex(i32Value);
  return kb.min(maxIdx(kb, i, kb.idx(0)), kb.idx(n - 1));
}

/// Σ mem[base + i] * other[obase + i] for i < n (f32 accumulation), with
/// vector lanes where they fit.
Value dot(KernelBuilder &kb, Value a, Value aBase, Value b, Value bBase, int64_t n) {
  return kb.dotTile({{a, aBase}}, {{b, bBase}}, n)[0];
}

const Launch kPerTokenTile{1, true, kRowsPerWorkgroup};

} // namespace

Launch emitEmbedding(KernelBuilder &kb, const EmbeddingSpec &s) {
  const int64_t h = s.hidden, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value ids = kb.binding(0, i32, t);
  Value table = kb.binding(1, s.tableType, kb.idx(s.vocab * h));
  Value out = kb.binding(2, f32, kb.mul(t, kb.idx(h)));
  auto [first, last] = tokenTile(kb, t);
  kb.loop(first, last, kb.idx(1), [&](Value tok) {
    Value id = kb.toIndex(kb.load(ids, tok));
    Value valid = arith::AndIOp::create(kb.b(), kb.loc(), cmp(kb, arith::CmpIPredicate::sge, id, kb.idx(0)),
                                        cmp(kb, arith::CmpIPredicate::slt, id, kb.idx(s.vocab)));
    // An id outside the table reads row 0 and writes zeros.
    Value row = kb.mul(selectV(kb, valid, id, kb.idx(0)), kb.idx(h));
    Value dst = kb.mul(tok, kb.idx(h));
    kb.tiledLoop(kb.idx(0), kb.idx(h), vw,
                 [&](Value c) {
                   Value v = kb.loadVec(table, kb.add(row, c));
                   kb.storeVec(selectV(kb, valid, v, kb.splat(kb.f32(0.0))), out, kb.add(dst, c));
                 },
                 [&](Value c) {
                   Value v = kb.loadF32(table, kb.add(row, c));
                   kb.store(selectV(kb, valid, v, kb.f32(0.0)), out, kb.add(dst, c));
                 });
  });
  kb.finish();
  return kPerTokenTile;
}

Launch emitRmsNorm(KernelBuilder &kb, const RmsNormSpec &s) {
  const int64_t n = s.cols, g = s.group, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type();
  Value t = kb.size(s.tokens);
  Value input = kb.binding(0, f32, kb.mul(t, kb.idx(n)));
  Value weight = kb.binding(1, s.weightType, kb.idx(g));
  Value out = kb.binding(2, f32, kb.mul(t, kb.idx(n)));
  auto [first, last] = tokenTile(kb, t);
  kb.loop(first, last, kb.idx(1), [&](Value tok) {
    kb.loop(kb.idx(0), kb.idx(n / g), kb.idx(1), [&](Value grp) {
      Value base = kb.add(kb.mul(tok, kb.idx(n)), kb.mul(grp, kb.idx(g)));
      Value sumsq = dot(kb, input, base, input, base, g);
      Value mean = fdiv(kb, sumsq, kb.f32(static_cast<double>(g)));
      Value rms = math::SqrtOp::create(kb.b(), kb.loc(), kb.add(mean, kb.f32(s.epsilon)));
      Value scale = fdiv(kb, kb.f32(1.0), rms);
      kb.tiledLoop(kb.idx(0), kb.idx(g), vw,
                   [&](Value c) {
                     Value x = kb.loadVec(input, kb.add(base, c));
                     kb.storeVec(kb.mul(kb.mul(x, kb.splat(scale)), kb.loadVec(weight, c)), out, kb.add(base, c));
                   },
                   [&](Value c) {
                     Value x = kb.load(input, kb.add(base, c));
                     kb.store(kb.mul(kb.mul(x, scale), kb.loadF32(weight, c)), out, kb.add(base, c));
                   });
    });
  });
  kb.finish();
  return kPerTokenTile;
}

Launch emitAdd(KernelBuilder &kb, const AddSpec &s) {
  const int64_t n = s.cols, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type();
  Value t = kb.size(s.tokens);
  Value lhs = kb.binding(0, f32, kb.mul(t, kb.idx(n)));
  Value rhs = kb.binding(1, f32, kb.mul(t, kb.idx(n)));
  Value out = kb.binding(2, f32, kb.mul(t, kb.idx(n)));
  auto [first, last] = tokenTile(kb, t);
  Value lo = kb.mul(first, kb.idx(n)), hi = kb.mul(last, kb.idx(n));
  kb.tiledLoop(lo, hi, vw, [&](Value i) { kb.storeVec(kb.add(kb.loadVec(lhs, i), kb.loadVec(rhs, i)), out, i); },
               [&](Value i) { kb.store(kb.add(kb.load(lhs, i), kb.load(rhs, i)), out, i); });
  kb.finish();
  return kPerTokenTile;
}

Launch emitSigmoidGate(KernelBuilder &kb, const AddSpec &s) {
  const int64_t n = s.cols, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type();
  Value t = kb.size(s.tokens);
  Value input = kb.binding(0, f32, kb.mul(t, kb.idx(n)));
  Value gate = kb.binding(1, f32, t);
  Value out = kb.binding(2, f32, kb.mul(t, kb.idx(n)));
  auto [first, last] = tokenTile(kb, t);
  kb.loop(first, last, kb.idx(1), [&](Value tok) {
    Value g = kb.load(gate, tok);
    Value e = math::ExpOp::create(kb.b(), kb.loc(), arith::NegFOp::create(kb.b(), kb.loc(), g));
    Value scale = fdiv(kb, kb.f32(1.0), kb.add(e, kb.f32(1.0)));
    Value row = kb.mul(tok, kb.idx(n));
    kb.tiledLoop(row, kb.add(row, kb.idx(n)), vw,
                 [&](Value i) { kb.storeVec(kb.mul(kb.loadVec(input, i), kb.splat(scale)), out, i); },
                 [&](Value i) { kb.store(kb.mul(kb.load(input, i), scale), out, i); });
  });
  kb.finish();
  return kPerTokenTile;
}

Launch emitRope(KernelBuilder &kb, const RopeSpec &s) {
  const int64_t n = s.cols, d = s.headDim, r = s.ropeDim, half = r / 2;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value input = kb.binding(0, f32, kb.mul(t, kb.idx(n)));
  Value positions = kb.binding(1, i32, t);
  Value table = kb.binding(2, f32, kb.idx(s.positions * r));
  Value out = kb.binding(3, f32, kb.mul(t, kb.idx(n)));
  auto [first, last] = tokenTile(kb, t);
  kb.loop(first, last, kb.idx(1), [&](Value tok) {
    Value row = kb.mul(tok, kb.idx(n));
    kb.loop(row, kb.add(row, kb.idx(n)), kb.idx(1), [&](Value i) { kb.store(kb.load(input, i), out, i); });
    Value angles = kb.mul(clampIndex(kb, kb.load(positions, tok), s.positions), kb.idx(r));
    kb.loop(kb.idx(0), kb.idx(n / d), kb.idx(1), [&](Value head) {
      Value base = kb.add(row, kb.add(kb.mul(head, kb.idx(d)), kb.idx(d - r)));
      kb.loop(kb.idx(0), kb.idx(half), kb.idx(1), [&](Value i) {
        Value c = kb.load(table, kb.add(angles, i));
        Value sn = kb.load(table, kb.add(angles, kb.add(i, kb.idx(half))));
        Value a = s.interleaved ? kb.add(base, kb.mul(i, kb.idx(2))) : kb.add(base, i);
        Value b = s.interleaved ? kb.add(a, kb.idx(1)) : kb.add(a, kb.idx(half));
        Value xa = kb.load(input, a), xb = kb.load(input, b);
        kb.store(sub(kb, kb.mul(xa, c), kb.mul(xb, sn)), out, a);
        kb.store(fma(kb, xa, sn, kb.mul(xb, c)), out, b);
      });
    });
  });
  kb.finish();
  return kPerTokenTile;
}

Launch emitKvWrite(KernelBuilder &kb, const KvWriteSpec &s) {
  const int64_t c = s.cols, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  kb.binding(0, f32, kb.idx(s.slots * c));  // the cache, bound again as the result
  Value rows = kb.binding(1, f32, kb.mul(t, kb.idx(c)));
  Value positions = kb.binding(2, i32, t);
  Value cache = kb.binding(3, f32, kb.idx(s.slots * c));
  auto [first, last] = tokenTile(kb, t);
  kb.loop(first, last, kb.idx(1), [&](Value tok) {
    Value p = kb.toIndex(kb.load(positions, tok));
    Value inside = arith::AndIOp::create(kb.b(), kb.loc(), cmp(kb, arith::CmpIPredicate::sge, p, kb.idx(0)),
                                         cmp(kb, arith::CmpIPredicate::slt, p, kb.idx(s.slots)));
    kb.ifThen(inside, [&]() {
      Value src = kb.mul(tok, kb.idx(c)), dst = kb.mul(p, kb.idx(c));
      kb.tiledLoop(kb.idx(0), kb.idx(c), vw,
                   [&](Value j) { kb.storeVec(kb.loadVec(rows, kb.add(src, j)), cache, kb.add(dst, j)); },
                   [&](Value j) { kb.store(kb.load(rows, kb.add(src, j)), cache, kb.add(dst, j)); });
    });
  });
  kb.finish();
  return kPerTokenTile;
}

Launch emitAttention(KernelBuilder &kb, const AttentionSpec &s) {
  const int64_t nh = s.heads, nkv = s.kvHeads, d = s.headDim, dv = s.vHeadDim, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value q = kb.binding(0, f32, kb.mul(t, kb.idx(nh * d)));
  Value kCache = kb.binding(1, f32, kb.idx(s.slots * nkv * d));
  Value vCache = kb.binding(2, f32, kb.idx(s.slots * nkv * dv));
  Value positions = kb.binding(3, i32, t);
  Value out = kb.binding(4, f32, kb.mul(t, kb.idx(nh * dv)));
  Value scores = kb.scratch(s.slots, f32);

  Value tok = kb.divIdx(kb.workgroupId(), kb.idx(nh));
  Value head = kb.remIdx(kb.workgroupId(), kb.idx(nh));
  Value group = kb.divIdx(head, kb.idx(nh / nkv));
  Value p = clampIndex(kb, kb.load(positions, tok), s.slots);
  Value end = kb.add(p, kb.idx(1));
  Value start = s.window > 0 ? maxIdx(kb, sub(kb, end, kb.idx(s.window)), kb.idx(0)) : kb.idx(0);
  Value qBase = kb.add(kb.mul(tok, kb.idx(nh * d)), kb.mul(head, kb.idx(d)));

  // Scores and their maximum.
  Value top = kb.loop(start, end, kb.idx(1), ValueRange{kb.f32(-std::numeric_limits<double>::infinity())},
                      [&](Value j, ValueRange carried) {
                        Value kBase = kb.add(kb.mul(j, kb.idx(nkv * d)), kb.mul(group, kb.idx(d)));
                        Value sc = kb.mul(dot(kb, q, qBase, kCache, kBase, d), kb.f32(s.scale));
                        kb.store(sc, scores, j);
                        return SmallVector<Value>{arith::MaximumFOp::create(kb.b(), kb.loc(), sc, carried[0])};
                      })[0];
  // Softmax weights in place.
  Value sum = kb.loop(start, end, kb.idx(1), ValueRange{kb.f32(0.0)}, [&](Value j, ValueRange carried) {
                Value e = math::ExpOp::create(kb.b(), kb.loc(), sub(kb, kb.load(scores, j), top));
                kb.store(e, scores, j);
                return SmallVector<Value>{kb.add(carried[0], e)};
              })[0];
  Value inv = fdiv(kb, kb.f32(1.0), sum);
  // out = Σ_j w_j v_j, a vector of columns at a time.
  Value oBase = kb.add(kb.mul(tok, kb.idx(nh * dv)), kb.mul(head, kb.idx(dv)));
  Value vHead = kb.mul(group, kb.idx(dv));
  auto columns = [&](Value c, bool vector) {
    Value zero = vector ? kb.splat(kb.f32(0.0)) : kb.f32(0.0);
    Value acc = kb.loop(start, end, kb.idx(1), ValueRange{zero}, [&](Value j, ValueRange carried) {
                  Value at = kb.add(kb.add(kb.mul(j, kb.idx(nkv * dv)), vHead), c);
                  Value w = kb.load(scores, j);
                  Value v = vector ? kb.loadVec(vCache, at) : kb.load(vCache, at);
                  return SmallVector<Value>{fma(kb, vector ? kb.splat(w) : w, v, carried[0])};
                })[0];
    Value o = kb.mul(acc, vector ? kb.splat(inv) : inv);
    if (vector)
      kb.storeVec(o, out, kb.add(oBase, c));
    else
      kb.store(o, out, kb.add(oBase, c));
  };
  kb.tiledLoop(kb.idx(0), kb.idx(dv), vw, [&](Value c) { columns(c, true); }, [&](Value c) { columns(c, false); });
  kb.finish();
  return {1, true, 1};  // one workgroup per (token, head): the workload is T * num_heads
}

Launch emitMlaAttention(KernelBuilder &kb, const MlaAttentionSpec &s) {
  const int64_t nh = s.heads, nope = s.nopeDim, r = s.ropeDim, dv = s.vDim, L = s.latent, vw = kb.config().vectorWidth;
  const int64_t qw = nope + r, kvw = nope + dv;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value q = kb.binding(0, f32, kb.mul(t, kb.idx(nh * qw)));
  Value latent = kb.binding(1, f32, kb.idx(s.slots * L));
  Value rope = kb.binding(2, f32, kb.idx(s.slots * r));
  int slot = 3;
  KernelBuilder::Weight kvb = kb.bindWeight(slot, s.kvb, 1, nh * kvw, L);
  Value positions = kb.binding(slot++, i32, t);
  Value out = kb.binding(slot, f32, kb.mul(t, kb.idx(nh * dv)));
  Value scores = kb.scratch(s.slots, f32);
  Value qAbs = kb.scratch(L, f32);
  Value oLat = kb.scratch(L, f32);

  Value tok = kb.divIdx(kb.workgroupId(), kb.idx(nh));
  Value head = kb.remIdx(kb.workgroupId(), kb.idx(nh));
  Value p = clampIndex(kb, kb.load(positions, tok), s.slots);
  Value end = kb.add(p, kb.idx(1));
  Value qBase = kb.add(kb.mul(tok, kb.idx(nh * qw)), kb.mul(head, kb.idx(qw)));
  Value kRow0 = kb.mul(head, kb.idx(kvw));  // this head's first key row of kv_b

  // Columns [0, L) of a latent-sized vector, vectors where they fit.
  auto overLatent = [&](const std::function<void(Value, bool)> &body) {
    kb.tiledLoop(kb.idx(0), kb.idx(L), vw, [&](Value c) { body(c, true); }, [&](Value c) { body(c, false); });
  };
  auto ld = [&](Value mem, Value at, bool vector) { return vector ? kb.loadVec(mem, at) : kb.loadF32(mem, at); };
  auto st = [&](Value v, Value mem, Value at, bool vector) {
    if (vector)
      kb.storeVec(v, mem, at);
    else
      kb.store(v, mem, at);
  };
  // q_abs = W_k[h]ᵀ q_nope: the query in the latent space.
  overLatent([&](Value c, bool vector) { st(vector ? kb.splat(kb.f32(0.0)) : kb.f32(0.0), qAbs, c, vector); });
  kb.loop(kb.idx(0), kb.idx(nope), kb.idx(1), [&](Value i) {
    Value qi = kb.load(q, kb.add(qBase, i));
    KernelBuilder::Row row = kb.weightRow(kvb, kb.idx(0), kb.add(kRow0, i));
    overLatent([&](Value c, bool vector) {
      Value acc = ld(qAbs, c, vector);
      st(fma(kb, vector ? kb.splat(qi) : qi, kb.loadWeight(row, c, vector), acc), qAbs, c, vector);
    });
  });
  // Scores over the cached positions, and their maximum.
  Value top = kb.loop(kb.idx(0), end, kb.idx(1), ValueRange{kb.f32(-std::numeric_limits<double>::infinity())},
                      [&](Value j, ValueRange carried) {
                        Value sLat = dot(kb, qAbs, kb.idx(0), latent, kb.mul(j, kb.idx(L)), L);
                        Value sPe = dot(kb, q, kb.add(qBase, kb.idx(nope)), rope, kb.mul(j, kb.idx(r)), r);
                        Value sc = kb.mul(kb.add(sLat, sPe), kb.f32(s.scale));
                        kb.store(sc, scores, j);
                        return SmallVector<Value>{arith::MaximumFOp::create(kb.b(), kb.loc(), sc, carried[0])};
                      })[0];
  Value sum = kb.loop(kb.idx(0), end, kb.idx(1), ValueRange{kb.f32(0.0)}, [&](Value j, ValueRange carried) {
                Value e = math::ExpOp::create(kb.b(), kb.loc(), sub(kb, kb.load(scores, j), top));
                kb.store(e, scores, j);
                return SmallVector<Value>{kb.add(carried[0], e)};
              })[0];
  Value inv = fdiv(kb, kb.f32(1.0), sum);
  // o_lat = Σ_j w_j c_j / Σ w.
  overLatent([&](Value c, bool vector) {
    Value zero = vector ? kb.splat(kb.f32(0.0)) : kb.f32(0.0);
    Value acc = kb.loop(kb.idx(0), end, kb.idx(1), ValueRange{zero}, [&](Value j, ValueRange carried) {
                  Value w = kb.load(scores, j);
                  Value v = ld(latent, kb.add(kb.mul(j, kb.idx(L)), c), vector);
                  return SmallVector<Value>{fma(kb, vector ? kb.splat(w) : w, v, carried[0])};
                })[0];
    st(kb.mul(acc, vector ? kb.splat(inv) : inv), oLat, c, vector);
  });
  // out[t, h] = W_v[h] · o_lat.
  Value vRow0 = kb.add(kRow0, kb.idx(nope));
  Value oBase = kb.add(kb.mul(tok, kb.idx(nh * dv)), kb.mul(head, kb.idx(dv)));
  kb.loop(kb.idx(0), kb.idx(dv), kb.idx(1), [&](Value m) {
    // o_lat is f32 scratch: it is the "activation" side of the dot tile.
    Value o = kb.dotTile({{oLat, kb.idx(0)}}, {kb.weightRow(kvb, kb.idx(0), kb.add(vRow0, m))}, L)[0];
    kb.store(o, out, kb.add(oBase, m));
  });
  kb.finish();
  return {1, true, 1};  // one workgroup per (token, head)
}

} // namespace hexmoe::cpu
