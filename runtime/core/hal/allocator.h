// Host memory hooks a caller may provide for the runtime's buffers.
#ifndef HEXMOE_RUNTIME_CORE_HAL_ALLOCATOR_H_
#define HEXMOE_RUNTIME_CORE_HAL_ALLOCATOR_H_

#include <cstddef>

namespace hexmoe::hal {

/// The machine's physical memory in bytes (SIZE_MAX when it cannot be read).
size_t physicalMemoryBytes();

/// Mirrors hexmoe_allocator_t. Without hooks, aligned_alloc/free are used,
/// and a request larger than physical memory fails without reaching them.
struct HostAllocator {
  void* user = nullptr;
  void* (*allocate)(void* user, size_t size, size_t alignment) = nullptr;
  void (*deallocate)(void* user, void* ptr, size_t size) = nullptr;

  void* allocateBytes(size_t size, size_t alignment) const;
  void deallocateBytes(void* ptr, size_t size) const;
};

/// Every buffer the runtime allocates, and every kernel binding, is aligned
/// to this many bytes (kernel_abi.h).
inline constexpr size_t kBufferAlignment = 64;

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_ALLOCATOR_H_
