// The opencl target's OpenCL C for both example layers, and the ABI record
// beside each kernel (what the opencl driver checks at load).
// RUN: rm -rf %t.mx %t.ds
// RUN: hexmoe-compile %examples/mixtral_layer.mlir --target=opencl --dump-kernels=%t.mx -o %t.mx.hxm
// RUN: FileCheck %s --check-prefix=MX < %t.mx/opencl-c.cl
// RUN: hexmoe-compile %examples/deepseek_v3_layer.mlir --target=cpu,opencl --weight-type=bf16 --dump-kernels=%t.ds -o %t.ds.hxm
// RUN: FileCheck %s --check-prefix=DS < %t.ds/opencl-c.cl
// RUN: test -s %t.ds/cpu-x86_64-v3.so
// RUN: not hexmoe-compile %examples/mixtral_layer.mlir --target=opencl:spirv -o %t.bad.hxm 2>&1 | FileCheck %s --check-prefix=VARIANT

// MX: inline float hx_bf16(ushort bits)
// MX: inline float8 hx_fp8x8(uchar8 b)
// MX: inline float hx_sum8(float8 v)
// MX: __kernel void mixtral_layer_0_router(__global const float* restrict hidden, __global const float* restrict weight, __global int* restrict ids, __global float* restrict weights, __global const long* restrict dims)
// MX:   const long W = dims[0] * 1L;
// MX:   float top = -INFINITY;
// MX:   const float factor = 1.000000000e+00f / (total + 1e-20f);
// MX: //@hexmoe-abi mixtral_layer_0_router 1 1 1 4
// MX: __kernel void mixtral_layer_1_sort_by_expert(
// MX: //@hexmoe-abi mixtral_layer_1_sort_by_expert 1 1 0 4
// MX: __kernel void mixtral_layer_2_expert_gate_up(
// MX:   if (wg >= 4096L) return;
// MX:       g8 = fma(a8, (vload8(0, gate + base + c)), g8);
// MX:   out[r * 512L + i] = (g / (1.0f + exp(-g))) * u;
// MX: //@hexmoe-abi mixtral_layer_2_expert_gate_up 1 4096 0 6
// MX: __kernel void mixtral_layer_3_expert_down(
// MX: //@hexmoe-abi mixtral_layer_3_expert_down 1 2048 0 4
// MX: __kernel void mixtral_layer_4_combine(
// MX: //@hexmoe-abi mixtral_layer_4_combine 1 256 1 4

// DS: __kernel void deepseek_v3_layer_0_router({{.*}}__global const float* restrict bias,
// DS:   for (long i = 0; i < 32L; ++i) scores[i] = 1.0f / (1.0f + exp(-scores[i]));
// DS:   for (long i = 0; i < 32L; ++i) choice[i] = scores[i] + bias[i];
// DS:   float rating[8L]; int keep[8L];
// DS: __kernel void deepseek_v3_layer_2_expert_gate_up({{.*}}__global const ushort* restrict gate,
// DS:       g8 = fma(a8, hx_bf16x8(vload8(0, gate + base + c)), g8);
// DS: __kernel void {{.*}}combine({{.*}}__global const float* restrict shared,

// VARIANT: error: unknown opencl variant 'spirv' (expected c)
