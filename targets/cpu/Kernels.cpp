//===- Kernels.cpp - CPU kernels for the grouped moe ops ------------------===//
//
// Work split: the router and combine take tiles of tokens; the grouped expert
// kernels take (expert, tile of output rows) pairs, so each workgroup streams
// one slab of one expert's weights once and applies it to all of that
// expert's token rows while the slab is in cache. The runtime hands out
// workgroups dynamically, which balances skewed routing.
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

constexpr int64_t kRouterTokensPerWorkgroup = 4;
constexpr int64_t kCombineTokensPerWorkgroup = 8;
constexpr int64_t kDenseTokensPerWorkgroup = 16;
constexpr int64_t kOutputRowsPerWorkgroup = 32;
/// Grouped expert kernels switch from dot tiles to the packed-panel
/// outer-product micro-kernel (KernelBuilder::panelTile) once an expert has
/// this many token rows: below it, packing a slab costs more than it saves.
constexpr int64_t kPanelMinRows = 32;
/// The most bytes a gate/up panel takes (a stack buffer of the kernel, the
/// whole hidden size long); a longer one keeps the dot tiles.
constexpr int64_t kPanelBytes = 1 << 20;
/// Down projections pack their panels a block of the reduction at a time,
/// each block at most this (about L2-sized).
constexpr int64_t kDownPanelBytes = 256 << 10;

/// Token rows per micro-kernel tile: mr x 2 vector accumulators, two panel
/// vectors and a broadcast fit the 16 (AVX2) or 32 (AVX-512) registers.
int64_t panelTokenRows(const KernelConfig &c) { return c.vectorWidth >= 16 ? 12 : 6; }

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Weight rows handled together by one dot tile: 4 when they divide evenly.
int64_t weightRowsPerTile(int64_t rows) { return rows % 4 == 0 ? 4 : 1; }

/// Bytes of one stored weight element (e4m3 1, bf16 2, f32 4).
int64_t storageBytes(const WeightFormat &f) { return std::max<int64_t>(1, f.storage.getIntOrFloatBitWidth() / 8); }

/// Output rows of a workgroup: a multiple of the tile, at most the total;
/// narrower weights take more rows, so each workgroup streams about the
/// same bytes (the launch overhead stays small next to it).
int64_t rowsPerWorkgroup(int64_t rows, const WeightFormat &format) {
  int64_t tile = weightRowsPerTile(rows);
  const int64_t want = kOutputRowsPerWorkgroup * 4 / storageBytes(format);
  return std::min<int64_t>(rows, want) / tile * tile;
}

Value cmpGt(KernelBuilder &kb, Value a, Value c) {
  return arith::CmpFOp::create(kb.b(), kb.loc(), arith::CmpFPredicate::OGT, a, c);
}
Value select(KernelBuilder &kb, Value cond, Value a, Value c) {
  return arith::SelectOp::create(kb.b(), kb.loc(), cond, a, c);
}
Value negInf(KernelBuilder &kb) { return kb.f32(-std::numeric_limits<double>::infinity()); }

/// Returns (max value, its lowest index) of mem[lo + j*stride] for j < n.
std::pair<Value, Value> argmax(KernelBuilder &kb, Value mem, int64_t n) {
  SmallVector<Value> best =
      kb.loop(kb.idx(0), kb.idx(n), kb.idx(1), ValueRange{negInf(kb), kb.idx(0)},
              [&](Value i, ValueRange carried) {
                Value v = kb.load(mem, i);
                Value better = cmpGt(kb, v, carried[0]);
                return SmallVector<Value>{select(kb, better, v, carried[0]),
                                          select(kb, better, i, carried[1])};
              });
  return {best[0], best[1]};
}

/// A constant of x's type (f32 or a vector of f32).
Value constLike(KernelBuilder &kb, Value x, double v) {
  auto vt = dyn_cast<VectorType>(x.getType());
  if (!vt) return kb.f32(v);
  return arith::ConstantOp::create(
      kb.b(), kb.loc(), vt,
      DenseElementsAttr::get(vt, kb.b().getF32FloatAttr(static_cast<float>(v))));
}

/// The gate activation on a scalar or a vector: silu(x) = x / (1 + e^-x),
/// gelu(x) = x/2 (1 + erf(x/√2)).
Value activate(KernelBuilder &kb, Value x, bool gelu) {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  if (gelu) {
    Value e = math::ErfOp::create(b, loc, kb.mul(x, constLike(kb, x, 0.70710678118654752)));
    return kb.mul(kb.mul(x, constLike(kb, x, 0.5)), kb.add(e, constLike(kb, x, 1.0)));
  }
  Value negX = arith::NegFOp::create(b, loc, x);
  Value denom = kb.add(math::ExpOp::create(b, loc, negX), constLike(kb, x, 1.0));
  return arith::DivFOp::create(b, loc, x, denom);
}

