// Loads an ELF shared object from memory: memfd_create + dlopen of
// /proc/self/fd/N, or a temporary file where memfd is unavailable.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_SHARED_OBJECT_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_SHARED_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/base/status.h"

namespace hexmoe::hal::cpu {

class SharedObject {
 public:
  /// `what` names the object in errors ("layer.hxm, CPU variant x86-64-v3").
  /// HEXMOE_NO_MEMFD=1 forces the temporary-file path (for tests).
  static StatusOr<std::unique_ptr<SharedObject>> loadFromMemory(const uint8_t* data, size_t size,
                                                                const std::string& what);
  /// The checks loadFromMemory makes before dlopen sees the bytes: a 64-bit
  /// ELF shared object for this machine whose headers, segments and sections
  /// lie inside it.
  static Status checkImage(const uint8_t* data, size_t size, const std::string& what);
  ~SharedObject();
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;

  /// The address of an exported symbol, or nullptr with `error` set.
  void* symbol(const std::string& name, std::string& error) const;
  /// An exported data symbol and its size in bytes (from the ELF symbol
  /// table), or nullptr with `error` set.
  const void* data(const std::string& name, size_t& size, std::string& error) const;
  /// How it was loaded: "memfd" or "tmpfile".
  const char* method() const { return method_; }

 private:
  SharedObject(void* handle, int fd, const char* method)
      : handle_(handle), fd_(fd), method_(method) {}
  void* handle_;
  int fd_;  // the memfd; kept open while loaded so no other load reuses its path
  const char* method_;
};

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_SHARED_OBJECT_H_
