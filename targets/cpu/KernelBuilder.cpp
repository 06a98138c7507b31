//===- KernelBuilder.cpp - helpers to emit CPU kernel bodies --------------===//
#include "targets/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace hexmoe::cpu {

KernelBuilder::KernelBuilder(ModuleOp module, Location loc, StringRef name, int numBindings,
                             const KernelConfig &config)
    : b_(module.getContext()), loc_(loc), config_(config) {
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b_.getI64Type();
  b_.setInsertionPointToEnd(module.getBody());
  func_ = func::FuncOp::create(b_, loc, name, b_.getFunctionType({ptr, ptr, i64, i64}, {}));
  func_->setAttr("moe.kernel", b_.getUnitAttr());
  func_->setAttr("moe.num_bindings", b_.getI64IntegerAttr(numBindings));
  Block *entry = func_.addEntryBlock();
  b_.setInsertionPointToStart(entry);
  bindings_ = entry->getArgument(0);
  dims_ = entry->getArgument(1);
  wgId_ = arith::IndexCastOp::create(b_, loc, b_.getIndexType(), entry->getArgument(2));
}

Value KernelBuilder::idx(int64_t v) { return arith::ConstantIndexOp::create(b_, loc_, v); }
Value KernelBuilder::f32(double v) {
  return arith::ConstantOp::create(b_, loc_, b_.getF32FloatAttr(static_cast<float>(v)));
}
Value KernelBuilder::i32(int64_t v) {
  return arith::ConstantOp::create(b_, loc_, b_.getI32IntegerAttr(static_cast<int32_t>(v)));
}
Value KernelBuilder::add(Value a, Value c) {
  if (isa<FloatType>(a.getType()) || isa<VectorType>(a.getType()))
    return arith::AddFOp::create(b_, loc_, a, c);
  return arith::AddIOp::create(b_, loc_, a, c);
}
Value KernelBuilder::mul(Value a, Value c) {
  if (isa<FloatType>(a.getType()) || isa<VectorType>(a.getType()))
    return arith::MulFOp::create(b_, loc_, a, c);
  return arith::MulIOp::create(b_, loc_, a, c);
}
Value KernelBuilder::min(Value a, Value c) { return arith::MinSIOp::create(b_, loc_, a, c); }
Value KernelBuilder::divIdx(Value a, Value c) { return arith::DivUIOp::create(b_, loc_, a, c); }
Value KernelBuilder::remIdx(Value a, Value c) { return arith::RemUIOp::create(b_, loc_, a, c); }
Value KernelBuilder::toIndex(Value v) {
  return arith::IndexCastOp::create(b_, loc_, b_.getIndexType(), v);
}
Value KernelBuilder::toI32(Value v) {
  return arith::IndexCastOp::create(b_, loc_, b_.getI32Type(), v);
}

Value KernelBuilder::size(const KernelDim &d) {
  if (d.dim < 0) return idx(d.staticSize * d.factor);
  auto ptr = LLVM::LLVMPointerType::get(b_.getContext());
  Value addr = LLVM::GEPOp::create(b_, loc_, ptr, b_.getI64Type(), dims_,
                                   ArrayRef<LLVM::GEPArg>{d.dim});
  Value v = LLVM::LoadOp::create(b_, loc_, b_.getI64Type(), addr);
  Value n = arith::IndexCastOp::create(b_, loc_, b_.getIndexType(), v);
  return d.factor == 1 ? n : mul(n, idx(d.factor));
}