Value sigmoid(KernelBuilder &kb, Value x) {
  Value negX = arith::NegFOp::create(kb.b(), kb.loc(), x);
  Value denom = kb.add(math::ExpOp::create(kb.b(), kb.loc(), negX), kb.f32(1.0));
  return arith::DivFOp::create(kb.b(), kb.loc(), kb.f32(1.0), denom);
}

/// The rows [begin, end) a grouped kernel's expert owns, or a dense kernel's
/// token tile.
struct RowRange {
  Value begin, end, expert;
};

} // namespace

//===----------------------------------------------------------------------===//
// Router
//===----------------------------------------------------------------------===//

Launch emitRouter(KernelBuilder &kb, const RouterSpec &s) {
  const int64_t h = s.hidden, e = s.experts, k = s.topK;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  int slot = 0;
  Value hidden = kb.binding(slot++, f32, kb.mul(t, kb.idx(h)));
  Value weight = kb.binding(slot++, s.weightType, kb.idx(e * h));
  Value bias = s.hasBias ? kb.binding(slot++, f32, kb.idx(e)) : Value();
  Value ids = kb.binding(slot++, i32, kb.mul(t, kb.idx(k)));
  Value weights = kb.binding(slot++, f32, kb.mul(t, kb.idx(k)));

  Value scores = kb.scratch(e, f32);
  Value choice = kb.scratch(e, f32);
  Value groupScore = s.nGroup > 1 ? kb.scratch(s.nGroup, f32) : Value();
  Value groupKeep = s.nGroup > 1 ? kb.scratch(s.nGroup, f32) : Value();

  Value t0 = kb.mul(kb.workgroupId(), kb.idx(kRouterTokensPerWorkgroup));
  Value t1 = kb.min(kb.add(t0, kb.idx(kRouterTokensPerWorkgroup)), t);
  kb.loop(t0, t1, kb.idx(1), [&](Value tok) {
    // Logits, four router rows per dot tile.
    KernelBuilder::Row x{hidden, kb.mul(tok, kb.idx(h))};
    auto logitsFor = [&](Value row, int64_t n) {
      SmallVector<KernelBuilder::Row> w;
      for (int64_t j = 0; j < n; ++j)
        w.push_back({weight, kb.mul(kb.add(row, kb.idx(j)), kb.idx(h))});
      SmallVector<Value> sums = kb.dotTile({x}, w, h);
      for (int64_t j = 0; j < n; ++j) kb.store(sums[j], scores, kb.add(row, kb.idx(j)));
    };
    kb.tiledLoop(kb.idx(0), kb.idx(e), weightRowsPerTile(e), [&](Value r) {
      logitsFor(r, weightRowsPerTile(e));
    }, [&](Value r) { logitsFor(r, 1); });

    // Scores.
    if (s.sigmoid) {
      kb.loop(kb.idx(0), kb.idx(e), kb.idx(1),
              [&](Value i) { kb.store(sigmoid(kb, kb.load(scores, i)), scores, i); });
    } else {
      Value maxLogit = argmax(kb, scores, e).first;
      Value sum = kb.loop(kb.idx(0), kb.idx(e), kb.idx(1), ValueRange{kb.f32(0.0)},
                          [&](Value i, ValueRange carried) {
                            Value d = arith::SubFOp::create(kb.b(), kb.loc(),
                                                            kb.load(scores, i), maxLogit);
                            Value ex = math::ExpOp::create(kb.b(), kb.loc(), d);
                            kb.store(ex, scores, i);
                            return SmallVector<Value>{kb.add(carried[0], ex)};
                          })[0];
      kb.loop(kb.idx(0), kb.idx(e), kb.idx(1), [&](Value i) {
        kb.store(arith::DivFOp::create(kb.b(), kb.loc(), kb.load(scores, i), sum), scores, i);
      });
    }

    // Selection scores: the correction bias shifts selection, never weights.
    kb.loop(kb.idx(0), kb.idx(e), kb.idx(1), [&](Value i) {
      Value v = kb.load(scores, i);
      if (bias) v = kb.add(v, kb.load(bias, i));
      kb.store(v, choice, i);
    });

    // Group-limited selection (DeepSeek-V3): rate each group by its two best
    // selection scores, keep the best topk_group groups, and mask the experts
    // of the rest with -inf (DeepSeek's reference inference code and
    // transformers 5; a 0.0 fill would let discarded experts beat kept ones
    // whose biased scores are negative).
    if (s.nGroup > 1) {
      const int64_t groupSize = e / s.nGroup;
      kb.loop(kb.idx(0), kb.idx(s.nGroup), kb.idx(1), [&](Value g) {
        Value base = kb.mul(g, kb.idx(groupSize));
        SmallVector<Value> top2 = kb.loop(
            kb.idx(0), kb.idx(groupSize), kb.idx(1), ValueRange{negInf(kb), negInf(kb)},
            [&](Value j, ValueRange c) {
              Value v = kb.load(choice, kb.add(base, j));
              Value above1 = cmpGt(kb, v, c[0]);
              Value above2 = cmpGt(kb, v, c[1]);
              Value second = select(kb, above1, c[0], select(kb, above2, v, c[1]));
              return SmallVector<Value>{select(kb, above1, v, c[0]), second};
            });
        Value rating = groupSize >= 2 ? kb.add(top2[0], top2[1]) : top2[0];
        kb.store(rating, groupScore, g);
        kb.store(kb.f32(0.0), groupKeep, g);
      });
      kb.loop(kb.idx(0), kb.idx(s.topkGroup), kb.idx(1), [&](Value) {
        Value best = argmax(kb, groupScore, s.nGroup).second;
        kb.store(kb.f32(1.0), groupKeep, best);
        kb.store(negInf(kb), groupScore, best);
      });
      kb.loop(kb.idx(0), kb.idx(e), kb.idx(1), [&](Value i) {
        Value keep = kb.load(groupKeep, kb.divIdx(i, kb.idx(groupSize)));
        Value kept = cmpGt(kb, keep, kb.f32(0.5));
        kb.store(select(kb, kept, kb.load(choice, i), negInf(kb)), choice, i);
      });
    }

    // Top-k by repeated argmax (k is small), ties to the lower index.
    Value outBase = kb.mul(tok, kb.idx(k));
    Value total = kb.loop(kb.idx(0), kb.idx(k), kb.idx(1), ValueRange{kb.f32(0.0)},
                          [&](Value j, ValueRange carried) {
                            Value best = argmax(kb, choice, e).second;
                            Value w = kb.load(scores, best);
                            kb.store(kb.toI32(best), ids, kb.add(outBase, j));
                            kb.store(w, weights, kb.add(outBase, j));
                            kb.store(negInf(kb), choice, best);
                            return SmallVector<Value>{kb.add(carried[0], w)};
                          })[0];
    Value factor = kb.f32(s.scale);
    if (s.normTopkProb) {
      Value denom = kb.add(total, kb.f32(1e-20));
      factor = arith::DivFOp::create(kb.b(), kb.loc(), factor, denom);
    }
    if (s.normTopkProb || s.scale != 1.0) {
      kb.loop(kb.idx(0), kb.idx(k), kb.idx(1), [&](Value j) {
        Value at = kb.add(outBase, j);
        kb.store(kb.mul(kb.load(weights, at), factor), weights, at);
      });
    }
  });
  kb.finish();
  return {1, true, kRouterTokensPerWorkgroup};
}

