// The calling convention between generated CPU kernels and the runtime.
//
// Every kernel the compiler emits into a CPU variant's shared object is an
// exported C function with this signature. `bindings` holds one base pointer
// per buffer of the dispatch (Dispatch.bindings order), each 64-byte aligned,
// with row-major dense layout; `dims` holds the function's dynamic sizes. The
// runtime calls the kernel once for each workgroup id in [0, workgroup_count),
// on any of its threads and in any order; workgroups of one dispatch write
// disjoint memory.
#ifndef HEXMOE_SCHEMA_KERNEL_ABI_H_
#define HEXMOE_SCHEMA_KERNEL_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*hexmoe_cpu_kernel_fn)(void* const* bindings, const int64_t* dims,
                                     int64_t workgroup_id,
                                     int64_t workgroup_count);

#ifdef __cplusplus
}
#endif

#endif  // HEXMOE_SCHEMA_KERNEL_ABI_H_
