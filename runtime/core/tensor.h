// A tensor in device memory: what the C API calls a buffer.
#ifndef HEXMOE_RUNTIME_CORE_TENSOR_H_
#define HEXMOE_RUNTIME_CORE_TENSOR_H_

#include <functional>
#include <memory>
#include <string>

#include "runtime/core/element_type.h"
#include "runtime/core/hal/buffer.h"
#include "runtime/core/ref_counted.h"
#include "runtime/core/runtime.h"

namespace hexmoe {

class Tensor final : public RefCounted {
 public:
  /// On the runtime's device `device`; contents undefined.
  static StatusOr<Ref<Tensor>> allocate(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape);
  /// Caller memory, used in place by device `device`; must be 64-byte aligned.
  static StatusOr<Ref<Tensor>> wrap(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape,
                                    void* data, std::function<void()> release);
  /// A copy of this tensor on device `device`, through the HAL.
  StatusOr<Ref<Tensor>> copyTo(size_t device) const;

  /// Where the tensor lives: an index among its runtime's devices.
  size_t device() const { return device_; }
  const std::string& deviceName() const { return runtime_->device(device_).info().name; }
  ElementType type() const { return type_; }
  const Shape& shape() const { return shape_; }
  int64_t elementCount() const { return elementCount_; }
  size_t byteSize() const { return byteSize_; }
  hal::Buffer& buffer() const { return *buffer_; }
  /// "f32 [5,4]".
  std::string typeString() const { return formatTensorType(type_, shape_); }

 private:
  Tensor() = default;
  ~Tensor() override = default;
  /// Checks the shape and computes the sizes.
  static StatusOr<Ref<Tensor>> make(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape);

  Ref<Runtime> runtime_;  // outlives buffer_: its device made it
  size_t device_ = 0;
  ElementType type_ = ElementType::kF32;
  Shape shape_;
  int64_t elementCount_ = 0;
  size_t byteSize_ = 0;
  std::unique_ptr<hal::Buffer> buffer_;
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_TENSOR_H_