//===----------------------------------------------------------------------===//
// Sort by expert
//===----------------------------------------------------------------------===//

Launch emitSortByExpert(KernelBuilder &kb, const SortSpec &s) {
  Type i32 = kb.b().getI32Type();
  Value n = kb.mul(kb.size(s.tokens), kb.idx(s.topK));
  Value ids = kb.binding(0, i32, n);
  Value offsets = kb.binding(1, i32, kb.idx(s.experts + 1));
  Value copies = kb.binding(2, i32, n);
  Value inverse = kb.binding(3, i32, n);
  Value cursor = kb.scratch(s.experts, i32);
  Value one = kb.i32(1);

  kb.loop(kb.idx(0), kb.idx(s.experts + 1), kb.idx(1),
          [&](Value i) { kb.store(kb.i32(0), offsets, i); });
  kb.loop(kb.idx(0), n, kb.idx(1), [&](Value c) {
    Value slot = kb.add(kb.toIndex(kb.load(ids, c)), kb.idx(1));
    kb.store(kb.add(kb.load(offsets, slot), one), offsets, slot);
  });
  kb.loop(kb.idx(0), kb.idx(s.experts), kb.idx(1), [&](Value i) {
    Value next = kb.add(i, kb.idx(1));
    Value start = kb.load(offsets, i);
    kb.store(kb.add(kb.load(offsets, next), start), offsets, next);
    kb.store(start, cursor, i);
  });
  // A stable counting sort: copies of one expert keep token order.
  kb.loop(kb.idx(0), n, kb.idx(1), [&](Value c) {
    Value expert = kb.toIndex(kb.load(ids, c));
    Value row = kb.load(cursor, expert);
    kb.store(kb.toI32(c), copies, kb.toIndex(row));
    kb.store(row, inverse, c);
    kb.store(kb.add(row, one), cursor, expert);
  });
  kb.finish();
  return {1, false, 1};
}