Value KernelBuilder::binding(int i, Type elementType, Value numElements) {
  MLIRContext *ctx = b_.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b_.getI64Type();
  Value addr = LLVM::GEPOp::create(b_, loc_, ptr, ptr, bindings_, ArrayRef<LLVM::GEPArg>{i});
  Value base = LLVM::LoadOp::create(b_, loc_, ptr, addr);
  // The LLVM form of memref<?xT>: {allocated, aligned, offset, [size], [stride]}.
  auto arr = LLVM::LLVMArrayType::get(i64, 1);
  auto descType = LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64, arr, arr});
  Value desc = LLVM::PoisonOp::create(b_, loc_, descType);
  Value zero = LLVM::ConstantOp::create(b_, loc_, i64, b_.getI64IntegerAttr(0));
  Value one = LLVM::ConstantOp::create(b_, loc_, i64, b_.getI64IntegerAttr(1));
  Value n = arith::IndexCastOp::create(b_, loc_, i64, numElements);
  desc = LLVM::InsertValueOp::create(b_, loc_, desc, base, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b_, loc_, desc, base, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b_, loc_, desc, zero, ArrayRef<int64_t>{2});
  desc = LLVM::InsertValueOp::create(b_, loc_, desc, n, ArrayRef<int64_t>{3, 0});
  desc = LLVM::InsertValueOp::create(b_, loc_, desc, one, ArrayRef<int64_t>{4, 0});
  auto memrefType = MemRefType::get({ShapedType::kDynamic}, elementType);
  return UnrealizedConversionCastOp::create(b_, loc_, memrefType, desc).getResult(0);
}

Value KernelBuilder::load(Value mem, Value i) {
  return memref::LoadOp::create(b_, loc_, mem, ValueRange{i});
}
Value KernelBuilder::decodeE4m3(Value bytes, bool exact) {
  // e4m3fn's sign, exponent and mantissa, moved to an f16's places, are the
  // same value divided by 2^8 (bias 7 vs 15), subnormals included; the
  // conversion to f32 is then exact. Sign-extending to 16 bits and shifting
  // left by 7 puts the sign at bit 15 and a copy of it at bit 14, which the
  // mask clears: three integer ops and one vcvtph2ps a vector. e4m3fn's NaN
  // (S.1111.111) would read as ±480: the compiler refuses weights that hold
  // it.
  auto vt = dyn_cast<VectorType>(bytes.getType());
  auto like = [&](Type elem) -> Type { return vt ? Type(VectorType::get(vt.getShape(), elem)) : elem; };
  auto constant = [&](Type t, TypedAttr scalar) -> Value {
    if (vt) return arith::ConstantOp::create(b_, loc_, t, DenseElementsAttr::get(cast<ShapedType>(t), scalar));
    return arith::ConstantOp::create(b_, loc_, scalar);
  };
  Type i16 = like(b_.getI16Type()), f16 = like(b_.getF16Type()), f32t = like(b_.getF32Type());
  auto c16 = [&](int16_t v) { return constant(i16, b_.getI16IntegerAttr(v)); };
  Value x = arith::ExtSIOp::create(b_, loc_, i16, bytes);
  Value shifted = arith::ShLIOp::create(b_, loc_, x, c16(7));
  Value bits = arith::AndIOp::create(b_, loc_, shifted, c16(static_cast<int16_t>(0xBFFF)));
  Value half = arith::BitcastOp::create(b_, loc_, f16, bits);
  Value v = arith::ExtFOp::create(b_, loc_, f32t, half);
  if (exact) v = arith::MulFOp::create(b_, loc_, v, constant(f32t, b_.getF32FloatAttr(256.0f)));
  return v;
}

Value KernelBuilder::widenToF32(Value v) {
  auto vt = dyn_cast<VectorType>(v.getType());
  Type elem = vt ? vt.getElementType() : v.getType();
  auto like = [&](Type t) -> Type { return vt ? Type(VectorType::get(vt.getShape(), t)) : t; };
  if (elem.isF32()) return v;
  if (!elem.isBF16()) return arith::ExtFOp::create(b_, loc_, like(b_.getF32Type()), v);
  // bf16 is the high half of an f32: zero-extend its bits and shift them
  // up. LLVM's own bf16 extension of vectors wider than the registers
  // (16 lanes on AVX2) calls a soft-float routine the kernels cannot link.
  Value bits = arith::BitcastOp::create(b_, loc_, like(b_.getI16Type()), v);
  Value wide = arith::ExtUIOp::create(b_, loc_, like(b_.getI32Type()), bits);
  Value sixteen = vt ? Value(arith::ConstantOp::create(
                           b_, loc_, like(b_.getI32Type()),
                           DenseElementsAttr::get(cast<ShapedType>(like(b_.getI32Type())), b_.getI32IntegerAttr(16))))
                     : i32(16);
  Value shifted = arith::ShLIOp::create(b_, loc_, wide, sixteen);
  return arith::BitcastOp::create(b_, loc_, like(b_.getF32Type()), shifted);
}

