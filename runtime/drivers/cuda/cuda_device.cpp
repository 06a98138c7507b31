// The CUDA device, its buffers and its queue.
#include "runtime/drivers/cuda/cuda_device.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/core/hal/allocator.h"
#include "runtime/core/logging.h"

namespace hexmoe::hal::cuda {
namespace {

int attribute(const Api& api, CUdevice device, int which) {
  int v = 0;
  return api.cuDeviceGetAttribute(&v, which, device) == kCudaSuccess ? v : 0;
}

Status checkRange(size_t offset, size_t size, size_t total, const char* verb) {
  if (offset > total || size > total - offset)
    return outOfRange(std::string(verb) + " " + std::to_string(size) + " bytes at " + std::to_string(offset) +
                      " of a buffer of " + std::to_string(total));
  return okStatus();
}

}  // namespace

Status Context::bind() const { return cuStatus(api, api->cuCtxSetCurrent(context), name + ": cuCtxSetCurrent"); }

Context::~Context() {
  if (context) api->cuDevicePrimaryCtxRelease_v2(device);
}

std::string describeDevice(const Api& api, CUdevice device) {
  char name[256] = {};
  if (api.cuDeviceGetName(name, sizeof(name) - 1, device) != kCudaSuccess) name[0] = '\0';
  size_t memory = 0;
  api.cuDeviceTotalMem_v2(&memory, device);
  const int sms = attribute(api, device, kAttributeMultiprocessorCount);
  return std::string(name) + " (sm_" + std::to_string(attribute(api, device, kAttributeComputeCapabilityMajor)) +
         std::to_string(attribute(api, device, kAttributeComputeCapabilityMinor)) + ", " + std::to_string(sms) +
         " SM" + (sms == 1 ? "" : "s") + ", " + std::to_string(memory >> 20) + " MiB)";
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

CudaBuffer::~CudaBuffer() {
  if (ptr_ && context_->bind().ok()) context_->api->cuMemFree_v2(ptr_);
}

Status CudaBuffer::read(size_t offset, void* dst, size_t size) const {
  HEXMOE_RETURN_IF_ERROR(checkRange(offset, size, this->size(), "reading"));
  if (size == 0) return okStatus();
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return cuStatus(context_->api, context_->api->cuMemcpyDtoH_v2(dst, ptr_ + offset, size),
                  context_->name + ": reading a buffer");
}

Status CudaBuffer::write(size_t offset, const void* src, size_t size) {
  HEXMOE_RETURN_IF_ERROR(checkRange(offset, size, this->size(), "writing"));
  if (size == 0) return okStatus();
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return cuStatus(context_->api, context_->api->cuMemcpyHtoD_v2(ptr_ + offset, src, size),
                  context_->name + ": writing a buffer");
}

//===----------------------------------------------------------------------===//
// Queue
//===----------------------------------------------------------------------===//

CudaQueue::~CudaQueue() {
  if (dims_ && context_->bind().ok()) context_->api->cuMemFree_v2(dims_);
}

Status CudaQueue::dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) {
  // Only CUDA executables reach a CUDA queue: the module loads its
  // executable on the same device.
  const auto& exe = static_cast<const CudaExecutable&>(executable);
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
  // ordered after the kernels before it on the default stream.
  const size_t dimCount = std::max<size_t>(args.dimCount, 1);
  if (!dims_ || dimsCapacity_ < dimCount) {
    if (dims_) api->cuMemFree_v2(dims_);
    dims_ = 0;
    dimsValues_.clear();
    const size_t capacity = std::max<size_t>(dimCount, 16);
    HEXMOE_RETURN_IF_ERROR(cuStatus(api, api->cuMemAlloc_v2(&dims_, capacity * sizeof(int64_t)),
                                    context_->name + ": allocating the dims buffer"));
    dimsCapacity_ = capacity;
  }
  if (args.dimCount > 0 && (dimsValues_.size() != args.dimCount ||
                            !std::equal(dimsValues_.begin(), dimsValues_.end(), args.dims))) {
    dimsValues_.assign(args.dims, args.dims + args.dimCount);
    HEXMOE_RETURN_IF_ERROR(cuStatus(
        api, api->cuMemcpyHtoD_v2(dims_, dimsValues_.data(), args.dimCount * sizeof(int64_t)), what + ": its sizes"));
  }
  // cuLaunchKernel takes a pointer to each parameter's value.
  const int bindings = exe.bindingCount(kernel);
  std::vector<CUdeviceptr> values(bindings + 1);
  std::vector<void*> params(bindings + 1);
  for (int b = 0; b < bindings; ++b) values[b] = reinterpret_cast<uintptr_t>(args.bindings[b]);
  values[bindings] = dims_;
  for (int b = 0; b <= bindings; ++b) params[b] = &values[b];
  return cuStatus(api,
                  api->cuLaunchKernel(exe.function(kernel), static_cast<unsigned>(blocks), 1, 1,
                                      static_cast<unsigned>(blockSize_), 1, 1, 0, nullptr, params.data(), nullptr),
                  what + ": launching " + std::to_string(args.workgroupCount) + " threads");
}

Status CudaQueue::finish() {
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  return cuStatus(context_->api, context_->api->cuCtxSynchronize(), context_->name + ": cuCtxSynchronize");
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::create(int ordinal, const hal::DeviceOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
  int count = 0;
  if (api->cuDeviceGetCount(&count) != kCudaSuccess) count = 0;
  const std::string name = "cuda:" + std::to_string(ordinal);
  if (count == 0) return unavailable("no CUDA device found (the driver is installed but sees no GPU)");
  if (ordinal >= count)
    return notFound("no device " + name + " (this machine has " + std::to_string(count) + " CUDA device" +
                    (count == 1 ? "" : "s") + ": cuda:0" + (count > 1 ? "-cuda:" + std::to_string(count - 1) : "") +
                    ")");
  int blockSize = 128;
  if (auto it = options.values.find("block_size"); it != options.values.end()) {
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || v < 32 || v > 1024 || v % 32 != 0)
      return invalidArgument("cuda.block_size=" + it->second + ": expected a multiple of 32 from 32 to 1024");
    blockSize = static_cast<int>(v);
  }
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  auto context = std::make_shared<Context>();
  context->api = api;
  context->name = name;
  HEXMOE_RETURN_IF_ERROR(cuStatus(api, api->cuDeviceGet(&context->device, ordinal), name + ": cuDeviceGet"));
  HEXMOE_RETURN_IF_ERROR(cuStatus(api, api->cuDevicePrimaryCtxRetain(&context->context, context->device),
                                  name + ": cuDevicePrimaryCtxRetain"));
  context->arch = 10 * attribute(*api, context->device, kAttributeComputeCapabilityMajor) +
                  attribute(*api, context->device, kAttributeComputeCapabilityMinor);
  device->context_ = context;
  device->queue_ = std::make_unique<CudaQueue>(context, blockSize);
  if (auto it = options.values.find("nvrtc_options"); it != options.values.end()) device->nvrtcOptions_ = it->second;
  hal::DeviceInfo& info = device->info_;
  info.driver = "cuda";
  info.name = name;
  info.description = describeDevice(*api, context->device);
  info.threads = 1;
  info.features = "sm_" + std::to_string(context->arch);
  HEXMOE_LOG_DEBUG("{}: {}", info.name, info.description);
  return device;
}

StatusOr<std::unique_ptr<hal::Buffer>> CudaDevice::allocateBuffer(size_t size) {
  // An empty tensor still gets real memory, as on the other devices.
  const size_t bytes = std::max(size, hal::kBufferAlignment);
  HEXMOE_RETURN_IF_ERROR(context_->bind());
  CUdeviceptr ptr = 0;
  HEXMOE_RETURN_IF_ERROR(cuStatus(context_->api, context_->api->cuMemAlloc_v2(&ptr, bytes),
                                  info_.name + ": allocating " + std::to_string(size) + " bytes"));
  return std::unique_ptr<hal::Buffer>(new CudaBuffer(context_, ptr, size));
}

StatusOr<std::unique_ptr<hal::Buffer>> CudaDevice::wrapHostMemory(void*, size_t, std::function<void()>) {
  return unimplemented(info_.name + " does not use host memory in place; create the tensor on it from host data " +
                       "(hexmoe_tensor_create) or copy one there (hexmoe_tensor_copy)");
}

bool CudaDevice::canBind(const hal::Buffer& buffer) const {
  const auto* b = dynamic_cast<const CudaBuffer*>(&buffer);
  return b && b->context() == context_.get();
}

StatusOr<std::unique_ptr<hal::Executable>> CudaDevice::loadExecutable(const schema::Artifact& artifact,
                                                                      const std::string& what) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CudaExecutable> exe,
                          CudaExecutable::load(context_, artifact, nvrtcOptions_, what));
  return std::unique_ptr<hal::Executable>(std::move(exe));
}

}  // namespace hexmoe::hal::cuda