//===----------------------------------------------------------------------===//
// Grouped gate/up + activation, and grouped down
//===----------------------------------------------------------------------===//

namespace {

/// Splits the workgroup id into (expert or token tile, output-row tile) and
/// returns the rows it covers.
RowRange rowsOf(KernelBuilder &kb, bool grouped, Value offsets, Value tokens, Value wgOuter) {
  if (grouped) {
    Value begin = kb.toIndex(kb.load(offsets, wgOuter));
    Value end = kb.toIndex(kb.load(offsets, kb.add(wgOuter, kb.idx(1))));
    return {begin, end, wgOuter};
  }
  Value begin = kb.mul(wgOuter, kb.idx(kDenseTokensPerWorkgroup));
  Value end = kb.min(kb.add(begin, kb.idx(kDenseTokensPerWorkgroup)), tokens);
  return {begin, end, kb.idx(0)};
}

/// One workgroup's share of a grouped (or dense) expert kernel: the token
/// rows of its expert (or token tile), and its tile [first, last) of the
/// `outRows` output rows.
struct ExpertWork {
  RowRange rows;
  Value first, last;
  int64_t tiles;    ///< output-row tiles per expert
};

ExpertWork splitExpertWork(KernelBuilder &kb, bool grouped, Value offsets, Value tokens,
                           int64_t outRows, const WeightFormat &format) {
  ExpertWork w;
  const int64_t tileRows = rowsPerWorkgroup(outRows, format);
  w.tiles = ceilDiv(outRows, tileRows);
  Value outer = kb.divIdx(kb.workgroupId(), kb.idx(w.tiles));
  w.first = kb.mul(kb.remIdx(kb.workgroupId(), kb.idx(w.tiles)), kb.idx(tileRows));
  w.last = kb.min(kb.add(w.first, kb.idx(tileRows)), kb.idx(outRows));
  w.rows = rowsOf(kb, grouped, offsets, tokens, outer);
  return w;
}

/// Runs `body` over a slab of weight rows of length k. A block-scaled slab
/// that serves two or more token rows (prefill) is first dequantised into
/// f32 `scratch` (rows.size() * k), so `body` runs the f32 dot tile instead
/// of decoding every weight again for every token row; one token row
/// (decode) reads the stored format directly. `scratch` is null when the
/// weights are not block-scaled.
void overSlab(KernelBuilder &kb, ArrayRef<KernelBuilder::Row> rows, int64_t k, Value scratch, Value tokenRows,
              const std::function<void(ArrayRef<KernelBuilder::Row>)> &body) {
  if (!scratch) {
    body(rows);
    return;
  }
  OpBuilder &b = kb.b();
  Value many = arith::CmpIOp::create(b, kb.loc(), arith::CmpIPredicate::uge, tokenRows, kb.idx(2));
  kb.ifThen(many, [&] {
    SmallVector<KernelBuilder::Row> plain;
    for (size_t j = 0; j < rows.size(); ++j) {
      Value base = kb.idx(static_cast<int64_t>(j) * k);
      kb.tiledLoop(kb.idx(0), kb.idx(k), kb.config().vectorWidth,
                   [&](Value c) { kb.storeVec(kb.loadWeight(rows[j], c, true), scratch, kb.add(base, c)); },
                   [&](Value c) { kb.store(kb.loadWeight(rows[j], c, false), scratch, kb.add(base, c)); });
      plain.push_back({scratch, base});
    }
    body(plain);
  });
  Value one = arith::XOrIOp::create(b, kb.loc(), many,
                                    arith::ConstantOp::create(b, kb.loc(), b.getBoolAttr(true)));
  kb.ifThen(one, [&] { body(rows); });
}

/// lo plus the largest multiple of `step` that fits in [lo, hi).
Value wholeSteps(KernelBuilder &kb, Value lo, Value hi, int64_t step) {
  Value span = arith::SubIOp::create(kb.b(), kb.loc(), hi, lo);
  return kb.add(lo, kb.mul(kb.divIdx(span, kb.idx(step)), kb.idx(step)));
}

/// Covers token rows [begin, end) with tiles of mr rows, then the remainder
/// (< mr) with at most one tile of each power of two below mr, largest
/// first: a remainder of 5 runs as 4 + 1 rows, not five single rows.
void tokenTiles(KernelBuilder &kb, Value begin, Value end, int64_t mr,
                const std::function<void(Value, int64_t)> &tile) {
  Value whole = wholeSteps(kb, begin, end, mr);
  kb.loop(begin, whole, kb.idx(mr), [&](Value r) { tile(r, mr); });
  int64_t top = 1;
  while (top * 2 < mr) top *= 2;
  Value rem = arith::SubIOp::create(kb.b(), kb.loc(), end, whole);
  for (int64_t p = top; p >= 1; p /= 2) {
    Value bit = arith::AndIOp::create(kb.b(), kb.loc(), rem, kb.idx(p));
    Value has = arith::CmpIOp::create(kb.b(), kb.loc(), arith::CmpIPredicate::ne, bit, kb.idx(0));
    Value before = arith::AndIOp::create(kb.b(), kb.loc(), rem, kb.idx(~(2 * p - 1)));
    kb.ifThen(has, [&] { tile(kb.add(whole, before), p); });
  }
}

/// Where an expert has kPanelMinRows token rows or more, runs `panelSlab`
/// over whole panels of `width` output rows in [first, last) and returns
/// where they end; otherwise runs nothing and returns `first`. The rows
/// from there on take the dot tiles, emitted once by the caller.
Value panelSlabs(KernelBuilder &kb, Value tokenRows, Value first, Value last, int64_t width,
                 const std::function<void(Value)> &panelSlab) {
  Value many = arith::CmpIOp::create(kb.b(), kb.loc(), arith::CmpIPredicate::uge, tokenRows, kb.idx(kPanelMinRows));
  Value whole = wholeSteps(kb, first, last, width);
  kb.ifThen(many, [&] { kb.loop(first, whole, kb.idx(width), panelSlab); });
  return arith::SelectOp::create(kb.b(), kb.loc(), many, whole, first);
}

} // namespace

