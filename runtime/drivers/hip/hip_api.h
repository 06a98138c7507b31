// The HIP runtime (libamdhip64.so) and hipRTC, opened with dlopen at run time
// through symbol tables of our own declarations: the runtime needs no ROCm
// header to build and no ROCm library to link, and a machine without them
// gets a clear Unavailable status.
#ifndef HEXMOE_RUNTIME_DRIVERS_HIP_HIP_API_H_
#define HEXMOE_RUNTIME_DRIVERS_HIP_HIP_API_H_

#include <cstddef>
#include <string>

#include "runtime/base/status.h"

namespace hexmoe::hal::hip {

// The HIP runtime's types, as hip_runtime_api.h declares them.
using hipError_t = int;
using hipDevice_t = int;
using hipModule_t = struct ihipModule_t*;
using hipFunction_t = struct ihipModuleSymbol_t*;
using hipStream_t = struct ihipStream_t*;

inline constexpr hipError_t kHipSuccess = 0;

/// The HIP entry points the driver calls: name, result, parameters. Only
/// functions whose C ABI is the same from ROCm 5 to 6 (no property structs).
#define HEXMOE_HIP_FUNCTIONS(X)                                                                               \
  X(hipInit, hipError_t, (unsigned int))                                                                      \
  X(hipGetErrorName, const char*, (hipError_t))                                                               \
  X(hipGetDeviceCount, hipError_t, (int*))                                                                    \
  X(hipDeviceGet, hipError_t, (hipDevice_t*, int))                                                            \
  X(hipDeviceGetName, hipError_t, (char*, int, hipDevice_t))                                                  \
  X(hipDeviceTotalMem, hipError_t, (size_t*, hipDevice_t))                                                    \
  X(hipSetDevice, hipError_t, (int))                                                                          \
  X(hipDeviceSynchronize, hipError_t, ())                                                                     \
  X(hipMalloc, hipError_t, (void**, size_t))                                                                  \
  X(hipFree, hipError_t, (void*))                                                                             \
  X(hipMemcpyHtoD, hipError_t, (void*, void*, size_t))                                                        \
  X(hipMemcpyDtoH, hipError_t, (void*, void*, size_t))                                                        \
  X(hipModuleLoadData, hipError_t, (hipModule_t*, const void*))                                               \
  X(hipModuleUnload, hipError_t, (hipModule_t))                                                               \
  X(hipModuleGetFunction, hipError_t, (hipFunction_t*, hipModule_t, const char*))                             \
  X(hipModuleLaunchKernel, hipError_t,                                                                        \
    (hipFunction_t, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,       \
     unsigned int, hipStream_t, void**, void**))

struct Api {
#define HEXMOE_HIP_MEMBER(name, result, params) result(*name) params = nullptr;
  HEXMOE_HIP_FUNCTIONS(HEXMOE_HIP_MEMBER)
#undef HEXMOE_HIP_MEMBER
  std::string library;  // the file it came from
};

/// The HIP runtime, resolved and initialised (hipInit) once:
/// HEXMOE_HIP_LIBRARY, else libamdhip64.so.6, .so.5, .so. Unavailable when
/// the library or an entry point is missing, or it sees no GPU (the message
/// says which).
StatusOr<const Api*> loadApi();

/// "hipErrorOutOfMemory (2)".
std::string errorName(const Api* api, hipError_t code);

/// OK for hipSuccess; otherwise a status naming `what` and the error (out of
/// memory: ResourceExhausted; no device or driver, a lost context:
/// Unavailable; code that cannot load: InvalidArgument; others: Internal).
Status hipStatus(const Api* api, hipError_t code, const std::string& what);

// hipRTC, the run-time HIP C++ compiler.
using hiprtcResult = int;
using hiprtcProgram = struct _hiprtcProgram*;

#define HEXMOE_HIPRTC_FUNCTIONS(X)                                                                            \
  X(hiprtcVersion, hiprtcResult, (int*, int*))                                                                \
  X(hiprtcGetErrorString, const char*, (hiprtcResult))                                                        \
  X(hiprtcCreateProgram, hiprtcResult,                                                                        \
    (hiprtcProgram*, const char*, const char*, int, const char**, const char**))                              \
  X(hiprtcCompileProgram, hiprtcResult, (hiprtcProgram, int, const char**))                                   \
  X(hiprtcGetCodeSize, hiprtcResult, (hiprtcProgram, size_t*))                                                \
  X(hiprtcGetCode, hiprtcResult, (hiprtcProgram, char*))                                                      \
  X(hiprtcGetProgramLogSize, hiprtcResult, (hiprtcProgram, size_t*))                                          \
  X(hiprtcGetProgramLog, hiprtcResult, (hiprtcProgram, char*))                                                \
  X(hiprtcDestroyProgram, hiprtcResult, (hiprtcProgram*))

struct Hiprtc {
#define HEXMOE_HIPRTC_MEMBER(name, result, params) result(*name) params = nullptr;
  HEXMOE_HIPRTC_FUNCTIONS(HEXMOE_HIPRTC_MEMBER)
#undef HEXMOE_HIPRTC_MEMBER
  int major = 0, minor = 0;  // its version
  std::string library;       // the file it came from
};

/// hipRTC, resolved once: HEXMOE_HIPRTC_LIBRARY, else libhiprtc.so.6, .so.5,
/// .so, else the HIP runtime library itself (ROCm 5.2 carries it there).
StatusOr<const Hiprtc*> loadHiprtc();

/// Compiles HIP C++ `source` to an AMDGPU code object for `arch` ("gfx90a";
/// empty: the current device's), with `extraOptions` (space-separated) after
/// the driver's own. A compile error is InvalidArgument carrying hipRTC's
/// log; `label` names the program in messages.
StatusOr<std::string> compileToCodeObject(const std::string& source, const std::string& arch,
                                          const std::string& extraOptions, const std::string& label);

}  // namespace hexmoe::hal::hip

#endif  // HEXMOE_RUNTIME_DRIVERS_HIP_HIP_API_H_
