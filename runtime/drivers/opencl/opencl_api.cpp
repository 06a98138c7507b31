// Opening the OpenCL ICD loader.
#include "runtime/drivers/opencl/opencl_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace hexmoe::hal::opencl {

StatusOr<const Api*> loadApi() {
  static Api api;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("HEXMOE_OPENCL_LIBRARY");
    const std::string library = env && *env ? env : "libOpenCL.so.1";
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* error = dlerror();
      status = unavailable("the OpenCL ICD loader " + library + " is not installed or cannot be opened (" +
                           (error ? error : "dlopen failed") + "); on Debian: apt-get install ocl-icd-libopencl1 " +
                           "and a driver, e.g. pocl-opencl-icd");
      return;
    }
#define HEXMOE_CL_RESOLVE(name)                                                                    \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(handle, #name));                            \
  if (!api.name) {                                                                                 \
    status = unavailable(library + " has no " #name " (an OpenCL 1.2 loader is needed)");          \
    return;                                                                                        \
  }
    HEXMOE_CL_FUNCTIONS(HEXMOE_CL_RESOLVE)
#undef HEXMOE_CL_RESOLVE
    // The library stays loaded for the life of the process, as ICD loaders expect.
  });
  if (!status.ok()) return status;
  return &api;
}

std::string errorName(cl_int code) {
  switch (code) {
#define HEXMOE_CL_ERROR(name) \
  case name:                  \
    return #name;
    HEXMOE_CL_ERROR(CL_DEVICE_NOT_FOUND)
    HEXMOE_CL_ERROR(CL_DEVICE_NOT_AVAILABLE)
    HEXMOE_CL_ERROR(CL_COMPILER_NOT_AVAILABLE)
    HEXMOE_CL_ERROR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    HEXMOE_CL_ERROR(CL_OUT_OF_RESOURCES)
    HEXMOE_CL_ERROR(CL_OUT_OF_HOST_MEMORY)
    HEXMOE_CL_ERROR(CL_BUILD_PROGRAM_FAILURE)
    HEXMOE_CL_ERROR(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    HEXMOE_CL_ERROR(CL_INVALID_VALUE)
    HEXMOE_CL_ERROR(CL_INVALID_DEVICE_TYPE)
    HEXMOE_CL_ERROR(CL_INVALID_PLATFORM)
    HEXMOE_CL_ERROR(CL_INVALID_DEVICE)
    HEXMOE_CL_ERROR(CL_INVALID_CONTEXT)
    HEXMOE_CL_ERROR(CL_INVALID_COMMAND_QUEUE)
    HEXMOE_CL_ERROR(CL_INVALID_MEM_OBJECT)
    HEXMOE_CL_ERROR(CL_INVALID_BUILD_OPTIONS)
    HEXMOE_CL_ERROR(CL_INVALID_PROGRAM)
    HEXMOE_CL_ERROR(CL_INVALID_PROGRAM_EXECUTABLE)
    HEXMOE_CL_ERROR(CL_INVALID_KERNEL_NAME)
    HEXMOE_CL_ERROR(CL_INVALID_KERNEL)
    HEXMOE_CL_ERROR(CL_INVALID_ARG_INDEX)
    HEXMOE_CL_ERROR(CL_INVALID_ARG_VALUE)
    HEXMOE_CL_ERROR(CL_INVALID_ARG_SIZE)
    HEXMOE_CL_ERROR(CL_INVALID_KERNEL_ARGS)
    HEXMOE_CL_ERROR(CL_INVALID_WORK_DIMENSION)
    HEXMOE_CL_ERROR(CL_INVALID_WORK_GROUP_SIZE)
    HEXMOE_CL_ERROR(CL_INVALID_GLOBAL_WORK_SIZE)
    HEXMOE_CL_ERROR(CL_INVALID_BUFFER_SIZE)
    HEXMOE_CL_ERROR(CL_INVALID_OPERATION)
    HEXMOE_CL_ERROR(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
#undef HEXMOE_CL_ERROR
    default:
      return "OpenCL error " + std::to_string(code);
  }
}

Status clStatus(cl_int code, const std::string& what) {
  if (code == CL_SUCCESS) return okStatus();
  std::string message = what + ": " + errorName(code);
  switch (code) {
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_RESOURCES:
    case CL_OUT_OF_HOST_MEMORY:
    case CL_INVALID_BUFFER_SIZE:
      return resourceExhausted(std::move(message));
    case CL_BUILD_PROGRAM_FAILURE:
    case CL_INVALID_KERNEL_NAME:
      return invalidArgument(std::move(message));
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_DEVICE_NOT_FOUND:
    case CL_COMPILER_NOT_AVAILABLE:
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST:
      return unavailable(std::move(message));
    default:
      return internalError(std::move(message));
  }
}

}  // namespace hexmoe::hal::opencl
