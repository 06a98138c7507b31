// RUN: hexmoe-compile %examples/deepseek_v3_layer.mlir -o %t.hxm 2>&1 | FileCheck %s
// RUN: hexmoe-compile %examples/mixtral_layer.mlir --target=cpu:x86-64-v3 --weight-type=bf16 --quiet -o %t3.hxm
// RUN: test -s %t3.hxm
// RUN: hexmoe-opt %examples/deepseek_v3_layer.mlir -moe-decompose-layer -moe-fuse-experts -moe-plan-launches | FileCheck %s --check-prefix=PLAN

// CHECK: hexmoe-compile: wrote {{.*}}.hxm ({{[0-9]+}} bytes, target cpu, f32 weights)
// The DeepSeek-V3 layer: router, sort, routed gate/up and down, shared gate/up
// and down, and combine with the shared output added.
// PLAN: moe.plan.dispatch @deepseek_v3_layer_0_router(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_1_sort_by_expert(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_2_expert_gate_up(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_3_expert_down(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_4_dense_gate_up(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_5_dense_down(
// PLAN: moe.plan.dispatch @deepseek_v3_layer_6_combine(
