//===- KernelBuilder.h - helpers to emit CPU kernel bodies ---------*- C++ -*-===//
//
// CPU kernels follow runtime/schema/kernel_abi.h: a function
// `(bindings: !llvm.ptr, dims: !llvm.ptr, workgroup_id: i64, workgroup_count: i64)`.
// KernelBuilder creates such a function, turns each binding into a flat
// `memref<?xT>` and offers the few scalar/vector building blocks the kernel
// generators need: loops, loads, and a register-blocked dot-product tile that
// keeps a small grid of vector accumulators and issues one fused multiply-add
// per weight vector and token row.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_TARGETS_CPU_KERNELBUILDER_H
#define HEXMOE_TARGETS_CPU_KERNELBUILDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>

namespace hexmoe::cpu {

/// Code generation choices of one ISA variant.
struct KernelConfig {
  int64_t vectorWidth = 8; ///< f32 lanes per vector register (8: AVX2, 16: AVX-512)
};

/// A size known at compile time or read from the kernel's `dims`.
struct KernelDim {
  int64_t staticSize = -1; ///< >= 0 when static
  int dim = -1;            ///< index into dims otherwise
  int64_t factor = 1;
};

class KernelBuilder {
public:
  /// Creates `func.func @name` at the end of `module` with the kernel ABI and
  /// positions the builder in its body.
  KernelBuilder(mlir::ModuleOp module, mlir::Location loc, llvm::StringRef name,
                int numBindings, const KernelConfig &config);

  mlir::func::FuncOp func() const { return func_; }
  mlir::OpBuilder &b() { return b_; }
  mlir::Location loc() const { return loc_; }
  const KernelConfig &config() const { return config_; }

  mlir::Value workgroupId() const { return wgId_; }
  /// dims[d] (or the static size) times the factor, as index.
  mlir::Value size(const KernelDim &d);
  /// Binding `i` as a flat memref<?x elementType> of `numElements`.
  mlir::Value binding(int i, mlir::Type elementType, mlir::Value numElements);

  // Scalars.
  mlir::Value idx(int64_t v);
  mlir::Value f32(double v);
  mlir::Value i32(int64_t v);
  mlir::Value add(mlir::Value a, mlir::Value c);
  mlir::Value mul(mlir::Value a, mlir::Value c);
  mlir::Value min(mlir::Value a, mlir::Value c);
  mlir::Value divIdx(mlir::Value a, mlir::Value c);
  mlir::Value remIdx(mlir::Value a, mlir::Value c);
  mlir::Value toIndex(mlir::Value i32Value);
  mlir::Value toI32(mlir::Value indexValue);
  mlir::Value load(mlir::Value mem, mlir::Value i);
  /// Loads one element and widens it to f32 when stored narrower (bf16).
  mlir::Value loadF32(mlir::Value mem, mlir::Value i);
  void store(mlir::Value v, mlir::Value mem, mlir::Value i);
  /// Loads vectorWidth f32 lanes starting at `i`, widening bf16.
  mlir::Value loadVec(mlir::Value mem, mlir::Value i);
  void storeVec(mlir::Value v, mlir::Value mem, mlir::Value i);
  mlir::Value splat(mlir::Value scalar);
  mlir::Value scratch(int64_t n, mlir::Type elementType);

  /// scf.for lo..hi step `step` with loop-carried `init` values; the body
  /// returns the values to carry on.
  using LoopBody = std::function<llvm::SmallVector<mlir::Value>(mlir::Value iv, mlir::ValueRange)>;
  llvm::SmallVector<mlir::Value> loop(mlir::Value lo, mlir::Value hi, mlir::Value step,
                                      mlir::ValueRange init, const LoopBody &body);
  void loop(mlir::Value lo, mlir::Value hi, mlir::Value step,
            const std::function<void(mlir::Value)> &body);
  /// Runs `body(lo)` for lo in [lo, hi) stepping by `step` while a whole step
  /// fits, then `rest(i)` one at a time for the remainder.
  void tiledLoop(mlir::Value lo, mlir::Value hi, int64_t step,
                 const std::function<void(mlir::Value)> &body,
                 const std::function<void(mlir::Value)> &rest);
  void ifThen(mlir::Value cond, const std::function<void()> &body);

  /// One row of the dot-product tile: where a vector of K elements starts.
  struct Row {
    mlir::Value mem;
    mlir::Value base;
  };
  /// Returns sums[a * weights.size() + w] = Σ_k acts[a][k] * weights[w][k]
  /// over k in [0, k), with f32 accumulation. acts are f32; weights f32 or
  /// bf16. The main loop keeps acts.size() * weights.size() vector
  /// accumulators; a scalar loop finishes a K that is not a multiple of the
  /// vector width.
  llvm::SmallVector<mlir::Value> dotTile(llvm::ArrayRef<Row> acts, llvm::ArrayRef<Row> weights,
                                         int64_t k);

  /// Ends the kernel with `return`.
  void finish();

private:
  mlir::OpBuilder b_;
  mlir::Location loc_;
  KernelConfig config_;
  mlir::func::FuncOp func_;
  mlir::Value bindings_, dims_, wgId_;
};

} // namespace hexmoe::cpu

#endif // HEXMOE_TARGETS_CPU_KERNELBUILDER_H
