// Opening the CUDA driver API and NVRTC; compiling CUDA C++ to PTX.
#include "runtime/drivers/cuda/cuda_api.h"

#include "runtime/core/hal/dynamic_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <utility>
#include <sstream>
#include <vector>

namespace hexmoe::hal::cuda {
namespace {

constexpr CUresult kErrorOutOfMemory = 2;
constexpr CUresult kErrorStubLibrary = 34;
constexpr CUresult kErrorNoDevice = 100;
constexpr int kNvrtcErrorCompilation = 6;

}  // namespace

StatusOr<const Api*> loadApi() {
  static Api api;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string library, errors;
    void* handle = openFirstLibrary("HEXMOE_CUDA_LIBRARY", {"libcuda.so.1"}, library, errors);
    if (!handle) {
      if (const char* env = std::getenv("HEXMOE_CUDA_LIBRARY"); env && *env) library = env;
      else library = "libcuda.so.1";
      status = unavailable("the CUDA driver " + library + " is not installed or cannot be opened (" + errors +
                           "); it comes with NVIDIA's GPU driver, not with the CUDA toolkit");
      return;
    }
#define HEXMOE_CUDA_RESOLVE(name, result, params)                                     \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(handle, #name));              \
  if (!api.name) {                                                                    \
    status = unavailable(library + " has no " #name " (a CUDA 11 or newer driver is needed)"); \
    return;                                                                           \
  }
    HEXMOE_CUDA_FUNCTIONS(HEXMOE_CUDA_RESOLVE)
#undef HEXMOE_CUDA_RESOLVE
    const CUresult init = api.cuInit(0);
    // No device is a driver with nothing to list, not a failure.
    if (init == kErrorNoDevice) return;
    if (init == kErrorStubLibrary) {
      status = unavailable(library + " is the CUDA toolkit's stub library, not a driver (cuInit: " +
                           errorName(&api, init) + ")");
      return;
    }
    status = cuStatus(&api, init, "cuInit");
    // The library stays loaded for the life of the process.
  });
  if (!status.ok()) return status;
  return &api;
}

