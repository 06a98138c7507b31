// The CUDA driver API (libcuda.so.1) and NVRTC (libnvrtc.so), opened with
// dlopen at run time through symbol tables of our own declarations: the
// runtime needs no CUDA header to build and no CUDA library to link, and a
// machine without them gets a clear Unavailable status.
#ifndef HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_API_H_
#define HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_API_H_

#include <cstddef>
#include <string>

#include "runtime/base/status.h"

namespace hexmoe::hal::cuda {

// The driver API's types, as cuda.h declares them.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUjit_option = int;

inline constexpr CUresult kCudaSuccess = 0;
inline constexpr int kAttributeComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
inline constexpr int kAttributeComputeCapabilityMinor = 76;
inline constexpr int kAttributeMultiprocessorCount = 16;
inline constexpr CUjit_option kJitErrorLogBuffer = 5;  // CU_JIT_ERROR_LOG_BUFFER
inline constexpr CUjit_option kJitErrorLogBufferSize = 6;

/// The driver API entry points the driver calls: name, result, parameters.
#define HEXMOE_CUDA_FUNCTIONS(X)                                                                              \
  X(cuInit, CUresult, (unsigned int))                                                                         \
  X(cuDriverGetVersion, CUresult, (int*))                                                                     \
  X(cuGetErrorName, CUresult, (CUresult, const char**))                                                       \
  X(cuDeviceGetCount, CUresult, (int*))                                                                       \
  X(cuDeviceGet, CUresult, (CUdevice*, int))                                                                  \
  X(cuDeviceGetName, CUresult, (char*, int, CUdevice))                                                        \
  X(cuDeviceGetAttribute, CUresult, (int*, int, CUdevice))                                                    \
  X(cuDeviceTotalMem_v2, CUresult, (size_t*, CUdevice))                                                       \
  X(cuDevicePrimaryCtxRetain, CUresult, (CUcontext*, CUdevice))                                               \
  X(cuDevicePrimaryCtxRelease_v2, CUresult, (CUdevice))                                                       \
  X(cuCtxSetCurrent, CUresult, (CUcontext))                                                                   \
  X(cuCtxSynchronize, CUresult, ())                                                                           \
  X(cuMemAlloc_v2, CUresult, (CUdeviceptr*, size_t))                                                          \
  X(cuMemFree_v2, CUresult, (CUdeviceptr))                                                                    \
  X(cuMemcpyHtoD_v2, CUresult, (CUdeviceptr, const void*, size_t))                                            \
  X(cuMemcpyDtoH_v2, CUresult, (void*, CUdeviceptr, size_t))                                                  \
  X(cuModuleLoadDataEx, CUresult, (CUmodule*, const void*, unsigned int, CUjit_option*, void**))              \
  X(cuModuleUnload, CUresult, (CUmodule))                                                                     \
  X(cuModuleGetFunction, CUresult, (CUfunction*, CUmodule, const char*))                                      \
  X(cuLaunchKernel, CUresult,                                                                                 \
    (CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,          \
     unsigned int, CUstream, void**, void**))

struct Api {
#define HEXMOE_CUDA_MEMBER(name, result, params) result(*name) params = nullptr;
  HEXMOE_CUDA_FUNCTIONS(HEXMOE_CUDA_MEMBER)
#undef HEXMOE_CUDA_MEMBER
};

/// The driver API, resolved and initialised (cuInit) once. HEXMOE_CUDA_LIBRARY
/// names another library than libcuda.so.1. Unavailable when the library, an
/// entry point or a working driver is missing; the message says which.
StatusOr<const Api*> loadApi();

/// "CUDA_ERROR_OUT_OF_MEMORY (2)", through cuGetErrorName where it knows the code.
std::string errorName(const Api* api, CUresult code);

/// OK for CUDA_SUCCESS; otherwise a status naming `what` and the error (out
/// of memory: ResourceExhausted; no device, a stub or too old a driver, a
/// lost context: Unavailable; code the driver cannot load: InvalidArgument;
/// others: Internal).
Status cuStatus(const Api* api, CUresult code, const std::string& what);

// NVRTC, the run-time CUDA C++ compiler.
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;

#define HEXMOE_NVRTC_FUNCTIONS(X)                                                                             \
  X(nvrtcVersion, nvrtcResult, (int*, int*))                                                                  \
  X(nvrtcGetErrorString, const char*, (nvrtcResult))                                                          \
  X(nvrtcCreateProgram, nvrtcResult,                                                                          \
    (nvrtcProgram*, const char*, const char*, int, const char* const*, const char* const*))                   \
  X(nvrtcCompileProgram, nvrtcResult, (nvrtcProgram, int, const char* const*))                                \
  X(nvrtcGetPTXSize, nvrtcResult, (nvrtcProgram, size_t*))                                                    \
  X(nvrtcGetPTX, nvrtcResult, (nvrtcProgram, char*))                                                          \
  X(nvrtcGetProgramLogSize, nvrtcResult, (nvrtcProgram, size_t*))                                             \
  X(nvrtcGetProgramLog, nvrtcResult, (nvrtcProgram, char*))                                                   \
  X(nvrtcDestroyProgram, nvrtcResult, (nvrtcProgram*))

struct Nvrtc {
#define HEXMOE_NVRTC_MEMBER(name, result, params) result(*name) params = nullptr;
  HEXMOE_NVRTC_FUNCTIONS(HEXMOE_NVRTC_MEMBER)
#undef HEXMOE_NVRTC_MEMBER
  int major = 0, minor = 0;  // its version
  std::string library;       // the file it came from
};

/// NVRTC, resolved once: HEXMOE_NVRTC_LIBRARY, else libnvrtc.so.13,
/// libnvrtc.so.12, libnvrtc.so. Unavailable when none opens.
StatusOr<const Nvrtc*> loadNvrtc();

/// Compiles CUDA C++ `source` to PTX for virtual architecture
/// compute_<arch> (90 for sm_90), with `extraOptions` (space-separated)
/// after the driver's own. A compile error is InvalidArgument carrying
/// NVRTC's log; `label` names the program in messages.
StatusOr<std::string> compileToPtx(const std::string& source, int arch, const std::string& extraOptions,
                                   const std::string& label);

}  // namespace hexmoe::hal::cuda

#endif  // HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_API_H_
