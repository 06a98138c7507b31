// Opening a vendor library at run time.
#include "runtime/core/hal/dynamic_library.h"

#include <dlfcn.h>

#include <cstdlib>

namespace hexmoe::hal {

void* openFirstLibrary(const char* envVar, const std::vector<std::string>& candidates, std::string& opened,
                       std::string& errors) {
  std::vector<std::string> names = candidates;
  if (const char* env = std::getenv(envVar); env && *env) names = {env};
  errors.clear();
  for (const std::string& name : names) {
    if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      opened = name;
      return handle;
    }
    const char* error = dlerror();
    errors += (errors.empty() ? "" : "; ") + std::string(error ? error : name + ": dlopen failed");
  }
  return nullptr;
}

}  // namespace hexmoe::hal
