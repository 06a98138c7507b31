// HAL queue: ordered kernel launches on one device.
#ifndef HEXMOE_RUNTIME_CORE_HAL_QUEUE_H_
#define HEXMOE_RUNTIME_CORE_HAL_QUEUE_H_

#include <cstddef>
#include <cstdint>

#include "runtime/base/status.h"

namespace hexmoe::hal {

class Executable;

struct DispatchArgs {
  void* const* bindings;   // Buffer::deviceAddress() of each binding
  const int64_t* dims;     // the function's dynamic sizes
  size_t dimCount;         // how many there are
  int64_t workgroupCount;
};

/// Dispatches run in submission order, each finishing before the next starts.
/// A queue may run them when submitted (the CPU queue does) or later; finish()
/// returns once all have completed.
class Queue {
 public:
  virtual ~Queue() = default;
  virtual Status dispatch(const Executable& executable, int kernel, const DispatchArgs& args) = 0;
  virtual Status finish() = 0;
};

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_QUEUE_H_
