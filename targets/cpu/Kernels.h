//===- Kernels.h - CPU kernels for the grouped moe ops -------------*- C++ -*-===//
//
// One generator per kernel-level moe op. Each emits a kernel function with
// the ABI of runtime/schema/kernel_abi.h into a module and returns how it is
// launched. Binding orders are listed with each spec.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_TARGETS_CPU_KERNELS_H
#define HEXMOE_TARGETS_CPU_KERNELS_H

#include "targets/cpu/KernelBuilder.h"

namespace hexmoe::cpu {

/// How a kernel is launched: `workgroups` times ceil(tokens / tile) when
/// `perTokenTile`, else `workgroups`.
struct Launch {
  int64_t workgroups = 1;
  bool perTokenTile = false;
  int64_t tile = 1;
};

/// Bindings: hidden [T,H] f32, weight [E,H], (bias [E] f32), ids [T,K] i32,
/// weights [T,K] f32.
struct RouterSpec {
  int64_t hidden, experts, topK, nGroup, topkGroup;
  bool sigmoid, normTopkProb, hasBias;
  double scale;
  mlir::Type weightType;
  KernelDim tokens;
};
Launch emitRouter(KernelBuilder &kb, const RouterSpec &spec);

/// Bindings: ids [T,K] i32, offsets [E+1] i32, copies [T*K] i32, inverse [T*K] i32.
struct SortSpec {
  int64_t experts, topK;
  KernelDim tokens;
};
Launch emitSortByExpert(KernelBuilder &kb, const SortSpec &spec);

/// Grouped bindings: hidden [T,H], gate [E,I,H], up [E,I,H], copies [N],
/// offsets [E+1], out [N,I]. Dense: hidden [T,H], gate [I,H], up [I,H], out [T,I].
/// A block-scaled gate or up is followed by its scales.
struct GateUpSpec {
  int64_t hidden, inter, experts, topK;
  bool grouped, gelu;
  WeightFormat gate, up;
  KernelDim tokens;
};
Launch emitGateUp(KernelBuilder &kb, const GateUpSpec &spec);

/// Grouped bindings: act [N,I], down [E,H,I], offsets [E+1], out [N,H].
/// Dense: act [T,I], down [H,I], (bias [H]), out [T,H] — also moe.linear.
/// `rows` is N (grouped) or T. A block-scaled down is followed by its scales.
struct DownSpec {
  int64_t hidden, inter, experts;
  bool grouped;
  WeightFormat weight;
  KernelDim rows;
  bool hasBias = false;
  mlir::Type biasType = {};
};
Launch emitDown(KernelBuilder &kb, const DownSpec &spec);

/// Bindings: expert_out [N,H], inverse [N] i32, weights [T,K] f32,
/// (shared [T,H]), out [T,H].
struct CombineSpec {
  int64_t hidden, topK;
  bool hasShared;
  KernelDim tokens;
};
Launch emitCombine(KernelBuilder &kb, const CombineSpec &spec);

//===----------------------------------------------------------------------===//
// Decoder ops (ModelKernels.cpp)
//===----------------------------------------------------------------------===//

/// Bindings: ids [T] i32, table [V,H], out [T,H].
struct EmbeddingSpec {
  int64_t vocab, hidden;
  mlir::Type tableType;
  KernelDim tokens;
};
Launch emitEmbedding(KernelBuilder &kb, const EmbeddingSpec &spec);

/// Bindings: input [T,N], weight [G], out [T,N].
struct RmsNormSpec {
  int64_t cols, group;
  double epsilon;
  mlir::Type weightType;
  KernelDim tokens;
};
Launch emitRmsNorm(KernelBuilder &kb, const RmsNormSpec &spec);

/// Bindings: lhs [T,N], rhs [T,N], out [T,N].
struct AddSpec {
  int64_t cols;
  KernelDim tokens;
};
Launch emitAdd(KernelBuilder &kb, const AddSpec &spec);

/// Bindings: input [T,N], gate [T,1], out [T,N].
Launch emitSigmoidGate(KernelBuilder &kb, const AddSpec &spec);

/// Bindings: input [T,n*D], positions [T] i32, table [P,R], out [T,n*D].
struct RopeSpec {
  int64_t cols, headDim, ropeDim, positions;
  bool interleaved;
  KernelDim tokens;
};
Launch emitRope(KernelBuilder &kb, const RopeSpec &spec);

/// Bindings: cache [S,C], rows [T,C], positions [T] i32, out [S,C] (the
/// cache's buffer again).
struct KvWriteSpec {
  int64_t slots, cols;
  KernelDim tokens;
};
Launch emitKvWrite(KernelBuilder &kb, const KvWriteSpec &spec);

/// Bindings: q [T,nh*D], k_cache [S,nkv*D], v_cache [S,nkv*Dv], positions [T]
/// i32, out [T,nh*Dv]. One workgroup per (token, head).
struct AttentionSpec {
  int64_t heads, kvHeads, headDim, vHeadDim, slots, window;
  double scale;
  KernelDim tokens;
};
Launch emitAttention(KernelBuilder &kb, const AttentionSpec &spec);

/// Bindings: q [T,nh*(nope+R)], latent_cache [S,L], rope_cache [S,R], kv_b
/// [nh*(nope+dv),L], positions [T] i32, out [T,nh*dv]. One workgroup per
/// (token, head). A block-scaled kv_b is followed by its scales.
struct MlaAttentionSpec {
  int64_t heads, nopeDim, ropeDim, vDim, latent, slots;
  double scale;
  WeightFormat kvb;
  KernelDim tokens;
};
Launch emitMlaAttention(KernelBuilder &kb, const MlaAttentionSpec &spec);

} // namespace hexmoe::cpu

#endif // HEXMOE_TARGETS_CPU_KERNELS_H
