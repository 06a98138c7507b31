// The calling convention between generated CPU kernels and the runtime.
//
// Every kernel the compiler emits into a CPU variant's shared object is an
// exported C function with this signature. `bindings` holds one base pointer
// per buffer of the dispatch (Dispatch.bindings order), each 64-byte aligned,
// with row-major dense layout; `dims` holds the function's dynamic sizes. The
// runtime calls the kernel once for each workgroup id in [0, workgroup_count),
// on any of its threads and in any order; workgroups of one dispatch write
// disjoint memory.
//
// Beside each kernel `k` the shared object exports `hexmoe_abi_k`, a
// constant int64_t array recording what the code was generated for:
//
//   [HEXMOE_KERNEL_ABI_VERSION, workgroups, tile, binding count,
//    then per binding: element type (artifact.fbs ElementType), rank,
//    and rank times (static_size, dim, factor) as in artifact.fbs Extent]
//
// The loader builds the same record from the artifact's kernel table and the
// executable's KernelLaunch and refuses the executable when the two differ,
// so launch metadata edited after compilation never reaches the code.
#ifndef HEXMOE_SCHEMA_KERNEL_ABI_H_
#define HEXMOE_SCHEMA_KERNEL_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEXMOE_KERNEL_ABI_VERSION 1
#define HEXMOE_KERNEL_ABI_PREFIX "hexmoe_abi_"

typedef void (*hexmoe_cpu_kernel_fn)(void* const* bindings, const int64_t* dims,
                                     int64_t workgroup_id,
                                     int64_t workgroup_count);

#ifdef __cplusplus
}
#endif

#endif  // HEXMOE_SCHEMA_KERNEL_ABI_H_
