// Opening a vendor library at run time: the GPU drivers dlopen their runtime
// and run-time compiler instead of linking them.
#ifndef HEXMOE_RUNTIME_CORE_HAL_DYNAMIC_LIBRARY_H_
#define HEXMOE_RUNTIME_CORE_HAL_DYNAMIC_LIBRARY_H_

#include <string>
#include <vector>

namespace hexmoe::hal {

/// dlopens (RTLD_NOW | RTLD_LOCAL) the library the environment variable
/// `envVar` names if it is set, else the first of `candidates` that opens.
/// Sets `opened` to the name that opened; on failure returns nullptr with
/// each attempt's dlerror in `errors`. The library stays loaded for the life
/// of the process.
void* openFirstLibrary(const char* envVar, const std::vector<std::string>& candidates, std::string& opened,
                       std::string& errors);

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_DYNAMIC_LIBRARY_H_