Launch emitGateUp(KernelBuilder &kb, const GateUpSpec &s) {
  const int64_t h = s.hidden, inter = s.inter, e = s.grouped ? s.experts : 1;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value rows = s.grouped ? kb.mul(t, kb.idx(s.topK)) : t;
  int slot = 0;
  Value hidden = kb.binding(slot++, f32, kb.mul(t, kb.idx(h)));
  KernelBuilder::Weight gate = kb.bindWeight(slot, s.gate, e, inter, h);
  KernelBuilder::Weight up = kb.bindWeight(slot, s.up, e, inter, h);
  Value copies = s.grouped ? kb.binding(slot++, i32, rows) : Value();
  Value offsets = s.grouped ? kb.binding(slot++, i32, kb.idx(e + 1)) : Value();
  Value out = kb.binding(slot, f32, kb.mul(rows, kb.idx(inter)));

  ExpertWork work = splitExpertWork(kb, s.grouped, offsets, t, inter, s.gate);
  const RowRange &range = work.rows;

  const int64_t step = weightRowsPerTile(inter);
  Value scratch = s.gate.blockScaled() || s.up.blockScaled() ? kb.scratch(2 * step * h, f32) : Value();
  Value tokenRows = arith::SubIOp::create(kb.b(), kb.loc(), range.end, range.begin);

  // For each slab of gate/up rows, every token row of the expert: the slab
  // stays in L1/L2 while the rows stream by.
  // nrMax token rows a dot tile where the weights are plain (one where they
  // are block-scaled, whose per-block accumulators would not fit).
  auto slab = [&](Value i, int64_t n, int64_t nrMax) {
    SmallVector<KernelBuilder::Row> rowsOfSlab;
    for (const KernelBuilder::Weight *mat : {&gate, &up})
      for (int64_t j = 0; j < n; ++j) rowsOfSlab.push_back(kb.weightRow(*mat, range.expert, kb.add(i, kb.idx(j))));
    overSlab(kb, rowsOfSlab, h, scratch, tokenRows, [&](ArrayRef<KernelBuilder::Row> w) {
      // nr token rows by the 2n gate/up rows per dot tile.
      auto tokens = [&](Value r, int64_t nr) {
        SmallVector<KernelBuilder::Row> acts;
        for (int64_t q = 0; q < nr; ++q) {
          Value copy = kb.add(r, kb.idx(q));
          Value token = s.grouped ? kb.divIdx(kb.toIndex(kb.load(copies, copy)), kb.idx(s.topK)) : copy;
          acts.push_back({hidden, kb.mul(token, kb.idx(h))});
        }
        SmallVector<Value> sums = kb.dotTile(acts, w, h);
        for (int64_t q = 0; q < nr; ++q) {
          ArrayRef<Value> all = ArrayRef<Value>(sums).slice(q * 2 * n, 2 * n);
          Value at = kb.add(kb.mul(kb.add(r, kb.idx(q)), kb.idx(inter)), i);
          if (n == 1) {
            kb.store(kb.mul(activate(kb, all[0], s.gelu), all[1]), out, at);
            continue;
          }
          // The n activations as one vector: exp/erf stay in vector registers.
          auto vt = VectorType::get({n}, kb.b().getF32Type());
          Value g = vector::FromElementsOp::create(kb.b(), kb.loc(), vt, all.take_front(n));
          Value u = vector::FromElementsOp::create(kb.b(), kb.loc(), vt, all.slice(n, n));
          kb.storeVec(kb.mul(activate(kb, g, s.gelu), u), out, at);
        }
      };
      const int64_t perTile = w.front().blockCols == 0 ? nrMax : 1;
      kb.tiledLoop(range.begin, range.end, perTile, [&](Value r) { tokens(r, perTile); },
                   [&](Value r) { tokens(r, 1); });
    });
  };
  // Dot tiles over weight rows [lo, hi). AVX-512's 32 registers hold two
  // token rows by 2 x 4 gate/up rows, so each weight vector loaded feeds two
  // FMAs. AVX2's 16 hold one token row by 2 x 4 rows, or, where an expert
  // has three token rows or more, three by 2 x 2: seven loads for twelve
  // FMAs instead of nine for eight.
  const int64_t vw = kb.config().vectorWidth;
  auto dotSlabs = [&](Value lo, Value hi) {
    const int64_t nr = vw >= 16 ? 2 : 1;
    auto byFour = [&] {
      kb.tiledLoop(lo, hi, step, [&](Value i) { slab(i, step, nr); }, [&](Value i) { slab(i, 1, nr); });
    };
    if (vw >= 16 || step < 4) return byFour();
    Value three = arith::CmpIOp::create(kb.b(), kb.loc(), arith::CmpIPredicate::uge, tokenRows, kb.idx(3));
    kb.ifThenElse(three, [&] {
      kb.tiledLoop(lo, hi, 2, [&](Value i) { slab(i, 2, 3); }, [&](Value i) { slab(i, 1, 3); });
    }, byFour);
  };
  if (!s.grouped || 2 * vw * h * 4 > kPanelBytes) {
    dotSlabs(work.first, work.last);
  } else {
    // Enough token rows: vw gate rows and the same vw up rows are packed
    // into one panel, and tiles of token rows run the outer-product
    // micro-kernel over it; accumulator 2q holds token q's vw gate sums and
    // 2q + 1 its up sums, so the activation and the store are whole vectors.
    Value panel = kb.scratch(2 * vw * h, f32);
    const int64_t mr = panelTokenRows(kb.config());
    auto panelSlab = [&](Value i) {
      SmallVector<KernelBuilder::Row> w;
      for (const KernelBuilder::Weight *mat : {&gate, &up})
        for (int64_t j = 0; j < vw; ++j) w.push_back(kb.weightRow(*mat, range.expert, kb.add(i, kb.idx(j))));
      kb.packPanel(w, kb.idx(0), h, panel);
      auto tile = [&](Value r, int64_t nr) {
        SmallVector<KernelBuilder::Row> acts;
        for (int64_t q = 0; q < nr; ++q) {
          Value token = kb.divIdx(kb.toIndex(kb.load(copies, kb.add(r, kb.idx(q)))), kb.idx(s.topK));
          acts.push_back({hidden, kb.mul(token, kb.idx(h))});
        }
        SmallVector<Value> acc =
            kb.panelTile(acts, panel, 2 * vw, kb.idx(0), h, SmallVector<Value>(2 * nr, kb.zeroVec()));
        for (int64_t q = 0; q < nr; ++q)
          kb.storeVec(kb.mul(activate(kb, acc[2 * q], s.gelu), acc[2 * q + 1]), out,
                      kb.add(kb.mul(kb.add(r, kb.idx(q)), kb.idx(inter)), i));
      };
      tokenTiles(kb, range.begin, range.end, mr, tile);
    };
    dotSlabs(panelSlabs(kb, tokenRows, work.first, work.last, vw, panelSlab), work.last);
  }
  kb.finish();
  if (s.grouped) return {e * work.tiles, false, 1};
  return {work.tiles, true, kDenseTokensPerWorkgroup};
}

