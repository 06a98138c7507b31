// Opening the HIP runtime and hipRTC; compiling HIP C++ to a code object.
#include "runtime/drivers/hip/hip_api.h"

#include <dlfcn.h>

#include <cctype>
#include <mutex>
#include <sstream>
#include <vector>

#include "runtime/core/hal/dynamic_library.h"

namespace hexmoe::hal::hip {
namespace {

constexpr hipError_t kErrorOutOfMemory = 2;
constexpr hipError_t kErrorNoDevice = 100;
constexpr hipError_t kErrorInvalidDevice = 101;
constexpr int kHiprtcErrorCompilation = 6;

const std::vector<std::string> kHipLibraries = {"libamdhip64.so.6", "libamdhip64.so.5", "libamdhip64.so"};

}  // namespace

StatusOr<const Api*> loadApi() {
  static Api api;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string errors;
    void* handle = openFirstLibrary("HEXMOE_HIP_LIBRARY", kHipLibraries, api.library, errors);
    if (!handle) {
      status = unavailable("the HIP runtime (libamdhip64.so) is not installed or cannot be opened (" + errors +
                           "); it comes with ROCm (on Debian: libamdhip64-5)");
      return;
    }
#define HEXMOE_HIP_RESOLVE(name, result, params)                                        \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(handle, #name));                \
  if (!api.name) {                                                                      \
    status = unavailable(api.library + " has no " #name " (a ROCm 5 or newer HIP runtime is needed)"); \
    return;                                                                             \
  }
    HEXMOE_HIP_FUNCTIONS(HEXMOE_HIP_RESOLVE)
#undef HEXMOE_HIP_RESOLVE
    const hipError_t init = api.hipInit(0);
    // Without a GPU (no /dev/kfd) ROCm answers hipErrorInvalidDevice or NoDevice.
    if (init == kErrorNoDevice || init == kErrorInvalidDevice) {
      status = unavailable(api.library + " sees no AMD GPU (hipInit: " + errorName(&api, init) + ")");
      return;
    }
    status = hipStatus(&api, init, "hipInit");
  });
  if (!status.ok()) return status;
  return &api;
}

std::string errorName(const Api* api, hipError_t code) {
  const char* name = api && api->hipGetErrorName ? api->hipGetErrorName(code) : nullptr;
  return (name && *name ? std::string(name) : "HIP error") + " (" + std::to_string(code) + ")";
}

Status hipStatus(const Api* api, hipError_t code, const std::string& what) {
  if (code == kHipSuccess) return okStatus();
  std::string message = what + ": " + errorName(api, code);
  switch (code) {
    case kErrorOutOfMemory:
      return resourceExhausted(std::move(message));
    case 3:    // NotInitialized
    case 35:   // InsufficientDriver
    case kErrorNoDevice:
    case 700:  // IllegalAddress: the context is lost
    case 719:  // LaunchFailure: likewise
      return unavailable(std::move(message));
    case 1:    // InvalidValue
    case kErrorInvalidDevice:
    case 200:  // InvalidImage
    case 209:  // NoBinaryForGpu
    case 218:  // InvalidKernelFile
    case 500:  // NotFound
    case 701:  // LaunchOutOfResources
      return invalidArgument(std::move(message));
    default:
      return internalError(std::move(message));
  }
}

StatusOr<const Hiprtc*> loadHiprtc() {
  static Hiprtc rtc;
  static Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> candidates = {"libhiprtc.so.6", "libhiprtc.so.5", "libhiprtc.so"};
    candidates.insert(candidates.end(), kHipLibraries.begin(), kHipLibraries.end());
    std::string errors;
    void* handle = openFirstLibrary("HEXMOE_HIPRTC_LIBRARY", candidates, rtc.library, errors);
    // A HIP runtime without hipRTC in it is not the compiler.
    if (handle && !dlsym(handle, "hiprtcCompileProgram")) {
      errors = rtc.library + " has no hipRTC";
      handle = nullptr;
    }
    if (!handle) {
      status = unavailable("hipRTC is not installed or cannot be opened (" + errors +
                           "); it comes with ROCm, or name it with HEXMOE_HIPRTC_LIBRARY");
      return;
    }
#define HEXMOE_HIPRTC_RESOLVE(name, result, params)                               \
  rtc.name = reinterpret_cast<decltype(rtc.name)>(dlsym(handle, #name));          \
  if (!rtc.name) {                                                                \
    status = unavailable(rtc.library + " has no " #name);                        \
    return;                                                                       \
  }
    HEXMOE_HIPRTC_FUNCTIONS(HEXMOE_HIPRTC_RESOLVE)
#undef HEXMOE_HIPRTC_RESOLVE
    rtc.hiprtcVersion(&rtc.major, &rtc.minor);
  });
  if (!status.ok()) return status;
  return &rtc;
}

StatusOr<std::string> compileToCodeObject(const std::string& source, const std::string& arch,
                                          const std::string& extraOptions, const std::string& label) {
  HEXMOE_ASSIGN_OR_RETURN(const Hiprtc* rtc, loadHiprtc());
  for (char c : arch)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '+' && c != '-')
      return invalidArgument(label + ": '" + arch + "' is not an AMDGPU architecture (e.g. gfx90a)");
  hiprtcProgram program = nullptr;
  hiprtcResult r = rtc->hiprtcCreateProgram(&program, source.c_str(), "hexmoe_kernels.hip", 0, nullptr, nullptr);
  if (r != 0) return internalError(label + ": hiprtcCreateProgram: " + rtc->hiprtcGetErrorString(r));
  // -O3, and no fast math: division and square roots stay exact.
  std::vector<std::string> options = {"-O3"};
  if (!arch.empty()) options.push_back("--offload-arch=" + arch);
  std::istringstream extra(extraOptions);
  for (std::string o; extra >> o;) options.push_back(o);
  std::vector<const char*> argv;
  for (const std::string& o : options) argv.push_back(o.c_str());
  r = rtc->hiprtcCompileProgram(program, static_cast<int>(argv.size()), argv.data());
  std::string log;
  size_t logSize = 0;
  if (rtc->hiprtcGetProgramLogSize(program, &logSize) == 0 && logSize > 1) {
    log.resize(logSize);
    rtc->hiprtcGetProgramLog(program, log.data());
    log.resize(std::char_traits<char>::length(log.c_str()));
    constexpr size_t kMaxLog = 4000;
    if (log.size() > kMaxLog) log = log.substr(0, kMaxLog) + "\n[... log cut at " + std::to_string(kMaxLog) + " bytes]";
  }
  std::string code;
  if (r == 0) {
    size_t size = 0;
    r = rtc->hiprtcGetCodeSize(program, &size);
    if (r == 0 && size > 0) {
      code.resize(size);
      r = rtc->hiprtcGetCode(program, code.data());
    }
  }
  rtc->hiprtcDestroyProgram(&program);
  const std::string where = arch.empty() ? "the current device" : arch;
  if (r == kHiprtcErrorCompilation)
    return invalidArgument(label + ": hipRTC " + std::to_string(rtc->major) + "." + std::to_string(rtc->minor) +
                           " could not compile it for " + where + (log.empty() ? "" : ":\n" + log));
  if (r != 0)
    return internalError(label + ": hipRTC: " + rtc->hiprtcGetErrorString(r) + (log.empty() ? "" : ":\n" + log));
  if (code.empty()) return internalError(label + ": hipRTC wrote no code for " + where);
  return code;
}

}  // namespace hexmoe::hal::hip
