//===- MoEPlan.td - the launch plan: buffers and dispatches -*- tablegen -*-===//
//
// The launch plan of a compiled function, target-independent: which buffers
// it has (arguments, results, transients) with their extents in the dynamic
// sizes, and which kernels run over which buffers, in order. `moe-plan-launches`
// builds it from the kernel-level moe ops; the artifact writer serialises it;
// targets never see it, they only turn the kernel functions it names into
// code.
//
//===----------------------------------------------------------------------===//

#ifndef HEXMOE_DIALECT_MOE_PLAN
#define HEXMOE_DIALECT_MOE_PLAN

include "dialects/moe/IR/MoEBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"

def MoE_BufferKindAttr : I32EnumAttr<"BufferKind", "what a launch-plan buffer holds", [
    I32EnumAttrCase<"argument", 0>,
    I32EnumAttrCase<"result", 1>,
    I32EnumAttrCase<"transient", 2>,
    I32EnumAttrCase<"weight", 3>
  ]> {
  let cppNamespace = "::hexmoe::moe";
}

def MoE_ExtentAttr : AttrDef<MoE_Dialect, "Extent"> {
  let mnemonic = "extent";
  let summary = "one extent of a buffer: a static size or a dynamic size times a factor";
  let description = [{
    `#moe.extent<256>` is the static size 256; `#moe.extent<d0>` is the
    function's dynamic size number 0 (its first entry in `dims`, e.g. T);
    `#moe.extent<d0 * 8>` is eight times that.
  }];
  let parameters = (ins "int64_t":$staticSize, "int64_t":$dim, "int64_t":$factor);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isStatic() const { return getDim() < 0; }
    static ExtentAttr getStatic(::mlir::MLIRContext *ctx, int64_t size) { return get(ctx, size, -1, 1); }
    static ExtentAttr getDynamic(::mlir::MLIRContext *ctx, int64_t dim, int64_t factor = 1) {
      return get(ctx, 0, dim, factor);
    }
    /// This extent times `k`.
    ExtentAttr scaled(int64_t k) const;
  }];
}

def MoE_ExtentArrayAttr : TypedArrayAttrBase<MoE_ExtentAttr, "array of extents">;

def MoE_LaunchPlanOp : MoE_Op<"launch_plan", [
    Symbol, IsolatedFromAbove, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "the buffers and ordered kernel dispatches of one compiled function";
  let description = [{
    Holds `moe.plan.buffer` ops (numbered in order from 0) and
    `moe.plan.dispatch` ops (run in order, each finishing before the next
    starts). `dims` names the dynamic sizes, read from the arguments at each
    call. The verifier checks that arguments and results are numbered 0..n-1
    without gaps, every extent names a declared size, every dynamic size
    appears in some argument, and every binding names a buffer.

    Example:

    ```mlir
    moe.launch_plan @scale dims ["T"] {
      moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>, #moe.extent<4>]
      moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<4>]
      moe.plan.dispatch @scale_0_double([0, 1]) over <d0>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$dims);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `dims` $dims attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name, "::llvm::ArrayRef<std::string>":$dims)>];
}

def MoE_PlanBufferOp : MoE_Op<"plan.buffer", [HasParent<"LaunchPlanOp">]> {
  let summary = "one buffer of a launch plan";
  let description = [{
    An argument or result of the function (`index` is its position), a
    weight (a constant tensor of the checkpoint, named by `name` and bound by
    the runtime; `index` numbers the plan's weights, static extents only), or
    a transient the kernels share (`index` 0), with its element type and
    extents. Buffers are numbered by their order in the plan; dispatches
    bind them by that number.

    Example:

    ```mlir
    moe.plan.buffer transient 0 "router.ids.0" : i32 [#moe.extent<d0>, #moe.extent<2>]
    moe.plan.buffer weight 0 "model.layers.0.mlp.gate.weight" : f32 [#moe.extent<8>, #moe.extent<64>]
    ```
  }];
  let arguments = (ins MoE_BufferKindAttr:$kind, I64Attr:$index, StrAttr:$name,
                       TypeAttr:$element_type, MoE_ExtentArrayAttr:$shape);
  let assemblyFormat = "$kind $index $name `:` $element_type $shape attr-dict";
  let hasVerifier = 1;
}

def MoE_PlanDispatchOp : MoE_Op<"plan.dispatch", [
    HasParent<"LaunchPlanOp">, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "one kernel launch of a launch plan";
  let description = [{
    Runs the kernel function `kernel` with the listed buffers as its
    bindings, in the kernel's binding order: the operands of the moe op it
    was made from, then its results. `workload` is the extent the dispatch
    covers (tokens or token copies); each target's kernel says how many
    workgroups a workload takes.

    Example:

    ```mlir
    moe.plan.dispatch @layer_0_router([0, 1, 5, 6]) over <d0>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel, DenseI32ArrayAttr:$bindings, MoE_ExtentAttr:$workload);
  let assemblyFormat = "$kernel `(` $bindings `)` `over` $workload attr-dict";
}

#endif // HEXMOE_DIALECT_MOE_PLAN
