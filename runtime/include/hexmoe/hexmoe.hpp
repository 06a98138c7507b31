/* Thin C++ helpers over hexmoe.h: owning handles that release what the C API
 * hands out. Header-only; a C++ caller links libhexmoe_runtime alone. */
#ifndef HEXMOE_HEXMOE_HPP_
#define HEXMOE_HEXMOE_HPP_

#include <memory>

#include "hexmoe/hexmoe.h"

namespace hexmoe::api {

struct StatusDeleter {
  void operator()(hexmoe_status_s* s) const { hexmoe_status_free(s); }
};
struct RuntimeDeleter {
  void operator()(hexmoe_runtime_t* r) const { hexmoe_runtime_destroy(r); }
};
struct ModuleDeleter {
  void operator()(hexmoe_module_t* m) const { hexmoe_module_release(m); }
};
struct TensorDeleter {
  void operator()(hexmoe_tensor_t* b) const { hexmoe_tensor_release(b); }
};

using StatusPtr = std::unique_ptr<hexmoe_status_s, StatusDeleter>;
using RuntimePtr = std::unique_ptr<hexmoe_runtime_t, RuntimeDeleter>;
using ModulePtr = std::unique_ptr<hexmoe_module_t, ModuleDeleter>;
using TensorPtr = std::unique_ptr<hexmoe_tensor_t, TensorDeleter>;

}  // namespace hexmoe::api

#endif /* HEXMOE_HEXMOE_HPP_ */
