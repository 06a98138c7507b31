// A tensor in device memory: what the C API calls a buffer.
#ifndef HEXMOE_RUNTIME_CORE_TENSOR_H_
#define HEXMOE_RUNTIME_CORE_TENSOR_H_

#include <functional>
#include <memory>

#include "runtime/core/element_type.h"
#include "runtime/core/hal/buffer.h"
#include "runtime/core/ref_counted.h"
#include "runtime/core/runtime.h"

namespace hexmoe {

class Tensor final : public RefCounted {
 public:
  /// Contents undefined.
  static StatusOr<Ref<Tensor>> allocate(const Ref<Runtime>& runtime, ElementType type, Shape shape);
  /// Caller memory, used in place; must be 64-byte aligned.
  static StatusOr<Ref<Tensor>> wrap(const Ref<Runtime>& runtime, ElementType type, Shape shape,
                                    void* data, std::function<void()> release);

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
  static StatusOr<Ref<Tensor>> make(const Ref<Runtime>& runtime, ElementType type, Shape shape);

  Ref<Runtime> runtime_;  // outlives buffer_: its device made it
  ElementType type_ = ElementType::kF32;
  Shape shape_;
  int64_t elementCount_ = 0;
  size_t byteSize_ = 0;
  std::unique_ptr<hal::Buffer> buffer_;
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_TENSOR_H_