Value KernelBuilder::loadF32(Value mem, Value i) {
  Value v = load(mem, i);
  if (v.getType().isInteger(8)) return decodeE4m3(v, /*exact=*/true);
  return widenToF32(v);
}
void KernelBuilder::store(Value v, Value mem, Value i) {
  memref::StoreOp::create(b_, loc_, v, mem, ValueRange{i});
}
Value KernelBuilder::loadVec(Value mem, Value i) {
  Type elem = cast<MemRefType>(mem.getType()).getElementType();
  auto vt = VectorType::get({config_.vectorWidth}, elem);
  Value v = vector::LoadOp::create(b_, loc_, vt, mem, ValueRange{i});
  if (elem.isInteger(8)) return decodeE4m3(v, /*exact=*/true);
  return widenToF32(v);
}
void KernelBuilder::storeVec(Value v, Value mem, Value i) {
  vector::StoreOp::create(b_, loc_, v, mem, ValueRange{i});
}
Value KernelBuilder::splat(Value scalar) {
  auto vt = VectorType::get({config_.vectorWidth}, scalar.getType());
  return vector::BroadcastOp::create(b_, loc_, vt, scalar);
}
Value KernelBuilder::scratch(int64_t n, Type elementType) {
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToStart(&func_.getBody().front());
  return memref::AllocaOp::create(b_, loc_, MemRefType::get({n}, elementType));
}

SmallVector<Value> KernelBuilder::loop(Value lo, Value hi, Value step, ValueRange init,
                                       const LoopBody &body) {
  auto forOp = scf::ForOp::create(
      b_, loc_, lo, hi, step, init, [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b_);
        b_.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
        SmallVector<Value> next = body(iv, args);
        scf::YieldOp::create(b_, loc_, next);
      });
  return SmallVector<Value>(forOp.getResults());
}

void KernelBuilder::loop(Value lo, Value hi, Value step, const std::function<void(Value)> &body) {
  loop(lo, hi, step, ValueRange{}, [&](Value iv, ValueRange) {
    body(iv);
    return SmallVector<Value>{};
  });
}

void KernelBuilder::tiledLoop(Value lo, Value hi, int64_t step,
                              const std::function<void(Value)> &body,
                              const std::function<void(Value)> &rest) {
  if (step == 1) {
    loop(lo, hi, idx(1), body);
    return;
  }
  Value span = arith::SubIOp::create(b_, loc_, hi, lo);
  Value whole = add(lo, mul(divIdx(span, idx(step)), idx(step)));
  loop(lo, whole, idx(step), body);
  loop(whole, hi, idx(1), rest);
}

void KernelBuilder::ifThen(Value cond, const std::function<void()> &body) {
  scf::IfOp::create(b_, loc_, cond, [&](OpBuilder &nested, Location) {
    OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
    body();
    scf::YieldOp::create(b_, loc_);
  });
}

void KernelBuilder::ifThenElse(Value cond, const std::function<void()> &then,
                               const std::function<void()> &otherwise) {
  auto branch = [&](const std::function<void()> &body) {
    return [&](OpBuilder &nested, Location) {
      OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
      body();
      scf::YieldOp::create(b_, loc_);
    };
  };
  scf::IfOp::create(b_, loc_, cond, branch(then), branch(otherwise));
}

Value KernelBuilder::zeroVec() {
  auto vf32 = VectorType::get({config_.vectorWidth}, b_.getF32Type());
  return arith::ConstantOp::create(b_, loc_, vf32, DenseElementsAttr::get(vf32, b_.getF32FloatAttr(0.0f)));
}

