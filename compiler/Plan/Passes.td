//===- Passes.td - target-independent launch planning ------*- tablegen -*-===//
#ifndef HEXMOE_COMPILER_PLAN_PASSES
#define HEXMOE_COMPILER_PLAN_PASSES

include "mlir/Pass/PassBase.td"

def MoEPlanLaunches : Pass<"moe-plan-launches", "::mlir::ModuleOp"> {
  let summary = "turns functions of kernel-level moe ops into launch plans and kernel functions";
  let description = [{
    This is where tensors become buffers, once for every target. For every
    function whose body is a sequence of kernel-level moe ops
    (`moe.router`, `moe.sort_by_expert`, `moe.grouped_gate_up`,
    `moe.grouped_down`, `moe.combine`):

    - each argument, result and intermediate tensor gets one buffer whose
      extents are static or a multiple of the dynamic token count T; an
      argument marked `moe.weight = "<tensor>"` becomes a weight buffer
      (static, named by the checkpoint tensor, bound by the runtime), and
      the other arguments are renumbered from 0;
    - each op moves into a kernel function of its own,
      `@<function>_<n>_<kind>`, marked with the workload it covers
      (`moe.workload`) and each binding's extents (`moe.bindings`), whose arguments are the op's operands and whose
      results are the op's results — the kernel's binding order, written
      here once for every target;
    - the function is replaced by a `moe.launch_plan` of the same name: its
      buffers and its ordered `moe.plan.dispatch`es.

    Targets then turn each kernel function into code and say how many
    workgroups a workload takes; they never see the plan.
  }];
  let dependentDialects = ["::hexmoe::moe::MoEDialect", "::mlir::func::FuncDialect"];
}

#endif // HEXMOE_COMPILER_PLAN_PASSES
