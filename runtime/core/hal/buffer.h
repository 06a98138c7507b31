// HAL buffer: a range of one device's memory, bound to kernels by address.
#ifndef HEXMOE_RUNTIME_CORE_HAL_BUFFER_H_
#define HEXMOE_RUNTIME_CORE_HAL_BUFFER_H_

#include <cstddef>

#include "runtime/base/status.h"

namespace hexmoe::hal {

class Buffer {
 public:
  explicit Buffer(size_t size) : size_(size) {}
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return size_; }
  /// What a kernel receives as this buffer's binding.
  virtual void* deviceAddress() const = 0;
  /// A host pointer to the contents, or nullptr when the memory is not
  /// host-visible (then use read/write).
  virtual void* hostPointer() const = 0;
  virtual Status read(size_t offset, void* dst, size_t size) const = 0;
  virtual Status write(size_t offset, const void* src, size_t size) = 0;

 private:
  size_t size_;
};

/// Copies `size` bytes between buffers of any devices: in place where one
/// side is host-visible, through host memory otherwise. Both ranges must lie
/// inside their buffers.
Status copyBuffer(const Buffer& src, size_t srcOffset, Buffer& dst, size_t dstOffset, size_t size);

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_BUFFER_H_