KernelBuilder::Weight KernelBuilder::bindWeight(int &slot, const WeightFormat &format, int64_t matrices,
                                                int64_t rows, int64_t cols) {
  Weight w;
  w.format = format;
  w.rows = rows;
  w.cols = cols;
  // e4m3fn travels as its bytes: LLVM has no 8-bit float type.
  Type storage = isa<Float8E4M3FNType>(format.storage) ? Type(b_.getI8Type()) : format.storage;
  assert((!storage.isInteger(8) || format.blockScaled()) && "8-bit weights are block-scaled");
  w.mem = binding(slot++, storage, idx(matrices * rows * cols));
  if (format.blockScaled()) {
    const int64_t rb = (rows + format.blockRows - 1) / format.blockRows;
    const int64_t cb = (cols + format.blockCols - 1) / format.blockCols;
    w.scales = binding(slot++, b_.getF32Type(), idx(matrices * rb * cb));
  }
  return w;
}

KernelBuilder::Row KernelBuilder::weightRow(const Weight &w, Value matrix, Value row) {
  Row r{w.mem, mul(add(mul(matrix, idx(w.rows)), row), idx(w.cols))};
  if (w.format.blockScaled()) {
    const int64_t rb = (w.rows + w.format.blockRows - 1) / w.format.blockRows;
    const int64_t cb = (w.cols + w.format.blockCols - 1) / w.format.blockCols;
    r.scales = w.scales;
    r.scaleBase = mul(add(mul(matrix, idx(rb)), divIdx(row, idx(w.format.blockRows))), idx(cb));
    r.blockCols = w.format.blockCols;
    r.int8 = w.format.storage.isInteger(8);
  }
  return r;
}

Value KernelBuilder::loadWeightLanes(const Row &row, Value i, bool vector) {
  Type elem = cast<MemRefType>(row.mem.getType()).getElementType();
  if (!elem.isInteger(8)) return vector ? loadVec(row.mem, i) : loadF32(row.mem, i);
  Value bytes = vector ? Value(vector::LoadOp::create(b_, loc_, VectorType::get({config_.vectorWidth}, elem), row.mem,
                                                      ValueRange{i}))
                       : load(row.mem, i);
  if (!row.int8) return decodeE4m3(bytes, /*exact=*/false);
  Type f32t = vector ? Type(VectorType::get({config_.vectorWidth}, b_.getF32Type())) : Type(b_.getF32Type());
  return arith::SIToFPOp::create(b_, loc_, f32t, bytes);
}

Value KernelBuilder::loadWeight(const Row &row, Value col, bool vector) {
  if (!row.scales) return vector ? loadVec(row.mem, add(row.base, col)) : loadF32(row.mem, add(row.base, col));
  const int64_t vw = config_.vectorWidth, bc = row.blockCols;
  Value v = loadWeightLanes(row, add(row.base, col), vector);
  auto scaleAt = [&](Value c) {
    return mul(load(row.scales, add(row.scaleBase, divIdx(c, idx(bc)))), f32(laneFactor(row)));
  };
  if (!vector) return mul(v, scaleAt(col));
  if (bc % vw == 0) return mul(v, splat(scaleAt(col)));  // callers step col by vw from 0
  SmallVector<Value> lanes;
  for (int64_t l = 0; l < vw; ++l) lanes.push_back(scaleAt(add(col, idx(l))));
  auto vf32 = VectorType::get({vw}, b_.getF32Type());
  return mul(v, vector::FromElementsOp::create(b_, loc_, vf32, lanes));
}

