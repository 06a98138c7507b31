//===- KernelBuilder.cpp - helpers to emit CPU kernel bodies --------------===//
#include "targets/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

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
Value KernelBuilder::loadF32(Value mem, Value i) {
  Value v = load(mem, i);
  if (!v.getType().isF32()) v = arith::ExtFOp::create(b_, loc_, b_.getF32Type(), v);
  return v;
}
void KernelBuilder::store(Value v, Value mem, Value i) {
  memref::StoreOp::create(b_, loc_, v, mem, ValueRange{i});
}
Value KernelBuilder::loadVec(Value mem, Value i) {
  Type elem = cast<MemRefType>(mem.getType()).getElementType();
  auto vt = VectorType::get({config_.vectorWidth}, elem);
  Value v = vector::LoadOp::create(b_, loc_, vt, mem, ValueRange{i});
  if (!elem.isF32())
    v = arith::ExtFOp::create(b_, loc_, VectorType::get({config_.vectorWidth}, b_.getF32Type()),
                              v);
  return v;
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

SmallVector<Value> KernelBuilder::dotTile(ArrayRef<Row> acts, ArrayRef<Row> weights, int64_t k) {
  const int64_t vw = config_.vectorWidth;
  const int64_t kMain = k / vw * vw;
  const size_t numAcc = acts.size() * weights.size();
  auto vf32 = VectorType::get({vw}, b_.getF32Type());
  SmallVector<Value> sums;

  if (kMain > 0) {
    Value zeroVec = arith::ConstantOp::create(
        b_, loc_, vf32, DenseElementsAttr::get(vf32, b_.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(numAcc, zeroVec);
    SmallVector<Value> accs =
        loop(idx(0), idx(kMain), idx(vw), init, [&](Value kk, ValueRange carried) {
          SmallVector<Value> a;
          for (const Row &row : acts) a.push_back(loadVec(row.mem, add(row.base, kk)));
          SmallVector<Value> next(carried.begin(), carried.end());
          for (size_t w = 0; w < weights.size(); ++w) {
            Value wv = loadVec(weights[w].mem, add(weights[w].base, kk));
            for (size_t r = 0; r < acts.size(); ++r) {
              size_t slot = r * weights.size() + w;
              next[slot] = vector::FMAOp::create(b_, loc_, a[r], wv, next[slot]);
            }
          }
          return next;
        });
    for (Value acc : accs)
      sums.push_back(vector::ReductionOp::create(b_, loc_, vector::CombiningKind::ADD, acc));
  } else {
    sums.assign(numAcc, f32(0.0));
  }

  if (kMain < k) {
    sums = loop(idx(kMain), idx(k), idx(1), sums, [&](Value kk, ValueRange carried) {
      SmallVector<Value> next(carried.begin(), carried.end());
      for (size_t r = 0; r < acts.size(); ++r) {
        Value a = loadF32(acts[r].mem, add(acts[r].base, kk));
        for (size_t w = 0; w < weights.size(); ++w) {
          Value wv = loadF32(weights[w].mem, add(weights[w].base, kk));
          size_t slot = r * weights.size() + w;
          next[slot] = math::FmaOp::create(b_, loc_, a, wv, next[slot]);
        }
      }
      return next;
    });
  }
  return sums;
}

void KernelBuilder::finish() { func::ReturnOp::create(b_, loc_); }

} // namespace hexmoe::cpu
