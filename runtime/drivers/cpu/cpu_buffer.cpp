// CPU buffers.
#include "runtime/drivers/cpu/cpu_buffer.h"

#include <algorithm>
#include <cstring>

namespace hexmoe::hal::cpu {

StatusOr<std::unique_ptr<CpuBuffer>> CpuBuffer::allocate(const hal::HostAllocator& allocator, size_t size) {
  const size_t bytes = std::max(size, hal::kBufferAlignment);
  void* data = allocator.allocateBytes(bytes, hal::kBufferAlignment);
  if (!data)
    return resourceExhausted("cannot allocate " + std::to_string(size) + " bytes of host memory (the machine has " +
                             std::to_string(hal::physicalMemoryBytes()) + ")");
  if (reinterpret_cast<uintptr_t>(data) % hal::kBufferAlignment != 0) {
    allocator.deallocateBytes(data, bytes);
    return internalError("the allocator returned memory that is not " +
                         std::to_string(hal::kBufferAlignment) + "-byte aligned");
  }
  std::unique_ptr<CpuBuffer> buffer(new CpuBuffer(data, size));
  buffer->allocator_ = allocator;
  buffer->allocatedSize_ = bytes;
  return buffer;
}

std::unique_ptr<CpuBuffer> CpuBuffer::wrap(void* data, size_t size, std::function<void()> release) {
  std::unique_ptr<CpuBuffer> buffer(new CpuBuffer(data, size));
  buffer->release_ = std::move(release);
  return buffer;
}

CpuBuffer::~CpuBuffer() {
  if (allocatedSize_) allocator_.deallocateBytes(data_, allocatedSize_);
  if (release_) release_();
}

Status CpuBuffer::read(size_t offset, void* dst, size_t size) const {
  if (offset > this->size() || size > this->size() - offset)
    return outOfRange("reading " + std::to_string(size) + " bytes at " + std::to_string(offset) +
                      " from a buffer of " + std::to_string(this->size()));
  if (size) std::memcpy(dst, static_cast<const uint8_t*>(data_) + offset, size);
  return okStatus();
}

Status CpuBuffer::write(size_t offset, const void* src, size_t size) {
  if (offset > this->size() || size > this->size() - offset)
    return outOfRange("writing " + std::to_string(size) + " bytes at " + std::to_string(offset) +
                      " into a buffer of " + std::to_string(this->size()));
  if (size) std::memcpy(static_cast<uint8_t*>(data_) + offset, src, size);
  return okStatus();
}

}  // namespace hexmoe::hal::cpu