std::pair<SmallVector<Value>, SmallVector<Value>>
KernelBuilder::dotSpan(ArrayRef<Row> acts, ArrayRef<Row> weights, Value k0, int64_t len) {
  const int64_t vw = config_.vectorWidth;
  const int64_t main = len / vw * vw;
  const size_t numAcc = acts.size() * weights.size();
  SmallVector<Value> vec, scalar;
  if (main > 0) {
    auto vf32 = VectorType::get({vw}, b_.getF32Type());
    Value zeroVec = arith::ConstantOp::create(b_, loc_, vf32, DenseElementsAttr::get(vf32, b_.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(numAcc, zeroVec);
    vec = loop(k0, add(k0, idx(main)), idx(vw), init, [&](Value kk, ValueRange carried) {
      SmallVector<Value> a;
      for (const Row &row : acts) a.push_back(loadVec(row.mem, add(row.base, kk)));
      SmallVector<Value> next(carried.begin(), carried.end());
      for (size_t w = 0; w < weights.size(); ++w) {
        Value wv = loadWeightLanes(weights[w], add(weights[w].base, kk), /*vector=*/true);
        for (size_t r = 0; r < acts.size(); ++r) {
          size_t slot = r * weights.size() + w;
          next[slot] = vector::FMAOp::create(b_, loc_, a[r], wv, next[slot]);
        }
      }
      return next;
    });
  }
  if (main < len) {
    SmallVector<Value> init(numAcc, f32(0.0));
    scalar = loop(add(k0, idx(main)), add(k0, idx(len)), idx(1), init, [&](Value kk, ValueRange carried) {
      SmallVector<Value> next(carried.begin(), carried.end());
      for (size_t r = 0; r < acts.size(); ++r) {
        Value a = loadF32(acts[r].mem, add(acts[r].base, kk));
        for (size_t w = 0; w < weights.size(); ++w) {
          Value wv = loadWeightLanes(weights[w], add(weights[w].base, kk), /*vector=*/false);
          size_t slot = r * weights.size() + w;
          next[slot] = math::FmaOp::create(b_, loc_, a, wv, next[slot]);
        }
      }
      return next;
    });
  }
  return {vec, scalar};
}

SmallVector<Value> KernelBuilder::dotTile(ArrayRef<Row> acts, ArrayRef<Row> weights, int64_t k) {
  const size_t numAcc = acts.size() * weights.size();
  auto reduce = [&](const SmallVector<Value> &vec, const SmallVector<Value> &scalar) {
    SmallVector<Value> sums;
    for (size_t i = 0; i < numAcc; ++i) {
      Value s = vec.empty() ? f32(0.0)
                            : Value(vector::ReductionOp::create(b_, loc_, vector::CombiningKind::ADD, vec[i]));
      sums.push_back(scalar.empty() ? s : (vec.empty() ? scalar[i] : add(s, scalar[i])));
    }
    return sums;
  };
  const int64_t bc = weights.empty() ? 0 : weights.front().blockCols;
  if (bc == 0) {
    auto [vec, scalar] = dotSpan(acts, weights, idx(0), k);
    return reduce(vec, scalar);
  }

  // Block-scaled: each block of bc columns accumulates from zero, then adds
  // to the running sums times its scale (e4m3's 2^8 folded in, decodeE4m3).
  const int64_t vw = config_.vectorWidth, full = k / bc, rest = k % bc;
  const bool vecParts = bc >= vw || rest >= vw, scalarParts = bc % vw != 0 || rest % vw != 0;
  auto vf32 = VectorType::get({vw}, b_.getF32Type());
  Value zeroVec = arith::ConstantOp::create(b_, loc_, vf32, DenseElementsAttr::get(vf32, b_.getF32FloatAttr(0.0f)));
  SmallVector<Value> vec(vecParts ? numAcc : 0, zeroVec), scalar(scalarParts ? numAcc : 0, f32(0.0));
  auto addBlock = [&](Value block, Value k0, int64_t len, SmallVector<Value> &v, SmallVector<Value> &s) {
    auto [bv, bs] = dotSpan(acts, weights, k0, len);
    for (size_t w = 0; w < weights.size(); ++w) {
      Value scale = mul(load(weights[w].scales, add(weights[w].scaleBase, block)), f32(laneFactor(weights[w])));
      Value scaleVec = bv.empty() ? Value() : splat(scale);
      for (size_t r = 0; r < acts.size(); ++r) {
        const size_t slot = r * weights.size() + w;
        if (!bv.empty()) v[slot] = vector::FMAOp::create(b_, loc_, bv[slot], scaleVec, v[slot]);
        if (!bs.empty()) s[slot] = math::FmaOp::create(b_, loc_, bs[slot], scale, s[slot]);
      }
    }
  };
  if (full > 0) {
    SmallVector<Value> init(vec);
    init.append(scalar);
    SmallVector<Value> out = loop(idx(0), idx(full), idx(1), init, [&](Value block, ValueRange carried) {
      SmallVector<Value> v(carried.begin(), carried.begin() + vec.size());
      SmallVector<Value> s(carried.begin() + vec.size(), carried.end());
      addBlock(block, mul(block, idx(bc)), bc, v, s);
      v.append(s);
      return v;
    });
    vec.assign(out.begin(), out.begin() + vec.size());
    scalar.assign(out.begin() + vec.size(), out.end());
  }
  if (rest > 0) addBlock(idx(full), idx(full * bc), rest, vec, scalar);
  return reduce(vec, scalar);
}

void KernelBuilder::packPanel(ArrayRef<Row> rows, Value k0, int64_t len, Value panel) {
  const int64_t vw = config_.vectorWidth, width = static_cast<int64_t>(rows.size());
  assert(width % vw == 0 && "a panel is whole vectors wide");
  const int64_t main = len / vw * vw;
  for (int64_t g = 0; g < width; g += vw) {
    ArrayRef<Row> group = rows.slice(g, vw);
    if (main > 0)
      loop(idx(0), idx(main), idx(vw), [&](Value kk) {
        SmallVector<Value> m;
        for (const Row &row : group) m.push_back(loadWeight(row, add(k0, kk), /*vector=*/true));
        // Transpose: stage s swaps bit s of the row and the lane index, so
        // after log2(vw) stages m[l] holds lane l of every row.
        for (int64_t s = vw / 2; s >= 1; s /= 2) {
          SmallVector<int64_t> lo(vw), hi(vw);
          for (int64_t j = 0; j < vw; ++j) {
            lo[j] = (j & s) == 0 ? j : vw + j - s;
            hi[j] = (j & s) == 0 ? j + s : vw + j;
          }
          SmallVector<Value> next(m);
          for (int64_t i = 0; i < vw; ++i) {
            if (i & s) continue;
            next[i] = vector::ShuffleOp::create(b_, loc_, m[i], m[i + s], lo);
            next[i + s] = vector::ShuffleOp::create(b_, loc_, m[i], m[i + s], hi);
          }
          m = std::move(next);
        }
        for (int64_t l = 0; l < vw; ++l) storeVec(m[l], panel, add(mul(add(kk, idx(l)), idx(width)), idx(g)));
      });
    if (main < len)
      loop(idx(main), idx(len), idx(1), [&](Value kk) {
        for (int64_t j = 0; j < vw; ++j)
          store(loadWeight(group[j], add(k0, kk), /*vector=*/false), panel, add(mul(kk, idx(width)), idx(g + j)));
      });
  }
}

SmallVector<Value> KernelBuilder::panelTile(ArrayRef<Row> acts, Value panel, int64_t width, Value k0, int64_t len,
                                            ArrayRef<Value> init) {
  const int64_t vw = config_.vectorWidth, nv = width / vw;
  assert(static_cast<int64_t>(init.size()) == static_cast<int64_t>(acts.size()) * nv);
  return loop(idx(0), idx(len), idx(1), init, [&](Value k, ValueRange carried) {
    SmallVector<Value> p;
    for (int64_t v = 0; v < nv; ++v) p.push_back(loadVec(panel, add(mul(k, idx(width)), idx(v * vw))));
    SmallVector<Value> next(carried.begin(), carried.end());
    for (size_t q = 0; q < acts.size(); ++q) {
      Value a = splat(loadF32(acts[q].mem, add(acts[q].base, add(k0, k))));
      for (int64_t v = 0; v < nv; ++v) next[q * nv + v] = vector::FMAOp::create(b_, loc_, a, p[v], next[q * nv + v]);
    }
    return next;
  });
}

void KernelBuilder::finish() { func::ReturnOp::create(b_, loc_); }

} // namespace hexmoe::cpu
