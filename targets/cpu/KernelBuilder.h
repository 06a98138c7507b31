//===- KernelBuilder.h - helpers to emit CPU kernel bodies ---------*- C++ -*-===//
//
// CPU kernels follow runtime/schema/kernel_abi.h: a function
// `(bindings: !llvm.ptr, dims: !llvm.ptr, workgroup_id: i64, workgroup_count: i64)`.
// KernelBuilder creates such a function, turns each binding into a flat
// `memref<?xT>` and offers the few scalar/vector building blocks the kernel
// generators need: loops, loads, a register-blocked dot-product tile that
// keeps a small grid of vector accumulators and issues one fused multiply-add
// per weight vector and token row, and for many token rows a packed weight
// panel with an outer-product micro-kernel over it.
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

/// How a kernel reads a weight operand: its stored element type and, for a
/// block-scaled format (moe.dequant), the block its f32 scales cover. A
/// block-scaled weight's scales are bound right after it.
struct WeightFormat {
  mlir::Type storage;                    ///< f32, bf16, f8E4M3FN or i8
  int64_t blockRows = 0, blockCols = 0;  ///< > 0 when block-scaled
  bool blockScaled() const { return blockRows > 0; }
  bool operator==(const WeightFormat &o) const {
    return storage == o.storage && blockRows == o.blockRows && blockCols == o.blockCols;
  }
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
  /// Loads one element and widens it to f32 when stored narrower (bf16, or
  /// float8 e4m3fn held in an i8 memref).
  mlir::Value loadF32(mlir::Value mem, mlir::Value i);
  void store(mlir::Value v, mlir::Value mem, mlir::Value i);
  /// Loads vectorWidth f32 lanes starting at `i`, widening bf16 and e4m3fn.
  mlir::Value loadVec(mlir::Value mem, mlir::Value i);
  void storeVec(mlir::Value v, mlir::Value mem, mlir::Value i);
  /// A bf16 or f16 scalar or vector as f32 (exact); f32 as it is.
  mlir::Value widenToF32(mlir::Value v);
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
  /// scf.if with an else branch.
  void ifThenElse(mlir::Value cond, const std::function<void()> &then, const std::function<void()> &otherwise);

  /// One row of the dot-product tile: where a vector of K elements starts;
  /// for a block-scaled weight row also where its row block's scales start
  /// (one per `blockCols` columns).
  struct Row {
    mlir::Value mem;
    mlir::Value base;
    mlir::Value scales = {};
    mlir::Value scaleBase = {};
    int64_t blockCols = 0;
    bool int8 = false;  ///< i8 storage holds int8 codes, not e4m3 bytes
  };

  /// A weight operand bound as `matrices` stacked [rows, cols] matrices.
  struct Weight {
    mlir::Value mem, scales;
    WeightFormat format;
    int64_t rows = 0, cols = 0;
  };
  /// Binds weight operand `slot` (and its scales at slot + 1 when
  /// block-scaled), advancing `slot` past them.
  Weight bindWeight(int &slot, const WeightFormat &format, int64_t matrices, int64_t rows, int64_t cols);
  /// The dot-tile row of row `row` of matrix `matrix` (index values).
  Row weightRow(const Weight &w, mlir::Value matrix, mlir::Value row);
  /// Weight element (or vectorWidth elements when `vector`) at column `col`
  /// of a weightRow, scaled to its f32 value.
  mlir::Value loadWeight(const Row &row, mlir::Value col, bool vector);

  /// Returns sums[a * weights.size() + w] = Σ_k acts[a][k] * weights[w][k]
  /// over k in [0, k), with f32 accumulation. acts are f32; weights f32,
  /// bf16 or block-scaled e4m3fn (all rows alike). The main loop keeps
  /// acts.size() * weights.size() vector accumulators; a scalar loop
  /// finishes a K that is not a multiple of the vector width. Block-scaled
  /// rows accumulate each block of columns apart and add it times its scale.
  llvm::SmallVector<mlir::Value> dotTile(llvm::ArrayRef<Row> acts, llvm::ArrayRef<Row> weights,
                                         int64_t k);

  /// Packs columns [k0, k0 + len) of `rows` (a multiple of vectorWidth
  /// weight rows, any format, dequantised to f32) into the panel
  /// `panel[(k - k0) * rows.size() + j]`: one column of the slab is then one
  /// contiguous run of rows.size() floats. Each vectorWidth x vectorWidth
  /// block is transposed in registers with shuffles; a tail of fewer than
  /// vectorWidth columns is copied one element at a time.
  void packPanel(llvm::ArrayRef<Row> rows, mlir::Value k0, int64_t len, mlir::Value panel);

  /// The outer-product micro-kernel over a packed panel of `width` rows
  /// (a multiple of vectorWidth): for k in [0, len), loads width/vectorWidth
  /// panel vectors, broadcasts acts[q][k0 + k] for every token row q, and
  /// fuses a multiply-add into acc[q * width/vectorWidth + v], which starts
  /// from `init`. acc[q * nv + v] lane l is then token q's sum for panel row
  /// v * vectorWidth + l: no horizontal reductions, and each panel vector
  /// loaded feeds acts.size() multiply-adds.
  llvm::SmallVector<mlir::Value> panelTile(llvm::ArrayRef<Row> acts, mlir::Value panel, int64_t width,
                                           mlir::Value k0, int64_t len, llvm::ArrayRef<mlir::Value> init);

  /// A vector of vectorWidth f32 zeros.
  mlir::Value zeroVec();

  /// Ends the kernel with `return`.
  void finish();

private:
  /// e4m3fn bytes (i8, a scalar or a vector) as f32, divided by 2^8 unless
  /// `exact` (the block-scaled dot folds the 2^8 into its scales). Finite
  /// codes only (the compiler refuses NaN weights).
  mlir::Value decodeE4m3(mlir::Value bytes, bool exact);
  /// A row's weight lanes at `i` as f32: e4m3fn divided by 2^8
  /// (decodeE4m3), int8 as it is.
  mlir::Value loadWeightLanes(const Row &row, mlir::Value i, bool vector);
  /// What a block-scaled row's scale is multiplied by: the 2^8 that e4m3
  /// lanes lack, or 1.
  double laneFactor(const Row &row) const { return row.int8 ? 1.0 : 256.0; }
  /// Accumulators of one span [k0, k0 + len) of a dot tile: vector ones
  /// (none when len < vectorWidth) and scalar ones for the tail (none when
  /// len is a multiple of vectorWidth), each from zero.
  std::pair<llvm::SmallVector<mlir::Value>, llvm::SmallVector<mlir::Value>>
  dotSpan(llvm::ArrayRef<Row> acts, llvm::ArrayRef<Row> weights, mlir::Value k0, int64_t len);

  mlir::OpBuilder b_;
  mlir::Location loc_;
  KernelConfig config_;
  mlir::func::FuncOp func_;
  mlir::Value bindings_, dims_, wgId_;
};

} // namespace hexmoe::cpu

#endif // HEXMOE_TARGETS_CPU_KERNELBUILDER_H
