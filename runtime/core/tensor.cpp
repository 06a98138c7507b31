// Tensors.
#include "runtime/core/tensor.h"

#include "runtime/core/hal/allocator.h"

namespace hexmoe {

StatusOr<Ref<Tensor>> Tensor::make(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape) {
  if (device >= runtime->deviceCount())
    return invalidArgument("device " + std::to_string(device) + " of " + std::to_string(runtime->deviceCount()) +
                           " (" + runtime->deviceNames() + ")");
  std::optional<int64_t> count = hexmoe::elementCount(shape);
  if (!count) return invalidArgument("invalid shape " + formatTensorType(type, shape) +
                                     ": negative extent or too many elements");
  std::optional<size_t> bytes = hexmoe::byteSize(type, *count);
  if (!bytes) return invalidArgument("shape " + formatTensorType(type, shape) + " is too large");
  Ref<Tensor> tensor = Ref<Tensor>::adopt(new Tensor());
  tensor->runtime_ = runtime;
  tensor->device_ = device;
  tensor->type_ = type;
  tensor->shape_ = std::move(shape);
  tensor->elementCount_ = *count;
  tensor->byteSize_ = *bytes;
  return tensor;
}

StatusOr<Ref<Tensor>> Tensor::allocate(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape) {
  HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> tensor, make(runtime, device, type, std::move(shape)));
  HEXMOE_ASSIGN_OR_RETURN(tensor->buffer_, runtime->device(device).allocateBuffer(tensor->byteSize_));
  return tensor;
}

StatusOr<Ref<Tensor>> Tensor::copyTo(size_t device) const {
  HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> copy, allocate(runtime_, device, type_, shape_));
  HEXMOE_RETURN_IF_ERROR(hal::copyBuffer(*buffer_, 0, *copy->buffer_, 0, byteSize_));
  return copy;
}

StatusOr<Ref<Tensor>> Tensor::wrap(const Ref<Runtime>& runtime, size_t device, ElementType type, Shape shape,
                                   void* data, std::function<void()> release) {
  if (!data) return invalidArgument("cannot wrap a null pointer");
  if (reinterpret_cast<uintptr_t>(data) % hal::kBufferAlignment != 0)
    return invalidArgument("wrapped memory must be " + std::to_string(hal::kBufferAlignment) +
                           "-byte aligned (kernels assume it)");
  HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> tensor, make(runtime, device, type, std::move(shape)));
  HEXMOE_ASSIGN_OR_RETURN(tensor->buffer_,
                          runtime->device(device).wrapHostMemory(data, tensor->byteSize_, std::move(release)));
  return tensor;
}

}  // namespace hexmoe