std::string errorName(const Api* api, CUresult code) {
  const char* name = nullptr;
  if (api && api->cuGetErrorName && api->cuGetErrorName(code, &name) == kCudaSuccess && name)
    return std::string(name) + " (" + std::to_string(code) + ")";
  // What a stub or a broken driver cannot name itself.
  static const std::pair<CUresult, const char*> kNames[] = {
      {1, "CUDA_ERROR_INVALID_VALUE"},         {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},       {34, "CUDA_ERROR_STUB_LIBRARY"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},  {46, "CUDA_ERROR_DEVICES_UNAVAILABLE"},
      {100, "CUDA_ERROR_NO_DEVICE"},           {101, "CUDA_ERROR_INVALID_DEVICE"},
      {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},   {218, "CUDA_ERROR_INVALID_PTX"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"}, {500, "CUDA_ERROR_NOT_FOUND"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},     {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
      {719, "CUDA_ERROR_LAUNCH_FAILED"},       {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"},
  };
  for (const auto& [c, n] : kNames)
    if (c == code) return std::string(n) + " (" + std::to_string(code) + ")";
  return "CUDA error " + std::to_string(code);
}

Status cuStatus(const Api* api, CUresult code, const std::string& what) {
  if (code == kCudaSuccess) return okStatus();
  std::string message = what + ": " + errorName(api, code);
  switch (code) {
    case kErrorOutOfMemory:
      return resourceExhausted(std::move(message));
    case 3:    // NOT_INITIALIZED
    case 4:    // DEINITIALIZED
    case kErrorStubLibrary:
    case 35:   // INSUFFICIENT_DRIVER
    case 46:   // DEVICES_UNAVAILABLE
    case kErrorNoDevice:
    case 700:  // ILLEGAL_ADDRESS: the context is lost
    case 719:  // LAUNCH_FAILED: likewise
    case 803:  // SYSTEM_DRIVER_MISMATCH
    case 804:  // COMPAT_NOT_SUPPORTED_ON_DEVICE
      return unavailable(std::move(message));
    case 1:    // INVALID_VALUE
    case 101:  // INVALID_DEVICE
    case 200:  // INVALID_IMAGE
    case 209:  // NO_BINARY_FOR_GPU
    case 218:  // INVALID_PTX
    case 222:  // UNSUPPORTED_PTX_VERSION
    case 300:  // INVALID_SOURCE
    case 500:  // NOT_FOUND
    case 701:  // LAUNCH_OUT_OF_RESOURCES
      return invalidArgument(std::move(message));
    default:
      return internalError(std::move(message));
  }
}

StatusOr<const Nvrtc*> loadNvrtc() {
  static Nvrtc nvrtc;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string errors;
    void* handle = openFirstLibrary("HEXMOE_NVRTC_LIBRARY", {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"},
                                    nvrtc.library, errors);
    if (!handle) {
      status = unavailable("NVRTC is not installed or cannot be opened (" + errors +
                           "); it comes with the CUDA toolkit (cuda-nvrtc), or name it with HEXMOE_NVRTC_LIBRARY");
      return;
    }
#define HEXMOE_NVRTC_RESOLVE(name, result, params)                                \
  nvrtc.name = reinterpret_cast<decltype(nvrtc.name)>(dlsym(handle, #name));      \
  if (!nvrtc.name) {                                                              \
    status = unavailable(nvrtc.library + " has no " #name);                      \
    return;                                                                       \
  }
    HEXMOE_NVRTC_FUNCTIONS(HEXMOE_NVRTC_RESOLVE)
#undef HEXMOE_NVRTC_RESOLVE
    nvrtc.nvrtcVersion(&nvrtc.major, &nvrtc.minor);
  });
  if (!status.ok()) return status;
  return &nvrtc;
}

StatusOr<std::string> compileToPtx(const std::string& source, int arch, const std::string& extraOptions,
                                   const std::string& label) {
  HEXMOE_ASSIGN_OR_RETURN(const Nvrtc* nvrtc, loadNvrtc());
  if (arch < 50 || arch > 999) return invalidArgument(label + ": no CUDA architecture compute_" + std::to_string(arch));
  nvrtcProgram program = nullptr;
  nvrtcResult r = nvrtc->nvrtcCreateProgram(&program, source.c_str(), "hexmoe_kernels.cu", 0, nullptr, nullptr);
  if (r != 0) return internalError(label + ": nvrtcCreateProgram: " + nvrtc->nvrtcGetErrorString(r));
  // NVRTC's defaults divide and take square roots exactly (no fast math).
  std::vector<std::string> options = {"--gpu-architecture=compute_" + std::to_string(arch), "--std=c++17"};
  std::istringstream extra(extraOptions);
  for (std::string o; extra >> o;) options.push_back(o);
  std::vector<const char*> argv;
  for (const std::string& o : options) argv.push_back(o.c_str());
  r = nvrtc->nvrtcCompileProgram(program, static_cast<int>(argv.size()), argv.data());
  std::string log;
  size_t logSize = 0;
  if (nvrtc->nvrtcGetProgramLogSize(program, &logSize) == 0 && logSize > 1) {
    log.resize(logSize);
    nvrtc->nvrtcGetProgramLog(program, log.data());
    log.resize(logSize - 1);
    constexpr size_t kMaxLog = 4000;
    if (log.size() > kMaxLog) log = log.substr(0, kMaxLog) + "\n[... log cut at " + std::to_string(kMaxLog) + " bytes]";
  }
  std::string ptx;
  if (r == 0) {
    size_t size = 0;
    r = nvrtc->nvrtcGetPTXSize(program, &size);
    if (r == 0 && size > 0) {
      ptx.resize(size);
      r = nvrtc->nvrtcGetPTX(program, ptx.data());
      ptx.resize(size - 1);  // the terminating NUL
    }
  }
  nvrtc->nvrtcDestroyProgram(&program);
  if (r == kNvrtcErrorCompilation)
    return invalidArgument(label + ": NVRTC " + std::to_string(nvrtc->major) + "." + std::to_string(nvrtc->minor) +
                           " could not compile it for compute_" + std::to_string(arch) +
                           (log.empty() ? "" : ":\n" + log));
  if (r != 0)
    return internalError(label + ": NVRTC: " + nvrtc->nvrtcGetErrorString(r) + (log.empty() ? "" : ":\n" + log));
  return ptx;
}

}  // namespace hexmoe::hal::cuda
