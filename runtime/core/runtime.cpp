// The runtime.
#include "runtime/core/runtime.h"

namespace hexmoe {

StatusOr<Ref<Runtime>> Runtime::create(const RuntimeOptions& options) {
  if (options.logLevel) setLogLevel(*options.logLevel);
  Ref<Runtime> runtime = Ref<Runtime>::adopt(new Runtime());
  HEXMOE_ASSIGN_OR_RETURN(runtime->driver_, hal::createDriver("cpu"));
  HEXMOE_ASSIGN_OR_RETURN(runtime->device_, runtime->driver_->createDevice(options.device));
  HEXMOE_LOG_DEBUG("runtime created on {} ({})", runtime->deviceInfo().name,
                   runtime->deviceInfo().description);
  return runtime;
}

}  // namespace hexmoe