Launch emitDown(KernelBuilder &kb, const DownSpec &s) {
  const int64_t h = s.hidden, inter = s.inter, e = s.grouped ? s.experts : 1;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value rows = kb.size(s.rows);
  int slot = 0;
  Value act = kb.binding(slot++, f32, kb.mul(rows, kb.idx(inter)));
  KernelBuilder::Weight down = kb.bindWeight(slot, s.weight, e, h, inter);
  Value offsets = s.grouped ? kb.binding(slot++, i32, kb.idx(e + 1)) : Value();
  Value bias = s.hasBias ? kb.binding(slot++, s.biasType, kb.idx(h)) : Value();
  Value out = kb.binding(slot, f32, kb.mul(rows, kb.idx(h)));

  ExpertWork work = splitExpertWork(kb, s.grouped, offsets, rows, h, s.weight);
  const RowRange &range = work.rows;

  const int64_t step = weightRowsPerTile(h);
  Value scratch = s.weight.blockScaled() ? kb.scratch(step * inter, f32) : Value();
  Value tokenRows = arith::SubIOp::create(kb.b(), kb.loc(), range.end, range.begin);

  // nr token rows by n weight rows per dot tile.
  auto tile = [&](Value r, int64_t nr, Value hh, ArrayRef<KernelBuilder::Row> w) {
    const int64_t n = static_cast<int64_t>(w.size());
    SmallVector<KernelBuilder::Row> a;
    for (int64_t q = 0; q < nr; ++q)
      a.push_back({act, kb.mul(kb.add(r, kb.idx(q)), kb.idx(inter))});
    SmallVector<Value> sums = kb.dotTile(a, w, inter);
    for (int64_t q = 0; q < nr; ++q)
      for (int64_t j = 0; j < n; ++j) {
        Value sum = sums[q * n + j];
        if (bias) sum = kb.add(sum, kb.loadF32(bias, kb.add(hh, kb.idx(j))));
        kb.store(sum, out, kb.add(kb.mul(kb.add(r, kb.idx(q)), kb.idx(h)), kb.add(hh, kb.idx(j))));
      }
  };
  auto slab = [&](Value hh, int64_t n) {
    SmallVector<KernelBuilder::Row> rowsOfSlab;
    for (int64_t j = 0; j < n; ++j) rowsOfSlab.push_back(kb.weightRow(down, range.expert, kb.add(hh, kb.idx(j))));
    overSlab(kb, rowsOfSlab, inter, scratch, tokenRows, [&](ArrayRef<KernelBuilder::Row> w) {
      // Four token rows a tile where 32 vector registers hold the 4 x n
      // accumulators (AVX-512) and the weights are plain, else two.
      const int64_t perTile = kb.config().vectorWidth >= 16 && w.front().blockCols == 0 ? 4 : 2;
      kb.tiledLoop(range.begin, range.end, perTile, [&](Value r) { tile(r, perTile, hh, w); },
                   [&](Value r) { tile(r, 1, hh, w); });
    });
  };
  const int64_t vw = kb.config().vectorWidth, width = 2 * vw;
  if (!s.grouped) {
    kb.tiledLoop(work.first, work.last, step, [&](Value hh) { slab(hh, step); },
                 [&](Value hh) { slab(hh, 1); });
  } else {
    // Enough token rows: 2 vw output rows are packed a block of the
    // reduction at a time, and tiles of token rows run the outer-product
    // micro-kernel; a block after the first adds to what the one before
    // stored.
    const int64_t block = std::min<int64_t>(inter, std::max<int64_t>(vw, kDownPanelBytes / (width * 4) / vw * vw));
    Value panel = kb.scratch(width * block, f32);
    const int64_t mr = panelTokenRows(kb.config());
    auto panelSlab = [&](Value hh) {
      SmallVector<KernelBuilder::Row> w;
      for (int64_t j = 0; j < width; ++j) w.push_back(kb.weightRow(down, range.expert, kb.add(hh, kb.idx(j))));
      for (int64_t k0 = 0; k0 < inter; k0 += block) {
        const int64_t len = std::min(block, inter - k0);
        kb.packPanel(w, kb.idx(k0), len, panel);
        auto tile = [&](Value r, int64_t nr) {
          SmallVector<KernelBuilder::Row> acts;
          SmallVector<Value> init, at;
          for (int64_t q = 0; q < nr; ++q) {
            acts.push_back({act, kb.mul(kb.add(r, kb.idx(q)), kb.idx(inter))});
            for (int64_t v = 0; v < 2; ++v) {
              Value col = kb.add(hh, kb.idx(v * vw));
              at.push_back(kb.add(kb.mul(kb.add(r, kb.idx(q)), kb.idx(h)), col));
              init.push_back(k0 > 0 ? kb.loadVec(out, at.back()) : bias ? kb.loadVec(bias, col) : kb.zeroVec());
            }
          }
          SmallVector<Value> acc = kb.panelTile(acts, panel, width, kb.idx(k0), len, init);
          for (size_t n = 0; n < acc.size(); ++n) kb.storeVec(acc[n], out, at[n]);
        };
        tokenTiles(kb, range.begin, range.end, mr, tile);
      }
    };
    Value rest = panelSlabs(kb, tokenRows, work.first, work.last, width, panelSlab);
    kb.tiledLoop(rest, work.last, step, [&](Value hh) { slab(hh, step); }, [&](Value hh) { slab(hh, 1); });
  }
  kb.finish();
  if (s.grouped) return {e * work.tiles, false, 1};
  return {work.tiles, true, kDenseTokensPerWorkgroup};
}

