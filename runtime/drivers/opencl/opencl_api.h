// The OpenCL ICD loader, opened with dlopen at run time: the runtime has no
// link-time dependency on OpenCL, and a machine without it gets a clear
// Unavailable status instead of a loader error.
#ifndef HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_API_H_
#define HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_API_H_

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <string>

#include "runtime/base/status.h"

namespace hexmoe::hal::opencl {

/// The OpenCL 1.2 entry points the driver calls.
struct Api {
#define HEXMOE_CL_FUNCTIONS(X)                                                                                 \
  X(clGetPlatformIDs)                                                                                          \
  X(clGetPlatformInfo)                                                                                         \
  X(clGetDeviceIDs)                                                                                            \
  X(clGetDeviceInfo)                                                                                           \
  X(clCreateContext)                                                                                           \
  X(clReleaseContext)                                                                                          \
  X(clCreateCommandQueue)                                                                                      \
  X(clReleaseCommandQueue)                                                                                     \
  X(clCreateBuffer)                                                                                            \
  X(clReleaseMemObject)                                                                                        \
  X(clEnqueueReadBuffer)                                                                                       \
  X(clEnqueueWriteBuffer)                                                                                      \
  X(clEnqueueCopyBuffer)                                                                                       \
  X(clCreateProgramWithSource)                                                                                 \
  X(clBuildProgram)                                                                                            \
  X(clGetProgramBuildInfo)                                                                                     \
  X(clReleaseProgram)                                                                                          \
  X(clCreateKernel)                                                                                            \
  X(clReleaseKernel)                                                                                           \
  X(clSetKernelArg)                                                                                            \
  X(clEnqueueNDRangeKernel)                                                                                    \
  X(clFinish)
#define HEXMOE_CL_MEMBER(name) decltype(&::name) name = nullptr;
  HEXMOE_CL_FUNCTIONS(HEXMOE_CL_MEMBER)
#undef HEXMOE_CL_MEMBER
};

/// The loader's entry points, resolved once (HEXMOE_OPENCL_LIBRARY names
/// another library than libOpenCL.so.1). Unavailable when the library or an
/// entry point is missing.
StatusOr<const Api*> loadApi();

/// "CL_OUT_OF_RESOURCES" for -5; "OpenCL error N" for codes it does not know.
std::string errorName(cl_int code);

/// OK for CL_SUCCESS; otherwise a status naming `what` and the error, with
/// the code it maps to (out of memory: ResourceExhausted; a build failure:
/// InvalidArgument; a lost device: Unavailable; others: Internal).
Status clStatus(cl_int code, const std::string& what);

}  // namespace hexmoe::hal::opencl

#endif  // HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_API_H_
