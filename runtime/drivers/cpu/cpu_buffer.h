// CPU buffers: host memory, from the runtime's allocator or wrapped in place.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_BUFFER_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_BUFFER_H_

#include <functional>
#include <memory>

#include "runtime/core/hal/allocator.h"
#include "runtime/core/hal/buffer.h"

namespace hexmoe::hal::cpu {

class CpuBuffer final : public hal::Buffer {
 public:
  /// Aligned memory from `allocator`; a zero-byte buffer still gets a real,
  /// aligned address.
  static StatusOr<std::unique_ptr<CpuBuffer>> allocate(const hal::HostAllocator& allocator, size_t size);
  /// Caller memory; `release` (may be empty) runs on destruction.
  static std::unique_ptr<CpuBuffer> wrap(void* data, size_t size, std::function<void()> release);
  ~CpuBuffer() override;

  void* deviceAddress() const override { return data_; }
  void* hostPointer() const override { return data_; }
  Status read(size_t offset, void* dst, size_t size) const override;
  Status write(size_t offset, const void* src, size_t size) override;

 private:
  CpuBuffer(void* data, size_t size) : hal::Buffer(size), data_(data) {}
  void* data_;
  hal::HostAllocator allocator_;
  size_t allocatedSize_ = 0;  // 0 for wrapped memory
  std::function<void()> release_;
};

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_BUFFER_H_