//===----------------------------------------------------------------------===//
// Combine
//===----------------------------------------------------------------------===//

Launch emitCombine(KernelBuilder &kb, const CombineSpec &s) {
  const int64_t h = s.hidden, k = s.topK, vw = kb.config().vectorWidth;
  Type f32 = kb.b().getF32Type(), i32 = kb.b().getI32Type();
  Value t = kb.size(s.tokens);
  Value n = kb.mul(t, kb.idx(k));
  int slot = 0;
  Value expertOut = kb.binding(slot++, f32, kb.mul(n, kb.idx(h)));
  Value inverse = kb.binding(slot++, i32, n);
  Value weights = kb.binding(slot++, f32, n);
  Value shared = s.hasShared ? kb.binding(slot++, f32, kb.mul(t, kb.idx(h))) : Value();
  Value out = kb.binding(slot++, f32, kb.mul(t, kb.idx(h)));

  Value t0 = kb.mul(kb.workgroupId(), kb.idx(kCombineTokensPerWorkgroup));
  Value t1 = kb.min(kb.add(t0, kb.idx(kCombineTokensPerWorkgroup)), t);
  kb.loop(t0, t1, kb.idx(1), [&](Value tok) {
    SmallVector<Value> rowBase, weight;
    for (int64_t j = 0; j < k; ++j) {
      Value copy = kb.add(kb.mul(tok, kb.idx(k)), kb.idx(j));
      rowBase.push_back(kb.mul(kb.toIndex(kb.load(inverse, copy)), kb.idx(h)));
      weight.push_back(kb.load(weights, copy));
    }
    Value outBase = kb.mul(tok, kb.idx(h));
    auto accumulate = [&](Value col, bool vector) {
      Value at = kb.add(outBase, col);
      Value acc = shared ? (vector ? kb.loadVec(shared, at) : kb.load(shared, at))
                         : (vector ? kb.splat(kb.f32(0.0)) : kb.f32(0.0));
      for (int64_t j = 0; j < k; ++j) {
        Value y = vector ? kb.loadVec(expertOut, kb.add(rowBase[j], col))
                         : kb.load(expertOut, kb.add(rowBase[j], col));
        Value w = vector ? kb.splat(weight[j]) : weight[j];
        acc = vector ? Value(vector::FMAOp::create(kb.b(), kb.loc(), w, y, acc))
                     : Value(math::FmaOp::create(kb.b(), kb.loc(), w, y, acc));
      }
      if (vector)
        kb.storeVec(acc, out, at);
      else
        kb.store(acc, out, at);
    };
    kb.tiledLoop(kb.idx(0), kb.idx(h), vw, [&](Value c) { accumulate(c, true); },
                 [&](Value c) { accumulate(c, false); });
  });
  kb.finish();
  return {1, true, kCombineTokensPerWorkgroup};
}

} // namespace hexmoe::cpu
