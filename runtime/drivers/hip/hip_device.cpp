// The HIP device, its buffers and its queue.
#include "runtime/drivers/hip/hip_device.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/core/hal/allocator.h"
#include "runtime/core/logging.h"

namespace hexmoe::hal::hip {
namespace {

Status checkRange(size_t offset, size_t size, size_t total, const char* verb) {
  if (offset > total || size > total - offset)
    return outOfRange(std::string(verb) + " " + std::to_string(size) + " bytes at " + std::to_string(offset) +
                      " of a buffer of " + std::to_string(total));
  return okStatus();
}

}  // namespace

Status Context::bind() const { return hipStatus(api, api->hipSetDevice(ordinal), name + ": hipSetDevice"); }

std::string describeDevice(const Api& api, hipDevice_t device) {
  char name[256] = {};
  if (api.hipDeviceGetName(name, sizeof(name) - 1, device) != kHipSuccess) name[0] = '\0';
  size_t memory = 0;
  api.hipDeviceTotalMem(&memory, device);
  return std::string(name) + " (" + std::to_string(memory >> 20) + " MiB)";
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

HipBuffer::~HipBuffer() {
  if (ptr_ && context_->bind().ok()) context_->api->hipFree(ptr_);
}

Status HipBuffer::read(size_t offset, void* dst, size_t size) const {
  HEXMOE_RETURN_IF_ERROR(checkRange(offset, size, this->size(), "reading"));
  if (size == 0) return okStatus();
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return hipStatus(context_->api, context_->api->hipMemcpyDtoH(dst, static_cast<char*>(ptr_) + offset, size),
                   context_->name + ": reading a buffer");
}

Status HipBuffer::write(size_t offset, const void* src, size_t size) {
  HEXMOE_RETURN_IF_ERROR(checkRange(offset, size, this->size(), "writing"));
  if (size == 0) return okStatus();
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return hipStatus(context_->api,
                   context_->api->hipMemcpyHtoD(static_cast<char*>(ptr_) + offset, const_cast<void*>(src), size),
                   context_->name + ": writing a buffer");
}

//===----------------------------------------------------------------------===//
// Queue
//===----------------------------------------------------------------------===//

HipQueue::~HipQueue() {
  if (dims_ && context_->bind().ok()) context_->api->hipFree(dims_);
}

Status HipQueue::dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) {
  // Only HIP executables reach a HIP queue: the module loads its executable
  // on the same device.
  const auto& exe = static_cast<const HipExecutable&>(executable);
  if (kernel < 0 || kernel >= exe.kernelCount())
    return outOfRange("kernel " + std::to_string(kernel) + " of " + std::to_string(exe.kernelCount()));
  if (args.workgroupCount < 0) return outOfRange(std::to_string(args.workgroupCount) + " workgroups");
  if (args.workgroupCount == 0) return okStatus();
  const Api* api = context_->api;
  const std::string what = context_->name + ": kernel " + exe.kernelName(kernel);
  const int64_t blocks = (args.workgroupCount + blockSize_ - 1) / blockSize_;
  if (blocks > 0x7FFFFFFF) return outOfRange(what + ": " + std::to_string(args.workgroupCount) + " threads");
  std::lock_guard<std::mutex> lock(context_->mutex);
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  // The dims buffer is rewritten only when the sizes change; the copy is
  // ordered after the kernels before it on the null stream.
  const size_t dimCount = std::max<size_t>(args.dimCount, 1);
  if (!dims_ || dimsCapacity_ < dimCount) {
    if (dims_) api->hipFree(dims_);
    dims_ = nullptr;
    dimsValues_.clear();
    const size_t capacity = std::max<size_t>(dimCount, 16);
    HEXMOE_RETURN_IF_ERROR(hipStatus(api, api->hipMalloc(&dims_, capacity * sizeof(int64_t)),
                                     context_->name + ": allocating the dims buffer"));
    dimsCapacity_ = capacity;
  }
  if (args.dimCount > 0 && (dimsValues_.size() != args.dimCount ||
                            !std::equal(dimsValues_.begin(), dimsValues_.end(), args.dims))) {
    dimsValues_.assign(args.dims, args.dims + args.dimCount);
    HEXMOE_RETURN_IF_ERROR(hipStatus(
        api, api->hipMemcpyHtoD(dims_, dimsValues_.data(), args.dimCount * sizeof(int64_t)), what + ": its sizes"));
  }
  // hipModuleLaunchKernel takes a pointer to each parameter's value.
  const int bindings = exe.bindingCount(kernel);
  std::vector<void*> values(bindings + 1);
  std::vector<void*> params(bindings + 1);
  for (int b = 0; b < bindings; ++b) values[b] = args.bindings[b];
  values[bindings] = dims_;
  for (int b = 0; b <= bindings; ++b) params[b] = &values[b];
  return hipStatus(api,
                   api->hipModuleLaunchKernel(exe.function(kernel), static_cast<unsigned>(blocks), 1, 1,
                                              static_cast<unsigned>(blockSize_), 1, 1, 0, nullptr, params.data(),
                                              nullptr),
                   what + ": launching " + std::to_string(args.workgroupCount) + " threads");
}

Status HipQueue::finish() {
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return hipStatus(context_->api, context_->api->hipDeviceSynchronize(), context_->name + ": hipDeviceSynchronize");
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<HipDevice>> HipDevice::create(int ordinal, const hal::DeviceOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
  int count = 0;
  if (api->hipGetDeviceCount(&count) != kHipSuccess) count = 0;
  const std::string name = "hip:" + std::to_string(ordinal);
  if (count == 0) return unavailable("no HIP device found (the HIP runtime is installed but sees no GPU)");
  if (ordinal >= count)
    return notFound("no device " + name + " (this machine has " + std::to_string(count) + " HIP device" +
                    (count == 1 ? "" : "s") + ": hip:0" + (count > 1 ? "-hip:" + std::to_string(count - 1) : "") +
                    ")");
  int blockSize = 128;
  if (auto it = options.values.find("block_size"); it != options.values.end()) {
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || v < 64 || v > 1024 || v % 64 != 0)
      return invalidArgument("hip.block_size=" + it->second + ": expected a multiple of 64 from 64 to 1024");
    blockSize = static_cast<int>(v);
  }
  std::unique_ptr<HipDevice> device(new HipDevice());
  auto context = std::make_shared<Context>();
  context->api = api;
  context->name = name;
  context->ordinal = ordinal;
  if (auto it = options.values.find("arch"); it != options.values.end()) context->arch = it->second;
  hipDevice_t handle = 0;
  HEXMOE_RETURN_IF_ERROR(hipStatus(api, api->hipDeviceGet(&handle, ordinal), name + ": hipDeviceGet"));
  HEXMOE_RETURN_IF_ERROR(context->bind());
  device->context_ = context;
  device->queue_ = std::make_unique<HipQueue>(context, blockSize);
  if (auto it = options.values.find("hiprtc_options"); it != options.values.end()) device->hiprtcOptions_ = it->second;
  hal::DeviceInfo& info = device->info_;
  info.driver = "hip";
  info.name = name;
  info.description = describeDevice(*api, handle);
  info.threads = 1;
  info.features = context->arch;
  HEXMOE_LOG_DEBUG("{}: {}", info.name, info.description);
  return device;
}

StatusOr<std::unique_ptr<hal::Buffer>> HipDevice::allocateBuffer(size_t size) {
  // An empty tensor still gets real memory, as on the other devices.
  const size_t bytes = std::max(size, hal::kBufferAlignment);
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  void* ptr = nullptr;
  HEXMOE_RETURN_IF_ERROR(hipStatus(context_->api, context_->api->hipMalloc(&ptr, bytes),
                                   info_.name + ": allocating " + std::to_string(size) + " bytes"));
  return std::unique_ptr<hal::Buffer>(new HipBuffer(context_, ptr, size));
}

StatusOr<std::unique_ptr<hal::Buffer>> HipDevice::wrapHostMemory(void*, size_t, std::function<void()>) {
  return unimplemented(info_.name + " does not use host memory in place; create the tensor on it from host data " +
                       "(hexmoe_tensor_create) or copy one there (hexmoe_tensor_copy)");
}

bool HipDevice::canBind(const hal::Buffer& buffer) const {
  const auto* b = dynamic_cast<const HipBuffer*>(&buffer);
  return b && b->context() == context_.get();
}

StatusOr<std::unique_ptr<hal::Executable>> HipDevice::loadExecutable(const schema::Artifact& artifact,
                                                                     const std::string& what) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<HipExecutable> exe,
                          HipExecutable::load(context_, artifact, hiprtcOptions_, what));
  return std::unique_ptr<hal::Executable>(std::move(exe));
}

}  // namespace hexmoe::hal::hip
